"""Client of recorded-catalog.yaml (and of the live catalog it was recorded from)."""

import errno
import json

import flux
from flux.constants import FLUX_RPC_STREAMING

h = flux.Flux()
print(json.dumps({"size": h.attr_get("size")}))
print(json.dumps({"ping rank": h.rpc("broker.ping", {}, nodeid=1).get()["rank"]}))
for name in ("gcc", "nope", "gcc"):
    try:
        print(json.dumps({name: h.rpc("catalog.lookup", {"name": name}).get()}))
    except OSError as exc:
        print(json.dumps({name: [errno.errorcode[exc.errno], exc.strerror]}))
f = h.rpc("catalog.list", {}, flags=FLUX_RPC_STREAMING)
names = []
try:
    while True:
        names.append(f.get()["name"])
        f.reset()
except OSError as exc:
    names.append(errno.errorcode[exc.errno])
print(json.dumps({"list": names}))
h.event_subscribe("catalog.")
print(json.dumps({"refresh": h.rpc("catalog.refresh", {"source": "mirror"}).get()}))
event = h.event_recv()
print(json.dumps({"event": event.topic, "payload": event.payload}))
