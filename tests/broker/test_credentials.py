"""Credentials and roles, with a real second uid: the test forks, the child
drops to ``nobody`` and talks to the broker over the real socket."""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List

import pytest

import fakeflux
from fakeflux.wire import Message, json_payload, payload_string
from fakeflux.wire import constants as C
from tests.rawclient import RawClient

GUEST = 65534

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")


def run_as_guest(uri: str, script: Callable[[RawClient], Dict[str, Any]]) -> Dict[str, Any]:
    """Run ``script`` in a child process whose uid is GUEST; return its result."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 0
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(GUEST)
            os.setuid(GUEST)
            client = RawClient(uri)
            result: Dict[str, Any] = {"handshake": client.handshake[0] if client.handshake else None}
            if client.handshake == b"\x00":
                result.update(script(client))
            os.write(wfd, json.dumps(result).encode())
        except BaseException as exc:
            os.write(wfd, json.dumps({"error": repr(exc)}).encode())
            status = 1
        os._exit(status)
    os.close(wfd)
    chunks: List[bytes] = []
    while True:
        data = os.read(rfd, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(rfd)
    os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks))
    assert "error" not in result, result["error"]
    return result


def _answer(msg: Message) -> Dict[str, Any]:
    return {"errnum": msg.errnum, "text": payload_string(msg.payload)}


@needs_root
def test_guest_is_refused_with_eperm_handshake() -> None:
    with fakeflux.Instance(size=2) as inst:
        os.chmod(inst.rundir, 0o711)  # let the guest reach the socket at all
        result = run_as_guest(inst.uri(1), lambda c: {})
        assert result["handshake"] == 1  # EPERM
        with RawClient(inst.uri(1)) as owner:
            req = owner.request("log.dmesg", {"follow": False}, flags=C.FLAG_STREAMING)
            lines = []
            while True:
                msg = owner.recv()
                if msg.errnum:
                    break
                lines.append(payload_string(msg.payload) or "")
            assert req.matchtag == msg.matchtag
            assert any(f"rejected connection from uid {GUEST}" in line for line in lines)


@needs_root
def test_guest_gets_user_role_and_owner_only_methods_refuse_it() -> None:
    config = {"access": {"allow-guest-user": True}}
    with fakeflux.Instance(size=2, config=config) as inst:

        def script(c: RawClient) -> Dict[str, Any]:
            # Claims to be uid 0 with the owner role: the broker overwrites it.
            forged = Message.request("broker.ping", json_payload({}), matchtag=1, userid=0, rolemask=C.ROLE_OWNER)
            c.send(forged)
            ping = json.loads(payload_string(c.recv().payload) or "null")
            return {
                "ping": ping,
                "attr_get": _answer(c.rpc("attr.get", {"name": "rank"})),
                "attr_set": _answer(c.rpc("attr.set", {"name": "test.x", "value": "1"})),
                "dmesg": _answer(c.rpc("log.dmesg", {"follow": False}, flags=C.FLAG_STREAMING)),
                "svc_plain": _answer(c.rpc("service.add", {"service": "foo"})),
                "svc_own": _answer(c.rpc("service.add", {"service": f"{GUEST}-foo"})),
            }

        result = run_as_guest(inst.uri(0), script)
    assert result["handshake"] == 0
    assert result["ping"]["userid"] == GUEST
    assert result["ping"]["rolemask"] == C.ROLE_USER | C.ROLE_LOCAL
    assert result["attr_get"] == {"errnum": 0, "text": '{"value":"0","flags":1}'}
    assert result["attr_set"] == {"errnum": 1, "text": "Request requires owner credentials"}
    assert result["dmesg"] == {"errnum": 1, "text": "Request requires owner credentials"}
    assert result["svc_plain"] == {"errnum": 1, "text": None}
    assert result["svc_own"] == {"errnum": 0, "text": None}


@needs_root
def test_private_events_reach_only_the_owner_and_the_sender() -> None:
    config = {"access": {"allow-guest-user": True}}
    with fakeflux.Instance(size=2, config=config) as inst, RawClient(inst.uri(0)) as owner:
        assert owner.rpc("event.subscribe", {"topic": "priv"}).errnum == 0

        # The owner publishes a private event before the guest subscribes...
        def script(c: RawClient) -> Dict[str, Any]:
            assert c.rpc("event.subscribe", {"topic": "priv"}).errnum == 0
            # ...and another after: the guest must not see it.
            c.send(Message.event("priv.guest", None, flags=C.FLAG_PRIVATE, routes=[]))
            first = c.recv()
            c.rpc("event.publish", {"topic": "priv.fromguest", "flags": C.FLAG_PRIVATE}, nodeid=0)
            seen = [first.topic]
            while not c.recv_nothing(0.3):
                seen.append(c.recv().topic)
            return {"seen": seen}

        owner.rpc("event.publish", {"topic": "priv.owner", "flags": C.FLAG_PRIVATE}, nodeid=0)
        result = run_as_guest(inst.uri(1), script)
        owner_seen = []
        while not owner.recv_nothing(0.3):
            owner_seen.append(owner.recv().topic)
    assert result["seen"] == ["priv.guest", "priv.fromguest"]
    assert owner_seen == ["priv.owner", "priv.guest", "priv.fromguest"]


def test_owner_may_stamp_other_credentials(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    client.send(Message.request("broker.ping", json_payload({}), matchtag=1, userid=42, rolemask=C.ROLE_USER))
    ping = json.loads(payload_string(client.recv().payload) or "null")
    assert (ping["userid"], ping["rolemask"]) == (42, C.ROLE_USER)
    # Acting as a plain user, owner-only methods refuse it.
    client.send(
        Message.request(
            "attr.set", json_payload({"name": "test.a", "value": "1"}), matchtag=2, userid=42, rolemask=C.ROLE_USER
        )
    )
    answer = client.recv()
    assert (answer.errnum, payload_string(answer.payload)) == (1, "Request requires owner credentials")
