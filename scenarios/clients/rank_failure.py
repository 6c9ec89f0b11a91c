"""Client of rank-failure.yaml: a workflow across ranks that survives losing one."""

import errno
import json
import time

import flux


def run(h, rank, step):
    try:
        return h.rpc("work.run", {"step": step}, nodeid=rank).get()
    except OSError as exc:
        return errno.errorcode[exc.errno]


h = flux.Flux()
print(json.dumps({"prepare@1": run(h, 1, "prepare")}))
print(json.dumps({"compute@3": run(h, 3, "compute")}))  # rank 1 dies meanwhile
print(json.dumps({"compute@3 again": run(h, 3, "compute")}))  # below a dead rank
print(json.dumps({"resume@2": run(h, 2, "resume")}))  # rank 2 is fine
for _ in range(200):  # wait for rank 3 to be reachable again
    answer = run(h, 3, "finish")
    if answer != "EHOSTUNREACH":
        break
    time.sleep(0.01)
print(json.dumps({"finish@3": answer}))
