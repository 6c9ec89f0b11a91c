"""Client of event-driven.yaml: submit, wait for events, acknowledge."""

import json

import flux

h = flux.Flux()
h.event_subscribe("pipeline.")
job = h.rpc("pipeline.submit", {"name": "build"}).get()
print(json.dumps({"submitted": job}))
started = h.event_recv()
print(json.dumps({"event": started.topic, "payload": started.payload}))
h.rpc("pipeline.ack", {"id": job["id"]}).get()
finished = h.event_recv()
print(json.dumps({"event": finished.topic, "payload": finished.payload}))
