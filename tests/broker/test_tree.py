"""A deeper tree (``tbon.topo=kary:2``, 8 ranks): tbon attributes, one
route hop per broker a request passes (up to the common ancestor, then
down), responses back along the same path, events on every rank.

    0
    ├─ 1
    │  ├─ 3
    │  │  └─ 7
    │  └─ 4
    └─ 2
       ├─ 5
       └─ 6
"""

from __future__ import annotations

import errno
from typing import Dict, Iterator, List, Optional

import pytest

import fakeflux
from fakeflux.wire import Message
from fakeflux.wire import constants as C
from tests.broker.golden import LOCAL_ROLES, REMOTE_ROLES, assert_error, assert_response, response_json
from tests.rawclient import RawClient

SIZE = 8
PARENT: Dict[int, Optional[int]] = {0: None, 1: 0, 2: 0, 3: 1, 4: 1, 5: 2, 6: 2, 7: 3}
LEVEL = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 2, 7: 3}
DESCENDANTS = {0: 7, 1: 3, 2: 2, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0}


def ancestors(rank: int) -> List[int]:
    """``rank`` and its ancestors up to rank 0."""
    path = [rank]
    parent = PARENT[rank]
    while parent is not None:
        path.append(parent)
        parent = PARENT[parent]
    return path


def path(src: int, dst: int) -> List[int]:
    """The brokers a request passes: up to the common ancestor, then down."""
    up, down = ancestors(src), ancestors(dst)
    common = next(r for r in up if r in down)
    return up[: up.index(common) + 1] + list(reversed(down[: down.index(common)]))


@pytest.fixture(scope="module")
def tree() -> Iterator[fakeflux.Instance]:
    with fakeflux.Instance(size=SIZE, attrs={"tbon.topo": "kary:2"}) as inst:
        yield inst


@pytest.fixture(scope="module")
def clients(tree: fakeflux.Instance) -> Iterator[Dict[int, RawClient]]:
    made = {rank: RawClient(tree.uri(rank)) for rank in range(SIZE)}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(scope="module")
def ids(clients: Dict[int, RawClient]) -> Dict[int, str]:
    return {r: c.rpc_json("attr.get", {"name": "broker.uuid"})["value"] for r, c in clients.items()}


def attr(client: RawClient, name: str) -> Optional[str]:
    resp = client.rpc("attr.get", {"name": name})
    if resp.errnum == errno.ENOENT:
        return None
    return str(response_json(resp)["value"])


@pytest.mark.parametrize("rank", range(SIZE))
def test_tbon_attributes(rank: int, tree: fakeflux.Instance, clients: Dict[int, RawClient]) -> None:
    c = clients[rank]
    assert attr(c, "rank") == str(rank)
    assert attr(c, "size") == str(SIZE)
    assert attr(c, "tbon.topo") == "kary:2"
    assert attr(c, "tbon.level") == str(LEVEL[rank])
    assert attr(c, "tbon.maxlevel") == "3"
    assert attr(c, "tbon.descendants") == str(DESCENDANTS[rank])
    has_children = DESCENDANTS[rank] > 0
    want_endpoint = f"ipc://{tree.rundir}/tbon-{rank}" if has_children else None
    assert attr(c, "tbon.endpoint") == want_endpoint
    parent = PARENT[rank]
    want_parent = None if parent is None else f"ipc://{tree.rundir}/tbon-{parent}"
    assert attr(c, "tbon.parent-endpoint") == want_parent
    assert attr(c, "broker.mapping") == f"[[0,1,{SIZE},1]]"
    assert attr(c, "local-uri") == tree.uri(rank)


PAIRS = [(7, 6), (6, 7), (7, 0), (0, 7), (3, 4), (4, 3), (5, 5), (7, 3), (1, 6)]


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_ping_route_has_one_hop_per_broker(
    src: int, dst: int, clients: Dict[int, RawClient], ids: Dict[int, str]
) -> None:
    resp = clients[src].rpc("broker.ping", {"n": dst}, nodeid=dst)
    rolemask = LOCAL_ROLES if src == dst else REMOTE_ROLES
    assert_response(resp, "broker.ping", rolemask=rolemask)
    answer = response_json(resp)
    assert answer["rank"] == dst and answer["n"] == dst and answer["rolemask"] == rolemask
    hops = answer["route"].split("!")
    assert hops[2:] == [ids[r][:8] for r in path(src, dst)]


@pytest.mark.parametrize("src", [1, 3, 7, 6])
def test_upstream_goes_to_the_parent(src: int, clients: Dict[int, RawClient], ids: Dict[int, str]) -> None:
    parent = PARENT[src]
    assert parent is not None
    resp = clients[src].rpc("broker.ping", {}, nodeid=src, flags=C.FLAG_UPSTREAM)
    assert_response(resp, "broker.ping", rolemask=REMOTE_ROLES, extra_flags=C.FLAG_UPSTREAM)
    answer = response_json(resp)
    assert answer["rank"] == parent
    assert answer["route"].split("!")[2:] == [ids[src][:8], ids[parent][:8]]


def test_unknown_service_goes_all_the_way_up(clients: Dict[int, RawClient]) -> None:
    resp = clients[7].rpc("nosuch.method", {})
    text = "No service matching nosuch.method is registered"
    assert_error(resp, "nosuch.method", errno.ENOSYS, text, rolemask=REMOTE_ROLES)
    resp = clients[7].rpc("broker.ping", {}, nodeid=SIZE)
    assert_error(resp, "broker.ping", errno.EHOSTUNREACH, rolemask=REMOTE_ROLES)


def test_events_reach_every_rank(clients: Dict[int, RawClient]) -> None:
    for c in clients.values():
        assert c.rpc("event.subscribe", {"topic": "tree."}).errnum == 0
    clients[7].send(Message.event("tree.raw", b"{}\x00", routes=[]))
    resp = clients[5].rpc("event.publish", {"topic": "tree.rpc", "flags": 0}, nodeid=0)
    assert resp.errnum == 0
    seq = response_json(resp)["seq"]
    for rank, c in clients.items():
        got = [c.recv(timeout=5.0) for _ in range(2)]
        assert [m.topic for m in got] == ["tree.raw", "tree.rpc"], rank
        assert [m.seq for m in got] == [seq - 1, seq]
        assert all(m.type == C.MSGTYPE_EVENT and m.rolemask & C.ROLE_OWNER for m in got)
        assert c.recv_nothing(0.01)
    for c in clients.values():
        assert c.rpc("event.unsubscribe", {"topic": "tree."}).errnum == 0


def test_service_on_a_leaf_reached_from_another_leaf(tree: fakeflux.Instance, ids: Dict[int, str]) -> None:
    with RawClient(tree.uri(7)) as provider, RawClient(tree.uri(5)) as requester:
        assert provider.rpc("service.add", {"service": "leafsvc"}).errnum == 0
        requester.request("leafsvc.hi", {}, nodeid=7)
        req = provider.recv(timeout=5.0)
        assert req.type == C.MSGTYPE_REQUEST and req.topic == "leafsvc.hi"
        # Brokers most recent first (7 3 1 0 2 5), then rank 5's connector and the requester.
        assert req.routes is not None and len(req.routes) == 8
        assert req.routes[:6] == [ids[r] for r in reversed(path(5, 7))]
        assert req.rolemask == REMOTE_ROLES
        provider.send(req.derive_response(b'{"ok": true}\x00'))
        resp = requester.recv(timeout=5.0)
        assert_response(resp, "leafsvc.hi", rolemask=REMOTE_ROLES)
        assert resp.payload == b'{"ok": true}\x00'
