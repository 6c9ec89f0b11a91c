from __future__ import annotations

from typing import Callable

from tests.rawclient import RawClient


def test_ping_rank3_crosses_the_overlay(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    assert client.handshake == b"\x00"
    answer = client.rpc_json("broker.ping", {}, nodeid=3)
    assert answer["rank"] == 3
    assert answer["rolemask"] == 1
    assert len(answer["route"].split("!")) == 4
