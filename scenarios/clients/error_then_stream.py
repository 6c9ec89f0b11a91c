"""Client of error-then-stream.yaml: retry on EAGAIN, read streams to the end."""

import errno
import json
import time

import flux
from flux.constants import FLUX_RPC_STREAMING


def stream(h, topic, payload):
    """Every response of a streaming RPC, retrying the whole call on EAGAIN."""
    for _ in range(5):
        f = h.rpc(topic, payload, flags=FLUX_RPC_STREAMING)
        items = []
        try:
            while True:
                items.append(f.get())
                f.reset()
        except OSError as exc:
            if exc.errno == errno.ENODATA:
                return items
            if exc.errno != errno.EAGAIN:
                raise
            print(json.dumps({"retry": topic, "error": exc.strerror}))
            time.sleep(0.01)
    raise RuntimeError("gave up")


h = flux.Flux()
print(json.dumps({"running": stream(h, "jobs.list", {"state": "running"})}))
print(json.dumps({"all": stream(h, "jobs.list", {})}))
try:
    h.rpc("jobs.cancel", {"id": 9}).get()
except OSError as exc:
    print(json.dumps({"cancel": [errno.errorcode[exc.errno], exc.strerror]}))
