"""The kvs and kvs-watch services over real sockets, at the protocol level."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
from typing import Any, Callable, Dict, List, Optional

from fakeflux.wire import constants as C
from fakeflux.wire import payload_string
from tests.rawclient import RawClient, error_text

READDIR, READLINK, WATCH, WAITCREATE, TREEOBJ, APPEND = 1, 2, 4, 8, 16, 32
WATCH_UNIQ, WATCH_APPEND, STREAM = 128, 256, 512


def body(msg: Any) -> Any:
    """The JSON payload of a message."""
    return json.loads(payload_string(msg.payload) or "null")


def val(data: bytes) -> Dict[str, Any]:
    return {"ver": 1, "type": "val", "data": base64.b64encode(data).decode()}


def put(key: str, value: Any, flags: int = 0) -> Dict[str, Any]:
    return {"key": key, "flags": flags, "dirent": val(json.dumps(value).encode())}


def commit(c: RawClient, *ops: Dict[str, Any], ns: str = "primary") -> Any:
    return c.rpc_json("kvs.commit", {"namespace": ns, "flags": 0, "ops": list(ops)})


def lookup(c: RawClient, key: str, flags: int = 0, ns: str = "primary") -> Any:
    return c.rpc("kvs.lookup", {"key": key, "namespace": ns, "flags": flags})


def decoded(resp: Any) -> Any:
    return json.loads(base64.b64decode(body(resp)["val"]["data"]))


def test_commit_then_lookup_on_every_rank(connect: Callable[..., RawClient]) -> None:
    c0 = connect(0)
    out = commit(c0, put("a.b.c", 42), put("x", "hello"))
    # a fresh instance has made 3 commits (admin.eventlog, resource.R, resource.eventlog), as real Flux
    assert out["rootseq"] == 4 and out["rootref"].startswith("sha1-")
    for rank in range(4):
        c = connect(rank)
        assert decoded(lookup(c, "a.b.c")) == 42
        assert decoded(lookup(c, ".x.")) == "hello"  # keys are normalized


def test_lookup_errors(connect: Callable[..., RawClient]) -> None:
    c = connect(1)
    commit(c, put("dir.v", 1))
    assert lookup(c, "missing").errnum == errno.ENOENT
    assert lookup(c, "dir").errnum == errno.EISDIR
    assert lookup(c, "dir.v", READDIR).errnum == errno.ENOTDIR
    assert lookup(c, "dir.v", READLINK).errnum == errno.EINVAL
    assert lookup(c, "dir.v.deeper").errnum == errno.ENOENT
    assert lookup(c, "a", ns="nosuchns").errnum == errno.ENOTSUP
    assert c.rpc("kvs.lookup", {"key": "a", "flags": 0}).errnum == errno.EPROTO


def test_readdir_gives_dir_with_dirrefs_and_valrefs(connect: Callable[..., RawClient]) -> None:
    c = connect(0)
    big = "x" * 100
    commit(c, put("d.small", 1), put("d.big", big), put("d.sub.k", 2))
    d = body(lookup(c, "d", READDIR))["val"]
    assert d["type"] == "dir"
    entries = d["data"]
    assert entries["small"]["type"] == "val"
    assert entries["big"]["type"] == "valref"  # longer than a blobref: stored apart
    assert entries["sub"]["type"] == "dirref"
    assert decoded(lookup(c, "d.big")) == big  # a valref reads back as a val
    tobj = body(lookup(c, "d.big", TREEOBJ))["val"]
    assert tobj["type"] == "valref" and tobj["data"][0].startswith("sha1-")
    root = body(lookup(c, ".", TREEOBJ))["val"]
    assert root["type"] == "dirref"
    at = c.rpc_json("kvs.lookup", {"key": "d.small", "flags": 0, "rootdir": root})
    assert at["val"] == val(b"1")


def test_unlink_mkdir_symlink_append(connect: Callable[..., RawClient]) -> None:
    c = connect(0)
    commit(c, put("t.a", 1), {"key": "t.empty", "flags": 0, "dirent": {"ver": 1, "type": "dir", "data": {}}})
    commit(c, {"key": "t.link", "flags": 0, "dirent": {"ver": 1, "type": "symlink", "data": {"target": "t.a"}}})
    assert decoded(lookup(c, "t.link")) == 1
    link = body(lookup(c, "t.link", READLINK))["val"]
    assert link == {"ver": 1, "type": "symlink", "data": {"target": "t.a"}}
    assert body(lookup(c, "t.empty", READDIR))["val"]["data"] == {}
    commit(c, {"key": "t.a", "flags": 0, "dirent": None})
    assert lookup(c, "t.a").errnum == errno.ENOENT
    for piece in (b"one\n", b"two\n", b"three\n"):
        commit(c, {"key": "log", "flags": APPEND, "dirent": val(piece)})
    got = body(lookup(c, "log"))["val"]
    assert base64.b64decode(got["data"]) == b"one\ntwo\nthree\n"
    bad = c.rpc("kvs.commit", {"namespace": "primary", "flags": 0,
                               "ops": [{"key": "t", "flags": APPEND, "dirent": val(b"x")}]})
    assert bad.errnum == errno.EISDIR


def test_namespaces_and_getroot(connect: Callable[..., RawClient]) -> None:
    c = connect(0)
    root = c.rpc_json("kvs.getroot", {"namespace": "primary"})
    assert set(root) == {"owner", "rootseq", "rootref", "flags", "namespace"}
    resp = c.rpc("kvs.namespace-create", {"namespace": "test", "rootref": root["rootref"],
                                          "owner": -1, "flags": 0}, nodeid=0)
    assert resp.errnum == 0
    again = c.rpc("kvs.namespace-create", {"namespace": "test", "rootref": root["rootref"],
                                           "owner": -1, "flags": 0}, nodeid=0)
    assert again.errnum == errno.EEXIST
    commit(c, put("k", "v"), ns="test")
    assert decoded(lookup(c, "k", ns="test")) == "v"
    assert lookup(c, "k").errnum == errno.ENOENT  # not in primary
    names = [n["namespace"] for n in c.rpc_json("kvs.namespace-list", {})["namespaces"]]
    assert sorted(names) == ["primary", "test"]
    assert c.rpc("kvs.namespace-remove", {"namespace": "primary"}).errnum == errno.ENOTSUP
    assert c.rpc("kvs.namespace-remove", {"namespace": "test"}).errnum == 0
    assert lookup(c, "k", ns="test").errnum == errno.ENOTSUP


def stream(c: RawClient, req: Any, n: int) -> List[Any]:
    out = []
    for _ in range(n):
        msg = c.recv()
        assert msg.matchtag == req.matchtag
        out.append(msg)
    return out


def watch(c: RawClient, key: str, flags: int, ns: str = "primary") -> Any:
    return c.request("kvs-watch.lookup", {"key": key, "namespace": ns, "flags": flags}, flags=C.FLAG_STREAMING)


def value_of(msg: Any) -> Optional[bytes]:
    assert msg.errnum == 0, (msg.errnum, msg.payload)
    return base64.b64decode(body(msg)["val"]["data"])


def test_watch_streams_each_change_until_cancel(connect: Callable[..., RawClient]) -> None:
    c, w = connect(0), connect(2)
    commit(c, put("w", 1))
    req = watch(w, "w", WATCH)
    assert value_of(w.recv()) == b"1"
    commit(c, put("other", 0))  # another key: no response
    assert w.recv_nothing(0.1)
    commit(c, put("w", 2))
    assert value_of(w.recv()) == b"2"
    w.request("kvs-watch.cancel", {"matchtag": req.matchtag}, flags=C.FLAG_NORESPONSE)
    end = w.recv()
    assert end.matchtag == req.matchtag and end.errnum == errno.ENODATA


def test_watch_uniq_waitcreate_and_errors(connect: Callable[..., RawClient]) -> None:
    c, w = connect(0), connect(1)
    req = watch(w, "later", WATCH | WAITCREATE | WATCH_UNIQ)
    assert w.recv_nothing(0.1)
    commit(c, put("later", "x"))
    assert value_of(w.recv()) == b'"x"'
    commit(c, put("later", "x"))  # same value: UNIQ says nothing
    assert w.recv_nothing(0.1)
    commit(c, {"key": "later", "flags": 0, "dirent": None})
    gone = w.recv()
    assert gone.matchtag == req.matchtag and gone.errnum == errno.ENOENT
    no = w.rpc("kvs-watch.lookup", {"key": "nope", "namespace": "primary", "flags": WATCH}, flags=C.FLAG_STREAMING)
    assert no.errnum == errno.ENOENT
    flat = w.rpc("kvs-watch.lookup", {"key": "x", "namespace": "primary", "flags": WATCH})
    assert flat.errnum == errno.EPROTO
    assert error_text(flat) == "KVS watch request rejected without streaming RPC flag"
    both = w.rpc("kvs-watch.lookup", {"key": "x", "namespace": "primary", "flags": WATCH | STREAM},
                 flags=C.FLAG_STREAMING)
    assert both.errnum == errno.EINVAL and error_text(both) == "Cannot KVS watch and stream at the same time"


def test_watch_append_sends_only_new_data(connect: Callable[..., RawClient]) -> None:
    c, w = connect(0), connect(3)
    commit(c, {"key": "out", "flags": APPEND, "dirent": val(b"a")})
    req = watch(w, "out", WATCH | WATCH_APPEND | WAITCREATE)
    assert value_of(w.recv()) == b"a"
    commit(c, {"key": "out", "flags": APPEND, "dirent": val(b"b")})
    commit(c, {"key": "out", "flags": APPEND, "dirent": val(b"c")})
    assert [value_of(m) for m in stream(w, req, 2)] == [b"b", b"c"]
    commit(c, put("out", "overwritten"))
    err = w.recv()
    assert err.errnum == errno.EINVAL


def test_waitcreate_without_watch_answers_once(connect: Callable[..., RawClient]) -> None:
    c, w = connect(0), connect(1)
    req = w.request("kvs-watch.lookup", {"key": "once", "namespace": "primary", "flags": WAITCREATE})
    assert w.recv_nothing(0.1)
    commit(c, put("once", True))
    msg = w.recv()
    assert msg.matchtag == req.matchtag and value_of(msg) == b"true"
    commit(c, put("once", False))
    assert w.recv_nothing(0.1)


def test_guest_cannot_read_primary(connect: Callable[..., RawClient]) -> None:
    c = connect(0)
    commit(c, put("secret", 1))
    msg = c.rpc("kvs.lookup", {"key": "secret", "namespace": "primary", "flags": 0})
    assert msg.errnum == 0
    guest = c.request("kvs.lookup", {"key": "secret", "namespace": "primary", "flags": 0})
    del guest  # owner connections may claim other credentials, as flux-core allows
    from fakeflux.wire import Message

    m = Message.request("kvs.lookup", b'{"key":"secret","namespace":"primary","flags":0}\x00', matchtag=99,
                        userid=4242, rolemask=C.ROLE_USER)
    c.send(m)
    while True:
        r = c.recv()
        if r.matchtag == 99:
            break
    assert r.errnum == errno.EPERM


EMPTY_DIR_REF = "sha1-" + hashlib.sha1(b'{"data":{},"type":"dir","ver":1}').hexdigest()


def _check_refs_name_content(c: RawClient, ref: str, seen: Dict[str, Any]) -> int:
    """Walk the tree below ``ref`` through lookups by root (as a client
    holding a blobref does): every dirref names the sha1 of its directory's
    treeobj_encode (compact, sorted keys), as a real KVS stores it."""
    if ref in seen:
        return 0
    listing = c.rpc_json("kvs.lookup", {"key": ".", "flags": READDIR, "rootdir": {"ver": 1, "type": "dirref",
                                                                                  "data": [ref]}})["val"]
    assert listing["type"] == "dir"
    encoded = json.dumps(listing, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    assert ref == "sha1-" + hashlib.sha1(encoded).hexdigest()
    seen[ref] = listing
    count = 1
    for entry in listing["data"].values():
        assert entry["type"] in ("dirref", "val", "valref", "symlink")  # never a dir inside a stored dir
        if entry["type"] == "dirref":
            count += _check_refs_name_content(c, entry["data"][0], seen)
    return count


def test_blobrefs_of_job_writes_name_their_content(connect: Callable[..., RawClient]) -> None:
    """The job services write the KVS without asking for blobrefs (they are
    computed when first seen); whatever a client then sees must be what
    hashing on every commit gives: refs naming their content, the same root
    however it is asked for, and the same ref for the same content."""
    from tests.jobs.test_jobs import WAITABLE, jobspec, submit

    c = connect(0)
    spec = jobspec(["true"], environment={"PATH": os.environ["PATH"]}, cwd=os.getcwd())
    ids = [submit(c, spec, WAITABLE) for _ in range(3)]
    for jobid in ids:
        assert c.rpc_json("job-manager.wait", {"id": jobid})["success"] is True
    root = c.rpc_json("kvs.getroot", {"namespace": "primary", "flags": 0})
    plus = c.rpc_json("kvs.lookup-plus", {"key": "job", "namespace": "primary", "flags": TREEOBJ})
    assert plus["rootref"] == root["rootref"] and plus["rootseq"] == root["rootseq"]
    seen: Dict[str, Any] = {}
    assert _check_refs_name_content(c, root["rootref"], seen) > 4 * len(ids)
    assert plus["val"]["type"] == "dirref" and plus["val"]["data"][0] in seen
    # the same content committed by a client into a new namespace: the same refs
    job_tree = plus["val"]
    c.rpc_json("kvs.namespace-create", {"namespace": "copy", "rootref": EMPTY_DIR_REF, "owner": -1,
                                        "flags": 0})
    out = commit(c, {"key": "job", "flags": 0, "dirent": job_tree}, ns="copy")
    listing = c.rpc_json("kvs.lookup", {"key": ".", "flags": READDIR, "namespace": "copy"})["val"]
    assert listing == {"ver": 1, "type": "dir", "data": {"job": job_tree}}
    encoded = json.dumps(listing, separators=(",", ":"), sort_keys=True).encode()
    assert out["rootref"] == "sha1-" + hashlib.sha1(encoded).hexdigest()



def test_root_lookup_ignores_readlink(connect: Callable[..., RawClient]) -> None:
    """lookup.c's special case for ".": TREEOBJ gives the root's dirref,
    else READDIR is needed (EISDIR), READLINK plays no part."""
    c = connect(0)
    commit(c, put("a.b", 1))
    assert lookup(c, ".", READLINK).errnum == errno.EISDIR
    assert body(lookup(c, ".", READLINK | READDIR))["val"]["type"] == "dir"
    root = c.rpc_json("kvs.getroot", {"namespace": "primary", "flags": 0})["rootref"]
    assert body(lookup(c, ".", READLINK | TREEOBJ))["val"] == {"ver": 1, "type": "dirref", "data": [root]}


def test_lookup_answers_byte_for_byte(connect: Callable[..., RawClient]) -> None:
    """Recorded on real flux-core: what the KVS read from its store comes
    back with keys sorted (blobs are encoded so, and jansson keeps the
    order); what lookup makes afresh (a valref's joined val, the root's
    dirref) in treeobj_create_*'s order.  Entries in name order."""
    c = connect(0)
    commit(c, {"key": "z.v", "flags": 0, "dirent": val(b"1")},
           {"key": "z.s", "flags": 0, "dirent": {"ver": 1, "type": "symlink",
                                                 "data": {"target": "z.v", "namespace": "primary"}}},
           {"key": "z.a", "flags": 0, "dirent": val(b"1")}, {"key": "z.c.d", "flags": 0, "dirent": val(b"1")})
    one = '{"data":"MQ==","type":"val","ver":1}'
    d = '{"data":["sha1-c602ad77ee3908cef9af1c649eb54958d773dc4f"],"type":"dirref","ver":1}'
    link = '{"data":{"namespace":"primary","target":"z.v"},"type":"symlink","ver":1}'
    assert payload_string(lookup(c, "z.v").payload) == '{"val":' + one + "}"
    assert payload_string(lookup(c, "z.c", TREEOBJ).payload) == '{"val":' + d + "}"
    assert payload_string(lookup(c, "z", READDIR).payload) == (
        '{"val":{"data":{"a":' + one + ',"c":' + d + ',"s":' + link + ',"v":' + one + '},"type":"dir","ver":1}}')
    commit(c, {"key": "z.v", "flags": APPEND, "dirent": val(b"2")})
    assert payload_string(lookup(c, "z.v").payload) == '{"val":{"ver":1,"type":"val","data":"MTI="}}'
    assert payload_string(lookup(c, "z.s", READLINK).payload) == '{"val":' + link + "}"
    root = c.rpc_json("kvs.getroot", {"namespace": "primary", "flags": 0})["rootref"]
    assert payload_string(lookup(c, ".", TREEOBJ).payload) == (
        '{"val":{"ver":1,"type":"dirref","data":["' + root + '"]}}')
