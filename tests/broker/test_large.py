"""Instances of thousands of ranks behave as small ones do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import fakeflux
from tests.rawclient import RawClient


def test_4096_ranks_route_and_deliver_like_small_ones() -> None:
    with fakeflux.Instance(size=4096, sockets=[0, 4095]) as inst:
        with pytest.raises(ValueError, match="rank 5 has no socket"):
            inst.uri(5)
        with RawClient(inst.uri(0)) as root, RawClient(inst.uri(4095)) as leaf:
            ping = root.rpc_json("broker.ping", {}, nodeid=4095)
            # kary:32: 4095 hangs below 127, below 3, below 0: four brokers on the way.
            assert ping["rank"] == 4095 and len(ping["route"].split("!")) == 6
            assert leaf.rpc_json("attr.get", {"name": "tbon.level"})["value"] == "3"
            assert root.rpc_json("attr.get", {"name": "tbon.maxlevel"})["value"] == "3"
            assert root.rpc_json("attr.get", {"name": "tbon.descendants"})["value"] == "4095"
            assert leaf.rpc("event.subscribe", {"topic": "big"}).errnum == 0
            seq = root.rpc_json("event.publish", {"topic": "big.bang", "flags": 0}, nodeid=0)["seq"]
            event = leaf.recv()
            assert (event.topic, event.seq) == ("big.bang", seq)
            assert leaf.rpc_json("broker.ping", {}, nodeid=2000)["rank"] == 2000


def test_1024_sockets_come_and_go_without_leaking_fds() -> None:
    before = len(os.listdir("/proc/self/fd"))
    with fakeflux.Instance(size=1024) as inst:
        assert os.path.exists(inst.uri(1023)[len("local://") :])
        with RawClient(inst.uri(777)) as client:
            assert client.rpc_json("broker.ping", {}, nodeid=0)["rank"] == 0
    assert len(os.listdir("/proc/self/fd")) == before


def test_too_many_sockets_for_the_fd_limit_is_a_clear_error() -> None:
    code = textwrap.dedent(
        """
        import resource, fakeflux
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))
        try:
            fakeflux.Instance(size=1000).start()
        except ValueError as exc:
            print(exc)
        inst = fakeflux.Instance(size=1000, sockets=[0, 999]).start()
        inst.stop()
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "1000 rank sockets need about 1256 open files but the limit is 300" in lines[0]
    assert "Instance(sockets=[...])" in lines[0]
    assert lines[1] == "ok"
