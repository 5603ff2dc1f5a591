#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# qga-call.py SOCKET COMMAND [ARGUMENTS-JSON] - one guest-agent command to
# qemu-ga on a UNIX socket, as libvirt sends it: guest-sync first (to drop
# anything stale), then the command. Prints one line:
#   <monotonic us sent> <monotonic us answered> <reply as JSON>
# Exits 0 if the reply is a "return", 1 if it is an "error".
import json
import random
import socket
import sys
import time


def read_reply(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("qga-call: qemu-ga closed the connection")
        line = line.strip().lstrip(b"\xff")
        if line:
            return json.loads(line)


def main():
    sock, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    f = s.makefile("rb")
    token = random.randint(1, 2**31)
    s.sendall(json.dumps({"execute": "guest-sync", "arguments": {"id": token}}).encode() + b"\n")
    while read_reply(f).get("return") != token:
        pass
    msg = {"execute": command}
    if arguments is not None:
        msg["arguments"] = arguments
    sent = time.monotonic_ns() // 1000
    s.sendall(json.dumps(msg).encode() + b"\n")
    reply = read_reply(f)
    answered = time.monotonic_ns() // 1000
    print(sent, answered, json.dumps(reply, separators=(",", ":")))
    s.close()
    return 0 if "return" in reply else 1


sys.exit(main())
