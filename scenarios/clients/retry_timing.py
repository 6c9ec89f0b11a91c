"""Client of retry-timing.yaml: retry with a timeout and a backoff."""

import errno
import json
import time

import flux

h = flux.Flux()
for attempt in range(1, 10):
    f = h.rpc("flaky.get", {"attempt": attempt})
    try:
        value = f.wait_for(0.3).get()
    except TimeoutError:
        print(json.dumps({"attempt": attempt, "outcome": "timeout"}))
        continue
    except OSError as exc:
        if exc.errno == errno.ETIMEDOUT:
            print(json.dumps({"attempt": attempt, "outcome": "timeout"}))
            continue
        print(json.dumps({"attempt": attempt, "outcome": errno.errorcode[exc.errno]}))
        time.sleep(0.05)
        continue
    print(json.dumps({"attempt": attempt, "outcome": value}))
    break
time.sleep(0.4)  # the late answer to the third try arrives, and is ignored
