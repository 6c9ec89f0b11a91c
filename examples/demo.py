"""What `make demo` runs inside a 4-rank fake instance: ordinary code written
for flux-core's Python API (``import flux``), unchanged."""

from __future__ import annotations

import flux
from flux.constants import FLUX_MSGTYPE_REQUEST


def show_ranks(h: flux.Flux) -> int:
    size = int(h.attr_get("size"))
    print(f"connected to rank {h.get_rank()} of an instance of size {size} ({h.attr_get('local-uri')})")
    for rank in range(size):
        level = h.rpc("attr.get", {"name": "tbon.level"}, nodeid=rank).get()["value"]
        print(f"  rank {rank}: tbon.level={level}")
    return size


def ping_all(h: flux.Flux, size: int) -> None:
    for rank in range(size):
        answer = h.rpc("broker.ping", {"seq": rank}, nodeid=rank).get()
        print(f"  ping rank {rank}: route {answer['route']} rolemask {answer['rolemask']}")
    try:
        h.rpc("broker.ping", {}, nodeid=size + 10).get()
    except OSError as exc:
        print(f"  ping rank {size + 10}: {exc}")


def event_roundtrip(h: flux.Flux) -> None:
    h.event_subscribe("demo.")
    h.event_send("demo.hello", {"greeting": "hi"})
    event = h.event_recv()
    print(f"  event {event.topic} payload {event.payload_str} from userid {event.userid}")


def call_a_service() -> None:
    provider = flux.Flux()
    provider.service_register("demo").get()

    def answer(handle: flux.Flux, watcher: object, msg: flux.message.Message, arg: object) -> None:
        handle.respond(msg, {"echo": msg.payload, "served_by_rank": handle.get_rank()})
        handle.reactor_stop()

    watcher = provider.msg_watcher_create(answer, FLUX_MSGTYPE_REQUEST, "demo.*")
    watcher.start()
    caller = flux.Flux(provider.attr_get("local-uri").replace("local-0", "local-2"))
    future = caller.rpc("demo.echo", {"question": 42})
    provider.reactor_run()
    print(f"  rank-2 client called demo.echo, registered by another client: {future.get()}")
    watcher.stop()
    provider.service_unregister("demo").get()


def main() -> None:
    h = flux.Flux()
    print("attributes")
    size = show_ranks(h)
    print("pings")
    ping_all(h, size)
    print("events")
    event_roundtrip(h)
    print("services")
    call_a_service()


if __name__ == "__main__":
    main()
