"""KVS checkpoints: content.checkpoint-get/-put and content-backing.*.

Recorded on flux-core 0.88 (``flux start --test-size=2``): one checkpoint
exists from the start (version 1, rootref, sequence, timestamp), on every
rank and through the backing store; a put without ``value`` is EPROTO;
other content methods are not emulated.
"""

from __future__ import annotations

import errno
import importlib
from typing import Any

import pytest

from .conftest import flux

importlib.import_module("flux.kvs")  # explicit, as in flux-core


def test_checkpoint_lookup(h: Any) -> None:
    cps = flux.kvs.kvs_checkpoint_lookup(h)
    assert len(cps) >= 1
    first = cps[0]
    assert first["version"] == 1 and set(first) == {"version", "rootref", "sequence", "timestamp"}
    assert first["rootref"].startswith("sha1-")
    assert flux.kvs.kvs_checkpoint_lookup(h, cache_bypass=True) == cps
    assert h.rpc("content.checkpoint-get", {}, nodeid=1).get()["value"] == cps


def test_checkpoint_put_newest_first_at_most_five(flux_instance_factory: Any) -> None:
    inst = flux_instance_factory(size=2)
    h = flux.Flux(inst.uri(0))
    for seq in range(1, 7):
        value = {"version": 1, "rootref": f"sha1-{seq:040d}", "sequence": seq, "timestamp": 1.0}
        assert h.rpc("content.checkpoint-put", {"value": value}).get() is None
    cps = h.rpc("content-backing.checkpoint-get").get()["value"]
    assert [c["sequence"] for c in cps] == [6, 5, 4, 3, 2]
    with pytest.raises(OSError) as info:
        h.rpc("content.checkpoint-put", {}).get()
    assert info.value.errno == errno.EPROTO
    with pytest.raises(OSError) as info:
        h.rpc("content.load").get()
    assert info.value.errno == errno.ENOSYS
