"""The KVS hashes a directory only when a blobref of it can be seen.  The
answers must be those of hashing at every commit: two stores given the same
random transactions, one sealing every root (as a client's kvs.commit does),
one leaving roots pending and asking for refs at random moments (as the job
services' writes and later lookups do), must agree on every lookup, every
root reference and every stored blob.

The store is driven directly here (it is the broker core's plain object: no
IO); its service over sockets is covered in test_kvs.py."""

from __future__ import annotations

import errno
from typing import Any, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError

KEYS = ["a", "a.b", "a.b.c", "a.d", "x.y.z", "x.y", "x", "l", "l.q", "p.q.r.s"]
LOOKUP_FLAGS = [0, K.READDIR, K.TREEOBJ, K.READLINK, K.READDIR | K.TREEOBJ]

values = st.sampled_from([b"", b"1", b"hello", b"x" * 100])
dirents = st.one_of(
    values.map(K.val),
    st.none(),
    st.builds(lambda v: {"ver": 1, "type": "dir", "data": {"k": K.val(v)}}, values),
    st.just({"ver": 1, "type": "dir", "data": {}}),
)
# symlinks only at "l", to targets outside it: no loops (flux-core's own
# broker recurses without end on a loop while linking, and crashes)
symlinks = st.sampled_from(["a", "a.b", "x.y", "p.q", "."]).map(
    lambda t: ("l", {"ver": 1, "type": "symlink", "data": {"target": t}}, False))
# ops that fail once "a" is a directory or "l" points into another namespace
# (EISDIR, EINVAL): a failed transaction must leave no trace, even in
# directories shared with the root before it
failing = st.sampled_from([("a", K.val(b"1"), True), ("l", {"ver": 1, "type": "symlink", "data": {
    "target": "x", "namespace": "other"}}, False), ("l.q", K.val(b"1"), False)])
ops = st.one_of(st.tuples(st.sampled_from(KEYS), dirents, st.booleans()), symlinks, failing)
steps = st.lists(st.tuples(st.lists(ops, min_size=1, max_size=4), st.booleans(), st.booleans()),
                 min_size=1, max_size=15)


def _ops(spec: List[Tuple[str, Optional[Dict[str, Any]], bool]]) -> List[Dict[str, Any]]:
    out = []
    for key, dirent, append in spec:
        flags = K.APPEND if append and dirent is not None and dirent["type"] == "val" else 0
        out.append({"key": key, "flags": flags, "dirent": K.copy_treeobj(dirent) if dirent else None})
    return out


def _answer(store: K.KvsStore, key: str, flags: int, **where: Any) -> Any:
    try:
        return store.lookup(key, flags, **where)
    except ServiceError as exc:
        return ("error", exc.errnum)


def _run(store: K.KvsStore, spec: Any, sealed: bool) -> Any:
    try:
        if sealed:
            return store.commit(K.PRIMARY, _ops(spec), 0)[1]
        return store.apply(K.PRIMARY, _ops(spec))
    except ServiceError as exc:
        return ("error", exc.errnum)


@settings(max_examples=100, deadline=None)
@given(steps)
def test_late_hashing_answers_as_hashing_every_commit(plan: Any) -> None:
    eager, lazy = K.KvsStore(0), K.KvsStore(0)
    roots: List[str] = []
    for spec, ask_root, look in plan:
        assert _run(lazy, spec, sealed=False) == _run(eager, spec, sealed=True)
        if look:  # lookups may hash pending directories (TREEOBJ, READDIR) at any moment
            for key in KEYS + ["."]:
                for flags in LOOKUP_FLAGS:
                    assert _answer(lazy, key, flags, namespace=K.PRIMARY) == _answer(eager, key, flags,
                                                                                      namespace=K.PRIMARY)
        if ask_root:
            assert lazy.namespaces[K.PRIMARY].rootref == eager.namespaces[K.PRIMARY].rootref
            roots.append(eager.namespaces[K.PRIMARY].rootref)
        for ref in roots:  # older roots stay readable, unchanged
            for key in ("a", "a.b", "x.y", "."):
                assert _answer(lazy, key, K.READDIR, rootref=ref) == _answer(eager, key, K.READDIR, rootref=ref)
    assert lazy.namespaces[K.PRIMARY].rootref == eager.namespaces[K.PRIMARY].rootref
    assert lazy.namespaces[K.PRIMARY].seq == eager.namespaces[K.PRIMARY].seq
    for ref, blob in lazy.blobs.items():
        assert eager.blobs.get(ref) == blob


def test_a_failed_transaction_leaves_pending_directories_alone() -> None:
    """A transaction copies the pending directories it changes: one that
    fails half-way (here EISDIR, appending to a directory) leaves no trace
    in the root it started from, hashed or not."""
    lazy, eager = K.KvsStore(0), K.KvsStore(0)
    lazy.apply(K.PRIMARY, [{"key": "a.x", "flags": 0, "dirent": K.val(b"1")}])
    eager.commit(K.PRIMARY, [{"key": "a.x", "flags": 0, "dirent": K.val(b"1")}], 0)
    bad: List[Tuple[str, Optional[Dict[str, Any]], bool]] = [("a.b.c", K.val(b"1"), False), ("a", K.val(b"2"), True)]
    for store in (lazy, eager):
        with pytest.raises(ServiceError) as failed:
            store.apply(K.PRIMARY, _ops(bad))
        assert failed.value.errnum == errno.EISDIR
        assert store.lookup("a.b", 0, namespace=K.PRIMARY) is None
        assert store.namespaces[K.PRIMARY].seq == 1
    assert lazy.namespaces[K.PRIMARY].rootref == eager.namespaces[K.PRIMARY].rootref


def test_unroll_goes_through_every_entry_of_a_loaded_directory_and_the_new_ones_of_a_pending_one() -> None:
    """kvstxn_unroll makes a valref of every long val in the directories a
    commit copies, also of one a stored directory held (written there with
    content.store); a directory the last commit made has only this commit's
    entries left to do (the store looks at no others)."""
    store = K.KvsStore(0)
    long = K.val(b"x" * 100)
    ref = store.store(K.encode_treeobj({"ver": 1, "type": "dir", "data": {"old": long}}))
    store.apply(K.PRIMARY, [{"key": "d", "flags": 0, "dirent": K.dirref(ref)}])

    def kind(key: str) -> str:
        obj = store.lookup(key, K.TREEOBJ, namespace=K.PRIMARY)
        assert obj is not None
        return str(obj["type"])

    assert kind("d.old") == "val"  # d not copied yet: as stored
    store.apply(K.PRIMARY, [{"key": "d.new", "flags": 0, "dirent": long}])
    assert (kind("d.old"), kind("d.new")) == ("valref", "valref")
    for name in ("newer", "newest"):  # d now a pending directory of the last commit
        store.apply(K.PRIMARY, [{"key": f"d.{name}", "flags": 0, "dirent": long},
                                {"key": "d.short", "flags": 0, "dirent": K.val(b"1")}])
        assert (kind(f"d.{name}"), kind("d.short")) == ("valref", "val")
    assert store.get(K.PRIMARY, "d.newest") == b"x" * 100
