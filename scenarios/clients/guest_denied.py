"""Client of guest-denied.yaml: a guest asks the admin service for things."""

import errno
import json

import flux

h = flux.Flux()
print(json.dumps({"status": h.rpc("admin.status", {}).get()}))
try:
    h.rpc("admin.drain", {"ranks": "0"}).get()
except OSError as exc:
    print(json.dumps({"drain": [errno.errorcode[exc.errno], exc.strerror]}))
owner = h.attr_get("security.owner")
print(json.dumps({"owner-is-someone-else": int(owner) != __import__("os").getuid()}))
