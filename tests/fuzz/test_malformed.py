"""Malformed input: whatever a client sends, the broker answers or drops that
one connection, says why in its log, and keeps serving everyone else; after
thousands of bad connections it holds no more fds or memory than before."""

from __future__ import annotations

import errno
import gc
import os
import resource
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
from typing import Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakeflux
from fakeflux import strategies as fst
from fakeflux.io.instance import Instance
from fakeflux.wire import Message, ProtocolError, StreamDecoder, encode, json_payload
from fakeflux.wire import constants as C
from tests.brokerloop import hold_loop
from tests.fuzz.peer import Peer

SIZE = 4
# Every input here has a deadline: a broker that loops or goes quadratic on
# bad input fails instead of passing slowly.
BOUNDED = settings(deadline=5000, suppress_health_check=[HealthCheck.too_slow])


def path_of(inst: Instance, rank: int) -> str:
    return inst.uri(rank)[len("local://") :]


def internal_errors(inst: Instance) -> List[str]:
    return [line for r in range(inst.size) for line in inst.dmesg(r) if "internal error" in line]


class Site:
    """One instance shared by a test's examples, with a well-behaved client
    on every rank that must keep being served correctly."""

    def __init__(self) -> None:
        self.inst = fakeflux.Instance(size=SIZE, attrs={"tbon.topo": "kary:2"}).start()
        self.good = [Peer(path_of(self.inst, r), f"good-{r}") for r in range(SIZE)]
        for peer in self.good:
            reply = peer.rpc(Message.request("event.subscribe", json_payload({"topic": "fuzz.good"}), matchtag=1))
            assert reply.errnum == 0

    def check_good(self) -> None:
        """Each good client: a ping to another rank answered, and nothing else
        arrived but the events it subscribed to."""
        for rank, peer in enumerate(self.good):
            for msg in peer.barrier():
                assert msg.type == C.MSGTYPE_EVENT and msg.topic.startswith("fuzz.good"), msg  # type: ignore[union-attr]
            target = (rank + 1) % SIZE
            reply = peer.rpc(Message.request("broker.ping", json_payload({}), nodeid=target, matchtag=2))
            assert reply.errnum == 0 and b'"rank": %d' % target in (reply.payload or b""), reply

    def close(self) -> None:
        for peer in self.good:
            peer.close()
        try:
            assert internal_errors(self.inst) == []
        finally:
            self.inst.stop()
        assert self.inst.leaks() == []


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def expected_error(data: bytes) -> Optional[ProtocolError]:
    try:
        StreamDecoder().feed(data)
    except ProtocolError as exc:
        return exc
    return None


def send_in_chunks(peer: Peer, data: bytes, cuts: List[int]) -> None:
    prev = 0
    for cut in sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]:
        try:
            peer.send_bytes(data[prev:cut])
        except (BrokenPipeError, ConnectionResetError):
            return  # the broker already hung up on an earlier defect
        prev = cut


@BOUNDED
@given(stream=fst.malformed_streams(), rank=st.integers(0, SIZE - 1), data=st.data())
def test_malformed_stream_drops_only_that_connection(
    site: Site, stream: fst.MalformedStream, rank: int, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream.data)), max_size=4), label="cuts")
    bad = Peer(path_of(site.inst, rank), "bad")
    try:
        send_in_chunks(bad, stream.data, cuts)
        error = expected_error(stream.data)
        if stream.incomplete:
            assert error is None
        else:
            assert error is not None, stream
            assert bad.closed_by_broker(), f"the broker kept a connection that sent {stream.kind}"
            # Why, in the rank's log (log.dmesg, Instance.dmesg).
            log = site.inst.dmesg(rank)
            assert any(f"disconnecting client pid {os.getpid()}" in line and str(error) in line for line in log), (
                str(error),
                log[-3:],
            )
    finally:
        bad.close()
    site.check_good()


@BOUNDED
@given(msg=fst.messages(), rank=st.integers(0, SIZE - 1))
def test_any_valid_message_is_handled_without_fault(site: Site, msg: Message, rank: int) -> None:
    """Valid messages of every type and flag combination, to any nodeid: the
    connection survives (a barrier ping after it is answered) and nothing in
    the broker fails."""
    peer = Peer(path_of(site.inst, rank), "any")
    try:
        if msg.type == C.MSGTYPE_REQUEST:
            msg.aux2 = min(msg.aux2, 1 << 29)  # clear of the barrier's matchtags
        peer.send(msg)
        peer.barrier()
    finally:
        peer.close()
    assert internal_errors(site.inst) == []
    site.check_good()


JSON_TOPICS = [
    ("broker.ping", 0),
    ("attr.get", 0),
    ("attr.set", 0),
    ("attr.rm", 0),
    ("event.subscribe", 0),
    ("event.unsubscribe", 0),
    ("service.add", 0),
    ("service.remove", 0),
    ("event.publish", 0),
    ("log.dmesg", C.FLAG_STREAMING),
    ("broker.getenv", 0),
    ("broker.rusage", 0),
]


@BOUNDED
@given(
    kind=st.sampled_from(sorted(fst.MALFORMED_PAYLOAD_KINDS)),
    topic=st.sampled_from(JSON_TOPICS),
    rank=st.integers(0, SIZE - 1),
    nodeid=st.sampled_from([C.NODEID_ANY, 0, 3]),
    data=st.data(),
)
def test_malformed_payload_gets_exactly_one_answer(
    site: Site, kind: str, topic: tuple, rank: int, nodeid: int, data: st.DataObject
) -> None:
    payload = data.draw(fst.malformed_payloads(kinds=[kind]), label="payload")
    peer = Peer(path_of(site.inst, rank), "payload")
    try:
        name, flags = topic
        reply = peer.rpc(Message.request(name, payload, nodeid=nodeid, matchtag=7, flags=flags))
        while flags & C.FLAG_STREAMING and reply.errnum == 0:
            reply = peer.recv()  # a valid request after all: its stream ends in one error
            assert reply.matchtag == 7
        if kind != "wrong-types":
            # flux_msg_unpack refuses it: EPROTO (ENOMEM for broker.ping's
            # array, as jansson loads it and then cannot update it).
            assert reply.errnum in (errno.EPROTO, errno.ENOMEM), (reply, payload)
        assert peer.barrier() == [], "more than one answer"
    finally:
        peer.close()
    site.check_good()


# -- resources ---------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def bad_connection(path: str, data: bytes) -> None:
    peer = Peer(path, "bad")
    try:
        peer.send_bytes(data)
        peer.closed_by_broker()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        peer.close()


def corpus(size: int) -> List[bytes]:
    """``size`` malformed streams (that the broker must refuse), drawn once."""
    found: List[bytes] = []

    @settings(max_examples=size, database=None, derandomize=True, deadline=None)
    @given(fst.malformed_streams(max_prefix=1))
    def collect(stream: fst.MalformedStream) -> None:
        if not stream.incomplete:
            found.append(stream.data)

    collect()
    # And requests that travel the overlay and are never answered (log.append,
    # matchtag 0), or whose requester leaves first: the tracker must not keep them.
    found.append(encode(Message.request("log.append", b"x", nodeid=3, matchtag=0)) + b"\xde\xad\xbe\xef" * 2)
    found.append(encode(Message.request("nosvc.x", None, nodeid=2, matchtag=9)) + b"\x00" * 8)
    return found


def test_thousands_of_bad_connections_leave_no_fd_or_memory_behind() -> None:
    streams = corpus(150)
    assert len(streams) > 100
    with fakeflux.Instance(size=SIZE, attrs={"tbon.topo": "kary:2"}) as inst:
        path = path_of(inst, 1)
        server = inst.server
        core = inst.core
        assert server is not None and core is not None

        def state() -> tuple:
            ranks = core.started_ranks().values()
            return (
                len(server.connections),
                sum(len(c) for r in ranks for c in r.tracked.values()),
                sum(len(r.connector.clients) for r in ranks),
            )

        baseline_state = server.call(state)
        fds = open_fds()
        tracemalloc.start()
        try:
            # Warm up: the log ring (1024 lines per rank) fills with lines
            # allocated while tracing, caches settle.  Both phases are whole
            # passes over the corpus, so the ring holds the same sequence of
            # reasons (of the same lengths) when memory is read each time.
            passes = -(-1100 // len(streams))
            for i in range(passes * len(streams)):
                bad_connection(path, streams[i % len(streams)])
            gc.collect()
            mem_before = tracemalloc.get_traced_memory()[0]
            rounds = -(-2000 // len(streams)) * len(streams)
            for i in range(rounds):
                bad_connection(path, streams[i % len(streams)])
            good = Peer(path, "good")
            assert good.rpc(Message.request("broker.ping", json_payload({}), matchtag=1)).errnum == 0
            good.close()
            # Measure only once the broker has seen that close: until then its
            # thread may hold a transient 256 KiB read buffer for it.
            for _ in range(200):
                if server.call(state) == baseline_state:
                    break
                time.sleep(0.01)
            gc.collect()
            mem_after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        growth = mem_after - mem_before
        print(f"{rounds} bad connections: fds {fds} -> {open_fds()}, traced memory {growth:+d} bytes")
        assert open_fds() == fds
        assert server.call(state) == baseline_state
        assert growth < 256 * 1024, f"memory grew by {growth} bytes over {rounds} bad connections"
        assert len(inst.dmesg(1)) == 1024
        assert internal_errors(inst) == []


# -- clients that leave early, and a broker out of descriptors ------------------------------


@BOUNDED
@given(
    rank=st.integers(0, SIZE - 1),
    count=st.integers(1, 40),
    sends=st.lists(st.sampled_from([b"", b"\x12\x00", b"\x12\x00\xee\xff\x00\x00\x01\x00", b"junk"]), max_size=4),
    shut=st.sampled_from(["close", "shutdown-write", "linger-reset"]),
)
def test_clients_leaving_before_accept_harm_nobody(
    site: Site, rank: int, count: int, sends: List[bytes], shut: str
) -> None:
    """Connect, perhaps write something, and leave, all while the broker's loop
    is busy, so that it accepts a socket whose peer is gone."""
    server = site.inst.server
    assert server is not None
    release = hold_loop(server)
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path_of(site.inst, rank))
            for data in sends:
                sock.sendall(data)
            if shut == "shutdown-write":
                sock.shutdown(socket.SHUT_WR)
            elif shut == "linger-reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
    finally:
        release.set()
    site.check_good()
    assert server.thread is not None and server.thread.is_alive()
    assert internal_errors(site.inst) == []
    deadline = time.monotonic() + 10
    while server.call(lambda: len(server.connections)) != SIZE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.call(lambda: len(server.connections)) == SIZE  # only the good clients remain


@pytest.fixture(scope="module")
def broker_process() -> Iterator[Tuple[subprocess.Popen, str]]:
    """``fakeflux start`` as a process of its own, whose descriptor limit the test lowers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakeflux", "start", "--size", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    try:
        assert line.startswith("FLUX_URI="), line
        yield proc, line[len("FLUX_URI=") :]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _accept_lines(peer: Peer) -> int:
    req = Message.request("log.dmesg", json_payload({"follow": False}), matchtag=5, flags=C.FLAG_STREAMING)
    peer.send(req)
    count = 0
    while True:
        msg = peer.recv()
        if msg.matchtag != 5:
            continue
        if msg.errnum:
            return count
        count += b"accept failed" in (msg.payload or b"")


@settings(BOUNDED, max_examples=15)
@given(
    headroom=st.integers(0, 4),
    waiting=st.integers(1, 25),
    leave_early=st.integers(0, 10),
    rank=st.integers(0, 1),
)
def test_out_of_descriptors_costs_one_log_line_and_recovers(
    broker_process: Tuple[subprocess.Popen, str], headroom: int, waiting: int, leave_early: int, rank: int
) -> None:
    proc, uri = broker_process
    path = uri[len("local://") :].replace("local-0", f"local-{rank}")
    watcher = Peer(uri[len("local://") :], "watcher")
    fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
    lines_before = _accept_lines(watcher)
    soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
    socks: List[socket.socket] = []
    try:
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (fds + headroom, hard))
        for _ in range(waiting):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(5)
            sock.connect(path)
            socks.append(sock)
        for sock in socks[:leave_early]:
            sock.close()  # some give up while waiting
        assert watcher.rpc(Message.request("broker.ping", json_payload({}), matchtag=3)).errnum == 0
        assert _accept_lines(watcher) - lines_before <= 1  # one line however often accept fails
    finally:
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
    try:
        for sock in socks[leave_early:]:
            assert sock.recv(1) == b"\x00"  # accepted once descriptors are back
    finally:
        for sock in socks:
            sock.close()
        watcher.close()
    assert proc.poll() is None
    deadline = time.monotonic() + 10
    while len(os.listdir(f"/proc/{proc.pid}/fd")) > fds - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(os.listdir(f"/proc/{proc.pid}/fd")) == fds - 1  # all closed but the watcher's, now gone too
