"""Scale: event fan-out from one publisher to 100 subscribers, and instance
start+stop (with peak memory) at 4, 64 and 1024 ranks.

Baselines, measured in the same run: for fan-out, the same bytes written to
100 raw Unix socket pairs and read back; for start+stop, binding and removing
the same number of bare listening sockets; for memory, a Python process that
imports fakeflux and starts nothing.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import List

from benchmarks import Result
from fakeflux import Instance
from fakeflux.io.rundir import default_parent
from fakeflux.wire import Message, StreamDecoder, encode, json_payload

SUBSCRIBERS = 100
EVENTS = 200


def _read_all(socks: List[socket.socket], expected_bytes: List[int]) -> None:
    """Read until each socket has delivered its expected number of bytes."""
    sel = selectors.DefaultSelector()
    remaining = {}
    for s, expected in zip(socks, expected_bytes):
        sel.register(s, selectors.EVENT_READ)
        remaining[s] = expected
    while remaining:
        for key, _ in sel.select():
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            remaining[ready] -= len(ready.recv(1 << 20))
            if remaining[ready] <= 0:
                sel.unregister(ready)
                del remaining[ready]
    sel.close()


def _fanout_fakeflux() -> float:
    event = Message.event("bench.fan", json_payload({"n": 1}), routes=[])
    with Instance(size=4) as inst:
        subs = []
        for i in range(SUBSCRIBERS):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(inst.uri(i % 4)[len("local://") :])
            assert s.recv(1) == b"\x00"
            s.sendall(encode(Message.request("event.subscribe", json_payload({"topic": "bench"}), matchtag=1)))
            dec = StreamDecoder()
            while not dec.feed(s.recv(4096)):
                pass
            subs.append(s)
        pub = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        pub.connect(inst.uri(0)[len("local://") :])
        assert pub.recv(1) == b"\x00"
        # Every subscriber gets the same bytes but for the routes and seq:
        # measure one delivered event's size on each rank's subscribers.
        pub.sendall(encode(event))
        sizes = []
        for s in subs:
            dec = StreamDecoder()
            msgs: List[Message] = []
            while not msgs:
                msgs = dec.feed(s.recv(4096))
            sizes.append(len(encode(msgs[0])))
        start = time.perf_counter()
        pub.sendall(encode(event) * EVENTS)
        _read_all(subs, [size * EVENTS for size in sizes])
        elapsed = time.perf_counter() - start
        for s in subs + [pub]:
            s.close()
    return SUBSCRIBERS * EVENTS / elapsed


def _fanout_raw() -> float:
    data = encode(Message.event("bench.fan", json_payload({"n": 1}), seq=1, routes=["x" * 36]))
    pairs = [socket.socketpair() for _ in range(SUBSCRIBERS)]
    start = time.perf_counter()

    def write() -> None:
        for _ in range(EVENTS):
            for w, _ in pairs:
                w.sendall(data)

    writer = threading.Thread(target=write)
    writer.start()
    _read_all([r for _, r in pairs], [len(data) * EVENTS] * SUBSCRIBERS)
    writer.join()
    elapsed = time.perf_counter() - start
    for w, r in pairs:
        w.close()
        r.close()
    return SUBSCRIBERS * EVENTS / elapsed


# Peak RSS as VmHWM: getrusage's ru_maxrss survives exec on Linux, so a child
# of a large benchmark process would report its parent's peak.
_PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

_START_STOP = _PEAK + """
import json, sys, time
from fakeflux import Instance
size = int(sys.argv[1])
times = []
for _ in range(5):
    t = time.perf_counter()
    Instance(size=size).start().stop()
    times.append(time.perf_counter() - t)
# touch every rank once, as a workload that reaches them all would
inst = Instance(size=size).start()
inst._on_loop(lambda: [inst.core.rank(r) for r in range(size)])
inst.stop()
print(json.dumps({"best": min(times), "rss_mb": peak_mb()}))
"""

_BARE = _PEAK + """
import json, fakeflux
print(json.dumps({"rss_mb": peak_mb()}))
"""


def _bare_sockets(size: int) -> float:
    best = float("inf")
    for _ in range(5):
        folder = tempfile.mkdtemp(prefix="bench-", dir=default_parent())
        start = time.perf_counter()
        socks = []
        for rank in range(size):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(folder, f"local-{rank}"))
            s.listen(128)
            socks.append(s)
        for rank, s in enumerate(socks):
            s.close()
            os.unlink(os.path.join(folder, f"local-{rank}"))
        best = min(best, time.perf_counter() - start)
        os.rmdir(folder)
    return best


def _python(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def run() -> List[Result]:
    results = [
        Result(
            f"event fan-out 1 -> {SUBSCRIBERS} subscribers",
            _fanout_fakeflux(),
            f"raw writes to {SUBSCRIBERS} socket pairs",
            _fanout_raw(),
            "deliv/s",
        )
    ]
    bare_rss = _python(_BARE)["rss_mb"]
    for size in (4, 64, 1024):
        measured = _python(_START_STOP, str(size))
        bare = _bare_sockets(size)
        results.append(
            Result(
                f"start+stop size {size} (ms {measured['best'] * 1e3:.1f}; peak RSS {measured['rss_mb']:.0f} MB, "
                f"bare python {bare_rss:.0f} MB)",
                1 / measured["best"],
                f"bind+remove {size} sockets (ms {bare * 1e3:.1f})",
                1 / bare,
                "inst/s",
            )
        )
    return results
