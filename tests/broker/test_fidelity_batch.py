"""Small fidelity gaps, each pinned by what flux-core v0.88.0-59 answered in a
fresh ``flux start --test-size=4`` instance (recorded, then written here):

* a ping reaches a loaded module through its broker, whose id shows in the route;
  the id a ping answer ends with is the first one that answered a ping on that
  rank (method.c caches it per broker process);
* the broker's built-in services have no ping method; job-exec and cron are
  loaded on rank 0 only, barrier not at all;
* job-info, job-ingest and resource are loaded on every rank (``module.list``),
  resource refusing rank 0's methods elsewhere;
* the KVS of a fresh instance holds admin.eventlog, resource.R and resource.eventlog.
"""

from __future__ import annotations

import errno
import json
from typing import Callable, List, Optional, Tuple

import fakeflux
from fakeflux.wire import payload_string
from tests.cmd.fluxrun import flux
from tests.rawclient import RawClient


def _route(client: RawClient, service: str, rank: int = 0) -> List[str]:
    return str(client.rpc_json(f"{service}.ping", {}, nodeid=rank)["route"]).split("!")


def _broker_uuid(client: RawClient, rank: int) -> str:
    if rank == 0:
        return str(client.rpc_json("attr.get", {"name": "broker.uuid"})["value"])[:8]
    return _route(client, "broker", rank)[-2]  # the hop into that rank's broker


def _error(client: RawClient, topic: str, rank: int = 0) -> Tuple[int, Optional[str]]:
    resp = client.rpc(topic, {}, nodeid=rank)
    return resp.errnum, payload_string(resp.payload)


def test_module_ping_goes_through_the_broker(connect: Callable[..., RawClient]) -> None:
    """Real, kvs pinged first: 0!kvs (c!conn!B0!K) then 0!broker (c!conn!K),
    2!kvs (c!conn!B0!B2!X) with X the first answerer on rank 2."""
    client = connect(0)
    kvs = _route(client, "kvs")
    broker = _route(client, "broker")
    uuid0 = _broker_uuid(client, 0)
    assert len(kvs) == 4 and kvs[2] == uuid0 and kvs[3] != uuid0  # the kvs module's own id
    assert len(broker) == 3 and broker[2] == kvs[3]  # rank 0's first answer was kvs's
    far = _route(client, "job-info", 2)
    uuid2 = _route(client, "kvs", 2)[3]
    assert len(far) == 5 and far[2:4] == [uuid0, uuid2]
    assert _route(client, "broker", 2)[-1] == far[-1]  # job-info answered rank 2's first ping


def test_broker_ping_first_makes_every_ping_end_with_the_broker(connect: Callable[..., RawClient]) -> None:
    """Real, broker pinged first: 0!broker (c!conn!B0), 0!kvs (c!conn!B0!B0)."""
    client = connect(0)
    uuid0 = _broker_uuid(client, 0)
    assert _route(client, "broker")[2:] == [uuid0]
    assert _route(client, "kvs")[2:] == [uuid0, uuid0]
    assert _route(client, "job-manager")[2:] == [uuid0, uuid0]


def test_pings_refused_as_real_flux_refuses_them(connect: Callable[..., RawClient]) -> None:
    client = connect(0)
    for service in ("attr", "event", "log", "state-machine", "module", "runat", "heaptrace", "bootstrap",
                    "shutdown", "feasibility", "content-backing", "sched"):
        assert _error(client, f"{service}.ping") == (errno.ENOSYS, f"Unknown service method '{service}.ping'")
    for service, rank in (("barrier", 0), ("barrier", 1), ("job-exec", 1), ("cron", 1)):
        text = f"No service matching {service}.ping is registered"
        assert _error(client, f"{service}.ping", rank) == (errno.ENOSYS, text)
    for service in ("config", "overlay", "content", "groups", "rexec", "heartbeat", "job-list", "resource",
                    "job-ingest", "job-exec", "kvs-watch", "job-info", "job-manager", "kvs", "connector-local"):
        assert len(_route(client, service)) == 4, service


# What `flux module list` printed on rank 1 of the real instance (its order is a hash's).
RANK1_MODULES = ["config", "connector-local", "content", "groups", "heartbeat", "job-info", "job-ingest", "kvs",
                 "kvs-watch", "overlay", "resource", "rexec"]


def test_other_ranks_load_job_info_job_ingest_and_resource(connect: Callable[..., RawClient]) -> None:
    client = connect(1)
    mods = client.rpc_json("module.list", {})["mods"]
    assert sorted(m["name"] for m in mods) == RANK1_MODULES
    for service in ("job-info", "job-ingest", "resource"):
        assert len(_route(client, service, 1)) == 4  # answered on rank 1 itself
    text = "this RPC only works on rank 0"
    assert _error(client, "resource.status", 1) == (errno.EPROTO, text)
    assert _error(client, "resource.sched-status", 1) == (errno.EPROTO, text)
    for method in ("drain", "journal", "nosuch"):
        assert _error(client, f"resource.{method}", 1) == (errno.ENOSYS, f"Unknown service method 'resource.{method}'")
    lookup = client.rpc("job-info.lookup", {"id": 1, "keys": ["eventlog"], "flags": 0}, nodeid=1)
    assert (lookup.errnum, payload_string(lookup.payload)) == (errno.ENOENT, "invalid job id")
    assert json.loads(payload_string(client.rpc("job-ingest.getinfo", {}, nodeid=1).payload) or "{}").keys() == {
        "timestamp"}


def test_fresh_kvs_holds_admin_and_resource(instance: fakeflux.Instance) -> None:
    """Real: `flux kvs ls -R .` lists admin (eventlog) and resource (R, eventlog) after
    three commits; drain and undrain are appended to resource.eventlog."""
    uri = instance.uri(0)
    assert flux(uri, "kvs", "ls", "-R", ".").stdout == (
        ".:\nadmin       resource\n\nadmin:\neventlog\n\nresource:\nR           eventlog\n")
    assert flux(uri, "kvs", "version").stdout == "3\n"
    start = json.loads(flux(uri, "kvs", "get", "admin.eventlog").stdout)
    assert start["name"] == "start" and start["context"] == {"version": 1, "core_version": "0.88.0-59-g4a5e79f56"}
    R = flux(uri, "kvs", "get", "resource.R").stdout
    assert R == flux(uri, "resource", "R").stdout.replace(" ", "")  # fakeflux's resources, compact
    assert flux(uri, "resource", "drain", "1", "because").returncode == 0
    assert flux(uri, "resource", "undrain", "1").returncode == 0
    assert instance.core is not None
    host = instance.core.hostname
    entries = [json.loads(line) for line in flux(uri, "kvs", "get", "resource.eventlog").stdout.splitlines() if line]
    assert [(e["name"], e["context"]) for e in entries] == [
        ("resource-define", {"method": "dynamic-discovery"}),
        ("drain", {"idset": "1", "nodelist": host, "reason": "because", "overwrite": 0}),
        ("undrain", {"idset": "1", "nodelist": host, "overwrite": 0}),
    ]
