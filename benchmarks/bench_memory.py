"""Memory that comes back: a broker's resident size after slow subscribers
that leave with a large backlog.

Each round, a subscriber connects, subscribes, and reads nothing while a
publisher sends 80 events of 1 MB: the broker queues them for it (80 MB),
then the subscriber disconnects.  The broker (``fakeflux start``, a process
of its own) is measured once it has handled the close.  The result is the
resident size after the last of six rounds next to the one after the first
(the baseline, same run): a ratio near 1.0 means each backlog was given back.

Measured on the development machine (MB after rounds 1..6): fakeflux before
connections broke their reference cycles at close, 104 184 264 343 423 503
(each backlog waited for the cyclic garbage collector); after, 25 25 25 25 25
25 (peak 111).  Real flux-core v0.88 with the same client and steps
(``flux start --test-size=1 sh -c 'python -m benchmarks.bench_memory --uri
$FLUX_URI --pid $(flux getattr broker.pid)'``): 19 19 102 20 102 102 (peak
104), what its allocator keeps varying from round to round.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import subprocess
import sys
import time
from typing import List, Tuple

from benchmarks import Result
from fakeflux.wire import Message, StreamDecoder, encode, json_payload
from fakeflux.wire import constants as C

ROUNDS = 6
EVENTS_PER_ROUND = 80
EVENT_SIZE = 1 << 20


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident size (VmRSS) or its peak (VmHWM) of process ``pid``, in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


class Client:
    """Just enough of a Flux client for this: requests and their answers."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        if self.sock.recv(1) != b"\x00":
            raise RuntimeError("handshake refused")
        self.decoder = StreamDecoder()
        self.queued: List[Message] = []
        self.tag = 0

    def request(self, topic: str, payload: dict, flags: int = 0) -> int:
        self.tag += 1
        self.sock.sendall(encode(Message.request(topic, json_payload(payload), matchtag=self.tag, flags=flags)))
        return self.tag

    def answer(self, tag: int) -> Message:
        while True:
            for i, msg in enumerate(self.queued):
                if msg.type == C.MSGTYPE_RESPONSE and msg.matchtag == tag:
                    return self.queued.pop(i)
            data = self.sock.recv(1 << 16)
            if not data:
                raise ConnectionResetError("the broker hung up")
            self.queued.extend(self.decoder.feed(data))

    def rpc(self, topic: str, payload: dict) -> Message:
        return self.answer(self.request(topic, payload))

    def close(self) -> None:
        self.sock.close()


def slow_subscriber_rounds(path: str, pid: int, rounds: int = ROUNDS) -> List[float]:
    """Broker RSS (MB) after each round; ``path`` is the rank-0 socket."""
    publisher = Client(path)
    blob = base64.b64encode(os.urandom(EVENT_SIZE)).decode()
    sizes: List[float] = []
    for r in range(rounds):
        slow = Client(path)
        service = f"memsub{r}"
        assert slow.rpc("event.subscribe", {"topic": "memory.bulk"}).errnum == 0
        assert slow.rpc("service.add", {"service": service}).errnum == 0
        for _ in range(EVENTS_PER_ROUND):
            tag = publisher.request("event.publish", {"topic": "memory.bulk", "flags": 0, "payload": blob})
            assert publisher.answer(tag).errnum == 0
        slow.close()
        # Its service name is free once the broker has handled the close.
        while publisher.rpc("service.add", {"service": service}).errnum == errno.EEXIST:
            time.sleep(0.01)
        assert publisher.rpc("service.remove", {"service": service}).errnum == 0
        sizes.append(rss_mb(pid))
    publisher.close()
    return sizes


def _fakeflux_broker() -> Tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakeflux", "start", "--size", "1"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("FLUX_URI=local://"):
        proc.kill()
        raise RuntimeError(f"fakeflux start printed {line!r}")
    return proc, line[len("FLUX_URI=local://") :]


def run() -> List[Result]:
    proc, path = _fakeflux_broker()
    try:
        idle = rss_mb(proc.pid)
        sizes = slow_subscriber_rounds(path, proc.pid)
        peak = rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    trail = " ".join(f"{s:.0f}" for s in sizes)
    return [
        Result(
            f"broker RSS after {ROUNDS} slow subscribers leaving 80 MB each "
            f"(MB; idle {idle:.0f}, peak {peak:.0f}, rounds {trail})",
            sizes[-1],
            "RSS after the first round",
            sizes[0],
            unit="MB",
            baseline_unit="MB",
        )
    ]


if __name__ == "__main__":
    # python -m benchmarks.bench_memory [--uri local://PATH --pid PID]: against
    # any broker, e.g. a real one (flux start; flux getattr broker.pid).
    if len(sys.argv) == 5 and sys.argv[1] == "--uri" and sys.argv[3] == "--pid":
        print(json.dumps(slow_subscriber_rounds(sys.argv[2][len("local://") :], int(sys.argv[4]))))
    else:
        for result in run():
            print(result)
