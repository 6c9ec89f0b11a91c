"""What `make demo` runs inside a 4-rank fake instance: ordinary code written
for flux-core's Python API (``import flux``), unchanged."""

from __future__ import annotations

import subprocess

import flux
import flux.job
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


def run_jobs(h: flux.Flux) -> None:
    """Jobs really run: two tasks on two ranks, their output read back through guest.output."""
    spec = flux.job.JobspecV1.from_command(
        ["sh", "-c", "echo task $FLUX_TASK_RANK of $FLUX_JOB_SIZE on $FLUX_URI"], num_tasks=2, num_nodes=2
    )
    spec.environment = {"PATH": "/usr/bin:/bin"}
    jobid = flux.job.submit(h, spec, waitable=True)
    result = flux.job.wait(h, jobid)
    print(f"  job {flux.job.JobID(jobid).f58}: success={result.success}")
    for line in sorted(flux.job.output.job_output(h, jobid).stdout.splitlines()):
        print(f"    {line}")
    failed = flux.job.submit(h, flux.job.JobspecV1.from_command(["false"]), waitable=True)
    print(f"  job running `false`: {flux.job.wait(h, failed).errstr.decode()}")


def flux_command() -> None:
    """fakeflux's `flux` command is on PATH here (and only where fakeflux's package is chosen)."""
    listing = ["flux", "jobs", "-a", "-o", "{id.f58:>12} {status:>10} {ntasks:>6} {name}"]
    for argv in (["flux", "getattr", "size"], listing):
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        print(f"  $ {' '.join(argv)}")
        print("".join(f"    {line}\n" for line in out.splitlines()), end="")


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
    print("jobs")
    run_jobs(h)
    print("the flux command")
    flux_command()


if __name__ == "__main__":
    main()
