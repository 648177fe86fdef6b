// SPDX-License-Identifier: GPL-2.0-or-later
//
// uch-vcsim: the vCenter the tests talk to.  govmomi's simulator (the
// library Debian ships as golang-github-vmware-govmomi-dev; Debian ships
// no vcsim command) with an entry point of ours, built by build.sh.
//
//	uch-vcsim -listen 127.0.0.1:PORT -user USER -password-file FILE \
//	          -ready FILE [-vm NAME=DIR[,on[,ip=ADDR/PREFIX][,gw=GW][,dns=NS]...]]...
//
// The inventory is govmomi's VPX model without its sample VMs: datacenter
// DC0, standalone host DC0_H0, cluster DC0_C0 (hosts DC0_C0_H0..2),
// datastore LocalDS_0 (a directory under $TMPDIR), network "VM Network".
// Each -vm adds a VM NAME on host DC0_H0 made from DIR, a VM folder as
// ESXi keeps it (tests/guests/make-vmx.sh: NAME.vmx, a vmdk descriptor
// and its flat extent): the disk files are linked into
// [LocalDS_0] NAME/, the VM is created through the API from the .vmx's
// settings, then the .vmx itself is uploaded through /folder (vcsim
// writes an empty one, and libvirt reads the VM's disks from it).
// ",on" powers the VM on; ",ip=", ",gw=" and ",dns=" (each may repeat
// for dns) are the static address its guest has on its NIC, which
// VMware Tools then report (guestTools).  When everything is ready, the server's URL is
// written to the -ready file (renamed into place).  SIGTERM stops it and
// removes the datastore directory.
//
// Our shims (small, each a function below, for what vcsim 0.24 lacks):
//   - arrayItemTypes: xsi:type on each element of an ArrayOf* value, as
//     vCenter writes it; libvirt's ESX driver refuses an element without
//     one ("AnyType is missing 'type' property").
//   - folderAuth: /folder takes HTTP Basic credentials and answers with a
//     vmware_soap_session cookie, and then the cookie, as vCenter does;
//     vcsim's /folder has no authentication at all.
//   - cbtShim (cbt.go): Changed Block Tracking, QueryChangedDiskAreas and
//     the changeId of each snapshot's disks, from a record of the flat
//     extents' blocks taken at each snapshot.
//   - guestTools: a VM powered on by -vm NAME=DIR,on runs VMware Tools
//     (guest.toolsRunningStatus guestToolsRunning), so ShutdownGuest is
//     asked for as of a real guest; vcsim's VMs never run them.  With
//     ip=, the Tools report the guest's address as a guest's static one
//     (guest.net[0].ipConfig, origin manual; guest.ipStack's default
//     route and name servers): vcsim's only address is a container's,
//     without prefix, origin or routes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/xml"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var trace bool

type vmFlags []string

func (v *vmFlags) String() string     { return strings.Join(*v, " ") }
func (v *vmFlags) Set(s string) error { *v = append(*v, s); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	user := flag.String("user", "root", "the one user that may log in")
	pwFile := flag.String("password-file", "", "file holding the user's password")
	ready := flag.String("ready", "", "file to write the server's URL to once ready")
	var vms vmFlags
	flag.Var(&vms, "vm", "NAME=DIR[,on[,ip=ADDR/PREFIX][,gw=GW][,dns=NS]]: a VM made from an ESXi VM folder")
	flag.BoolVar(&trace, "trace", false, "write each SOAP request and response to stderr (Login's password too: debugging only)")
	flag.Parse()
	log.SetPrefix("uch-vcsim: ")
	if *pwFile == "" || *ready == "" {
		log.Fatal("-password-file and -ready are required")
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		log.Fatal(err)
	}
	password := strings.TrimRight(string(pw), "\n")

	simulator.Trace = trace // the requests (and responses before our shims)
	model := simulator.VPX()
	model.Machine = 0
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Service.TLS = new(tls.Config)
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, password)}
	server := model.Service.NewServer()
	u := *server.URL // has the user and password
	// The server is started but nobody knows it is up (the -ready file
	// is not written yet): wrap its handler with our shims.
	sdk := u
	sdk.User = nil
	server.Config.Handler = folderAuth(&u, arrayItemTypes(cbtShim(&sdk, server.Config.Handler)))

	stop := func() { server.Close(); model.Remove() }
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		stop()
		log.Fatal(err)
	}
	for _, spec := range vms {
		if err := addVM(ctx, c.Client, &u, spec); err != nil {
			stop()
			log.Fatalf("-vm %s: %v", spec, err)
		}
	}
	_ = c.Logout(ctx)

	pub := u
	pub.User = nil
	if err := writeReady(*ready, pub.String()); err != nil {
		stop()
		log.Fatal(err)
	}
	log.Printf("serving %s", pub.String())
	<-sig
	stop()
}

func writeReady(path, line string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(line+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readVMX: the KEY = "VALUE" lines of a .vmx.
func readVMX(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			m[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return m, sc.Err()
}

// guestNet: what a guest has configured on its first NIC, which its
// VMware Tools report (ip= of -vm).
type guestNet struct {
	ip     string
	prefix int32
	gw     string
	dns    []string
}

// parseVM NAME=DIR[,on[,ip=ADDR/PREFIX][,gw=GW][,dns=NS]...]: see the top
// of this file.
func parseVM(spec string) (name, dir string, on bool, gn guestNet, err error) {
	name, rest, ok := strings.Cut(spec, "=")
	if !ok || name == "" {
		return "", "", false, gn, fmt.Errorf("not NAME=DIR[,on[,ip=ADDR/PREFIX][,gw=GW][,dns=NS]]")
	}
	parts := strings.Split(rest, ",")
	dir = parts[0]
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "on":
			on = true
		case "ip":
			a, l, ok := strings.Cut(v, "/")
			n, e := strconv.Atoi(l)
			if !ok || e != nil || n < 1 || n > 128 {
				return "", "", false, gn, fmt.Errorf("ip=%s: not ADDR/PREFIX", v)
			}
			gn.ip, gn.prefix = a, int32(n)
		case "gw":
			gn.gw = v
		case "dns":
			gn.dns = append(gn.dns, v)
		default:
			return "", "", false, gn, fmt.Errorf("%s: unknown option", p)
		}
	}
	if (gn.ip != "" || gn.gw != "" || gn.dns != nil) && (!on || gn.ip == "") {
		return "", "", false, gn, fmt.Errorf("gw= and dns= need ip=, ip= needs on (Tools report a running guest's addresses)")
	}
	return name, dir, on, gn, nil
}

// addVM NAME=DIR[,on...]: see the top of this file.
func addVM(ctx context.Context, c *vim25.Client, u *url.URL, spec string) error {
	name, dir, on, gn, err := parseVM(spec)
	if err != nil {
		return err
	}
	vmxs, _ := filepath.Glob(filepath.Join(dir, "*.vmx"))
	if len(vmxs) != 1 {
		return fmt.Errorf("%s: one .vmx expected, found %d", dir, len(vmxs))
	}
	vmx, err := readVMX(vmxs[0])
	if err != nil {
		return err
	}

	finder := find.NewFinder(c, false)
	dc, err := finder.Datacenter(ctx, "DC0")
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	host, err := finder.HostSystem(ctx, "DC0_H0")
	if err != nil {
		return err
	}
	pool, err := host.ResourcePool(ctx)
	if err != nil {
		return err
	}
	ds, err := finder.Datastore(ctx, "LocalDS_0")
	if err != nil {
		return err
	}
	var dsmo mo.Datastore
	if err := ds.Properties(ctx, ds.Reference(), []string{"info"}, &dsmo); err != nil {
		return err
	}
	vmdir := filepath.Join(dsmo.Info.GetDatastoreInfo().Url, name)
	if err := os.Mkdir(vmdir, 0o755); err != nil {
		return err
	}

	// The disk: its descriptor and extent, linked into the datastore.
	var devices object.VirtualDeviceList
	// the .vmx's names for SCSI controllers, and govmomi's
	ctl := map[string]string{"lsisas1068": "lsilogic-sas"}[vmx["scsi0.virtualdev"]]
	if ctl == "" {
		ctl = vmx["scsi0.virtualdev"]
	}
	scsi, err := devices.CreateSCSIController(ctl)
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	files, _ := filepath.Glob(filepath.Join(dir, "*.vmdk"))
	for _, f := range files {
		if err := os.Symlink(f, filepath.Join(vmdir, filepath.Base(f))); err != nil {
			return err
		}
		if strings.HasSuffix(f, "-flat.vmdk") {
			continue
		}
		st, err := os.Stat(strings.TrimSuffix(f, ".vmdk") + "-flat.vmdk")
		if err != nil {
			return err
		}
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(),
			fmt.Sprintf("[LocalDS_0] %s/%s", name, filepath.Base(f)))
		disk.CapacityInKB = st.Size() / 1024
		devices = append(devices, disk)
	}
	network, err := finder.Network(ctx, vmx["ethernet0.networkname"])
	if err != nil {
		return err
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}
	nic, err := devices.CreateEthernetCard(vmx["ethernet0.virtualdev"], backing)
	if err != nil {
		return err
	}
	if mac := vmx["ethernet0.address"]; mac != "" {
		card := nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		card.AddressType = string(types.VirtualEthernetCardMacTypeManual)
		card.MacAddress = mac
	}
	devices = append(devices, nic)
	change, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	for _, d := range change {
		if s := d.GetVirtualDeviceConfigSpec(); s.FileOperation != "" {
			s.FileOperation = "" // the disk exists: attach it
		}
	}
	mem, _ := strconv.ParseInt(vmx["memsize"], 10, 64)
	cpus, _ := strconv.ParseInt(vmx["numvcpus"], 10, 32)
	config := types.VirtualMachineConfigSpec{
		Name:         name,
		GuestId:      strings.ReplaceAll(vmx["guestos"], "-", "_") + "Guest",
		MemoryMB:     mem,
		NumCPUs:      int32(cpus),
		Files:        &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[LocalDS_0] %s/%s.vmx", name, name)},
		DeviceChange: change,
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	task, err := folders.VmFolder.CreateVM(ctx, config, pool, host)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return err
	}

	// vcsim wrote an empty .vmx: upload the real one, as a user would.
	body, err := os.ReadFile(vmxs[0])
	if err != nil {
		return err
	}
	up := *u
	up.User = nil
	up.Path = fmt.Sprintf("/folder/%s/%s.vmx", name, name)
	up.RawQuery = url.Values{"dcPath": {"DC0"}, "dsName": {"LocalDS_0"}}.Encode()
	req, err := http.NewRequest(http.MethodPut, up.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	pw, _ := u.User.Password()
	req.SetBasicAuth(u.User.Username(), pw)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("upload of the .vmx: %s", res.Status)
	}

	if on {
		vm := object.NewVirtualMachine(c, info.Result.(types.ManagedObjectReference))
		t, err := vm.PowerOn(ctx)
		if err != nil {
			return err
		}
		if err := t.Wait(ctx); err != nil {
			return err
		}
		guestTools(vm.Reference(), gn)
	}
	return nil
}

// guestTools (our shim): the VM's guest runs VMware Tools, which report
// the static address GN of its first NIC, if any, as Tools do.
func guestTools(ref types.ManagedObjectReference, gn guestNet) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	simulator.Map.WithLock(vm, func() {
		vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		vm.Guest.ToolsVersion = "11360"
		if vm.Summary.Guest != nil {
			vm.Summary.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
			vm.Summary.Guest.ToolsRunningStatus = vm.Guest.ToolsRunningStatus
		}
		if gn.ip == "" || len(vm.Guest.Net) == 0 {
			return
		}
		nic := &vm.Guest.Net[0]
		nic.IpAddress = []string{gn.ip}
		nic.IpConfig = &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{{
			IpAddress:    gn.ip,
			PrefixLength: gn.prefix,
			Origin:       string(types.NetIpConfigInfoIpAddressOriginManual),
			State:        string(types.NetIpConfigInfoIpAddressStatusPreferred),
		}}}
		stack := types.GuestStackInfo{}
		if len(gn.dns) > 0 {
			nic.DnsConfig = &types.NetDnsConfigInfo{IpAddress: gn.dns}
			stack.DnsConfig = &types.NetDnsConfigInfo{IpAddress: gn.dns}
		}
		if gn.gw != "" {
			// the default route through the first NIC (device "0": its
			// index in guest.net)
			stack.IpRouteConfig = &types.NetIpRouteConfigInfo{IpRoute: []types.NetIpRouteConfigInfoIpRoute{{
				Network: "0.0.0.0",
				Gateway: types.NetIpRouteConfigInfoGateway{IpAddress: gn.gw, Device: "0"},
			}}}
		}
		vm.Guest.IpStack = []types.GuestStackInfo{stack}
		vm.Guest.IpAddress = gn.ip
		if vm.Summary.Guest != nil {
			vm.Summary.Guest.IpAddress = gn.ip
		}
	})
}

// folderAuth (our shim): vCenter's /folder wants a session.  A request
// with HTTP Basic credentials logs in (a SOAP Login, so the password is
// checked as for any client) and gets the session's vmware_soap_session
// cookie; a request with that cookie (or any live SOAP session's) goes
// through.  Anything else is 401, as vCenter answers it.  A key seen
// alive is remembered (one SOAP call per session, not per request): a
// session logged out since still opens /folder, which vCenter's does not.
// So are Basic credentials that logged in (by their hash), with their
// session: one login per user and password, not one per request; the
// first such request of each method and path is logged, so a test sees
// who came with a password (nbdkit-curl sends Basic with every read).
func folderAuth(u *url.URL, next http.Handler) http.Handler {
	var live sync.Map  // session keys seen alive
	var creds sync.Map // sha256(user NUL password) -> its session key
	var again sync.Map // user, method and path logged as "with Basic again"
	sdk := *u
	sdk.User = nil
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/folder") {
			next.ServeHTTP(w, r)
			return
		}
		if ck, err := r.Cookie(soap.SessionCookieName); err == nil {
			if _, ok := live.Load(ck.Value); ok || sessionAlive(r.Context(), &sdk, ck.Value) {
				live.Store(ck.Value, true)
				next.ServeHTTP(w, r)
				return
			}
		}
		if user, pw, ok := r.BasicAuth(); ok {
			// credentials seen good: their session again, no new login
			// per request (nbdkit-curl sends Basic with every read)
			cred := sha256.Sum256([]byte(user + "\x00" + pw))
			if k, ok := creds.Load(cred); ok {
				if _, alive := live.Load(k); alive {
					if _, seen := again.LoadOrStore(user+" "+r.Method+" "+r.URL.Path, true); !seen {
						log.Printf("/folder: %s with Basic again (%s %s), its session's cookie set", user, r.Method, r.URL.Path)
					}
					http.SetCookie(w, &http.Cookie{Name: soap.SessionCookieName,
						Value: k.(string), Path: "/", HttpOnly: true, Secure: true})
					next.ServeHTTP(w, r)
					return
				}
			}
			if key := login(r.Context(), &sdk, user, pw); key != "" {
				creds.Store(cred, key)
				log.Printf("/folder: %s logged in with Basic (%s %s), cookie set", user, r.Method, r.URL.Path)
				live.Store(key, true)
				http.SetCookie(w, &http.Cookie{Name: soap.SessionCookieName,
					Value: key, Path: "/", HttpOnly: true, Secure: true})
				next.ServeHTTP(w, r)
				return
			}
		}
		log.Printf("/folder: 401 for %s %s", r.Method, r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Basic realm="VMware HTTP server"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
}

func soapClient(ctx context.Context, sdk *url.URL, key string) (*soap.Client, *vim25.Client, error) {
	sc := soap.NewClient(sdk, true)
	if key != "" {
		sc.Jar.SetCookies(sdk, []*http.Cookie{{Name: soap.SessionCookieName, Value: key}})
	}
	vc, err := vim25.NewClient(ctx, sc)
	return sc, vc, err
}

func sessionAlive(ctx context.Context, sdk *url.URL, key string) bool {
	_, vc, err := soapClient(ctx, sdk, key)
	if err != nil {
		return false
	}
	us, err := session.NewManager(vc).UserSession(ctx)
	return err == nil && us != nil
}

func login(ctx context.Context, sdk *url.URL, user, pw string) string {
	sc, vc, err := soapClient(ctx, sdk, "")
	if err != nil || session.NewManager(vc).Login(ctx, url.UserPassword(user, pw)) != nil {
		return ""
	}
	for _, ck := range sc.Jar.Cookies(sdk) {
		if ck.Name == soap.SessionCookieName {
			return ck.Value
		}
	}
	return ""
}

// arrayItemTypes (our shim): vCenter types each element of an ArrayOfX
// value (<val xsi:type="ArrayOfString"><string xsi:type="xsd:string">);
// govmomi's encoder leaves the elements untyped, and libvirt's ESX
// driver, which reads each one as an AnyType, fails.  SOAP responses
// are rewritten byte for byte but for the attributes added.
func arrayItemTypes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/sdk") || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		bw := &bufferedWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(bw, r)
		out := typeArrayItems(bw.buf.Bytes())
		if trace {
			log.Printf("response: %s", out)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(bw.code)
		_, _ = w.Write(out)
	})
}

type bufferedWriter struct {
	http.ResponseWriter
	code int
	buf  bytes.Buffer
}

func (b *bufferedWriter) WriteHeader(code int)        { b.code = code }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }

// XML Schema's names for the primitive types an ArrayOfX can hold.
var xsdTypes = map[string]string{
	"String": "xsd:string", "Int": "xsd:int", "Long": "xsd:long",
	"Short": "xsd:short", "Byte": "xsd:byte", "Boolean": "xsd:boolean",
	"Float": "xsd:float", "Double": "xsd:double", "DateTime": "xsd:dateTime",
	"AnyURI": "xsd:anyURI", "Base64Binary": "xsd:base64Binary",
}

// xsiType: the element's xsi:type.  Raw tokens keep prefixes as
// written, and govmomi writes its own (XMLSchema-instance:type, declared
// on the element); "type" without a prefix is a MoRef's own attribute.
func xsiType(e xml.StartElement) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Space != "" && a.Name.Space != "xmlns" && a.Name.Local == "type" {
			return a.Value, true
		}
	}
	return "", false
}

func typeArrayItems(in []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(in))
	var out bytes.Buffer
	var stack []string // per open element: the type its children get, or ""
	last := int64(0)
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		off := d.InputOffset()
		raw := in[last:off]
		last = off
		switch t := tok.(type) {
		case xml.StartElement:
			if n := len(stack); n > 0 && stack[n-1] != "" {
				if _, typed := xsiType(t); !typed {
					end := len(raw) - 1 // before '>' or "/>"
					if raw[end-1] == '/' {
						end--
					}
					out.Write(raw[:end])
					fmt.Fprintf(&out, ` xsi:type="%s"`, stack[n-1])
					raw = raw[end:]
				}
			}
			item := ""
			if ty, ok := xsiType(t); ok && strings.HasPrefix(ty, "ArrayOf") {
				item = strings.TrimPrefix(ty, "ArrayOf")
				if x, ok := xsdTypes[item]; ok {
					item = x
				} else if item == "AnyType" {
					item = "" // its elements carry their own types
				}
			}
			stack = append(stack, item)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
		out.Write(raw)
	}
	if last < int64(len(in)) {
		out.Write(in[last:])
	}
	return out.Bytes()
}
