"""``flux uptime``, ``flux overlay status/lookup/parentof`` and ``flux module`` usage.

Expectations: flux-core v0.88.0-59 printed these for the same commands (see
``listing.py`` for the recording and what is normalized); fakeflux must print the same.
"""

# ruff: noqa: E501 - recorded lines are as wide as flux-core prints them

from __future__ import annotations

import pytest

from .fluxrun import flux
from .listing import Case, case_id, check, check_fresh

# flux overlay's usage, as it prints it after a missing or unknown subcommand
OVERLAY_USAGE = (
    "Usage: flux overlay trace [OPTIONS] [topic-glob]\n"
    "   or: flux overlay errors [OPTIONS]\n"
    "   or: flux overlay status [OPTIONS]\n"
    "   or: flux overlay lookup [OPTIONS] TARGET\n"
    "   or: flux overlay parentof [OPTIONS] RANK\n"
    "   or: flux overlay disconnect [OPTIONS] TARGET\n"
    "Manage overlay network\n"
    "  -h, --help             Display this message.\n"
)

READ_CASES = [
    Case(
        ["uptime"],
        " <CLOCK> run <T>,  owner root,  depth 0,  size 4\n",
        "",
        0,
    ),
    Case(
        ["uptime", "x"],
        " <CLOCK> run <T>,  owner root,  depth 0,  size 4\n",
        "",
        0,
    ),
    Case(
        ["uptime", "--bogus"],
        "",
        ("flux uptime: unrecognized option '--bogus'\nTry `flux uptime --help' for more information.\n"),
        1,
    ),
    Case(
        ["uptime", "--help"],
        "",
        (
            "Usage: flux uptime [OPTIONS]...\n"
            "Show how long this Flux instance has been running\n"
            "  -h, --help             Display this message.\n"
        ),
        0,
    ),
    Case(
        ["overlay", "status"],
        ("0 vm: full\n├─ 1 vm: full\n├─ 2 vm: full\n└─ 3 vm: full\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-v"],
        ("0 vm: full for <T>\n├─ 1 vm: full for <T>\n├─ 2 vm: full for <T>\n└─ 3 vm: full for <T>\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-vv"],
        (
            "0 vm: full for <T> (<MS>)\n"
            "├─ 1 vm: full for <T> (<MS>)\n"
            "├─ 2 vm: full for <T> (<MS>)\n"
            "└─ 3 vm: full for <T> (<MS>)\n"
        ),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "--verbose=1"],
        ("0 vm: full for <T>\n├─ 1 vm: full for <T>\n├─ 2 vm: full for <T>\n└─ 3 vm: full for <T>\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "--summary"],
        "full\n",
        "",
        0,
    ),
    Case(
        ["overlay", "status", "--down"],
        "",
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-r", "2"],
        "2 vm: full\n",
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-r", "9"],
        "",
        "flux-overlay: No route to host\n",
        1,
    ),
    Case(
        ["overlay", "status", "--no-pretty"],
        ("0 vm: full\n1 vm: full\n2 vm: full\n3 vm: full\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-H", "2"],
        ("<<0 vm>>: full\n├─ 1 vm: full\n├─ <<2 vm>>: full\n└─ 3 vm: full\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-H", "7"],
        "",
        "flux-overlay: --highlight: rank 7 not in set 0-3\n",
        1,
    ),
    Case(
        ["overlay", "status", "-H", "1-5"],
        "",
        "flux-overlay: --highlight: ranks 4-5 not in set 0-3\n",
        1,
    ),
    Case(
        ["overlay", "lookup", "7"],
        "",
        "flux-overlay: rank 7 is not in host map\n",
        1,
    ),
    Case(
        ["overlay", "lookup", "bad["],
        "",
        "flux-overlay: target must be a valid idset or hostlist\n",
        1,
    ),
    Case(
        ["overlay", "status", "-H", "vm"],
        ("<<0 vm>>: full\n├─ 1 vm: full\n├─ 2 vm: full\n└─ 3 vm: full\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-H", "bad["],
        "",
        "flux-overlay: Error decoding bad[: target must be a valid idset or hostlist\n",
        1,
    ),
    Case(
        ["overlay", "status", "-H", "nosuchhost"],
        "",
        "flux-overlay: Error decoding nosuchhost: host nosuchhost not found in host map\n",
        1,
    ),
    Case(
        ["overlay", "status", "-w", "full"],
        ("0 vm: full\n├─ 1 vm: full\n├─ 2 vm: full\n└─ 3 vm: full\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "-w", "bogus"],
        "",
        "flux-overlay: invalid --wait state\n",
        1,
    ),
    Case(
        ["overlay", "status", "--bogus"],
        "",
        (
            "flux overlay status: unrecognized option '--bogus'\n"
            "Try `flux overlay status --help' for more information.\n"
        ),
        1,
    ),
    Case(
        ["overlay", "status", "-t", "x"],
        "",
        "flux overlay status: status: Invalid argument for option 'timeout': 'x'\n",
        1,
    ),
    Case(
        ["overlay", "status", "-v", "x"],
        ("0 vm: full for <T>\n├─ 1 vm: full for <T>\n├─ 2 vm: full for <T>\n└─ 3 vm: full for <T>\n"),
        "",
        0,
    ),
    Case(
        ["overlay", "status", "--help"],
        "",
        (
            "Usage: flux overlay status [OPTIONS]\n"
            "Display overlay subtree health status\n"
            "  -h, --help             Display this message.\n"
            "  -r, --rank=NODEID      Check health of subtree rooted at NODEID (default 0)\n"
            "  -v, --verbose=[LEVEL]  Increase reporting detail: 1=show time since current\n"
            "                         state was entered, 2=show round-trip RPC times.\n"
            "  -t, --timeout=FSD      Set RPC timeout, 0=disable (default <T>)\n"
            "      --summary          Show only the root subtree status.\n"
            "      --down             Show only the partial/degraded subtrees.\n"
            "      --no-pretty        Do not indent entries and use line drawing characters\n"
            "                         to show overlay tree structure\n"
            "      --no-ghost         Do not fill in presumed state of nodes that are\n"
            "                         inaccessible behind offline/lost overlay parents\n"
            "  -L, --color=WHEN       Colorize output when supported; WHEN can be 'always'\n"
            "                         (default if omitted), 'never', or 'auto' (default).\n"
            "  -H, --highlight=TARGET Highlight one or more TARGETs and their ancestors.\n"
            "  -w, --wait=STATE       Wait until subtree enters STATE before reporting (full,\n"
            "                         partial, offline, degraded, lost)\n"
        ),
        0,
    ),
    Case(
        ["overlay"],
        "",
        "flux overlay: missing subcommand\n" + OVERLAY_USAGE,
        1,
    ),
    Case(
        ["overlay", "bogus"],
        "",
        "flux overlay: Unknown subcommand: bogus\n" + OVERLAY_USAGE,
        1,
    ),
    Case(
        ["overlay", "lookup", "1-2"],
        "vm,vm\n",
        "",
        0,
    ),
    Case(
        ["overlay", "lookup", "vm"],
        "0\n",
        "",
        0,
    ),
    Case(
        ["overlay", "lookup"],
        "",
        "flux-overlay: single TARGET argument is required\n",
        1,
    ),
    Case(
        ["overlay", "lookup", "nosuchhost"],
        "",
        "flux-overlay: host nosuchhost not found in host map\n",
        1,
    ),
    Case(
        ["overlay", "parentof", "3"],
        "0\n",
        "",
        0,
    ),
    Case(
        ["overlay", "parentof", "0"],
        "",
        "flux-overlay: 0 has no parent\n",
        1,
    ),
    Case(
        ["overlay", "parentof", "9"],
        "",
        "flux-overlay: 9 is not a valid rank in this instance\n",
        1,
    ),
    Case(
        ["overlay", "parentof"],
        "",
        "flux-overlay: RANK is required\n",
        1,
    ),
    Case(
        ["module", "list", "x"],
        "",
        (
            "Usage: flux-module list [OPTIONS]\n"
            "List loaded modules\n"
            "  -h, --help             Display this message.\n"
            "  -l, --long             Include full DSO path for each module\n"
        ),
        1,
    ),
    Case(
        ["module"],
        "",
        (
            "flux-module: missing subcommand\n"
            "Usage: flux-module COMMAND [OPTIONS]\n"
            "  -h, --help             Display this message.\n"
        ),
        1,
    ),
    Case(
        ["module", "bogus"],
        "",
        (
            "flux-module: Unknown subcommand: bogus\n"
            "Usage: flux-module COMMAND [OPTIONS]\n"
            "  -h, --help             Display this message.\n"
        ),
        1,
    ),
    Case(
        ["module", "--bogus"],
        "",
        ("flux-module: unrecognized option '--bogus'\nTry `flux-module --help' for more information.\n"),
        1,
    ),
    Case(
        ["module", "list", "--bogus"],
        "",
        ("flux-module list: unrecognized option '--bogus'\nTry `flux-module list --help' for more information.\n"),
        1,
    ),
    Case(
        ["module", "--help"],
        "",
        (
            "Usage: flux-module COMMAND [OPTIONS]\n"
            "  -h, --help             Display this message.\n"
            "\n"
            "flux module subcommands:\n"
            "   list            List loaded modules\n"
            "   remove          Unload module\n"
            "   load            Load module\n"
            "   reload          Reload module\n"
            "   stats           Display stats on module\n"
            "   debug           Get/set module debug flags\n"
            "   trace           Trace module messages\n"
        ),
        1,
    ),
    Case(
        ["module", "list", "-h"],
        "",
        (
            "Usage: flux-module list [OPTIONS]\n"
            "List loaded modules\n"
            "  -h, --help             Display this message.\n"
            "  -l, --long             Include full DSO path for each module\n"
        ),
        0,
    ),
]

UPTIME_SEQUENCE = [
    Case(
        ["queue", "stop"],
        "Scheduling is stopped\n",
        "",
        0,
    ),
    Case(
        ["queue", "disable"],
        "Job submission is disabled: disabled by administrator\n",
        "",
        0,
    ),
    Case(
        ["resource", "drain", "2", "why"],
        "",
        "",
        0,
    ),
    Case(
        ["uptime"],
        (" <CLOCK> run <T>,  owner root,  depth 0,  size 4,  1 drained\n  submit disabled,  scheduler stopped\n"),
        "",
        0,
    ),
    Case(
        ["resource", "undrain", "2"],
        "",
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
        ["queue", "enable"],
        "Job submission is enabled\n",
        "",
        0,
    ),
]


@pytest.mark.parametrize("case", READ_CASES, ids=case_id)
def test_as_flux_core_prints(instance_uri: str, case: Case) -> None:
    check(instance_uri, case)


def test_uptime_reports_drained_and_stopped() -> None:
    """uptime's extra words for drained nodes and a stopped/disabled queue, and back."""
    check_fresh(UPTIME_SEQUENCE)


NOT_FOUND = "Unable to connect to Flux: broker socket /run/flux/local was not found"
NO_INSTANCE = [
    (["jobs"], f"flux-jobs: ERROR: {NOT_FOUND}\n"),
    (["resource", "list"], f"flux-resource: ERROR: {NOT_FOUND}\n"),
    (["queue", "list"], f"flux-queue: ERROR: {NOT_FOUND}\n"),
    (["pgrep", "x"], f"flux-pgrep: ERROR: {NOT_FOUND}\n"),
    (["uptime"], "flux: flux_open: No such file or directory\n"),
    (["overlay", "status"], "flux-overlay: flux_open: No such file or directory\n"),
    (["module", "list"], "flux-module: flux_open: No such file or directory\n"),
]


@pytest.mark.parametrize("args,err", NO_INSTANCE, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_without_an_instance(args: list, err: str) -> None:
    """No FLUX_URI and no system instance: flux-core's message for each command, exit 1."""
    proc = flux(None, *args)
    assert (proc.stdout, proc.stderr, proc.returncode) == ("", err, 1)
