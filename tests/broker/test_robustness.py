"""Bad clients never harm other clients; nothing is left behind."""

from __future__ import annotations

import os
import socket
import threading
from typing import Callable

import fakeflux
from fakeflux.wire import Message, encode, json_payload
from fakeflux.wire import constants as C
from tests.rawclient import RawClient, socket_path


def _dmesg(client: RawClient) -> str:
    req = client.request("log.dmesg", {"follow": False}, flags=C.FLAG_STREAMING)
    lines: list = []
    while True:
        msg = client.recv()
        if msg.matchtag != req.matchtag:
            continue
        if msg.errnum:
            assert msg.errnum == 61  # ENODATA ends the stream
            return "\n".join(lines)
        assert msg.payload is not None
        lines.append(msg.payload[:-1].decode())


def _closed_by_broker(client: RawClient) -> bool:
    client.sock.settimeout(5)
    try:
        return client.sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_bad_magic_disconnects_only_that_client(connect: Callable[..., RawClient]) -> None:
    good = connect(0)
    bad = connect(0)
    assert good.rpc_json("broker.ping", {"n": 1})["n"] == 1
    bad.send_bytes(b"\xde\xad\xbe\xef\x00\x00\x00\x10" + b"x" * 16)
    assert _closed_by_broker(bad)
    assert good.rpc_json("broker.ping", {"n": 2})["n"] == 2
    log = _dmesg(good)
    assert "bad envelope magic de ad be ef" in log
    assert "disconnecting client pid" in log


def test_bad_proto_frame_is_logged_with_the_reason(connect: Callable[..., RawClient]) -> None:
    bad = connect(1)
    body = b"\x00\x04ping\x05hello"  # no PROTO frame: the last frame is 5 bytes
    bad.send_bytes(b"\x12\x00\xee\xff" + len(body).to_bytes(4, "big") + body)
    assert _closed_by_broker(bad)
    watcher = connect(1)
    assert "PROTO frame is 5 bytes" in _dmesg(watcher)


def test_oversized_length_is_refused_without_waiting_for_it(connect: Callable[..., RawClient]) -> None:
    bad = connect(0)
    bad.send_bytes(b"\x12\x00\xee\xff" + (2**31).to_bytes(4, "big"))
    assert _closed_by_broker(bad)
    assert "exceeds the maximum" in _dmesg(connect(0))


def test_message_split_byte_by_byte_is_reassembled(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    data = encode(Message.request("broker.ping", json_payload({"x": 1}), nodeid=2, matchtag=7))
    for i in range(len(data)):
        client.send_bytes(data[i : i + 1])
    reply = client.recv()
    assert reply.matchtag == 7 and reply.errnum == 0


def test_many_messages_in_one_write_all_answered(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    batch = b"".join(encode(Message.request("broker.ping", json_payload({"i": i}), matchtag=i + 1)) for i in range(200))
    client.send_bytes(batch)
    tags = sorted(client.recv().matchtag for _ in range(200))
    assert tags == list(range(1, 201))


def test_control_and_topicless_messages_are_dropped_silently(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    client.send(Message(C.MSGTYPE_CONTROL, routes=[], aux1=1, aux2=2))
    client.send(Message(C.MSGTYPE_REQUEST, routes=[], aux1=C.NODEID_ANY, aux2=5))
    assert client.recv_nothing(0.2)
    assert client.rpc_json("broker.ping", {})["rank"] == 0


def test_client_leaving_with_everything_open_leaves_nothing(
    instance: fakeflux.Instance, connect: Callable[..., RawClient]
) -> None:
    leaver = connect(0)
    assert leaver.rpc("service.add", {"service": "leftover"}).errnum == 0
    assert leaver.rpc("event.subscribe", {"topic": "x"}).errnum == 0
    leaver.request("leftover.hello", {})  # to itself: in flight when it leaves
    leaver.request("log.dmesg", {"follow": True}, flags=C.FLAG_STREAMING)
    leaver.close()
    other = connect(0)
    # The name is free again once the provider is gone.
    assert other.rpc("service.add", {"service": "leftover"}).errnum == 0
    assert instance.server is not None and instance.core is not None
    core = instance.core

    def state() -> tuple:
        rank0 = core.rank(0)
        return (
            len(rank0.connector.clients),
            len(rank0.connector.subscribers),
            sorted(rank0.connector.providers),
            len(rank0.log.followers),
        )

    assert instance.server.call(state) == (1, 0, ["leftover"], 0)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_stop_leaves_no_fd_thread_or_socket_file() -> None:
    fds = _open_fds()
    threads = threading.active_count()
    inst = fakeflux.Instance(size=4).start()
    rundir = inst.rundir
    clients = [RawClient(inst.uri(r)) for r in range(4)]
    assert clients[3].rpc_json("broker.ping", {}, nodeid=0)["rank"] == 0
    inst.stop()
    for client in clients:
        assert _closed_by_broker(client)
        client.close()
    assert not os.path.exists(rundir)
    assert _open_fds() == fds
    assert threading.active_count() == threads


def test_thousand_bad_connections_leak_nothing(instance: fakeflux.Instance) -> None:
    path = socket_path(instance.uri(0))
    assert instance.server is not None
    server = instance.server

    def broker_fds() -> int:
        return server.call(lambda: len(server.connections))

    baseline = _open_fds()
    for i in range(1000):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.recv(1)
        sock.sendall(b"garbage!" if i % 2 else b"\x12\x00\xee\xff\x00\x00\x00\x01\x00")
        sock.close()
    with RawClient(instance.uri(0)) as client:
        assert client.rpc_json("broker.ping", {})["rank"] == 0
        assert broker_fds() == 1
    assert _open_fds() <= baseline + 1


def test_good_messages_before_a_defect_are_still_handled(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    good = encode(Message.request("broker.ping", json_payload({"before": 1}), matchtag=9))
    client.send_bytes(good + b"\xba\xad\xf0\x0d" + b"\x00" * 12)
    reply = client.recv()
    assert reply.matchtag == 9 and reply.errnum == 0
    assert _closed_by_broker(client)
