"""Client of job-outcomes.yaml: code written for flux-core's flux.job API."""

import json

import flux
import flux.job

h = flux.Flux()
ids = {}
for name in ("sim-ok", "sim-fail", "sim-crash"):
    spec = flux.job.JobspecV1.from_command(["sim", name])
    spec.setattr("system.job.name", name)
    ids[name] = flux.job.submit(h, spec, waitable=True)
for name, jobid in ids.items():
    result = flux.job.wait(h, jobid)
    print(
        json.dumps(
            {
                "job": name,
                "success": result.success,
                "errstr": result.errstr.decode() if isinstance(result.errstr, bytes) else result.errstr,
            }
        )
    )
ok = ids["sim-ok"]
events = [event.name for event in flux.job.event_watch(h, ok)]
print(json.dumps({"events": events}))
runtime = flux.job.result(h, ok).runtime
print(json.dumps({"runtime": round(runtime)}))
