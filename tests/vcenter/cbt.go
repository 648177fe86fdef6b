// SPDX-License-Identifier: GPL-2.0-or-later
//
// cbtShim (our shim): VMware's Changed Block Tracking, which vcsim 0.24
// lacks (no QueryChangedDiskAreas, no changeId on any disk, and
// snapshots make no delta disks).
//
// What vSphere does: with config.changeTrackingEnabled (ReconfigVM_Task,
// which vcsim does keep), each snapshot's disks carry a changeId
// (backing.changeId, "52 1f … e9/7"); QueryChangedDiskAreas(snapshot,
// deviceKey, startOffset, changeId) answers a DiskChangeInfo
// {startOffset, length, changedArea[] {start, length}}: the areas of
// the disk written between the snapshot that had changeId and this
// one, within [startOffset, startOffset+length); "*" for the changeId
// answers every area in use.  The caller asks again from
// startOffset+length until it has covered the disk.
//
// What we do: at each CreateSnapshot_Task of a VM with change tracking
// on, before vcsim takes the snapshot, we record the state of each of
// its disks' flat extents (a file in the datastore directory): a
// SHA-256 per 64 KiB block, holes read as zeroes (SEEK_DATA/SEEK_HOLE),
// kept under a new changeId that the snapshot's disk backing then
// carries.  QueryChangedDiskAreas compares the record of the snapshot
// asked about with the record of the changeId given: the blocks that
// differ are the changed areas.  So the areas are a real record of
// what was written (by the test, to the flat file) between two
// snapshots, at 64 KiB granularity; unlike CBT a block rewritten with
// the same bytes does not count as changed.  One answer covers at most
// cbtWindow bytes (ESXi's answers are also partial), so callers must
// loop as they must with vSphere.  Records live in memory as long as
// the simulator does.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	cbtBlock  = 64 << 10 // bytes per record entry
	cbtWindow = 1 << 30  // bytes one answer covers at most
)

type cbtRecord struct {
	size   int64
	blocks [][sha256.Size]byte
}

type cbtState struct {
	mu      sync.Mutex
	records map[string]*cbtRecord // by changeId
	ids     map[string]string     // "vm/deviceKey": the changeId's uuid part
	seq     map[string]int
}

var cbt = cbtState{records: map[string]*cbtRecord{}, ids: map[string]string{}, seq: map[string]int{}}

var zeroBlockSum = sha256.Sum256(make([]byte, cbtBlock))

// recordFile: the per-block sums of a flat extent as it is now.
func recordFile(path string) (*cbtRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n := (st.Size() + cbtBlock - 1) / cbtBlock
	rec := &cbtRecord{size: st.Size(), blocks: make([][sha256.Size]byte, n)}
	for i := range rec.blocks {
		rec.blocks[i] = zeroBlockSum
	}
	buf := make([]byte, cbtBlock)
	const seekData, seekHole = 3, 4
	for off := int64(0); off < st.Size(); {
		data, err := f.Seek(off, seekData)
		if err != nil { // ENXIO: only a hole is left
			break
		}
		hole, err := f.Seek(data, seekHole)
		if err != nil {
			return nil, err
		}
		for b := data / cbtBlock; b*cbtBlock < hole; b++ {
			k, err := f.ReadAt(buf, b*cbtBlock)
			if err != nil && err != io.EOF {
				return nil, err
			}
			for j := k; j < cbtBlock; j++ {
				buf[j] = 0
			}
			rec.blocks[b] = sha256.Sum256(buf)
		}
		off = hole
	}
	return rec, nil
}

// flatExtent: the file holding the data of the disk whose backing is
// "[DS] dir/disk.vmdk": the descriptor's one extent, or the file itself
// when it is not a descriptor.
func flatExtent(fileName string) (string, error) {
	ds, rel, ok := strings.Cut(strings.TrimPrefix(fileName, "["), "] ")
	if !ok {
		return "", fmt.Errorf("%q is not a datastore path", fileName)
	}
	var dir string
	for _, e := range simulator.Map.All("Datastore") {
		if d, ok := e.(*simulator.Datastore); ok && d.Name == ds {
			dir = d.Info.GetDatastoreInfo().Url
		}
	}
	if dir == "" {
		return "", fmt.Errorf("no datastore %q", ds)
	}
	path := filepath.Join(dir, rel)
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		// RW 4194304 VMFS "disk-flat.vmdk"
		fields := strings.Fields(sc.Text())
		if len(fields) >= 4 && (fields[0] == "RW" || fields[0] == "RDONLY") {
			return filepath.Join(filepath.Dir(path), strings.Trim(fields[3], `"`)), nil
		}
	}
	return path, nil
}

type moref struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

func (m moref) ref() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: m.Type, Value: strings.TrimSpace(m.Value)}
}

type cbtEnvelope struct {
	Body struct {
		Query *struct {
			This        moref  `xml:"_this"`
			Snapshot    moref  `xml:"snapshot"`
			DeviceKey   int32  `xml:"deviceKey"`
			StartOffset int64  `xml:"startOffset"`
			ChangeId    string `xml:"changeId"`
		} `xml:"QueryChangedDiskAreas"`
		Snapshot *struct {
			This moref `xml:"_this"`
		} `xml:"CreateSnapshot_Task"`
		Remove *struct {
			This moref `xml:"_this"`
		} `xml:"RemoveSnapshot_Task"`
	} `xml:"Body"`
}

type taskResponse struct {
	Body struct {
		Any struct {
			Returnval moref `xml:"returnval"`
		} `xml:",any"`
	} `xml:"Body"`
}

func cbtShim(sdk *url.URL, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sdk" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !bytes.Contains(body, []byte("QueryChangedDiskAreas")) &&
			!bytes.Contains(body, []byte("CreateSnapshot_Task")) &&
			!bytes.Contains(body, []byte("RemoveSnapshot_Task")) {
			next.ServeHTTP(w, r)
			return
		}
		var env cbtEnvelope
		if err := xml.Unmarshal(body, &env); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		switch {
		case env.Body.Query != nil:
			ck, err := r.Cookie(soap.SessionCookieName)
			if err != nil || !sessionAlive(r.Context(), sdk, ck.Value) {
				soapFault(w, "NotAuthenticated", "The session is not authenticated.", "")
				return
			}
			q := env.Body.Query
			queryChangedDiskAreas(w, q.This.ref(), q.Snapshot.ref(), q.DeviceKey, q.StartOffset, q.ChangeId)
		case env.Body.Snapshot != nil:
			vmref := env.Body.Snapshot.This.ref()
			recs, err := recordDisks(vmref)
			if err != nil {
				log.Printf("CBT: recording the disks of %s: %v", vmref.Value, err)
			}
			next.ServeHTTP(w, r)
			if len(recs) > 0 {
				giveChangeIds(vmref, recs)
			}
		case env.Body.Remove != nil:
			removeSnapshot(w, r, next, env.Body.Remove.This.ref())
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// recordDisks: before a snapshot of a VM with change tracking on, a
// record of each disk under a new changeId (by device key).
func recordDisks(vmref types.ManagedObjectReference) (map[int32]string, error) {
	vm, ok := simulator.Map.Get(vmref).(*simulator.VirtualMachine)
	if !ok {
		return nil, nil
	}
	var disks []*types.VirtualDisk
	on := false
	simulator.Map.WithLock(vm, func() {
		on = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		for _, d := range vm.Config.Hardware.Device {
			if disk, ok := d.(*types.VirtualDisk); ok {
				disks = append(disks, disk)
			}
		}
	})
	if !on {
		return nil, nil
	}
	out := map[int32]string{}
	for _, disk := range disks {
		b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
		if !ok {
			continue
		}
		path, err := flatExtent(b.GetVirtualDeviceFileBackingInfo().FileName)
		if err != nil {
			return out, err
		}
		rec, err := recordFile(path)
		if err != nil {
			return out, err
		}
		key := fmt.Sprintf("%s/%d", vmref.Value, disk.Key)
		cbt.mu.Lock()
		if cbt.ids[key] == "" {
			var u [16]byte
			_, _ = rand.Read(u[:])
			parts := make([]string, len(u))
			for i, c := range u {
				parts[i] = fmt.Sprintf("%02x", c)
			}
			cbt.ids[key] = strings.Join(parts, " ")
		}
		cbt.seq[key]++
		id := fmt.Sprintf("%s/%d", cbt.ids[key], cbt.seq[key])
		cbt.records[id] = rec
		cbt.mu.Unlock()
		out[disk.Key] = id
		log.Printf("CBT: %s disk %d recorded as %s (%s)", vmref.Value, disk.Key, id, filepath.Base(path))
	}
	return out, nil
}

// giveChangeIds: the snapshot just taken (the VM's current one) gets
// the changeIds on its disks' backings.  vcsim's snapshot config shares
// the VM's devices: the disks are copied first.
func giveChangeIds(vmref types.ManagedObjectReference, ids map[int32]string) {
	vm, ok := simulator.Map.Get(vmref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	var cur *types.ManagedObjectReference
	simulator.Map.WithLock(vm, func() {
		if vm.Snapshot != nil {
			cur = vm.Snapshot.CurrentSnapshot
		}
	})
	if cur == nil {
		return
	}
	snap, ok := simulator.Map.Get(*cur).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return
	}
	simulator.Map.WithLock(snap, func() {
		devs := make([]types.BaseVirtualDevice, len(snap.Config.Hardware.Device))
		for i, d := range snap.Config.Hardware.Device {
			devs[i] = d
			disk, ok := d.(*types.VirtualDisk)
			if !ok || ids[disk.Key] == "" {
				continue
			}
			c := *disk
			if fb, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
				b := *fb
				b.ChangeId = ids[disk.Key]
				c.Backing = &b
			}
			devs[i] = &c
		}
		snap.Config.Hardware.Device = devs
	})
	log.Printf("CBT: %s's snapshot %s has the changeIds", vmref.Value, cur.Value)
}

// snapshotChangeId: the changeId the snapshot's disk KEY carries.
func snapshotChangeId(vmref, snapref types.ManagedObjectReference, key int32) (string, int64, string) {
	snap, ok := simulator.Map.Get(snapref).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return "", 0, "snapshot"
	}
	id, capacity, why := "", int64(0), ""
	simulator.Map.WithLock(snap, func() {
		if snap.Vm != vmref {
			why = "snapshot"
			return
		}
		why = "deviceKey"
		for _, d := range snap.Config.Hardware.Device {
			if disk, ok := d.(*types.VirtualDisk); ok && disk.Key == key {
				why = ""
				capacity = disk.CapacityInBytes
				if capacity == 0 {
					capacity = disk.CapacityInKB * 1024
				}
				if fb, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
					id = fb.ChangeId
				}
			}
		}
	})
	return id, capacity, why
}

func queryChangedDiskAreas(w http.ResponseWriter, vmref, snapref types.ManagedObjectReference, key int32, start int64, since string) {
	cur, capacity, why := snapshotChangeId(vmref, snapref, key)
	if why != "" {
		soapFault(w, "InvalidArgument", "A specified parameter was not correct: "+why, why)
		return
	}
	if cur == "" {
		soapFault(w, "FileFault", "Change tracking is not active on this disk (changeTrackingEnabled was off when the snapshot was taken)", "")
		return
	}
	cbt.mu.Lock()
	now := cbt.records[cur]
	old, known := cbt.records[since]
	cbt.mu.Unlock()
	if since != "*" && (!known || !strings.HasPrefix(since, strings.SplitN(cur, "/", 2)[0]+"/")) {
		soapFault(w, "InvalidArgument", "A specified parameter was not correct: changeId", "changeId")
		return
	}
	if start < 0 || start >= capacity || start%cbtBlock != 0 {
		soapFault(w, "InvalidArgument", "A specified parameter was not correct: startOffset", "startOffset")
		return
	}
	length := capacity - start
	if length > cbtWindow {
		length = cbtWindow
	}
	var out bytes.Buffer
	var areas, total int64
	runStart, runLen := int64(-1), int64(0)
	flush := func() {
		if runLen > 0 {
			fmt.Fprintf(&out, "<changedArea><start>%d</start><length>%d</length></changedArea>", runStart, runLen)
			areas++
			total += runLen
		}
		runStart, runLen = -1, 0
	}
	for b := start / cbtBlock; b*cbtBlock < start+length; b++ {
		changed := false
		if b < int64(len(now.blocks)) {
			if since == "*" {
				changed = now.blocks[b] != zeroBlockSum
			} else if b >= int64(len(old.blocks)) {
				changed = true
			} else {
				changed = now.blocks[b] != old.blocks[b]
			}
		}
		if !changed {
			flush()
			continue
		}
		n := int64(cbtBlock)
		if end := start + length; b*cbtBlock+n > end {
			n = end - b*cbtBlock
		}
		if runStart < 0 {
			runStart = b * cbtBlock
		}
		runLen += n
	}
	flush()
	log.Printf("CBT: QueryChangedDiskAreas %s %s disk %d since %q from %d: %d areas, %d bytes, length %d (snapshot's changeId %q)",
		vmref.Value, snapref.Value, key, since, start, areas, total, length, cur)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+
		`<soapenv:Body><QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval>`+
		`<startOffset>%d</startOffset><length>%d</length>%s</returnval>`+
		`</QueryChangedDiskAreasResponse></soapenv:Body></soapenv:Envelope>`, start, length, out.String())
}

func soapFault(w http.ResponseWriter, kind, msg, prop string) {
	detail := ""
	if prop != "" {
		detail = "<invalidProperty>" + prop + "</invalidProperty>"
	}
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(msg))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+
		`<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring>`+
		`<detail><%sFault xmlns="urn:vim25" xsi:type="%s">%s</%sFault></detail>`+
		`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`, esc.String(), kind, kind, detail, kind)
}

// removeSnapshot (our shim, taskEntity): vcsim's RemoveSnapshot_Task has
// the snapshot as its task's info.entity; vCenter has the VM (a snapshot
// is no ManagedEntity, and pyVmomi refuses to read such a task).
func removeSnapshot(w http.ResponseWriter, r *http.Request, next http.Handler, snapref types.ManagedObjectReference) {
	var vmref types.ManagedObjectReference
	if snap, ok := simulator.Map.Get(snapref).(*simulator.VirtualMachineSnapshot); ok {
		simulator.Map.WithLock(snap, func() { vmref = snap.Vm })
	}
	bw := &bufferedWriter{ResponseWriter: w, code: http.StatusOK}
	next.ServeHTTP(bw, r)
	var res taskResponse
	if vmref.Value != "" && xml.Unmarshal(bw.buf.Bytes(), &res) == nil {
		if t, ok := simulator.Map.Get(res.Body.Any.Returnval.ref()).(*simulator.Task); ok {
			vm, _ := simulator.Map.Get(vmref).(*simulator.VirtualMachine)
			simulator.Map.WithLock(t, func() {
				t.Info.Entity = &vmref
				if vm != nil {
					t.Info.EntityName = vm.Name
				}
			})
		}
	}
	w.WriteHeader(bw.code)
	_, _ = w.Write(bw.buf.Bytes())
}
