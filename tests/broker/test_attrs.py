"""Broker attributes on the wire: ``attr.get``, ``attr.list``, ``attr.set``
and ``attr.rm`` against the golden rows (flux-core ``src/broker/attr.c``)."""

from __future__ import annotations

import errno
import re
from typing import Callable, Dict, List, Optional

import pytest

import fakeflux
from fakeflux.wire import Message
from fakeflux.wire import constants as C
from tests.broker.golden import (
    OWNER,
    REMOTE_ROLES,
    assert_error,
    assert_response,
    golden,
    golden_errno,
    golden_future_text,
    golden_value,
    response_json,
)
from tests.rawclient import RawClient

Connect = Callable[..., RawClient]


def get(client: RawClient, name: str, **kw: object) -> Dict[str, object]:
    resp = client.rpc("attr.get", {"name": name}, **kw)
    assert_response(resp, "attr.get", rolemask=resp.rolemask)
    value = response_json(resp)
    assert set(value) == {"value", "flags"}
    return dict(value)


def get_enoent(client: RawClient, name: str) -> None:
    resp = client.rpc("attr.get", {"name": name})
    # attr.c answers a missing or null attribute with ENOENT and no text.
    assert_error(resp, "attr.get", errno.ENOENT)


def lsattr_lines(case: str) -> Dict[str, str]:
    """``flux lsattr -v`` output: name left-justified in 40 columns, then value."""
    out = golden_value(case)["stdout"]
    return {line[:40].rstrip(): line[40:] for line in out.splitlines()}


# -- attr.get: values on rank 0 --------------------------------------------------------

# Rows whose value depends only on the instance's shape, after putting this
# instance's rundir and host name in place of the golden run's.
RANK0_VALUES = [
    "attr_get('rank')",
    "attr_get('size')",
    "attr_get('local-uri')",
    "attr_get('instance-level')",
    "attr_get('rundir')",
    "attr_get('hostlist')",
    "attr_get('broker.mapping')",
    "attr_get('tbon.level')",
    "attr_get('tbon.maxlevel')",
    "attr_get('tbon.descendants')",
    "attr_get('tbon.endpoint')",
    "attr_get('broker.boot-method')",
    "attr_get('hostname')",
    "attr_get('version')",
]


def localize(value: str, inst: fakeflux.Instance) -> str:
    assert inst.core is not None
    value = value.replace("/tmp/flux-XXXXXX", inst.rundir)
    return re.sub(r"\bvm\b", inst.core.hostname, value)


@pytest.mark.parametrize("case", RANK0_VALUES)
def test_rank0_attribute_values(case: str, instance: fakeflux.Instance, connect: Connect) -> None:
    name = case.split("'")[1]
    answer = get(connect(0), name)
    assert answer["value"] == localize(golden_value(case), instance)


def test_local_uri_is_the_socket_of_each_rank(instance: fakeflux.Instance, connect: Connect) -> None:
    golden("attr_get('local-uri')")
    golden("rank2 local-uri (flux exec -r 2 flux getattr local-uri)")
    for rank in range(4):
        assert get(connect(rank), "local-uri")["value"] == instance.uri(rank)


def test_attr_get_rank_exact_bytes(connect: Connect) -> None:
    """``rpc attr.get {name:rank} raw``: compact JSON, immutable flag, NUL."""
    assert golden_value("rpc attr.get {name:rank} raw") == {"value": "0", "flags": 1}
    assert golden_value("h.get_rank()") == 0
    resp = connect(0).rpc("attr.get", {"name": "rank"})
    assert_response(resp, "attr.get")
    assert resp.payload == b'{"value":"0","flags":1}\x00'


def test_attr_get_rank_at_nodeid_2(connect: Connect) -> None:
    resp = connect(0).rpc("attr.get", {"name": "rank"}, nodeid=2)
    # Answered by rank 2, so the response crossed the overlay: OWNER only.
    assert_response(resp, "attr.get", rolemask=REMOTE_ROLES)
    assert response_json(resp) == golden_value("rpc attr.get {name:rank} nodeid=2 raw")


def test_run_specific_values_have_the_right_shape(connect: Connect) -> None:
    client = connect(0)
    assert re.fullmatch(r"\d+", str(get(client, "broker.pid")["value"]))
    assert re.fullmatch(r"\d+", golden_value("attr_get('broker.pid')"))
    uuid = str(get(client, "broker.uuid")["value"])
    assert len(uuid) == len(golden_value("attr_get('broker.uuid')")) == 36
    start = str(get(client, "broker.starttime")["value"])
    assert re.fullmatch(r"\d+\.\d\d", start)
    assert re.fullmatch(r"\d+\.\d\d", golden_value("attr_get('broker.starttime')"))
    # The golden broker ran as root, so security.owner was its uid, 0.
    assert golden_value("attr_get('security.owner')") == "0"
    assert get(client, "security.owner")["value"] == str(OWNER)
    assert golden_value("attr_get('statedir')")
    assert get(client, "statedir")["value"]


# In the Imm column of PROTOCOL.md 3.1: 1 means attr.get reports it immutable.
IMMUTABLE_FLAGS = {
    "rank": 1,
    "size": 1,
    "version": 0,
    "security.owner": 1,
    "local-uri": 1,
    "instance-level": 1,
    "jobid-path": 1,
    "hostname": 1,
    "hostlist": 1,
    "rundir": 0,
    "broker.mapping": 1,
    "broker.pid": 1,
    "broker.starttime": 1,
    "broker.uuid": 1,
    "broker.cleanup-timeout": 0,
    "log-ring-size": 1,
    "log-stderr-level": 0,
    "tbon.topo": 0,
    "tbon.level": 0,
    "tbon.interface-hint": 1,
}


def test_immutable_flags(connect: Connect) -> None:
    client = connect(0)
    for name, flags in IMMUTABLE_FLAGS.items():
        assert get(client, name)["flags"] == flags, name


@pytest.mark.parametrize(
    "case",
    [
        "attr_get('parent-uri')",
        "attr_get('tbon.parent-endpoint')",
        "attr_get('jobid')",
        "attr_get('config.path')",
        "attr_get('no.such.attr')",
        "attr_get('')",
    ],
)
def test_attr_get_enoent(case: str, connect: Connect) -> None:
    assert golden_errno(case) == errno.ENOENT
    get_enoent(connect(0), case.split("'")[1])


def test_attr_get_missing_raw_has_no_text(connect: Connect) -> None:
    case = "rpc attr.get {name:no.such} raw"
    assert golden_future_text(case) is None  # Python showed strerror: no text on the wire
    resp = connect(0).rpc("attr.get", {"name": "no.such"})
    assert_error(resp, "attr.get", golden_errno(case))


@pytest.mark.parametrize(
    ("case", "payload"),
    [("rpc('attr.get', {}) bad payload", {}), ("rpc('attr.get', 'notjson') bad payload", "notjson")],
)
def test_attr_get_bad_payload(case: str, payload: object, connect: Connect) -> None:
    assert golden_errno(case) == errno.EPROTO
    assert golden_future_text(case) is None
    assert_error(connect(0).rpc("attr.get", payload), "attr.get", errno.EPROTO)


def test_attr_get_without_payload_is_eproto(connect: Connect) -> None:
    assert_error(connect(0).rpc("attr.get"), "attr.get", errno.EPROTO)


# -- other ranks --------------------------------------------------------------------------


def test_rank2_attributes(instance: fakeflux.Instance, connect: Connect) -> None:
    h2 = connect(2)
    assert golden_value("h2.get_rank() (rank2 handle)") == 2
    assert get(h2, "rank") == {"value": golden_value("h2.attr_get('rank')"), "flags": 1}
    assert golden_errno("h2.attr_get('parent-uri')") == errno.ENOENT
    get_enoent(h2, "parent-uri")
    assert get(h2, "tbon.level")["value"] == golden_value("h2.attr_get('tbon.level')")
    want = localize(golden_value("h2.attr_get('tbon.parent-endpoint')"), instance)
    assert get(h2, "tbon.parent-endpoint")["value"] == want
    get_enoent(h2, "tbon.endpoint")  # a leaf has no children to listen for


@pytest.mark.parametrize(
    ("rank", "case"),
    [(1, "rank1 attr_get('tbon.parent-endpoint')"), (3, "rank3 attr_get('tbon.parent-endpoint')")],
)
def test_leaf_parent_endpoint(rank: int, case: str, instance: fakeflux.Instance, connect: Connect) -> None:
    assert get(connect(rank), "tbon.parent-endpoint")["value"] == localize(golden_value(case), instance)


def test_tbon_level_on_every_rank(connect: Connect) -> None:
    out = golden_value("flux exec -r all flux getattr tbon.level")["stdout"]
    want = dict(line.split(": ") for line in out.splitlines())
    for rank in range(4):
        assert get(connect(rank), "tbon.level")["value"] == want[str(rank)]
        assert get(connect(rank), "tbon.maxlevel")["value"] == "1"
        assert get(connect(rank), "tbon.descendants")["value"] == ("3" if rank == 0 else "0")


def test_flat_tree_of_overlay_status(connect: Connect) -> None:
    """``flux overlay status``: ranks 1-3 hang directly below rank 0."""
    status = golden_value("flux overlay status")["stdout"]
    assert status.splitlines()[0].startswith("0 ")
    for rank in (1, 2, 3):
        assert f"─ {rank} " in status
        answer = connect(0).rpc_json("broker.ping", {}, nodeid=rank)
        assert len(answer["route"].split("!")) == 4  # one overlay hop: 0 -> rank


# -- lsattr: the set of names and their values -------------------------------------------

# What the golden run changed before it listed rank 0's attributes.
GOLDEN_RUN_ADDED = {"test-im.a", "test-nr.a", "test-ro.a", "broker.rc2_none"}
GOLDEN_RUN_REMOVED = {"version"}


def test_attribute_names_rank0(connect: Connect) -> None:
    names = set(connect(0).rpc_json("attr.list")["names"])
    lsattr = set(lsattr_lines("flux lsattr -v (rank0)"))
    names_only = set(golden_value("flux lsattr (rank0, names only)")["stdout"].split())
    listed = set(golden_value("rpc attr.list raw")["names"])
    assert lsattr == names_only == listed
    assert names == (lsattr - GOLDEN_RUN_ADDED) | GOLDEN_RUN_REMOVED


def test_attribute_names_rank2(connect: Connect) -> None:
    names = set(connect(2).rpc_json("attr.list")["names"])
    assert names == set(lsattr_lines("flux exec -r 2 flux lsattr -v"))


# Values that legitimately differ: this process's pid, uuids, start time,
# the owner's uid, and statedir (a path the real broker chose under /var/tmp).
RUN_SPECIFIC = {"broker.pid", "broker.uuid", "broker.starttime", "security.owner", "statedir"}


@pytest.mark.parametrize(("rank", "case"), [(0, "flux lsattr -v (rank0)"), (2, "flux exec -r 2 flux lsattr -v")])
def test_lsattr_values(rank: int, case: str, instance: fakeflux.Instance, connect: Connect) -> None:
    client = connect(rank)
    changed_by_golden_run = {"log-stderr-level": "6"} if rank == 0 else {}
    for name, value in lsattr_lines(case).items():
        if name in RUN_SPECIFIC or name in GOLDEN_RUN_ADDED:
            continue
        resp = client.rpc("attr.get", {"name": name})
        ours = "-" if resp.errnum == errno.ENOENT else response_json(resp)["value"]
        if name in changed_by_golden_run:
            assert value == changed_by_golden_run[name]
            assert ours == "3"  # the default the golden run changed
            continue
        assert ours == localize(value, instance), name


# -- attr.set and attr.rm ------------------------------------------------------------------


def set_attr(client: RawClient, name: str, value: str, force: Optional[bool] = None) -> Message:
    payload: Dict[str, object] = {"name": name, "value": value}
    if force is not None:
        payload["force"] = force
    return client.rpc("attr.set", payload)


def assert_ok(resp: Message, topic: str) -> None:
    assert_response(resp, topic)
    assert resp.payload is None


def test_set_runtime_attribute(connect: Connect) -> None:
    client = connect(0)
    assert golden_value("attr_set('test.newattr','v1')") is None
    assert_ok(set_attr(client, "test.newattr", "v1"), "attr.set")
    # flags 0: not immutable, so the real client does not cache it.
    after_set = golden_value("attr_get('test.newattr') after set (same handle; cached?)")
    assert get(client, "test.newattr") == {"value": after_set, "flags": 0}
    assert get(connect(0), "test.newattr")["value"] == golden_value("attr_get('test.newattr') from fresh handle")
    assert_ok(set_attr(client, "test.newattr", "v2"), "attr.set")
    assert golden_value("attr_set('test.newattr','v2') overwrite") is None
    same = golden_value("attr_get('test.newattr') after overwrite (same handle)")
    assert get(client, "test.newattr")["value"] == same
    fresh = golden_value("attr_get('test.newattr') after overwrite (fresh handle)")
    assert get(connect(0), "test.newattr")["value"] == fresh
    assert golden_value("flux getattr test.newattr (cli)")["stdout"] == fresh + "\n"
    # A rank's attributes are its own.
    get_enoent(connect(1), "test.newattr")


@pytest.mark.parametrize(
    "case",
    [
        "attr_set('myattr','x') unregistered name",
        "attr_set('cap.attr','x') unregistered dotted name",
        "rpc attr.set {name:myattr} raw (errmsg)",
    ],
)
def test_set_unknown_attribute(case: str, connect: Connect) -> None:
    name = "myattr" if "myattr" in case else "cap.attr"
    assert golden_errno(case) == errno.ENOENT
    assert golden_future_text("rpc attr.set {name:myattr} raw (errmsg)") == "unknown attribute"
    assert_error(set_attr(connect(0), name, "x"), "attr.set", errno.ENOENT, "unknown attribute")


@pytest.mark.parametrize(
    "case",
    [
        "attr_set('rank','7')",
        "attr_set('size','9')",
        "attr_set('version','x') readonly",
        "attr_set('local-uri','x') immutable-not-readonly",
        "rpc attr.set {name:rank,value:7} raw",
    ],
)
def test_set_existing_without_runtime(case: str, connect: Connect) -> None:
    name = "rank" if "raw" in case else case.split("'")[1]
    assert golden_errno(case) == errno.EINVAL
    text = "attribute may not be updated"
    assert golden_future_text("rpc attr.set {name:rank,value:7} raw") == text
    assert_error(set_attr(connect(0), name, "x"), "attr.set", errno.EINVAL, text)


def test_set_once_namespaces(connect: Connect) -> None:
    client = connect(0)
    assert golden_value("attr_set('test-nr.a','1') first set") is None
    assert_ok(set_attr(client, "test-nr.a", "1"), "attr.set")
    assert golden_errno("attr_set('test-nr.a','2') second set (no RUNTIME)") == errno.EINVAL
    assert_error(set_attr(client, "test-nr.a", "2"), "attr.set", errno.EINVAL, "attribute may not be updated")
    assert golden_value("attr_set('test-ro.a','1') READONLY") is None
    assert_ok(set_attr(client, "test-ro.a", "1"), "attr.set")
    assert golden_value("attr_set('test-im.a','1') IMMUTABLE") is None
    assert_ok(set_attr(client, "test-im.a", "1"), "attr.set")
    assert get(client, "test-im.a") == {"value": golden_value("attr_get('test-im.a')"), "flags": 1}


def test_force_update_of_immutable_is_eperm(connect: Connect) -> None:
    client = connect(0)
    assert_ok(set_attr(client, "test-im.a", "1"), "attr.set")
    # force passes the RUNTIME check; then the immutable value refuses (attr_set).
    assert_error(set_attr(client, "test-im.a", "2", force=True), "attr.set", errno.EPERM)
    assert_ok(set_attr(client, "test-nr.a", "1"), "attr.set")
    assert_ok(set_attr(client, "test-nr.a", "2", force=True), "attr.set")
    assert get(client, "test-nr.a")["value"] == "2"


def test_set_plain_and_active_attributes(connect: Connect) -> None:
    client = connect(0)
    assert golden_value("attr_set('broker.rc2_none','1') plain") is None
    assert_ok(set_attr(client, "broker.rc2_none", "1"), "attr.set")
    assert golden_value("attr_set('log-stderr-level','6') active attr") is None
    assert_ok(set_attr(client, "log-stderr-level", "6"), "attr.set")
    assert get(client, "log-stderr-level") == {"value": "6", "flags": 0}


def test_log_stderr_level_is_checked_by_the_log_service(connect: Connect) -> None:
    """attr.c hands ``log-stderr-level`` to ``log.setattr``, which refuses a
    level above LOG_DEBUG with EINVAL "invalid level"."""
    client = connect(0)
    assert_error(set_attr(client, "log-stderr-level", "8"), "attr.set", errno.EINVAL, "invalid level")
    assert get(client, "log-stderr-level")["value"] == "3"


def test_remove(connect: Connect) -> None:
    client = connect(0)
    assert_ok(set_attr(client, "test.newattr", "v2"), "attr.set")
    assert golden_value("attr_remove('test.newattr')") is None
    assert_ok(client.rpc("attr.rm", {"name": "test.newattr"}), "attr.rm")
    for case in (
        "attr_get('test.newattr') after remove (same handle, cached)",
        "attr_get('test.newattr') after remove (fresh handle)",
    ):
        assert golden_errno(case) == errno.ENOENT
    get_enoent(client, "test.newattr")
    get_enoent(connect(0), "test.newattr")
    for case in ("attr_remove('test.newattr') again", "attr_remove('no.such.attr')"):
        assert golden_value(case) is None
        assert_ok(client.rpc("attr.rm", {"name": case.split("'")[1]}), "attr.rm")
    assert golden_value("attr_remove('version')") is None
    assert_ok(client.rpc("attr.rm", {"name": "version"}), "attr.rm")
    get_enoent(client, "version")


@pytest.mark.parametrize(
    "case",
    [
        "attr_remove('test-im.a') IMMUTABLE",
        "attr_remove('local-uri') IMMUTABLE",
        "attr_remove('rank')",
        "rpc attr.rm {name:rank} raw (errmsg)",
    ],
)
def test_remove_immutable(case: str, connect: Connect) -> None:
    client = connect(0)
    name = "rank" if "raw" in case else case.split("'")[1]
    if name == "test-im.a":
        assert_ok(set_attr(client, name, "1"), "attr.set")
    assert golden_errno(case) == errno.EPERM
    assert golden_future_text("rpc attr.rm {name:rank} raw (errmsg)") is None
    assert_error(client.rpc("attr.rm", {"name": name}), "attr.rm", errno.EPERM)
    assert get(client, name)["flags"] == 1


def test_golden_run_mutations_give_golden_lsattr(connect: Connect) -> None:
    """Repeat what the golden run changed on rank 0; then ``attr.list`` has
    exactly the names its ``flux lsattr`` printed."""
    client = connect(0)
    for name in ("test-nr.a", "test-ro.a", "test-im.a", "broker.rc2_none"):
        assert_ok(set_attr(client, name, "1"), "attr.set")
    assert_ok(set_attr(client, "test.newattr", "v1"), "attr.set")
    assert_ok(client.rpc("attr.rm", {"name": "test.newattr"}), "attr.rm")
    assert_ok(client.rpc("attr.rm", {"name": "version"}), "attr.rm")
    names: List[str] = client.rpc_json("attr.list")["names"]
    assert len(names) == len(set(names))
    assert set(names) == set(lsattr_lines("flux lsattr -v (rank0)"))


def test_set_and_rm_need_a_name(connect: Connect) -> None:
    client = connect(0)
    assert_error(client.rpc("attr.set", {"name": "test.x"}), "attr.set", errno.EPROTO)
    assert_error(client.rpc("attr.rm", {}), "attr.rm", errno.EPROTO)
    assert client.rpc("attr.list").flags & C.FLAG_PAYLOAD


def test_test_rd_namespace_is_redirected(connect: Connect) -> None:
    """``test-rd.*`` updates go to ``testrd.setattr``; with no such service
    the broker's RPC fails and attr.set passes on its error and text."""
    client = connect(0)
    text = "No service matching testrd.setattr is registered"
    assert_error(set_attr(client, "test-rd.a", "1"), "attr.set", errno.ENOSYS, text)
    get_enoent(client, "test-rd.a")
    assert_ok(set_attr(client, "test-rd.a", "1", force=True), "attr.set")  # force skips the redirect
    assert get(client, "test-rd.a") == {"value": "1", "flags": 0}


def test_redirect_to_a_client_service(connect: Connect) -> None:
    client, provider = connect(0), connect(0)
    assert provider.rpc("service.add", {"service": "testrd"}).errnum == 0
    client.request("attr.set", {"name": "test-rd.b", "value": "v"})
    req = provider.recv(timeout=5.0)
    assert req.type == C.MSGTYPE_REQUEST and req.topic == "testrd.setattr"
    assert req.payload == b'{"name":"test-rd.b","value":"v"}\x00'
    provider.send(req.derive_response(None, errno.EPERM))
    # No text from the service: attr.c puts strerror in its place.
    assert_error(client.recv(timeout=5.0), "attr.set", errno.EPERM, "Operation not permitted")
    client.request("attr.set", {"name": "test-rd.b", "value": "w"})
    req = provider.recv(timeout=5.0)
    provider.send(req.derive_response())
    assert_ok(client.recv(timeout=5.0), "attr.set")
    assert get(client, "test-rd.b")["value"] == "w"
