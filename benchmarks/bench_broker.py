"""The broker over real sockets, driven by a minimal codec client: RPC round
trips to rank 0 and rank 3 (synchronous and pipelined), event publish then
receive, and instance start+stop, for both runners, each next to a raw echo
round trip measured the same way in the same run.

Reference, real flux-core on a 2-core machine: 2,935 pings/s to rank 0,
1,173/s to rank 3, 3,491 events/s, ``flux start --test-size=4 true`` 2.4 s.
"""

from __future__ import annotations

import socket
import time
from typing import List

from benchmarks import Result, rate
from benchmarks.echo import EchoServer, round_trip
from fakeflux import Instance
from fakeflux.wire import Message, StreamDecoder, encode, json_payload

PIPELINE = 100


class Client:
    def __init__(self, uri: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(uri[len("local://") :])
        assert self.sock.recv(1) == b"\x00"
        self.decoder = StreamDecoder()
        self.queue: List[Message] = []

    def recv(self) -> Message:
        while not self.queue:
            self.queue.extend(self.decoder.feed(self.sock.recv(262144)))
        return self.queue.pop(0)

    def close(self) -> None:
        self.sock.close()


def _echo_rate(runner: str, size: int) -> float:
    with EchoServer(runner) as path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        data = b"x" * size
        try:
            return rate(lambda: round_trip(sock, data))
        finally:
            sock.close()


def _broker_rates(runner: str) -> List[Result]:
    ping = Message.request("broker.ping", json_payload({}), nodeid=0, matchtag=1)
    echo_base = _echo_rate(runner, len(encode(ping)))
    base_name = f"raw unix echo ({runner})"
    results: List[Result] = []
    with Instance(size=4, runner=runner) as inst:
        client = Client(inst.uri(0))
        for rank in (0, 3):
            wire = encode(Message.request("broker.ping", json_payload({}), nodeid=rank, matchtag=1))

            def sync_ping(wire: bytes = wire) -> None:
                client.sock.sendall(wire)
                client.recv()

            results.append(Result(f"ping rank {rank} sync [{runner}]", rate(sync_ping), base_name, echo_base, "rpc/s"))
            batch = wire * PIPELINE

            def pipelined(batch: bytes = batch) -> None:
                client.sock.sendall(batch)
                for _ in range(PIPELINE):
                    client.recv()

            results.append(
                Result(
                    f"ping rank {rank} pipelined x{PIPELINE} [{runner}]",
                    rate(pipelined, ops_per_call=PIPELINE),
                    base_name,
                    echo_base,
                    "rpc/s",
                )
            )
        sub = Message.request("event.subscribe", json_payload({"topic": "bench"}), matchtag=2)
        client.sock.sendall(encode(sub))
        assert client.recv().errnum == 0
        publish = encode(
            Message.request("event.publish", json_payload({"topic": "bench.ev", "flags": 0}), nodeid=0, matchtag=3)
        )

        def publish_receive() -> None:
            client.sock.sendall(publish)
            client.recv()  # the event (it arrives before the publish response)
            client.recv()  # the response

        results.append(
            Result(f"event publish+receive [{runner}]", rate(publish_receive), base_name, echo_base, "event/s")
        )
        client.close()
    return results


def _start_stop_rate(runner: str, size: int) -> float:
    def cycle() -> None:
        Instance(size=size, runner=runner).start().stop()

    return rate(cycle, repeat=3, target_seconds=0.3)


def run() -> List[Result]:
    results = _broker_rates("thread") + _broker_rates("process")
    # Start-up: the thread runner against the process runner, same sizes.
    for size in (4,):
        thread = _start_stop_rate("thread", size)
        process = _start_stop_rate("process", size)
        results.append(
            Result(f"start+stop size {size} [thread]", thread, f"start+stop size {size} [process]", process, "inst/s")
        )
    return results


if __name__ == "__main__":
    start = time.perf_counter()
    for r in run():
        print(r)
    print(time.perf_counter() - start)
