"""Messages and message watchers (cf. t0008)."""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

import pytest

from .conftest import flux

C = flux.constants
Message = flux.message.Message


@pytest.fixture
def echo_service(h: Any) -> Iterator[Any]:
    h.service_register("test").get()
    w = h.msg_watcher_create(lambda f, t, msg, arg: f.respond(msg), C.FLUX_MSGTYPE_REQUEST, "test.*")
    w.start()
    yield h
    w.destroy()
    h.service_unregister("test").get()


def test_basic_request() -> None:
    payload = {"test": "foo"}
    m = Message()
    assert (m.type, m.type_str) == (C.FLUX_MSGTYPE_REQUEST, "request")
    m.topic = "test"
    assert m.topic == "test"
    m.payload_str = "blah"
    assert m.payload_str == "blah"
    m.payload = payload
    assert m.payload == payload
    assert m.payload_str == json.dumps(payload)
    assert m.decode() == (C.FLUX_MSGTYPE_REQUEST, "test", json.dumps(payload))
    m.type = C.FLUX_MSGTYPE_RESPONSE
    assert m.type == C.FLUX_MSGTYPE_RESPONSE
    assert (m.userid, m.rolemask) == (C.FLUX_USERID_UNKNOWN, 0)


def test_basic_response_and_event() -> None:
    m = Message(C.FLUX_MSGTYPE_RESPONSE)
    m.topic = "test"
    assert m.type_str == "response"
    assert m.decode() == (C.FLUX_MSGTYPE_RESPONSE, "test", None)
    e = Message(C.FLUX_MSGTYPE_EVENT)
    e.rolemask = C.FLUX_ROLE_USER
    e.userid = os.getuid()
    e.topic = "event.test"
    assert e.decode() == (C.FLUX_MSGTYPE_EVENT, "event.test", None)
    assert (e.userid, e.rolemask, e.type_str) == (os.getuid(), C.FLUX_ROLE_USER, "event")


def test_payload_without_payload_raises_type_error() -> None:
    m = Message()
    assert m.payload_str is None
    with pytest.raises(TypeError):
        assert m.payload


def test_msg_typestr() -> None:
    assert [flux.message.msg_typestr(t) for t in (1, 2, 4, 8)] == ["request", "response", "event", "control"]


def test_from_event_encode() -> None:
    m = Message.from_event_encode("ev.topic", {"a": 1})
    assert (m.type, m.topic, m.payload) == (C.FLUX_MSGTYPE_EVENT, "ev.topic", {"a": 1})
    assert Message.from_event_encode("ev.topic", "raw").payload_str == "raw"


def test_send_request_and_watch_the_response(echo_service: Any) -> None:
    h = echo_service
    seen = []

    def cb(handle: Any, watcher: Any, msg: Any, arg: Any) -> None:
        msgtype, topic, payload = msg.decode()
        seen.append((msgtype, topic, payload, msg.userid, msg.rolemask))
        handle.reactor_stop()

    watcher = h.msg_watcher_create(cb, C.FLUX_MSGTYPE_RESPONSE, "test.*")
    watcher.start()
    m = Message()
    m.topic = "test.foo"
    assert h.send(m) == 0
    rc = h.reactor_run()
    assert rc > 0  # stopped with watchers still active
    assert seen == [(C.FLUX_MSGTYPE_RESPONSE, "test.foo", None, os.getuid(), C.FLUX_ROLE_OWNER | C.FLUX_ROLE_LOCAL)]
    watcher.destroy()


def test_recv_a_response_by_type(echo_service: Any) -> None:
    h = echo_service
    # the request goes to our own service: run the reactor once for the service to answer
    m = Message()
    m.topic = "test.direct"
    m.payload = {"x": 1}
    h.send(m)
    h.reactor_run(flags=C.FLUX_REACTOR_ONCE)
    resp = h.recv(type_mask=C.FLUX_MSGTYPE_RESPONSE, topic_glob="test.*")
    assert (resp.type_str, resp.topic, resp.payload_str) == ("response", "test.direct", None)


def test_msg_watcher_topic_types(h: Any) -> None:
    for glob in ("foo.*", b"foo.*"):
        with h.msg_watcher_create(lambda *a: None, topic_glob=glob) as mw:
            assert mw is not None
    with pytest.raises(TypeError):
        h.msg_watcher_create(lambda *a: None, topic_glob=5)
