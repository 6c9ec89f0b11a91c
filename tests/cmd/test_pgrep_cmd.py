"""``flux pgrep`` and ``flux pkill`` against jobs of known shapes (jobshapes.py).

Expectations: flux-core v0.88.0-59 printed these for the same commands (see
``listing.py`` for the recording and what is normalized); fakeflux must print the same.
"""

# ruff: noqa: E501 - recorded lines are as wide as flux-core prints them

from __future__ import annotations

from typing import Dict, Tuple

import pytest

import fakeflux

from .listing import Case, case_id, check, check_all, submit_shapes

READ_CASES = [
    Case(
        ["pgrep", "run"],
        (" <run1>\n <run2>\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "."],
        (" <held>\n <run1>\n <run2>\n <can>\n <big>\n <tmo>\n <nocmd>\n <segv>\n <bad>\n <ok>\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-o", "{id.f58} {name}", "r.*"],
        ("JOBID NAME\n <run1> run1\n <run2> run2\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-o", "full", "r.*"],
        (
            "       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO\n"
            " <run1> root     run1        R      1      1 <T> vm\n"
            " <run2> root     run2        R      2      2 <T> vm,vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-o", "long", "ok"],
        (
            "       JOBID USER     NAME          STATUS NTASKS NNODES     T_SUBMIT  T_REMAINING     TIME INFO\n"
            " <ok> root     ok         COMPLETED      1      1 <DATE>            - <T> vm\n"
        ),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-o", "deps", "ok"],
        (
            "       JOBID NAME       URG PRI          STATE    DEPENDENCIES\n"
            " <ok> ok         16  16           INACTIVE \n"
        ),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-n", "-o", "{name}", "name:^[a-c]"],
        ("can\nbig\nbad\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-a", "-c", "2", "."],
        (" <held>\n <run1>\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "nomatch"],
        "",
        "",
        1,
    ),
    Case(
        ["pgrep", "-c", "run"],
        "",
        (
            "usage: flux-pgrep [-h] [-a] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [-n] [-o FORMAT]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "flux-pgrep: error: argument -c/--count: invalid int value: 'run'\n"
        ),
        2,
    ),
    Case(
        ["pgrep", "-q", "batch", "run"],
        "",
        (
            "usage: flux-pgrep [-h] [-a] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [-n] [-o FORMAT]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "flux-pgrep: error: argument -q/--queue: invalid FilterActionSetUpdate value: 'batch'\n"
        ),
        2,
    ),
    Case(
        ["pgrep", "-o", "{bogus}", "x"],
        "",
        "flux-pgrep: ERROR: Error in user format: Unknown format field: bogus\n",
        1,
    ),
    Case(
        ["pgrep", "-o", "help", "x"],
        (
            "\n"
            "Configured flux-jobs output formats:\n"
            "\n"
            "  default      Default flux-pgrep format string\n"
            "  full         full flux-pgrep format string\n"
            "  long         Extended flux-pgrep format string\n"
            "  deps         Show job urgency, priority, and dependencies\n"
        ),
        "",
        0,
    ),
    Case(
        ["pgrep", "--help"],
        (
            "usage: flux-pgrep [-h] [-a] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [-n] [-o FORMAT]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "\n"
            "positional arguments:\n"
            "  EXPRESSION                 job name pattern or id range\n"
            "\n"
            "options:\n"
            "  -h, --help                 show this help message and exit\n"
            "  -a                         Target jobs in all states\n"
            "  -A                         Target all users\n"
            "  -u, --user=[USERNAME|UID]  Limit output to specific username or userid\n"
            '                             (Specify "all" for all users)\n'
            "  -f, --filter=STATE|RESULT  List jobs with specific job state or result\n"
            "  -q, --queue=QUEUE,...      Limit output to specific queue or queues\n"
            "  -c, --count=N              Limit output to the first N matches\n"
            "      --max-entries=N        Limit number of searched jobs to N entries\n"
            "                             (default: 1000)\n"
            "  -n, --no-header            Suppress printing of header line\n"
            "  -o, --format=FORMAT        Specify output format using Python's string\n"
            "                             format syntax or a defined format by name (use\n"
            "                             'help' to get a list of names)\n"
        ),
        "",
        0,
    ),
    Case(
        ["pgrep", "a", "b"],
        "",
        "flux-pgrep: ERROR: expression error: Only one pattern can be provided\n",
        2,
    ),
    Case(
        ["pgrep", "-f", "failed", "."],
        (" <nocmd>\n <segv>\n <bad>\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-A", "-f", "completed,canceled", "-o", "{name}", "."],
        ("NAME\ncan\nbig\nok\n"),
        "",
        0,
    ),
    Case(
        ["pgrep", "-u", "nosuchuser", "x"],
        "",
        "flux-pgrep: ERROR: Invalid user nosuchuser specified\n",
        1,
    ),
    Case(
        ["pgrep", "-a", "--max-entries=3", "-o", "{name}", "."],
        ("NAME\nheld\nrun1\nrun2\n"),
        "",
        0,
    ),
    Case(
        ["pkill", "--help"],
        (
            "usage: flux-pkill [-h] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [--wait]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "\n"
            "positional arguments:\n"
            "  EXPRESSION                 job name pattern or id range\n"
            "\n"
            "options:\n"
            "  -h, --help                 show this help message and exit\n"
            "  -A                         Target all users\n"
            "  -u, --user=[USERNAME|UID]  Limit output to specific username or userid\n"
            '                             (Specify "all" for all users)\n'
            "  -f, --filter=STATE|RESULT  List jobs with specific job state or result\n"
            "  -q, --queue=QUEUE,...      Limit output to specific queue or queues\n"
            "  -c, --count=N              Limit output to the first N matches\n"
            "      --max-entries=N        Limit number of searched jobs to N entries\n"
            "                             (default: 1000)\n"
            "      --wait                 Wait for jobs to finish after cancel\n"
        ),
        "",
        0,
    ),
    Case(
        ["pkill", "nomatch"],
        "",
        "",
        1,
    ),
    Case(
        ["pkill", "["],
        "",
        "flux-pkill: ERROR: expression error: unterminated character set at position 0\n",
        2,
    ),
    Case(
        ["pgrep"],
        "",
        (
            "usage: flux-pgrep [-h] [-a] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [-n] [-o FORMAT]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "flux-pgrep: error: the following arguments are required: EXPRESSION\n"
        ),
        2,
    ),
    Case(
        ["pkill", "-o", "x", "y"],
        "",
        (
            "usage: flux-pkill [-h] [-A] [-u [USERNAME|UID]] [-f STATE|RESULT]\n"
            "                  [-q QUEUE,...] [-c N] [--max-entries N] [--wait]\n"
            "                  EXPRESSION [EXPRESSION ...]\n"
            "flux-pkill: error: unrecognized arguments: -o\n"
        ),
        2,
    ),
]

PKILL_SEQUENCE = [
    Case(
        ["pkill", "run1"],
        "",
        "flux-pkill: INFO: Canceled 1 job\n",
        0,
    ),
    Case(
        ["pkill", "-a", "held"],
        "",
        "flux-pkill: INFO: Canceled 1 job\n",
        0,
    ),
    Case(
        ["pkill", "-a", "ok"],
        "",
        ("flux-pkill: ERROR: <ok>: cancel: [Errno 2] job is inactive\nflux-pkill: INFO: Canceled 0 jobs\n"),
        1,
    ),
    Case(
        ["pkill", "--wait", "run2"],
        "",
        "flux-pkill: INFO: Canceled 1 job\n",
        0,
    ),
    Case(
        ["jobs", "-a", "-o", "{name} {status}"],
        (
            "NAME STATUS\n"
            "run2 CANCELED\n"
            "held CANCELED\n"
            "run1 CANCELED\n"
            "can CANCELED\n"
            "big COMPLETED\n"
            "tmo TIMEOUT\n"
            "nocmd FAILED\n"
            "segv FAILED\n"
            "bad FAILED\n"
            "ok COMPLETED\n"
        ),
        "",
        0,
    ),
]


@pytest.mark.parametrize("case", READ_CASES, ids=case_id)
def test_as_flux_core_prints(shaped: Tuple[str, Dict[str, str]], case: Case) -> None:
    uri, ids = shaped
    check(uri, case, ids)


def test_pkill_cancels_what_matches() -> None:
    """pkill by pattern (running, pending with -a, an inactive job: nothing to cancel),
    --wait, and the states that result."""
    with fakeflux.Instance(size=4) as inst:
        uri = inst.uri(0)
        check_all(uri, PKILL_SEQUENCE, submit_shapes(uri))
