"""``flux queue list/status/start/stop/enable/disable/drain`` on an instance without named queues.

Expectations: flux-core v0.88.0-59 printed these for the same commands (see
``listing.py`` for the recording and what is normalized); fakeflux must print the same.
"""

# ruff: noqa: E501 - recorded lines are as wide as flux-core prints them

from __future__ import annotations

import pytest

import fakeflux

from .fluxrun import flux
from .listing import Case, case_id, check, check_all, check_fresh, submit_shapes

READ_CASES = [
    Case(
        ["queue", "list"],
        (
            " EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            " \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-n"],
        " \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf        0-4        0-8        0-0\n",
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "help"],
        (
            "\n"
            "Configured flux-queue output formats:\n"
            "\n"
            "  default      Default flux-queue list format string\n"
            "  policy       flux-queue list with policy limits only\n"
            "  nodes        Show queue status plus all/up/allocated/free nodes\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "policy"],
        (
            " EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            " \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf      0-inf      0-inf      0-inf\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "nodes"],
        (
            " EN ST  NODES   NODES:UP NODES:DOWN NODES:ALLOC NODES:FREE\n"
            " \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      4          4          0           0          4\n"
        ),
        "",
        0,
    ),
    Case(
        [
            "queue",
            "list",
            "-o",
            "{queue} {queuem} {submission} {scheduling} {enabled.ascii} {started.ascii} {limits.min.nnodes} {limits.max.ncores} {resources.free.ncores} {resources.up.nnodes}",
        ],
        ("QUEUE QUEUE SUBMIT SCHED EN ST MINNODES MAXCORES CORES:FREE NODES:UP\n  enabled started y y 0 inf 8 4\n"),
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        ("Job submission is enabled\nScheduling is started\n"),
        "",
        0,
    ),
    Case(
        ["queue", "status", "batch"],
        "",
        "flux-queue: ERROR: status: 'batch' is not a valid queue\n",
        1,
    ),
    Case(
        ["queue", "start", "batch"],
        "",
        "flux-queue: ERROR: start: 'batch' is not a valid queue\n",
        1,
    ),
    Case(
        ["queue", "-q", "x", "status", "y"],
        "",
        (
            "usage: flux-queue [-h] {list,status,enable,disable,start,stop,drain,idle} ...\n"
            "flux-queue: error: argument subcommand: invalid choice: 'x' (choose from 'list', 'status', 'enable', 'disable', 'start', 'stop', 'drain', 'idle')\n"
        ),
        2,
    ),
    Case(
        ["queue", "status", "-q", "x", "y"],
        "",
        "flux-queue: ERROR: Conflicting queues specified as --queue=x and y\n",
        1,
    ),
    Case(
        ["queue", "bogus"],
        "",
        (
            "usage: flux-queue [-h] {list,status,enable,disable,start,stop,drain,idle} ...\n"
            "flux-queue: error: argument subcommand: invalid choice: 'bogus' (choose from 'list', 'status', 'enable', 'disable', 'start', 'stop', 'drain', 'idle')\n"
        ),
        2,
    ),
    Case(
        ["queue"],
        "",
        (
            "usage: flux-queue [-h] {list,status,enable,disable,start,stop,drain,idle} ...\n"
            "flux-queue: error: the following arguments are required: subcommand\n"
        ),
        2,
    ),
    Case(
        ["queue", "list", "-q", "nosuch"],
        "",
        "flux-queue: ERROR: No such queue: nosuch\n",
        1,
    ),
    Case(
        ["queue", "drain"],
        "",
        "",
        0,
    ),
    Case(
        ["queue", "drain", "-t", "bogus"],
        "",
        "flux-queue: ERROR: invalid Flux standard duration\n",
        1,
    ),
    Case(
        ["queue", "list", "--help"],
        (
            "usage: flux-queue list [-h] [-q QUEUE,...] [-o FORMAT] [-n]\n"
            "\n"
            "options:\n"
            "  -h, --help             show this help message and exit\n"
            "  -q, --queue=QUEUE,...  Include only specified queues in output\n"
            "  -o, --format=FORMAT    Specify output format using Python's string format\n"
            "                         syntax or a defined format by name (use 'help' to get\n"
            "                         a list of names)\n"
            "  -n, --no-header        Suppress header output\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "stop", "--help"],
        (
            "usage: flux-queue stop [-h] [-a] [--quiet] [-v] [--nocheckpoint] [-m REASON]\n"
            "                       [QUEUE]\n"
            "\n"
            "positional arguments:\n"
            "  QUEUE                 Queue to stop\n"
            "\n"
            "options:\n"
            "  -h, --help            show this help message and exit\n"
            "  -a, --all             Force command to apply to all queues if none specified\n"
            "      --quiet           Display only errors\n"
            "  -v, --verbose         Display more detail about internal job manager state\n"
            "      --nocheckpoint    Do not checkpoint that the queue has been stopped\n"
            "  -m, --message=REASON  Add reason that a queue is stopped\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "status", "--help"],
        (
            "usage: flux-queue status [-h] [-v] [QUEUE]\n"
            "\n"
            "positional arguments:\n"
            "  QUEUE          Queue to status\n"
            "\n"
            "options:\n"
            "  -h, --help     show this help message and exit\n"
            "  -v, --verbose  Display more detail about internal job manager state\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "--help"],
        (
            "usage: flux-queue [-h] {list,status,enable,disable,start,stop,drain,idle} ...\n"
            "\n"
            "options:\n"
            "  -h, --help                            show this help message and exit\n"
            "\n"
            "subcommands:\n"
            "\n"
            "  {list,status,enable,disable,start,stop,drain,idle}\n"
        ),
        "",
        0,
    ),
]

CONTROL_SEQUENCE = [
    Case(
        ["queue", "stop"],
        "Scheduling is stopped\n",
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        ("Job submission is enabled\nScheduling is stopped\n"),
        "",
        0,
    ),
    Case(
        ["queue", "list"],
        (
            " EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            " \u001b[01;32m ✔\u001b[0;0m \u001b[01;31m ✗\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "stop", "-m", "maint"],
        "Scheduling is stopped: maint\n",
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        ("Job submission is enabled\nScheduling is stopped: maint\n"),
        "",
        0,
    ),
    Case(
        ["queue", "start"],
        "Scheduling is started\n",
        "",
        0,
    ),
    Case(
        ["queue", "start", "--quiet"],
        "",
        "",
        0,
    ),
    Case(
        ["queue", "disable", "going down"],
        "",
        "flux-queue: ERROR: enable: 'going down' is not a valid queue\n",
        1,
    ),
    Case(
        ["queue", "disable", "-m", "going down"],
        "Job submission is disabled: going down\n",
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        ("Job submission is disabled: going down\nScheduling is started\n"),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "{submission} {scheduling}"],
        ("SUBMIT SCHED\ndisabled started\n"),
        "",
        0,
    ),
    Case(
        ["queue", "enable"],
        "Job submission is enabled\n",
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        ("Job submission is enabled\nScheduling is started\n"),
        "",
        0,
    ),
]


# With two named queues (debug with a 10m limit; batch the default), as
#   [queues.debug.policy.limits] duration = "10m"; [queues.batch]
#   [policy.jobspec.defaults.system] queue = "batch"
# Named queues start stopped; the test then starts them all and runs a 4-node job.
NAMED_QUEUES_CONFIG = {
    "queues": {"debug": {"policy": {"limits": {"duration": "10m"}}}, "batch": {}},
    "policy": {"jobspec": {"defaults": {"system": {"queue": "batch"}}}},
}

NAMED_QUEUES_BEFORE = [
    Case(
        ["queue", "list"],
        (
            "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;31m ✗\u001b[0;0m      inf <T>        0-4        0-8        0-0\n"
            "batch*   \u001b[01;32m ✔\u001b[0;0m \u001b[01;31m ✗\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
]

# both named queues enabled and started
BOTH_RUNNING_LIST = Case(
    ["queue", "list"],
    (
        "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
        "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf <T>        0-4        0-8        0-0\n"
        "batch*   \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
    ),
    "",
    0,
)

NAMED_QUEUES_SEQUENCE = [
    BOTH_RUNNING_LIST,
    BOTH_RUNNING_LIST,
    Case(
        ["queue", "list", "-q", "debug"],
        (
            "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf <T>        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "policy"],
        (
            "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf <T>      0-inf      0-inf      0-inf\n"
            "batch*   \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf      0-inf      0-inf      0-inf\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list", "-o", "nodes"],
        (
            "QUEUE    EN ST  NODES   NODES:UP NODES:DOWN NODES:ALLOC NODES:FREE\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      4          4          0           4          4\n"
            "batch*   \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      4          4          0           4          4\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        (
            "batch: Job submission is enabled\n"
            "batch: Scheduling is started\n"
            "debug: Job submission is enabled\n"
            "debug: Scheduling is started\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "status", "debug"],
        ("debug: Job submission is enabled\ndebug: Scheduling is started\n"),
        "",
        0,
    ),
    Case(
        ["queue", "stop"],
        "",
        "flux-queue: ERROR: Named queues are defined. Specify queues or use --all.\n",
        1,
    ),
    Case(
        ["queue", "stop", "debug"],
        "debug: Scheduling is stopped\n",
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        (
            "batch: Job submission is enabled\n"
            "batch: Scheduling is started\n"
            "debug: Job submission is enabled\n"
            "debug: Scheduling is stopped\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "list"],
        (
            "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;31m ✗\u001b[0;0m      inf <T>        0-4        0-8        0-0\n"
            "batch*   \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
    Case(
        ["uptime"],
        " <CLOCK> run <T>,  owner root,  depth 0,  size 4\n",
        "",
        0,
    ),
    Case(
        ["queue", "start", "--all"],
        ("batch: Scheduling is started\ndebug: Scheduling is started\n"),
        "",
        0,
    ),
    Case(
        ["queue", "disable", "-m", "no", "batch"],
        "batch: Job submission is disabled: no\n",
        "",
        0,
    ),
    Case(
        ["queue", "list"],
        (
            "QUEUE    EN ST TDEFAULT   TLIMIT     NNODES     NCORES      NGPUS\n"
            "debug    \u001b[01;32m ✔\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf <T>        0-4        0-8        0-0\n"
            "batch*   \u001b[01;31m ✗\u001b[0;0m \u001b[01;32m ✔\u001b[0;0m      inf      inf        0-4        0-8        0-0\n"
        ),
        "",
        0,
    ),
    Case(
        ["queue", "status"],
        (
            "batch: Job submission is disabled: no\n"
            "batch: Scheduling is started\n"
            "debug: Job submission is enabled\n"
            "debug: Scheduling is started\n"
        ),
        "",
        0,
    ),
    Case(
        ["uptime"],
        " <CLOCK> run <T>,  owner root,  depth 0,  size 4\n",
        "",
        0,
    ),
    Case(
        ["queue", "enable", "-a"],
        ("batch: Job submission is enabled\ndebug: Job submission is enabled\n"),
        "",
        0,
    ),
    Case(
        ["resource", "list"],
        (
            "     STATE QUEUE       NNODES NCORES NGPUS NODELIST\n"
            "      free debug,batch      4      4     0 vm,vm,vm,vm\n"
            " allocated debug,batch      4      4     0 vm,vm,vm,vm\n"
            "      down debug            0      0     0 \n"
            "      down batch            0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-q", "debug"],
        (
            "     STATE QUEUE NNODES NCORES NGPUS NODELIST\n"
            "      free debug      4      4     0 vm,vm,vm,vm\n"
            " allocated debug      4      4     0 vm,vm,vm,vm\n"
            "      down debug      0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-q", "batch"],
        ("       STATEUP NNODES NODELIST\n       avail ✔      4 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "info", "-q", "debug,batch"],
        "4 Nodes, 8 Cores, 0 GPUs\n",
        "",
        0,
    ),
    Case(
        ["jobs", "-a", "-o", "{name} {queue}"],
        ("NAME QUEUE\nwide batch\n"),
        "",
        0,
    ),
    Case(
        ["jobs", "-a", "-q", "batch", "-o", "{name} {queue}"],
        ("NAME QUEUE\nwide batch\n"),
        "",
        0,
    ),
    Case(
        ["jobs", "-a", "-q", "debug", "-o", "{name}"],
        "NAME\n",
        "",
        0,
    ),
    Case(
        ["jobs", "--stats-only", "-q", "nosuch"],
        "",
        "flux-jobs: ERROR: error retrieving job stats: no stats available for queue nosuch\n",
        1,
    ),
]


@pytest.mark.parametrize("case", READ_CASES, ids=case_id)
def test_as_flux_core_prints(instance_uri: str, case: Case) -> None:
    check(instance_uri, case)


def test_stop_start_disable_enable() -> None:
    """Each change and the status and list that follow it."""
    check_fresh(CONTROL_SEQUENCE)


def test_named_queues() -> None:
    """Named queues: per-queue list and status, stop/start/disable/enable of one or all,
    uptime's notes, resource list/status/info by queue, jobs by queue."""
    with fakeflux.Instance(size=4, config=NAMED_QUEUES_CONFIG) as inst:
        uri = inst.uri(0)
        check_all(uri, NAMED_QUEUES_BEFORE)
        assert flux(uri, "queue", "start", "--all", "--quiet").returncode == 0
        submit_shapes(uri, "--wide")
        check_all(uri, NAMED_QUEUES_SEQUENCE)
