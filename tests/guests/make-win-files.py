#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the binary pieces of the phony Windows guest into DIR:
empty.hive (an empty registry hive that hivexregedit can merge .reg text
into) and cmd.exe (headers of a 64-bit console PE program, which is how
libguestfs inspection tells the guest's architecture)."""
import struct
import sys
import time


def filetime():
    return int((time.time() + 11644473600) * 10**7)


def cell(payload):
    """An allocated cell: negative size, 8-byte aligned."""
    size = (4 + len(payload) + 7) & ~7
    return struct.pack('<i', -size) + payload + b'\0' * (size - 4 - len(payload))


def empty_hive():
    now = filetime()
    hbin_size = 0x1000
    root_off = 0x20                 # offsets from the first hbin
    name = b'ROOT'
    sk_off = root_off + 0x58        # right after the root key's cell
    nk = struct.pack('<2sHQIIIIIIIIIIIIIIIHH', b'nk', 0x2c, now, 0,
                     0xffffffff,                 # parent: none
                     0, 0, 0xffffffff, 0xffffffff,
                     0, 0xffffffff,              # no values
                     sk_off, 0xffffffff,
                     0, 0, 0, 0, 0,
                     len(name), 0) + name
    nk_cell = cell(nk)
    assert root_off + len(nk_cell) == sk_off
    # A self-relative security descriptor with nothing in it.
    sd = struct.pack('<BBHIIII', 1, 0, 0x8000, 0, 0, 0, 0)
    sk = struct.pack('<2sHIIII', b'sk', 0, sk_off, sk_off, 1, len(sd)) + sd
    sk_cell = cell(sk)
    body = nk_cell + sk_cell
    free = hbin_size - 0x20 - len(body)
    body += struct.pack('<i', free) + b'\0' * (free - 4)
    hbin = struct.pack('<4sIIIIQI', b'hbin', 0, hbin_size, 0, 0, now, 0) + body
    assert len(hbin) == hbin_size
    head = struct.pack('<4sIIQIIIIIII', b'regf', 1, 1, now, 1, 5, 0, 1,
                       root_off, hbin_size, 1)
    head += 'uch-phony'.encode('utf-16-le').ljust(64, b'\0')
    head = head.ljust(0x1fc, b'\0')
    checksum = 0
    for (dword,) in struct.iter_unpack('<I', head):
        checksum ^= dword
    head += struct.pack('<I', checksum)
    return head.ljust(0x1000, b'\0') + hbin


def pe64_console():
    mz = bytearray(0x80)
    mz[0:2] = b'MZ'
    struct.pack_into('<I', mz, 0x3c, 0x80)
    coff = struct.pack('<4sHHIIIHH', b'PE\0\0', 0x8664, 0, 0, 0, 0, 0xf0, 0x22)
    opt = bytearray(0xf0)
    struct.pack_into('<H', opt, 0, 0x20b)       # PE32+
    struct.pack_into('<H', opt, 68, 3)          # subsystem: console
    return bytes(mz) + coff + bytes(opt)


if __name__ == '__main__':
    out = sys.argv[1]
    with open(out + '/empty.hive', 'wb') as f:
        f.write(empty_hive())
    with open(out + '/cmd.exe', 'wb') as f:
        f.write(pe64_console())
