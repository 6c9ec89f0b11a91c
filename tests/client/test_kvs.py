"""flux.kvs end to end against a real fakeflux instance (cf. flux-core's t0005-kvs.py)."""

from __future__ import annotations

import errno
import importlib
import uuid
from typing import Any, List

import pytest

from .conftest import flux

importlib.import_module("flux.kvs")  # explicit, as in flux-core

kvs = flux.kvs


@pytest.fixture
def base() -> str:
    """A fresh top-level directory name per test (the instance is shared)."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.mark.parametrize(
    "value",
    [42, 3.5, "a string", {"a": [1, 2, {"b": None}]}, [1, "x"], True, None, "ünïcødé"],
)
def test_put_commit_get_round_trip(h: Any, base: str, value: Any) -> None:
    kvs.put(h, f"{base}.key", value)
    kvs.commit(h)
    assert kvs.get(h, f"{base}.key") == value
    assert h.aux_txn is None


def test_raw_and_bytes_values(h: Any, base: str) -> None:
    kvs.put(h, f"{base}.bin", b"\x01\xfe")
    kvs.put(h, f"{base}.rawstr", "{not json", raw=True)
    kvs.put(h, f"{base}.rawbytes", b"123", raw=True)
    kvs.commit(h)
    assert kvs.get(h, f"{base}.bin") == b"\x01\xfe"
    assert kvs.get(h, f"{base}.rawstr") == "{not json"
    assert kvs.get(h, f"{base}.rawbytes") == 123  # JSON if it decodes
    with pytest.raises(TypeError):
        kvs.put(h, f"{base}.obj", object())


def test_missing_key_and_directory_errors(h: Any, base: str) -> None:
    with pytest.raises(FileNotFoundError) as info:
        kvs.get(h, f"{base}.missing")
    assert info.value.errno == errno.ENOENT
    kvs.put(h, f"{base}.val", 1)
    kvs.commit(h)
    with pytest.raises(NotADirectoryError):
        kvs.get_dir(h, f"{base}.val")
    with pytest.raises(FileNotFoundError):
        kvs.get_dir(h, f"{base}.nodir")
    assert kvs.exists(h, f"{base}.val") and kvs.exists(h, base)
    assert not kvs.exists(h, f"{base}.missing")
    assert kvs.isdir(h, base) and not kvs.isdir(h, f"{base}.val") and not kvs.isdir(h, f"{base}.missing")
    with pytest.raises(OSError) as err:
        kvs.get(h, "")
    assert err.value.errno == errno.EINVAL


def test_mkdir_unlink_symlink(h: Any, base: str) -> None:
    kvs.put_mkdir(h, f"{base}.empty")
    kvs.put(h, f"{base}.target", "hello")
    kvs.put_symlink(h, f"{base}.link", f"{base}.target")
    kvs.commit(h)
    assert isinstance(kvs.get(h, f"{base}.empty"), kvs.KVSDir) and len(kvs.get(h, f"{base}.empty")) == 0
    assert kvs.get(h, f"{base}.link") == "hello"
    kvs.put_unlink(h, f"{base}.target")
    kvs.commit(h)
    assert not kvs.exists(h, f"{base}.target")


def test_commit_with_nothing_staged_sends_nothing(flux_instance: Any, flux_handle: Any) -> None:
    kvs.commit(flux_handle)
    assert "kvs.commit" not in flux_instance.format_trace()
    fut = kvs.commit_async(flux_handle)  # an empty transaction is still sent
    fut.get()
    assert "kvs.commit" in flux_instance.format_trace()


def test_commit_payload_is_what_libkvs_sends(flux_instance: Any, flux_handle: Any) -> None:
    kvs.put(flux_handle, "x", 1)
    kvs.commit(flux_handle)
    trace = flux_instance.format_trace()
    assert (
        '{"namespace":"primary","flags":0,"ops":[{"key":"x","flags":0,"dirent":{"ver":1,"type":"val","data":"MQ=="}}]}'
        in trace
    )  # noqa: E501
    kvs.get(flux_handle, "x")
    assert '{"key":"x","namespace":"primary","flags":0}' in flux_instance.format_trace()


def test_kvsdir_mapping(h: Any, base: str) -> None:
    kvs.put_mkdir(h, base)
    kvs.commit(h)
    with kvs.get_dir(h, base) as d:
        d["a"] = 1
        d["sub.b"] = "two"
        d["sub.c"] = [3]
    d = kvs.get_dir(h, base)
    assert sorted(d) == ["a", "sub"] and len(d) == 2
    assert d["a"] == 1 and d["sub"]["b"] == "two"
    assert d.key_at("a") == f"{base}.a" and d.exists("sub.c")
    assert d.list_all() == (["a"], ["sub"])
    assert list(d.files()) == ["a"] and list(d.directories()) == ["sub"]
    with pytest.raises(KeyError, match=f"missing not found under directory {base}."):
        d["missing"]
    sub = d["sub"]
    sub["d"] = 4  # staged in the transaction shared with d
    del d["a"]
    d.commit()
    d = kvs.get_dir(h, base)
    assert sorted(d) == ["sub"] and d["sub"]["d"] == 4
    d.mkdir("made")
    assert isinstance(d.__class__(h, f"{base}.made"), kvs.KVSDir)
    with pytest.raises(FileNotFoundError):
        # as in flux-core, the contents go to a directory looked up by the bare key
        d.mkdir("made2", {"x": 1})
    kvs.get_dir(h).mkdir(f"{base}top", {"x": 1, "y.z": 2})
    assert kvs.get(h, f"{base}top.y.z") == 2
    d.fill({"f": "filled"})
    assert kvs.get(h, f"{base}.f") == "filled"
    with pytest.raises(ValueError):
        kvs.KVSDir()


def test_walk(h: Any, base: str) -> None:
    kvs.put(h, f"{base}.a", 1)
    kvs.put(h, f"{base}.d1.b", 2)
    kvs.put(h, f"{base}.d1.d2.c", 3)
    kvs.commit(h)
    walked = [(p, sorted(ds), sorted(fs)) for p, ds, fs in kvs.walk(base, flux_handle=h)]
    assert walked == [("d1.d2", [], ["c"]), ("d1", ["d2"], ["b"]), ("", ["d1"], ["a"])]
    top = [p for p, _, _ in kvs.walk(kvs.get_dir(h, base), topdown=True)]
    assert top == ["", "d1", "d1.d2"]
    with pytest.raises(ValueError):
        kvs.walk(base)
    assert kvs.join("a", "", "b") == "a.b"


def test_kvstxn(h: Any, base: str) -> None:
    with kvs.KVSTxn(h, base) as txn:
        txn.put("one", 1)
        txn.mkdir("dir")
        txn.symlink("ln", f"{base}.one")
    assert kvs.get(h, f"{base}.one") == 1 and kvs.get(h, f"{base}.ln") == 1
    txn = kvs.KVSTxn(h)
    txn.put(f"{base}.two", 2)
    txn.unlink(f"{base}.one")
    txn.commit_async().get()
    assert kvs.get(h, f"{base}.two") == 2 and not kvs.exists(h, f"{base}.one")
    txn.commit()  # empty: no RPC, no error


def test_watch_sees_changes_and_cancel(h: Any, open_handle: Any, base: str) -> None:
    other = open_handle(0)
    kvs.put(h, f"{base}.w", 1)
    kvs.commit(h)
    watcher = kvs.kvs_watch_async(h, f"{base}.w")
    assert watcher.get() == 1
    kvs.put(other, f"{base}.w", 2)
    kvs.commit(other)
    assert watcher.get() == 2
    watcher.cancel()
    values: List[Any] = []
    while (value := watcher.get()) is not None:
        values.append(value)
    assert values in ([], [2])


def test_watch_waitcreate_then_callback(h: Any, open_handle: Any, base: str) -> None:
    other = open_handle(0)
    seen: List[Any] = []

    def cb(fut: Any) -> None:
        seen.append(fut.get())
        fut.cancel(stop=True)
        fut.get_flux().reactor_stop()

    kvs.kvs_watch_async(h, f"{base}.later", waitcreate=True).then(cb)
    kvs.put(other, f"{base}.later", "here")
    kvs.commit(other)
    h.reactor_run()
    assert seen == ["here"]
    with pytest.raises(FileNotFoundError):
        kvs.kvs_watch_async(h, f"{base}.never").get()


def test_namespaces(h: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = "ns" + uuid.uuid4().hex[:8]
    kvs.namespace_create(h, ns)
    assert ns in kvs.namespace_list(h) and "primary" in kvs.namespace_list(h)
    kvs.put(h, "k", "in-ns")
    kvs.commit(h, namespace=ns)
    assert kvs.get(h, "k", namespace=ns) == "in-ns"
    monkeypatch.setenv("FLUX_KVS_NAMESPACE", ns)
    assert kvs.get(h, "k") == "in-ns"
    monkeypatch.delenv("FLUX_KVS_NAMESPACE")
    kvs.namespace_remove(h, ns)
    with pytest.raises(OSError):
        kvs.get(h, "k", namespace="no-such-namespace-" + ns)
