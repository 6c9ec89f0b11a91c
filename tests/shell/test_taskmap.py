"""Task maps: the RFC 34 blocks, and the two texts the shell derives from them.

Expected values come from flux-core's libtaskmap unit tests (its test
vectors, as facts) and from real ``flux run`` (``-N2 -n4`` gives
``(vector,(0,2,2))`` and ``{"version":1,"map":[[0,2,2,1]]}``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeflux.shell import TaskMap

# RFC 34 map -> tasks of each node (libtaskmap's "raw" vectors)
RFC34_VECTORS = [
    ("[[0,1,1,1]]", "0"),
    ("[[0,2,1,1]]", "0;1"),
    ("[[0,1,2,1]]", "0-1"),
    ("[[0,2,2,1]]", "0-1;2-3"),
    ("[[0,2,1,2]]", "0,2;1,3"),
    ("[[1,1,1,1],[0,1,1,1]]", "1;0"),
    ("[[0,4,1,4]]", "0,4,8,12;1,5,9,13;2,6,10,14;3,7,11,15"),
    ("[[0,4,2,2]]", "0-1,8-9;2-3,10-11;4-5,12-13;6-7,14-15"),
    ("[[0,4,2,1],[4,2,4,1]]", "0-1;2-3;4-5;6-7;8-11;12-15"),
    ("[[0,6,1,2],[4,2,1,2]]", "0,6;1,7;2,8;3,9;4,10,12,14;5,11,13,15"),
    ("[[5,1,4,1],[4,1,4,1],[3,1,2,1],[2,1,2,1],[1,1,2,1],[0,1,2,1]]", "14-15;12-13;10-11;8-9;4-7;0-3"),
    ("[[3,1,4,1],[2,1,4,1],[1,1,4,1],[0,1,4,1]]", "12-15;8-11;4-7;0-3"),
]

PMI_VECTORS = [
    ("[[0,4,4,1]]", "(vector,(0,4,4))"),
    ("[[0,4,2,1],[4,2,4,1]]", "(vector,(0,4,2),(4,2,4))"),
    ("[[0,4,1,4]]", "(vector,(0,4,1),(0,4,1),(0,4,1),(0,4,1))"),
    ("[[0,4096,256,1]]", "(vector,(0,4096,256))"),
]


def _idset(text: str) -> list[int]:
    ids: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        ids += range(int(lo), int(hi or lo) + 1)
    return ids


@pytest.mark.parametrize(("text", "raw"), RFC34_VECTORS)
def test_rfc34_vectors(text: str, raw: str) -> None:
    tm = TaskMap.decode(text)
    nodes = tm.task_nodes()
    by_node = [_idset(part) for part in raw.split(";")]
    for nodeid, tasks in enumerate(by_node):
        assert [t for t, n in enumerate(nodes) if n == nodeid] == tasks
    assert tm.blocks() == TaskMap.decode('{"version":1,"map":' + text + "}").blocks()


@pytest.mark.parametrize(("text", "pmi"), PMI_VECTORS)
def test_pmi_mapping_vectors(text: str, pmi: str) -> None:
    assert TaskMap.decode(text).encode_pmi() == pmi


def test_the_shells_default_maps() -> None:
    assert TaskMap.block([2, 2]).encode() == '{"version":1,"map":[[0,2,2,1]]}'
    assert TaskMap.block([2, 2]).encode_pmi() == "(vector,(0,2,2))"
    assert TaskMap.block([4]).encode() == '{"version":1,"map":[[0,1,4,1]]}'
    assert TaskMap.block([4]).encode_pmi() == "(vector,(0,1,4))"
    assert TaskMap.block([2, 1, 1]).blocks() == [[0, 1, 2, 1], [1, 2, 1, 1]]
    tm = TaskMap.block([3, 3, 2])
    assert (tm.ntasks, tm.nnodes, tm.task_nodes()) == (8, 3, [0, 0, 0, 1, 1, 1, 2, 2])


def test_appending_task_by_task_merges_as_libtaskmap() -> None:
    assert TaskMap.from_task_nodes([0, 1, 0, 1]).blocks() == [[0, 2, 1, 2]]
    assert TaskMap.from_task_nodes([0, 0, 1, 1]).blocks() == [[0, 1, 2, 1], [1, 1, 2, 1]]
    assert TaskMap.from_task_nodes([1, 0]).blocks() == [[1, 1, 1, 1], [0, 1, 1, 1]]


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40))
def test_any_placement_round_trips(nodes: list[int]) -> None:
    tm = TaskMap.from_task_nodes(nodes)
    assert tm.task_nodes() == nodes
    assert TaskMap.decode(tm.encode()).task_nodes() == nodes


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "taskmap is not JSON"),
        ("{}", "must be"),
        ('{"version":2,"map":[]}', "must be"),
        ("7", "taskmap must be an object or array"),
        ("[]", "taskmap is empty"),
        ("[[0,1,1]]", "entry 0 in taskmap is not an array of 4 integers"),
        ("[[0,1,1,true]]", "entry 0"),
        ("[[0,1,0,1]]", r"invalid entry \[0,1,0,1\]"),
    ],
)
def test_bad_maps(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TaskMap.decode(text)


def test_bad_appends() -> None:
    with pytest.raises(ValueError, match="invalid taskmap entry"):
        TaskMap.block([2, 0])
    with pytest.raises(ValueError, match="at least one"):
        TaskMap.block([])
