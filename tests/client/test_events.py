"""Events: subscribe, send, receive, unsubscribe (cf. t0004)."""

from __future__ import annotations

import errno
from typing import Any

import pytest

from .conftest import flux


def test_subscribe_unsubscribe(h: Any) -> None:
    assert h.event_subscribe("testevent.2") == 0
    assert h.event_unsubscribe("testevent.2") == 0
    with pytest.raises(OSError, match="No such file"):
        h.event_unsubscribe("nonexistent.event")


@pytest.mark.parametrize("name", [b"testevent.3", "\u32db \u263a \u32e1"])
def test_full_event(h: Any, name: Any) -> None:
    assert h.event_subscribe(name) == 0
    assert h.event_send(name, {"test": "yay!"}) == 0
    evt = h.event_recv()
    assert evt.topic == (name.decode() if isinstance(name, bytes) else name)
    assert evt.payload["test"] == "yay!"
    assert evt.payload_str is not None
    assert evt.type_str == "event"
    assert h.event_unsubscribe(name) == 0


def test_subscriptions_match_by_prefix(h: Any) -> None:
    h.event_subscribe("pre")
    h.event_send("other.topic")
    h.event_send("prefixed", "x")
    evt = h.event_recv()
    assert (evt.topic, evt.payload_str) == ("prefixed", "x")


def test_event_recv_topic_glob_leaves_others_queued(h: Any) -> None:
    h.event_subscribe("glob.")
    h.event_send("glob.a")
    h.event_send("glob.b")
    assert h.event_recv("glob.b").topic == "glob.b"
    assert h.event_recv().topic == "glob.a"


def test_event_create_and_send(h: Any) -> None:
    msg = h.event_create("made.here", {"k": 2})
    assert (msg.type, msg.topic, msg.payload) == (flux.constants.FLUX_MSGTYPE_EVENT, "made.here", {"k": 2})
    h.event_subscribe("made.")
    assert h.send(msg) == 0
    assert h.event_recv().payload == {"k": 2}


def test_event_topic_errors(h: Any) -> None:
    with pytest.raises(TypeError) as info:
        h.event_subscribe(5)
    assert info.value.args[0] == errno.EINVAL
    with pytest.raises(OSError) as info2:
        h.event_unsubscribe(None)
    assert info2.value.errno == errno.EINVAL


def test_events_reach_message_watchers(h: Any) -> None:
    got = []

    def cb(fh: Any, w: Any, msg: Any, arg: Any) -> None:
        got.append((msg.topic, arg))
        if len(got) == 2:
            fh.reactor_stop()

    h.event_subscribe("watched.")
    w1 = h.msg_watcher_create(cb, flux.constants.FLUX_MSGTYPE_EVENT, "watched.*", args="one").start()
    w2 = h.msg_watcher_create(cb, flux.constants.FLUX_MSGTYPE_EVENT, "watched.*", args="two").start()
    h.event_send("watched.x")
    h.reactor_run()
    assert sorted(got) == [("watched.x", "one"), ("watched.x", "two")]
    w1.destroy()
    w2.destroy()
