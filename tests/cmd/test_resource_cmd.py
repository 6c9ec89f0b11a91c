"""``flux resource list/status/info/R/drain/undrain`` on 4 ranks of 2 cores, with one running
job holding core 0 of every rank (``jobshapes.py --wide``).

Expectations: flux-core v0.88.0-59 printed these for the same commands (see
``listing.py`` for the recording and what is normalized); fakeflux must print the same.
"""

# ruff: noqa: E501 - recorded lines are as wide as flux-core prints them

from __future__ import annotations

from typing import Iterator

import pytest

import fakeflux

from .listing import Case, case_id, check, check_all, check_fresh, submit_shapes

READ_CASES = [
    Case(
        ["resource", "list"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      4      4     0 vm,vm,vm,vm\n"
            " allocated      4      4     0 vm,vm,vm,vm\n"
            "      down      0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-s", "all"],
        ("     STATE NNODES NCORES NGPUS NODELIST\n       all      4      8     0 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-s", "free"],
        ("     STATE NNODES NCORES NGPUS NODELIST\n      free      4      4     0 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-s", "up,down"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "        up      4      8     0 vm,vm,vm,vm\n"
            "      down      0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-s", "bogus"],
        "",
        "flux-resource: ERROR: Invalid resource state bogus specified\n",
        1,
    ),
    Case(
        ["resource", "list", "-n"],
        (
            "      free      4      4     0 vm,vm,vm,vm\n"
            " allocated      4      4     0 vm,vm,vm,vm\n"
            "      down      0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-o", "rlist"],
        (
            "     STATE NNODES NCORES +NGPUS LIST\n"
            "      free      4      4 +    0 rank[0-3]/core1\n"
            " allocated      4      4 +    0 rank[0-3]/core0\n"
            "      down      0      0 +    0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-o", "help"],
        (
            "\n"
            "Configured flux-resource output formats:\n"
            "\n"
            "  default      Default flux-resource list format string\n"
            "  rlist        Format including resource list details\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "--skip-empty"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      4      4     0 vm,vm,vm,vm\n"
            " allocated      4      4     0 vm,vm,vm,vm\n"
        ),
        "",
        0,
    ),
    Case(
        [
            "resource",
            "list",
            "-o",
            "{state} {nnodes} {ncores} {ngpus} {nodelist} {rlist} {ranks} {properties} {propertiesx} {queue}",
        ],
        (
            "STATE NNODES NCORES NGPUS NODELIST LIST RANKS PROPERTIES PROPERTIES QUEUE\n"
            "free 4 4 0 vm,vm,vm,vm rank[0-3]/core1 0-3   \n"
            "allocated 4 4 0 vm,vm,vm,vm rank[0-3]/core0 0-3   \n"
            "down 0 0 0      \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-q", "batch"],
        "",
        "flux-resource: ERROR: --queue: batch: no such queue\n",
        1,
    ),
    Case(
        ["resource", "list", "-i", "1-2"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      2      2     0 vm,vm\n"
            " allocated      2      2     0 vm,vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-i", "1-2", "--no-skip-empty"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      2      2     0 vm,vm\n"
            " allocated      2      2     0 vm,vm\n"
            "      down      0      0     0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-i", "vm"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      1      1     0 vm\n"
            " allocated      1      1     0 vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "-i", "bad["],
        "",
        "flux-resource: ERROR: --include: Invalid hostlist: 'bad['\n",
        1,
    ),
    Case(
        ["resource", "list", "-o", "{bogus}"],
        "",
        "flux-resource: ERROR: Unknown format field: bogus\n",
        1,
    ),
    Case(
        ["resource", "status"],
        ("       STATEUP NNODES NODELIST\n       avail ✔      4 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-s", "all"],
        (
            "       STATEUP NNODES NODELIST\n"
            "       avail ✔      4 vm,vm,vm,vm\n"
            "     exclude ✔      0 \n"
            "   allocated ✔      4 vm,vm,vm,vm\n"
            "      torpid ✔      0 \n"
            "housekeeping ✔      0 \n"
            "    draining ✔      0 \n"
            "     drained ✔      0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-o", "long"],
        (
            "       STATEUP NNODES REASON                         NODELIST\n"
            "       avail ✔      4                                vm,vm,vm,vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-n"],
        "       avail ✔      4 vm,vm,vm,vm\n",
        "",
        0,
    ),
    Case(
        ["resource", "status", "-o", "help"],
        (
            "\n"
            "Configured flux-resource output formats:\n"
            "\n"
            "  default      Default flux-resource status format string\n"
            "  long         Long flux-resource status format string\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-s", "help"],
        "",
        "flux-resource: INFO: valid states: all,online,avail,offline,exclude,drain,draining,drained,torpid,allocated,housekeeping\n",
        0,
    ),
    Case(
        ["resource", "status", "-s", "bogus"],
        "",
        (
            "flux-resource: ERROR: Invalid resource state bogus specified\n"
            "flux-resource: INFO: valid states: all,online,avail,offline,exclude,drain,draining,drained,torpid,allocated,housekeeping\n"
        ),
        1,
    ),
    Case(
        ["resource", "status", "-s", "offline"],
        (
            "       STATEUP NNODES NODELIST\n"
            "      avail* ✗      0 \n"
            "    exclude* ✗      0 \n"
            "     torpid* ✗      0 \n"
            "housekeeping* ✗      0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-s", "online"],
        (
            "       STATEUP NNODES NODELIST\n"
            "       avail ✔      4 vm,vm,vm,vm\n"
            "     exclude ✔      0 \n"
            "      torpid ✔      0 \n"
            "housekeeping ✔      0 \n"
            "    draining ✔      0 \n"
            "     drained ✔      0 \n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "--color=always"],
        ("       STATE UP NNODES NODELIST\n       avail \u001b[01;32m ✔\u001b[0;0m      4 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-o", "{state} {statex} {status} {up.ascii} {ranks} {nnodes} {nodelist}"],
        ("STATE STATE STATUS UP RANKS NNODES NODELIST\navail avail online y 0-3 4 vm,vm,vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "info"],
        "4 Nodes, 8 Cores, 0 GPUs\n",
        "",
        0,
    ),
    Case(
        ["resource", "info", "-s", "all"],
        "4 Nodes, 8 Cores, 0 GPUs\n",
        "",
        0,
    ),
    Case(
        ["resource", "info", "-s", "free"],
        "4 Nodes, 4 Cores, 0 GPUs\n",
        "",
        0,
    ),
    Case(
        ["resource", "R", "-s", "free"],
        '{"version": 1, "execution": {"R_lite": [{"rank": "0-3", "children": {"core": "1"}}], "starttime": 0.0, "expiration": 0.0, "nodelist": ["vm,vm,vm,vm"]}}\n',
        "",
        0,
    ),
    Case(
        ["resource", "R", "-s", "bogus"],
        "",
        "flux-resource: ERROR: Invalid resource state bogus specified\n",
        1,
    ),
    Case(
        ["resource", "undrain"],
        "",
        (
            "usage: flux-resource undrain [-h] [-u] [-f] targets ...\n"
            "flux-resource undrain: error: the following arguments are required: targets, reason\n"
        ),
        2,
    ),
    Case(
        ["resource", "bogus"],
        "",
        (
            "usage: flux-resource [-h]\n"
            "                     {acquire-mute,drain,undrain,status,list,info,reload,R,eventlog}\n"
            "                     ...\n"
            "flux-resource: error: argument subcommand: invalid choice: 'bogus' (choose from 'acquire-mute', 'drain', 'undrain', 'status', 'list', 'info', 'reload', 'R', 'eventlog')\n"
        ),
        2,
    ),
    Case(
        ["resource"],
        "",
        (
            "usage: flux-resource [-h]\n"
            "                     {acquire-mute,drain,undrain,status,list,info,reload,R,eventlog}\n"
            "                     ...\n"
            "flux-resource: error: the following arguments are required: subcommand\n"
        ),
        2,
    ),
    Case(
        ["resource", "list", "--bogus"],
        "",
        (
            "usage: flux-resource [-h]\n"
            "                     {acquire-mute,drain,undrain,status,list,info,reload,R,eventlog}\n"
            "                     ...\n"
            "flux-resource: error: unrecognized arguments: --bogus\n"
        ),
        2,
    ),
    Case(
        ["resource", "drain", "--help"],
        (
            "usage: flux-resource drain [-h] [-f] [-u] [-i TARGETS] [-q QUEUE,...]\n"
            "                           [-o FORMAT] [-n] [-L [WHEN]]\n"
            "                           [targets] ...\n"
            "\n"
            "positional arguments:\n"
            "  targets                List of targets to drain (IDSET or HOSTLIST)\n"
            "  reason                 Reason\n"
            "\n"
            "options:\n"
            "  -h, --help             show this help message and exit\n"
            "  -f, --force            Force overwrite of existing drain reason. Specify\n"
            "                         twice to also update drain timestamp.\n"
            "  -u, --update           Update only. Do not return an error if one or more\n"
            "                         targets are already drained. Do not overwrite any\n"
            "                         existing drain reason.\n"
            "  -i, --include=TARGETS  Include only specified targets in output set. TARGETS\n"
            "                         may be provided as an idset or hostlist.\n"
            "  -q, --queue=QUEUE,...  Include only specified queues in output\n"
            "  -o, --format=FORMAT    Specify output format using Python's string format\n"
            "                         syntax or a defined format by name (only used when no\n"
            "                         drain targets specified)\n"
            "  -n, --no-header        Suppress header output\n"
            "  -L, --color=[WHEN]     Use color; WHEN can be 'never', 'always' or 'auto'\n"
            "                         (default)\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list", "--help"],
        (
            "usage: flux-resource list [-h] [-o FORMAT] [-s STATE,...] [-i TARGETS]\n"
            "                          [-q QUEUE,...] [--skip-empty] [--no-skip-empty] [-n]\n"
            "\n"
            "options:\n"
            "  -h, --help              show this help message and exit\n"
            "  -o, --format=FORMAT     Specify output format using Python's string format\n"
            "                          syntax or a defined format by name (use 'help' to\n"
            "                          get a list of names)\n"
            "  -s, --states=STATE,...  Output resources in given states\n"
            "  -i, --include=TARGETS   Include only specified targets in output set.\n"
            "                          TARGETS may be provided as an idset or hostlist.\n"
            "  -q, --queue=QUEUE,...   Include only specified queues in output\n"
            "      --skip-empty        Skip empty lines. This is the default with -i,\n"
            "                          --include.\n"
            "      --no-skip-empty     Do not skip empty lines, even with --include.\n"
            "  -n, --no-header         Suppress header output\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "status", "--help"],
        (
            "usage: flux-resource status [-h] [-o FORMAT] [-s STATE,...] [-i TARGETS]\n"
            "                            [-q QUEUE,...] [-n] [-L [WHEN]] [--skip-empty]\n"
            "\n"
            "options:\n"
            "  -h, --help              show this help message and exit\n"
            "  -o, --format=FORMAT     Specify output format using Python's string format\n"
            "                          syntax or a defined format by name (use 'help' to\n"
            "                          get a list of names)\n"
            "  -s, --states=STATE,...  Output resources in given states\n"
            "  -i, --include=TARGETS   Include only specified targets in output set.\n"
            "                          TARGETS may be provided as an idset or hostlist.\n"
            "  -q, --queue=QUEUE,...   Include only specified queues in output\n"
            "  -n, --no-header         Suppress header output\n"
            "  -L, --color=[WHEN]      Use color; WHEN can be 'never', 'always' or 'auto'\n"
            "                          (default)\n"
            "      --skip-empty        Skip empty lines of output even with --states\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "info", "--help"],
        (
            "usage: flux-resource info [-h] [-s STATE,...] [-i TARGETS] [-q QUEUE,...]\n"
            "\n"
            "options:\n"
            "  -h, --help              show this help message and exit\n"
            "  -s, --states=STATE,...  Show output only for resources in given states\n"
            "  -i, --include=TARGETS   Include only specified targets in output set.\n"
            "                          TARGETS may be provided as an idset or hostlist.\n"
            "  -q, --queue=QUEUE,...   Include only specified queues in output\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "--help"],
        (
            "usage: flux-resource [-h]\n"
            "                     {acquire-mute,drain,undrain,status,list,info,reload,R,eventlog}\n"
            "                     ...\n"
            "\n"
            "options:\n"
            "  -h, --help                            show this help message and exit\n"
            "\n"
            "subcommands:\n"
            "\n"
            "  {acquire-mute,drain,undrain,status,list,info,reload,R,eventlog}\n"
        ),
        "",
        0,
    ),
]

DRAIN_SEQUENCE = [
    Case(
        ["resource", "drain", "3", "my", "reason"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "0", "busy one"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain"],
        (
            "TIME         STATE    REASON                         NODELIST\n"
            " <DATE>  draining busy one                       vm\n"
            " <DATE>  draining my reason                      vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-o", "long"],
        (
            "TIME         STATE    RANKS    REASON                         NODELIST\n"
            " <DATE>  draining 0        busy one                       vm\n"
            " <DATE>  draining 3        my reason                      vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-n"],
        (" <DATE>  draining busy one                       vm\n <DATE>  draining my reason                      vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "status"],
        ("       STATEUP NNODES NODELIST\n       avail ✔      2 vm,vm\n    draining ✔      2 vm,vm\n"),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-s", "drain"],
        ("       STATEUP NNODES NODELIST\n    draining ✔      2 vm,vm\n     drained ✔      0 \n"),
        "",
        0,
    ),
    Case(
        ["resource", "status", "-o", "long"],
        (
            "       STATEUP NNODES REASON                         NODELIST\n"
            "       avail ✔      2                                vm,vm\n"
            "    draining ✔      1 busy one                       vm\n"
            "    draining ✔      1 my reason                      vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "list"],
        (
            "     STATE NNODES NCORES NGPUS NODELIST\n"
            "      free      2      2     0 vm,vm\n"
            " allocated      4      4     0 vm,vm,vm,vm\n"
            "      down      2      4     0 vm,vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "info"],
        "4 Nodes, 8 Cores, 0 GPUs\n",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-f", "-u", "3", "x"],
        "",
        "flux-resource: ERROR: Only one of --force and --update may be specified\n",
        1,
    ),
    Case(
        ["resource", "drain", "7"],
        "",
        "flux-resource: ERROR: [Errno 22] idset is out of range\n",
        1,
    ),
    Case(
        ["resource", "drain", "3", "again"],
        "",
        (
            "flux-resource: ERROR: [Errno 17] rank 3 already drained\n"
            "flux-resource: INFO: Use --force to overwrite existing drain reason\n"
        ),
        1,
    ),
    Case(
        ["resource", "drain", "-f", "3", "forced"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-u", "3", "update"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-u", "1-2", "both"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain"],
        (
            "TIME         STATE    REASON                         NODELIST\n"
            " <DATE>  draining busy one                       vm\n"
            " <DATE>  draining both                           vm,vm\n"
            " <DATE>  draining forced                         vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-ff", "3", "newer"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "-o", "long"],
        (
            "TIME         STATE    RANKS    REASON                         NODELIST\n"
            " <DATE>  draining 0        busy one                       vm\n"
            " <DATE>  draining 1-2      both                           vm,vm\n"
            " <DATE>  draining 3        newer                          vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["resource", "undrain", "3", "0"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "undrain", "3"],
        "",
        "flux-resource: ERROR: rank 3 not drained\n",
        1,
    ),
    Case(
        ["resource", "undrain", "9"],
        "",
        "flux-resource: ERROR: idset is out of range\n",
        1,
    ),
    Case(
        ["resource", "undrain", "1-2", "fixed"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "status"],
        ("       STATEUP NNODES NODELIST\n       avail ✔      3 vm,vm,vm\n    draining ✔      1 vm\n"),
        "",
        0,
    ),
]


# A fresh instance: its resource eventlog, one drain, then the same questions again.
EVENTLOG_SEQUENCE = [
    Case(
        ["resource", "eventlog"],
        (
            '<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n'
            '<EPOCH> online idset="0"\n'
            '<EPOCH> resource-define method="dynamic-discovery"\n'
            '<EPOCH> online idset="1-3"\n'
        ),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-f", "json"],
        (
            '{"timestamp":<EPOCH>,"name":"restart","context":{"ranks":"0-3","online":"","nodelist":"vm,vm,vm,vm"}}\n'
            '{"timestamp":<EPOCH>,"name":"online","context":{"idset":"0"}}\n'
            '{"timestamp":<EPOCH>,"name":"resource-define","context":{"method":"dynamic-discovery"}}\n'
            '{"timestamp":<EPOCH>,"name":"online","context":{"idset":"1-3"}}\n'
        ),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-i", "1"],
        ('<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n<EPOCH> online idset="1-3"\n'),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-i", "vm"],
        ('<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n<EPOCH> online idset="0"\n'),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-i", "bad["],
        "",
        "flux-resource: ERROR: invalid targets bad[\n",
        1,
    ),
    Case(
        ["resource", "eventlog", "-T", "bogus"],
        "",
        (
            "usage: flux-resource eventlog [-h] [-f FORMAT] [-T FORMAT] [-H] [-L [WHEN]]\n"
            "                              [-F] [-t TIME] [-w EVENT] [-m KEY=VAL]\n"
            "                              [-i TARGETS]\n"
            "flux-resource eventlog: error: argument -T/--time-format: invalid choice: 'bogus' (choose from 'raw', 'iso', 'offset', 'human', 'reltime')\n"
        ),
        2,
    ),
    Case(
        ["resource", "eventlog", "-m", "x"],
        "",
        "flux-resource: ERROR: invalid KEY=VAL argument: 'x' (missing '=')\n",
        1,
    ),
    Case(
        ["resource", "drain", "1", "r1"],
        "",
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-w", "drain", "-m", "idset=1", "-t", "0.5"],
        (
            '<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n'
            '<EPOCH> online idset="0"\n'
            '<EPOCH> resource-define method="dynamic-discovery"\n'
            '<EPOCH> online idset="1-3"\n'
            '<EPOCH> drain idset="1" nodelist="vm" reason="r1" overwrite=0\n'
        ),
        "flux-resource: ERROR: ETIMEDOUT: Connection timed out\n",
        1,
    ),
    Case(
        ["resource", "eventlog", "-w", "drain", "-m", 'idset="1"', "-t", "0.5"],
        (
            '<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n'
            '<EPOCH> online idset="0"\n'
            '<EPOCH> resource-define method="dynamic-discovery"\n'
            '<EPOCH> online idset="1-3"\n'
            '<EPOCH> drain idset="1" nodelist="vm" reason="r1" overwrite=0\n'
        ),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-w", "nosuch", "-t", "0.3"],
        (
            '<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n'
            '<EPOCH> online idset="0"\n'
            '<EPOCH> resource-define method="dynamic-discovery"\n'
            '<EPOCH> online idset="1-3"\n'
            '<EPOCH> drain idset="1" nodelist="vm" reason="r1" overwrite=0\n'
        ),
        "flux-resource: ERROR: ETIMEDOUT: Connection timed out\n",
        1,
    ),
    Case(
        ["resource", "eventlog", "-i", "2"],
        ('<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n<EPOCH> online idset="1-3"\n'),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "-i", "1"],
        (
            '<EPOCH> restart ranks="0-3" online="" nodelist="vm,vm,vm,vm"\n'
            '<EPOCH> online idset="1-3"\n'
            '<EPOCH> drain idset="1" nodelist="vm" reason="r1" overwrite=0\n'
        ),
        "",
        0,
    ),
    Case(
        ["resource", "eventlog", "--help"],
        (
            "usage: flux-resource eventlog [-h] [-f FORMAT] [-T FORMAT] [-H] [-L [WHEN]]\n"
            "                              [-F] [-t TIME] [-w EVENT] [-m KEY=VAL]\n"
            "                              [-i TARGETS]\n"
            "\n"
            "options:\n"
            "  -h, --help                   show this help message and exit\n"
            "  -f, --format=FORMAT          Specify output format: text, json\n"
            "  -T, --time-format=FORMAT     Specify time format: raw, iso, offset, human\n"
            "  -H, --human                  Display human-readable output.\n"
            "  -L, --color=[WHEN]           Use color; WHEN can be 'never', 'always' or\n"
            "                               'auto' (default)\n"
            "  -F, --follow                 Display new events as they are posted\n"
            "  -t, --timeout=TIME           With --follow or --wait, timeout after TIME has\n"
            "                               elapsed\n"
            "  -w, --wait=EVENT             Display events until EVENT is posted\n"
            "  -m, --match-context=KEY=VAL  With --wait, match KEY=VAL in context of EVENT\n"
            "  -i, --include=TARGETS        Only display events that include TARGETS (hosts\n"
            "                               or ranks)\n"
        ),
        "",
        0,
    ),
]


def _wide_instance() -> Iterator[str]:
    with fakeflux.Instance(size=4) as inst:
        uri = inst.uri(0)
        submit_shapes(uri, "--wide")
        yield uri


@pytest.fixture(scope="module")
def wide() -> Iterator[str]:
    """An instance with core 0 of every rank allocated, for the cases that only read."""
    yield from _wide_instance()


@pytest.mark.parametrize("case", READ_CASES, ids=case_id)
def test_as_flux_core_prints(wide: str, case: Case) -> None:
    check(wide, case)


def test_drain_and_undrain() -> None:
    """Drain two nodes (one of them busy: "draining"), list and show them, undrain both."""
    for uri in _wide_instance():
        check_all(uri, DRAIN_SEQUENCE)


def test_eventlog() -> None:
    """The resource journal: text and JSON, -i by rank or host, -w/-m/-t, errors."""
    check_fresh(EVENTLOG_SEQUENCE)
