"""Differences found by running flux-core's own tools and bindings against
fakeflux (see the project notes); each test pins the real behaviour."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

import fakeflux
from fakeflux.broker.modules.attr import AttrModule
from fakeflux.wire import Message, json_payload, payload_string
from fakeflux.wire import constants as C
from tests.rawclient import RawClient


def test_routes_a_client_puts_on_a_request_are_kept(connect: Callable[..., RawClient]) -> None:
    # flux proxy relays requests with its own route on them; the answer must
    # come back with that route, and ping shows it as the first hop.
    client = connect(0)
    own = "11111111-2222-3333-4444-555555555555"
    client.send(Message.request("broker.ping", json_payload({}), matchtag=1, routes=[own]))
    answer = client.recv()
    assert answer.routes == [own]
    ping = json.loads(payload_string(answer.payload) or "{}")
    assert ping["route"].startswith("11111111!")
    assert len(ping["route"].split("!")) == 4


def test_event_routes_as_real_flux_delivers_them(connect: Callable[..., RawClient]) -> None:
    here, there = connect(0), connect(2)
    for client in (here, there):
        assert client.rpc("event.subscribe", {"topic": "r."}).errnum == 0
    here.send(Message.event("r.raw", None, routes=[]))
    assert len(here.recv().routes or []) == 2  # broker 0 and its connector
    assert len(there.recv().routes or []) == 1  # just the receiving broker
    here.rpc("event.publish", {"topic": "r.rpc", "flags": 0}, nodeid=0)
    assert [len(m.routes or []) for m in (there.recv(),)] == [1]


def test_internal_error_is_answered_not_left_hanging(
    connect: Callable[..., RawClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: AttrModule, msg: Message) -> None:
        raise RuntimeError("simulated fakeflux bug")

    monkeypatch.setattr(AttrModule, "get", broken)
    client = connect(0)
    answer = client.rpc("attr.get", {"name": "rank"})
    assert answer.errnum == 71
    assert payload_string(answer.payload) == "fakeflux internal error: RuntimeError: simulated fakeflux bug"
    assert client.rpc_json("broker.ping", {})["rank"] == 0  # still serving


def test_toml_datetimes_come_back_as_strings(tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text("[x]\nwhen = 1979-05-27T07:32:00Z\nday = 1979-05-27\n")
    with fakeflux.Instance(size=1, config_path=str(conf)) as inst, RawClient(inst.uri(0)) as client:
        assert client.rpc_json("config.get") == {"x": {"when": "1979-05-27T07:32:00Z", "day": "1979-05-27"}}


def test_rundir_is_named_like_flux_cores() -> None:
    with fakeflux.Instance(size=1) as inst:
        assert re.search(r"/flux-[A-Za-z0-9]{6}$", inst.rundir)


def test_broker_stderr_lines_have_the_real_timestamp_format() -> None:
    code = textwrap.dedent(
        """
        import flux
        flux.Flux().log(3, "hello-err")
        """
    )
    out = subprocess.run(
        [sys.executable, "-m", "fakeflux", "start", "--", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stderr.splitlines() if "hello-err" in line)
    assert re.match(r"^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{6} \S+ \d{4} \S+\.err\[0\]: hello-err$", line), line


def test_event_rolemask_loses_local_across_the_overlay(connect: Callable[..., RawClient]) -> None:
    there = connect(3)
    assert there.rpc("event.subscribe", {"topic": "m"}).errnum == 0
    connect(0).send(Message.event("m.x", None, routes=[]))
    assert there.recv().rolemask == C.ROLE_OWNER
