#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# backup.py - a backup tool's use of stasisd over D-Bus from Python
# (python3-dbus): snapshot the paths given, read them from the snapshots,
# report the backup and release the set. Runs as root, on btrfs volumes whose
# file system's top-level subvolume is mounted where the volume is.
import os
import re
import sys

import dbus

address = os.environ.get("STASIS_BUS_ADDRESS") or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
bus = dbus.bus.BusConnection(address) if address else dbus.SystemBus()
manager = dbus.Interface(bus.get_object("org.stasis1", "/org/stasis1"), "org.stasis1.Manager")



def shows_top(directory):
    """Whether the mount on directory shows the top of its file system (for
    btrfs, the top-level subvolume): the root field of mountinfo is "/"."""
    top = False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            target = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
            if target == directory:
                top = fields[3] == "/"      # the last mount on it is the one in sight
    return top


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

failed = False
for path, mount, device, fstype, provider, source, snapshot, state in info["Volumes"]:
    # A btrfs snapshot is "UUID:/.stasis/ID-INDEX": a read-only subvolume at
    # that path from the top of the file system, in a store only root can
    # enter. Read it where the top of the file system is mounted. The path
    # given lies at the same place below it as below the subvolume (the source).
    uuid, _, in_fs = snapshot.partition(":")
    if provider != "btrfs" or not in_fs.startswith("/"):
        print(f"backup: {path}: {snapshot} is not a btrfs snapshot", file=sys.stderr)
        failed = True
        continue
    if not shows_top(mount):
        print(f"backup: {path}: {mount} does not show the top of its file system: "
              f"mount -o subvolid=5,ro {device} DIR and read DIR{in_fs}", file=sys.stderr)
        failed = True
        continue
    rel = path if source == "/" else path[len(source):]
    directory = mount.rstrip("/") + in_fs + rel
    print(f"volume {path}: reading {directory}")
    for name in sorted(os.listdir(directory)):
        full = os.path.join(directory, name)
        if os.path.isfile(full) and not os.path.islink(full):
            with open(full, "rb") as f:
                print(f"  {full}: {len(f.read())} bytes")

if not failed:
    set_obj = dbus.Interface(bus.get_object("org.stasis1", set_path), "org.stasis1.Set")
    set_obj.Complete(dbus.Array([], signature="s"))     # no component failed
manager.DeleteSet(set_id, timeout=3600)
sys.exit(1 if failed else 0)
