#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# backup.py - a backup tool's use of stasisd over D-Bus from Python
# (python3-dbus): snapshot the paths given, read them from the snapshots,
# report the backup and release the set.
import os
import sys

import dbus

address = os.environ.get("STASIS_BUS_ADDRESS") or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
bus = dbus.bus.BusConnection(address) if address else dbus.SystemBus()
manager = dbus.Interface(bus.get_object("org.stasis1", "/org/stasis1"), "org.stasis1.Manager")

paths = sys.argv[1:]
try:
    # Not persistent: the set lives as long as this connection. The reply
    # comes when the snapshots exist, which may take long with writers.
    set_id, set_path = manager.CreateSet(
        dbus.Array(paths, signature="s"),
        dbus.Dictionary({"label": "backup example"}, signature="sv"),
        timeout=3600)
except dbus.exceptions.DBusException as e:
    # Match on the error name, never on the message.
    print(f"backup: cannot create the snapshot set: {e.get_dbus_message()} ({e.get_dbus_name()})",
          file=sys.stderr)
    sys.exit(75 if e.get_dbus_name() in ("org.stasis1.Error.Busy",
                                          "org.stasis1.Error.WriterRetryable") else 1)

props = dbus.Interface(bus.get_object("org.stasis1", set_path), "org.freedesktop.DBus.Properties")
info = props.GetAll("org.stasis1.Set")
print(f"set {set_id}: {info['Consistency']}, {len(info['Volumes'])} volume(s)")

for path, mount, device, fstype, provider, source, snapshot, state in info["Volumes"]:
    # A btrfs snapshot is a directory: the path given lies at the same place
    # below it as below the subvolume (the source).
    rel = path if source == "/" else path[len(source):]
    directory = snapshot + rel
    print(f"volume {path}: reading {directory}")
    for name in sorted(os.listdir(directory)):
        full = os.path.join(directory, name)
        if os.path.isfile(full) and not os.path.islink(full):
            with open(full, "rb") as f:
                print(f"  {full}: {len(f.read())} bytes")

set_obj = dbus.Interface(bus.get_object("org.stasis1", set_path), "org.stasis1.Set")
set_obj.Complete(dbus.Array([], signature="s"))     # no component failed
manager.DeleteSet(set_id, timeout=3600)
