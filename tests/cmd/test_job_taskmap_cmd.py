"""``flux job taskmap`` as flux-core prints it, for a job (its shell.start
taskmap) and for task maps given on the command line; recorded on flux-core
v0.88 (``flux start --test-size=2``) for the same commands."""

from __future__ import annotations

import socket
from typing import Any

from .fluxrun import flux

HOST = socket.gethostname()

TASKMAP_USAGE = (
    "Usage: flux-job taskmap [OPTION] JOBID|TASKMAP\n"
    "Utility function for working with job task maps\n"
    "  -h, --help             Display this message.\n"
    "      --taskids=NODEID   Print idset of tasks on node NODEID\n"
    "      --ntasks=NODEID    Print number of tasks on node NODEID\n"
    "      --nodeid=TASKID    Print the shell rank/nodeid on which a taskid executed\n"
    "      --hostname=TASKID  Print the hostname on which a taskid executed\n"
    "      --to=FORMAT        Convert an RFC 34 taskmap to another format (FORMAT can\n"
    "                         be raw, pmi, hosts, or multiline)\n"
)

GIVEN = [
    (["[[0,2,2,1]]"], 0, "[[0,2,2,1]]\n", ""),
    (["--to=raw", "[[0,2,2,1]]"], 0, "0-1;2-3\n", ""),
    (["--to=pmi", "[[0,2,1,2]]"], 0, "(vector,(0,2,1),(0,2,1))\n", ""),
    (["--to=raw", "[[0,2,1,2]]"], 0, "0,2;1,3\n", ""),
    (["0,2;1,3"], 0, "[[0,2,1,2]]\n", ""),
    (["--to=hosts", "[[0,2,2,1]]"], 1, "", "flux-job: taskmap: can't use --to=hosts without a jobid\n"),
    (["--hostname=1", "[[0,2,2,1]]"], 1, "", "flux-job: taskmap: can't use --hostname without a jobid\n"),
    (["--to=bogus", "[[0,2,2,1]]"], 1, "", "flux-job: invalid value --to=bogus\n"),
    (["--taskids=5", "[[0,2,2,1]]"], 1, "", "flux-job: No taskids for node 5: No such file or directory\n"),
    (["--ntasks=5", "[[0,2,2,1]]"], 1, "",
     "flux-job: failed to get task count for node 5: No such file or directory\n"),
    (["--nodeid=9", "[[0,2,2,1]]"], 1, "", "flux-job: failed to get nodeid for task 9: No such file or directory\n"),
    (["garbage"], 1, "", "flux-job: error decoding taskmap: error parsing range 'garbage'\n"),
    (["0;0;1"], 1, "", "flux-job: error decoding taskmap: duplicate taskid specified: 0\n"),
    ([], 1, "", TASKMAP_USAGE),
    (["f123"], 1, "", "flux-job: Unable to get job taskmap: no such job\n"),
]


def test_taskmap_given(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    for args, status, out, err in GIVEN:
        result = flux(uri, "job", "taskmap", *args)
        assert (result.returncode, result.stdout, result.stderr) == (status, out, err), args


def test_taskmap_of_a_job(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    jobid = flux(uri, "submit", "-N2", "-n4", "true").stdout.strip()
    flux(uri, "job", "wait-event", jobid, "clean")
    for args, out in (
        ([], "[[0,2,2,1]]\n"),
        (["--to=raw"], "0-1;2-3\n"),
        (["--to=pmi"], "(vector,(0,2,2))\n"),
        (["--to=multiline"], "0: 0\n1: 0\n2: 1\n3: 1\n"),
        (["--to=hosts"], f"{HOST}: 0-1\n{HOST}: 2-3\n"),
        (["--taskids=1"], "2-3\n"),
        (["--ntasks=0"], "2\n"),
        (["--nodeid=3"], "1\n"),
        (["--hostname=3"], f"{HOST}\n"),
    ):
        result = flux(uri, "job", "taskmap", *args, jobid)
        assert (result.returncode, result.stdout, result.stderr) == (0, out, ""), args


def test_taskmap_of_a_job_that_never_ran(flux_instance: Any) -> None:
    # the guest eventlog watch ends (ENODATA) when the job goes inactive unstarted
    uri = flux_instance.uri(0)
    held = flux(uri, "submit", "--urgency=0", "true").stdout.strip()
    assert flux(uri, "cancel", held).returncode == 0
    result = flux(uri, "job", "taskmap", held)
    assert (result.returncode, result.stderr) == (1, "flux-job: No taskmap found for job\n")


def test_cyclic_taskmap(flux_instance: Any) -> None:
    # flux run --taskmap=cyclic[:N]: task ranks dealt round the nodes; FLUX_TASK_LOCAL_ID follows
    uri = flux_instance.uri(0)
    for args, labels, taskmap in (
        (["-n3", "--taskmap=cyclic"], "0 0\n1 0\n2 1\n", "[[0,2,1,1],[0,1,1,1]]\n"),
        (["-n4", "--taskmap=cyclic"], "0 0\n1 0\n2 1\n3 1\n", "[[0,2,1,2]]\n"),
        (["-n4", "--taskmap=cyclic:2"], "0 0\n1 1\n2 0\n3 1\n", "[[0,2,2,1]]\n"),
        (["-n3", "--taskmap=block"], "0 0\n1 1\n2 0\n", "[[0,1,2,1],[1,1,1,1]]\n"),
    ):
        jobid = flux(uri, "submit", "-N2", "--cores-per-task=1", *args, "sh", "-c",
                     "echo $FLUX_TASK_RANK $FLUX_TASK_LOCAL_ID").stdout.strip()
        attach = flux(uri, "job", "attach", jobid)
        assert (attach.returncode, "".join(sorted(attach.stdout.splitlines(keepends=True)))) == (0, labels), args
        assert flux(uri, "job", "taskmap", jobid).stdout == taskmap, args
