"""flux.resource: ResourceSet/Rv1Set operations, ResourceCount, and resource_list/resource_status
against a fakeflux instance.  Expected values were recorded from flux-core's bindings (v0.88.0-59)
and, for the services, from a real ``flux start --test-size=4``.
"""

from __future__ import annotations

import importlib
import json
import socket
from typing import Any

import pytest

from .conftest import flux

resource = importlib.import_module("flux.resource")
ResourceSet = resource.ResourceSet
ResourceCount = importlib.import_module("flux.resource.ResourceCount").ResourceCount

R1 = {
    "version": 1,
    "execution": {
        "R_lite": [
            {"rank": "0-3", "children": {"core": "0-3", "gpu": "0"}},
            {"rank": "5", "children": {"core": "0-7"}},
        ],
        "starttime": 0,
        "expiration": 0,
        "nodelist": ["foo[0-3,5]"],
        "properties": {"pdebug": "0-1", "big": "5"},
    },
}
R2 = {
    "version": 1,
    "execution": {
        "R_lite": [{"rank": "2-5", "children": {"core": "0-1"}}],
        "starttime": 10,
        "expiration": 20,
        "nslots": 3,
    },
}


def test_encode_and_summary() -> None:
    a = ResourceSet(R1)
    assert a.dumps() == "rank[0-3]/core[0-3],gpu0 rank5/core[0-7]"
    assert a.encode() == (
        '{"version": 1, "execution": {"R_lite": [{"rank": "0-3", "children": {"core": "0-3", "gpu": "0"}}, '
        '{"rank": "5", "children": {"core": "0-7"}}], "starttime": 0.0, "expiration": 0.0, '
        '"nodelist": ["foo[0-3,5]"], "properties": {"big": "5", "pdebug": "0-1"}}}'
    )
    assert (str(a.nodelist), str(a.ranks), a.nnodes, a.ncores, a.ngpus) == ("foo[0-3,5]", "0-3,5", 5, 24, 4)
    assert (a.get_properties(), a.properties) == ('{"pdebug": "0-1", "big": "5"}', "pdebug,big")
    b = ResourceSet(R2)
    assert b.encode() == (
        '{"version": 1, "execution": {"R_lite": [{"rank": "2-5", "children": {"core": "0-1"}}], '
        '"starttime": 10.0, "expiration": 20.0, "nslots": 3}}'
    )


def test_set_operations() -> None:
    a, b = ResourceSet(R1), ResourceSet(R2)
    a.state = "up"
    union = a.union(b)
    assert (union.dumps(), union.state) == ("rank[0-3]/core[0-3],gpu0 rank4/core[0-1] rank5/core[0-7]", "up")
    assert union.to_dict()["execution"]["nodelist"] == ["foo[0-3],rank4,foo5"]
    assert (a - b).dumps() == "rank[0-1]/core[0-3],gpu0 rank[2-3]/core[2-3],gpu0 rank5/core[2-7]"
    assert (b - a).encode() == (
        '{"version": 1, "execution": {"R_lite": [{"rank": "4", "children": {"core": "0-1"}}], '
        '"starttime": 10.0, "expiration": 20.0}}'
    )
    assert (a & b).dumps() == "rank[2-3]/core[0-3],gpu0 rank5/core[0-7]"
    assert (b & a).dumps() == "rank[2-3,5]/core[0-1]"
    assert json.loads((a & b).get_properties()) == {"big": "5"}


def test_properties_and_ranks() -> None:
    a = ResourceSet(R1)
    assert a.copy().set_property("x", "1-2").get_properties() == '{"pdebug": "0-1", "big": "5", "x": "1-2"}'
    for args, text in [
        (("x", "9"), "ranks 9 not in resource set"),
        (("a^b",), "invalid property name 'a^b': '^' is reserved for constraint negation"),
        (("",), "property name must not be empty"),
        (("x", "zz"), "invalid rank idset 'zz': IDset(): Invalid argument: zz"),
    ]:
        with pytest.raises(ValueError) as info:
            a.copy().set_property(*args)
        assert str(info.value) == text
    assert a.host_ranks("foo[5,1]") == [5, 1]
    assert a.host_ranks("foo[1,9]", ignore_nomatch=True) == [1]
    with pytest.raises(FileNotFoundError, match="^host 'foo9' not found$"):
        a.host_ranks("foo9")
    assert a.copy_ranks("1,5").dumps() == "rank1/core[0-3],gpu0 rank5/core[0-7]"
    assert a.copy().remove_ranks("0-1").dumps() == "rank[2-3]/core[0-3],gpu0 rank5/core[0-7]"


@pytest.mark.parametrize(
    "constraint,result",
    [
        ({"properties": ["pdebug"]}, "rank[0-1]/core[0-3],gpu0"),
        ({"properties": ["^pdebug"]}, "rank[2-3]/core[0-3],gpu0 rank5/core[0-7]"),
        ({"hostlist": ["foo[1-3]"]}, "rank[1-3]/core[0-3],gpu0"),
        ({"or": [{"properties": ["big"]}, {"ranks": ["0"]}]}, "rank0/core[0-3],gpu0 rank5/core[0-7]"),
        ('{"ranks": ["2"]}', "rank2/core[0-3],gpu0"),
    ],
)
def test_copy_constraint(constraint: Any, result: str) -> None:
    assert ResourceSet(R1).copy_constraint(constraint).dumps() == result


@pytest.mark.parametrize(
    "constraint,error",
    [
        ({"foo": []}, "unknown constraint operator(s): ['foo']"),
        ({"and": {}}, "'and' operand must be a list, got dict"),
        ({"not": []}, "'not' operand must be a non-empty list, got []"),
        ({"properties": [1]}, "property constraint must be a string, got int"),
    ],
)
def test_copy_constraint_errors(constraint: Any, error: str) -> None:
    with pytest.raises(ValueError) as info:
        ResourceSet(R1).copy_constraint(constraint)
    assert str(info.value) == error


@pytest.mark.parametrize(
    "arg,exc,text",
    [
        (42, TypeError, "ResourceSet cannot be instantiated from <class 'int'>"),
        ({"version": 2}, ValueError, "R version 2 not supported"),
        ({}, KeyError, "'version'"),
        ({"version": 1, "execution": {"R_lite": [{"rank": "x"}]}}, ValueError, "IDset(): Invalid argument: x"),
    ],
)
def test_bad_resource_sets(arg: Any, exc: type, text: str) -> None:
    with pytest.raises(exc) as info:
        ResourceSet(arg)
    assert str(info.value) == text


def test_scheduling_key_kept_on_request() -> None:
    r = {"version": 1, "execution": {"R_lite": []}, "scheduling": {"x": 1}}
    assert json.loads(ResourceSet(r, keep_scheduling=True).encode())["scheduling"] == {"x": 1}
    assert "scheduling" not in json.loads(ResourceSet(r).encode())


@pytest.mark.parametrize(
    "spec,text,counts",
    [
        (4, "ResourceCount(4, 4)", [4]),
        ({"min": 2}, "ResourceCount(2, None)", [6, 5, 4, 3, 2]),
        ({"min": 2, "max": 8, "operator": "*", "operand": 2}, "ResourceCount(2, 8, values=IDset('2,4,8'))", [4, 2]),
        ("2-8:2:*", "ResourceCount(2, 8, values=IDset('2,4,8'))", [4, 2]),
        ("[1,7-9]", "ResourceCount(1, 9, values=IDset('1,7-9'))", [1]),
        (1.5, "ResourceCount(1, 1)", [1]),
    ],
)
def test_resource_count(spec: Any, text: str, counts: list) -> None:
    count = ResourceCount.from_count_spec(spec)
    assert repr(count) == text
    assert list(count.valid_counts(6)) == counts


@pytest.mark.parametrize(
    "spec,text",
    [
        (0, "RFC 14 count: integer count must be >= 1, got 0"),
        ("2-1", "RFC 14 count: max must be >= min, got max=1 min=2"),
        ("1-8:2:^", "RFC 14 count: operator '^' requires min >= 2, got 1"),
        ("2+:2:*", "RFC 45 unbounded count with operator='*' operand=2 cannot be expanded to a finite set"),
    ],
)
def test_resource_count_errors(spec: Any, text: str) -> None:
    with pytest.raises(ValueError) as info:
        ResourceCount.from_count_spec(spec)
    assert str(info.value) == text


def test_resource_list_and_status_from_the_broker(uri: str) -> None:
    """What a 4-rank instance reports (a real one answers the same, with its own host and cores)."""
    handle = flux.Flux(uri)
    rlist = resource.resource_list(handle).get()
    assert list(rlist.all.nodelist) == [socket.gethostname()] * 4
    assert str(rlist.all.ranks) == "0-3"
    assert (rlist.down.nnodes, rlist.allocated.nnodes) == (0, 0)
    assert (rlist.free.dumps(), rlist.free.state, rlist["up"].state) == (rlist.all.dumps(), "free", "up")
    status = resource.resource_status(handle).get()
    assert [str(status[s]) for s in ("all", "avail", "online", "offline", "drained", "allocated")] == [
        "0-3",
        "0-3",
        "0-3",
        "",
        "",
        "",
    ]
    with pytest.raises(ValueError):
        status.get_drain_info(7)
