#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for firewalld on a private bus, for tests: the D-Bus calls
UCH makes (getDefaultZone; zone.queryPort, addPort, removePort), with
firewalld's signatures and its ALREADY_ENABLED / NOT_ENABLED errors.

Usage: fake-firewalld.py BUS-ADDRESS DIR
Appends each call as a JSON line to DIR/calls, keeps DIR/open (the open
ports, "ZONE PORT/PROTO" lines) current, starting from it when it is
there, and creates DIR/ready once it owns the name.  Runs until killed."""
import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.fedoraproject.FirewallD1"
PATH = "/org/fedoraproject/FirewallD1"
ZONE_IFACE = NAME + ".zone"


class FirewallError(dbus.DBusException):
    _dbus_error_name = NAME + ".Exception"


class Fake(dbus.service.Object):
    def __init__(self, bus, out):
        super().__init__(bus, PATH)
        self.out = out
        self.ports = set()
        # a restarted fake goes on with what was open, as firewalld's
        # runtime config outlives a dbus-daemon restart
        try:
            with open(os.path.join(out, "open")) as f:
                for line in f:
                    zone, rest = line.split()
                    port, proto = rest.split("/")
                    self.ports.add((zone, port, proto))
        except FileNotFoundError:
            pass
        self.dump()

    def record(self, method, *args):
        with open(os.path.join(self.out, "calls"), "a") as f:
            f.write(json.dumps({"method": method, "args": list(args)}) + "\n")

    def dump(self):
        tmp = os.path.join(self.out, "open.tmp")
        with open(tmp, "w") as f:
            for zone, port, proto in sorted(self.ports):
                f.write(f"{zone} {port}/{proto}\n")
        os.rename(tmp, os.path.join(self.out, "open"))

    @staticmethod
    def zone_of(zone):
        return str(zone) or "public"

    @dbus.service.method(NAME, in_signature="", out_signature="s")
    def getDefaultZone(self):
        self.record("getDefaultZone")
        return "public"

    @dbus.service.method(ZONE_IFACE, in_signature="sss", out_signature="b")
    def queryPort(self, zone, port, protocol):
        self.record("queryPort", str(zone), str(port), str(protocol))
        return (self.zone_of(zone), str(port), str(protocol)) in self.ports

    @dbus.service.method(ZONE_IFACE, in_signature="sssi", out_signature="s")
    def addPort(self, zone, port, protocol, timeout):
        self.record("addPort", str(zone), str(port), str(protocol),
                    int(timeout))
        key = (self.zone_of(zone), str(port), str(protocol))
        if key in self.ports:
            raise FirewallError(f"ALREADY_ENABLED: '{port}:{protocol}' "
                                f"already in '{key[0]}'")
        self.ports.add(key)
        self.dump()
        return key[0]

    @dbus.service.method(ZONE_IFACE, in_signature="sss", out_signature="s")
    def removePort(self, zone, port, protocol):
        self.record("removePort", str(zone), str(port), str(protocol))
        key = (self.zone_of(zone), str(port), str(protocol))
        if key not in self.ports:
            raise FirewallError(f"NOT_ENABLED: '{port}:{protocol}' not in "
                                f"'{key[0]}'")
        self.ports.discard(key)
        self.dump()
        return key[0]


def main():
    address, out = sys.argv[1], sys.argv[2]
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    fake = Fake(bus, out)
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    open(os.path.join(out, "ready"), "w").close()
    GLib.MainLoop().run()
    del fake, name


if __name__ == "__main__":
    main()
