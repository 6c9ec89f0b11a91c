"""Controlling an instance from a test: ranks down and up, faults, services
hosted in the broker, events, attributes, config, the log and the trace."""

from __future__ import annotations

import errno
import time
from typing import Any, Iterator

import pytest

from fakeflux import Instance
from fakeflux.broker.modules.python_service import ServiceRequest


def test_rank_down_disconnects_its_clients_and_routes_fail(flux_instance: Instance, flux_handle: Any) -> None:
    import flux  # type: ignore[import-not-found]

    on_rank2 = flux.Flux(flux_instance.uri(2))
    assert on_rank2.get_rank() == 2
    flux_instance.rank_down(2)
    with pytest.raises(OSError) as exc:
        flux_handle.rpc("broker.ping", {}, nodeid=2).get()
    assert exc.value.errno == errno.EHOSTUNREACH
    with pytest.raises(OSError):
        on_rank2.rpc("broker.ping", {}).get()  # its connection was closed
    with pytest.raises(FileNotFoundError):
        flux.Flux(flux_instance.uri(2))  # the socket is gone
    assert flux_handle.rpc("broker.ping", {}, nodeid=3).get()["rank"] == 3
    flux_instance.rank_up(2)
    assert flux.Flux(flux_instance.uri(2)).rpc("broker.ping", {}).get()["rank"] == 2


@pytest.mark.flux_instance(size=7, attrs={"tbon.topo": "kary:2"})
def test_rank_down_takes_its_subtree_down(flux_instance: Instance, flux_handle: Any) -> None:
    flux_instance.rank_down(1)  # ranks 3 and 4 hang below 1
    for rank in (1, 3, 4):
        with pytest.raises(OSError) as exc:
            flux_handle.rpc("broker.ping", {}, nodeid=rank).get()
        assert exc.value.errno == errno.EHOSTUNREACH
    assert flux_handle.rpc("broker.ping", {}, nodeid=6).get()["rank"] == 6


def test_rank_zero_cannot_go_down(flux_instance: Instance) -> None:
    with pytest.raises(ValueError, match="rank 0 cannot go down"):
        flux_instance.rank_down(0)


def test_injected_error_with_count(flux_instance: Instance, flux_handle: Any) -> None:
    fault = flux_instance.inject("attr.get", errnum="ENOENT", text="injected", count=1)
    with pytest.raises(FileNotFoundError, match="injected"):
        flux_handle.rpc("attr.get", {"name": "size"}).get()
    assert flux_handle.rpc("attr.get", {"name": "size"}).get()["value"] == "4"
    assert fault.hits == 1


def test_injected_error_only_on_one_rank(flux_instance: Instance, flux_handle: Any) -> None:
    flux_instance.inject("broker.ping", rank=3, errnum=errno.EIO)
    assert flux_handle.rpc("broker.ping", {}, nodeid=1).get()["rank"] == 1
    with pytest.raises(OSError) as exc:
        flux_handle.rpc("broker.ping", {}, nodeid=3).get()
    assert exc.value.errno == errno.EIO


def test_injected_error_for_a_service_nobody_provides(flux_instance: Instance, flux_handle: Any) -> None:
    flux_instance.inject("job-ingest.submit", errnum="EAGAIN", text="queue full")
    with pytest.raises(OSError, match="queue full"):
        flux_handle.rpc("job-ingest.submit", {}).get()
    flux_instance.inject("nosvc.*", errnum="EPERM")
    with pytest.raises(PermissionError):
        flux_handle.rpc("nosvc.x", {}).get()


def test_injected_delay_and_drop(flux_instance: Instance, flux_handle: Any) -> None:
    flux_instance.inject("broker.ping", delay=0.2, count=1)
    start = time.monotonic()
    assert flux_handle.rpc("broker.ping", {}).get()["rank"] == 0
    assert time.monotonic() - start >= 0.2
    drop = flux_instance.inject("attr.get", drop=True, count=1)
    with pytest.raises(TimeoutError):
        flux_handle.rpc("attr.get", {"name": "size"}).wait_for(0.3)
    assert drop.hits == 1
    flux_instance.remove_fault(drop)


def test_fault_arguments_are_checked(flux_instance: Instance) -> None:
    with pytest.raises(ValueError, match="say what the fault does"):
        flux_instance.inject("x.y")
    with pytest.raises(ValueError, match="unknown errno name 'ENOPE'"):
        flux_instance.inject("x.y", errnum="ENOPE")


def test_hosted_service_returns_raises_and_streams(flux_instance: Instance, flux_handle: Any) -> None:
    import flux

    seen = []

    def kvs(req: ServiceRequest) -> Any:
        seen.append((req.topic, req.payload, req.rank))
        if req.topic == "kvs.lookup":
            if req.payload["key"] == "missing":
                raise FileNotFoundError(errno.ENOENT, "no such key")
            return {"value": 42}
        if req.topic == "kvs.watch":
            return (n for n in range(3))
        return "plain text"

    flux_instance.add_service("kvs", kvs, replace=True)
    assert flux_handle.rpc("kvs.lookup", {"key": "a"}).get() == {"value": 42}
    with pytest.raises(FileNotFoundError, match="no such key"):
        flux_handle.rpc("kvs.lookup", {"key": "missing"}).get()
    assert flux_handle.rpc("kvs.other").get_str() == "plain text"
    stream = flux_handle.rpc("kvs.watch", {}, flags=flux.constants.FLUX_RPC_STREAMING)
    values = []
    while True:
        try:
            values.append(stream.get())
        except OSError as exc:
            assert exc.errno == errno.ENODATA
            break
        stream.reset()
    assert values == [0, 1, 2]
    # From another rank the request travels up to rank 0, where the service is.
    assert flux.Flux(flux_instance.uri(3)).rpc("kvs.lookup", {"key": "b"}).get() == {"value": 42}
    assert seen[0] == ("kvs.lookup", {"key": "a"}, 0)


def test_hosted_service_bug_is_answered_and_logged(flux_instance: Instance, flux_handle: Any) -> None:
    def broken(req: ServiceRequest) -> Iterator[int]:
        raise KeyError("oops")

    flux_instance.add_service("broken", broken, rank=1)
    with pytest.raises(OSError, match="KeyError"):
        flux_handle.rpc("broken.x", {}, nodeid=1).get()
    assert any("service broken: KeyError" in line for line in flux_instance.dmesg(rank=1))


def test_publish_setattr_config(flux_instance: Instance, flux_handle: Any) -> None:
    flux_handle.event_subscribe("ctl.")
    seq = flux_instance.publish("ctl.hello", {"x": 1})
    event = flux_handle.event_recv()
    assert (event.topic, event.payload) == ("ctl.hello", {"x": 1})
    assert seq >= 1
    flux_instance.setattr("test.ctl", "v", rank=0)
    assert flux_handle.attr_get("test.ctl") == "v"
    assert flux_instance.getattr("test.ctl", rank=1) is None
    flux_instance.set_config({"resource": {"noverify": True}})
    assert flux_handle.rpc("config.get").get() == {"resource": {"noverify": True}}


def test_dmesg_and_trace(flux_instance: Instance, flux_handle: Any) -> None:
    flux_handle.log(3, "something went wrong")
    flux_handle.rpc("broker.ping", {"mark": 1}).get()
    assert any("something went wrong" in line and ".err[0]" in line for line in flux_instance.dmesg())
    trace = flux_instance.format_trace()
    assert "-> request broker.ping" in trace and '{"mark": 1}' in trace
    assert "<- response broker.ping" in trace


def test_requests_in_flight_to_a_lost_rank_fail_with_ehostunreach(flux_instance: Instance, flux_handle: Any) -> None:
    import flux

    provider = flux.Flux(flux_instance.uri(3))
    provider.service_register("slow").get()  # registered on rank 3; never answers
    future = flux_handle.rpc("slow.op", {}, nodeid=3)
    with pytest.raises(TimeoutError):
        future.wait_for(0.2)
    flux_instance.rank_down(3)
    with pytest.raises(OSError) as exc:
        future.get()
    assert exc.value.errno == errno.EHOSTUNREACH


def test_replacing_services_is_explicit(flux_instance: Instance) -> None:
    with pytest.raises(ValueError, match="pass replace=True"):
        flux_instance.add_service("kvs", lambda req: None)
    with pytest.raises(ValueError, match="part of the broker itself"):
        flux_instance.add_service("attr", lambda req: None, replace=True)
    flux_instance.add_service("barrier", lambda req: {"ok": 1})  # a placeholder: taken over at once
