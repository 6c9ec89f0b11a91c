"""``flux queue idle`` (job-manager.idle), ``flux job purge`` (job-manager.purge, purge-id),
where ``flux job attach`` puts a job's exception among its shell's log lines, and some
``flux job`` help texts.

Expectations: flux-core v0.88.0-59 (``flux start --test-size=4 bash -c SCRIPT``) printed
these for the same scripts, with job ids and their KVS keys normalized; fakeflux must print the same.
"""

# ruff: noqa: E501 - recorded lines are as wide as flux-core prints them

from __future__ import annotations

import re

import pytest

from .fluxrun import flux, shell

IDLE_SCRIPT = """\
exec 2>&1
flux queue idle
echo rc=$?
flux queue stop
flux submit -n1 true >/dev/null
flux queue idle
flux queue idle --quiet
flux queue start
flux submit -n1 sleep 1 > /dev/null
flux queue idle
flux jobs -a -n -o "{name} {status}"
"""

IDLE_REAL = """\
0 jobs
rc=0
Scheduling is stopped
1 jobs
1 jobs
Scheduling is started
0 jobs
sleep COMPLETED
true COMPLETED
"""

PURGE_SCRIPT = """\
exec 2>&1
for i in 1 2 3 4; do flux run true; done
a=$(flux submit true); flux job wait-event $a clean >/dev/null
flux job purge; echo rc=$?
flux job purge --num-limit=2; echo rc=$?
flux job purge --num-limit=2 --force; echo rc=$?
flux jobs -a -n | wc -l
flux job purge $a; echo rc=$?
flux job purge --force $a; echo rc=$?
flux job purge --force $a; echo rc=$?
flux kvs get job.$(flux job id --to=dothex $a).eventlog; echo rc=$?
flux job eventlog $a; echo rc=$?
flux jobs -n $a; echo rc=$?
b=$(flux submit sleep 30)
flux job purge $b; echo rc=$?
flux job purge --force $b; echo rc=$?
flux job purge --force f1234; echo rc=$?
flux job purge --force notanid; echo rc=$?
flux job purge --age-limit=-1s; echo rc=$?
flux job purge --num-limit=x; echo rc=$?
flux job purge --num-limit=-5; echo rc=$?
flux job purge --batch=0 --force; echo rc=$?
flux job purge --batch=101; echo rc=$?
flux job purge --age-limit=0 --force --batch=1; echo rc=$?
flux job purge --age-limit=0 --force; echo rc=$?
flux cancel $b; flux job wait-event $b clean >/dev/null
flux job stats
flux job purge -f --num-limit=0; flux job stats
flux python -c '
import flux
h = flux.Flux()
print(h.rpc("job-manager.stats-get").get()["max_jobid"] == '$(flux job id $b)')
for topic, p in [("job-manager.purge", {}), ("job-manager.purge-id", {"id": -1, "force": 1}),
                 ("job-manager.purge-id", {"id": 5, "force": False}),
                 ("job-manager.purge", {"age_limit": -1, "num_limit": -1, "batch": 50, "force": True}),
                 ("job-manager.purge", {"age_limit": -1.0, "num_limit": -1, "batch": 50, "force": 1}),
                 ("job-manager.purge", {"age_limit": -2.0, "num_limit": -1, "batch": 50, "force": True})]:
    try:
        print(topic, h.rpc(topic, p).get())
    except OSError as e:
        print(topic, e.errno, e.strerror)
'
"""

PURGE_REAL = """\
use --force to purge 0 of 5 inactive jobs
rc=0
use --force to purge 3 of 5 inactive jobs
rc=0
purged 3 inactive jobs, 2 remaining
rc=0
2
use --force to purge 1 of 2 inactive jobs
rc=0
purged 1 inactive jobs, 1 remaining
rc=0
flux-job: purge: id not found
rc=1
flux-kvs: job.DOTHEX.eventlog: No such file or directory
rc=1
flux-job: job ƒID not found
rc=1
JobID ƒID unknown
rc=1
flux-job: purge: cannot purge active job
rc=1
flux-job: purge: cannot purge active job
rc=1
flux-job: purge: id not found
rc=1
flux-job: error parsing jobid: "notanid"
rc=1
flux-job purge: purge: Invalid argument for option 'age-limit': '-1s'
rc=1
flux-job purge: purge: Option 'num-limit' requires an integer argument
rc=1
flux-job: purge: if set, num limit must be >= 0
rc=1
flux-job: purge: batch must be >= 1 and <= 100
rc=1
flux-job: purge: batch must be >= 1 and <= 100
rc=1
purged 1 inactive jobs, 0 remaining
rc=0
purged 0 inactive jobs, 0 remaining
rc=0
{"job_states":{"depend":0,"priority":0,"sched":0,"run":0,"cleanup":0,"inactive":1,"total":1},"successful":0,"failed":0,"canceled":1,"timeout":0,"inactive_purged":5,"queues":[]}
purged 1 inactive jobs, 0 remaining
{"job_states":{"depend":0,"priority":0,"sched":0,"run":0,"cleanup":0,"inactive":0,"total":0},"successful":0,"failed":0,"canceled":0,"timeout":0,"inactive_purged":6,"queues":[]}
True
job-manager.purge 71 Protocol error
job-manager.purge-id 22 Invalid argument
job-manager.purge-id 71 Protocol error
job-manager.purge 71 Protocol error
job-manager.purge 71 Protocol error
job-manager.purge 22 if set, age limit must be >= 0
"""


def _normalized(text: str) -> str:
    """Job ids (F58) and their KVS directories vary between runs."""
    text = re.sub(r"job\.[0-9a-f]{4}(\.[0-9a-f]{4}){3}", "job.DOTHEX", text)
    return re.sub(r"ƒ\w+", "ƒID", text)


def test_queue_idle_waits_for_running_jobs_and_counts_the_rest() -> None:
    """Idle answers at once with nothing running; a job in a stopped queue is
    counted as pending; a running job is waited for."""
    result = shell(IDLE_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == IDLE_REAL


def test_job_purge_as_flux_core() -> None:
    """Limits, --force, batches, ids, every error text, the KVS and job-list
    after a purge, stats (inactive_purged, max_jobid) and the raw RPC checks."""
    result = shell(PURGE_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert _normalized(result.stdout) == PURGE_REAL


ATTACH_SCRIPT = """\
exec 2>&1
flux run -o pmi=5 true; echo rc=$?
id=$(flux submit -o pmi=5 true); flux job wait-event $id clean >/dev/null
flux job attach $id; echo rc=$?
"""

# Real v0.88 also logs "ERROR: shell_getopt: unpack error: Expected string, got integer"
# first (fakeflux's shell does not: that line is left out here).
ATTACH_REAL = """\
T: flux-shell[0]: ERROR: pmi-simple: pmi shell option must be a string
T: flux-shell[0]: ERROR: plugin 'pmi-simple': shell.init failed
T: flux-shell[0]: FATAL: shell_init: No such file or directory
T: job.exception ƒID type=exec severity=0 shell_init: No such file or directory
flux-job: task(s) exited with exit code 1
rc=1
T: job.exception ƒID type=exec severity=0 shell_init: No such file or directory
flux-job: task(s) exited with exit code 1
T: flux-shell[0]: ERROR: pmi-simple: pmi shell option must be a string
T: flux-shell[0]: ERROR: plugin 'pmi-simple': shell.init failed
T: flux-shell[0]: FATAL: shell_init: No such file or directory
rc=1
"""


def test_attach_orders_the_exception_as_flux_core() -> None:
    """Attached as the job runs (flux run), the shell's log comes before the
    exception; attached once the job is over, the main eventlog comes first."""
    result = shell(ATTACH_SCRIPT)
    assert result.returncode == 0, result.stderr
    out = re.sub(r"^\d+\.\d{3}s:", "T:", _normalized(result.stdout), flags=re.M)
    assert "\n".join(line for line in out.splitlines() if "shell_getopt" not in line) + "\n" == ATTACH_REAL


# `flux job SUB --help` of flux-core v0.88 (stdout, exit 0) at 80 columns.
HELP_REAL = {
    "eventlog": """\
Usage: flux-job eventlog [OPTIONS] id
Display eventlog for a job
  -h, --help             Display this message.
  -f, --format=FORMAT    Specify output format: text, json
  -T, --time-format=FORMAT
                         Specify time format: raw, iso, offset
  -H, --human            Display human-readable output. See also --color,
                         --format, and --time-format.
  -L, --color=WHEN       Colorize output when supported; WHEN can be 'always'
                         (default if omitted), 'never', or 'auto' (default).
  -F, --follow           Follow events until job is inactive.
  -p, --path=PATH        Specify alternate eventlog name or path suffix (e.g.
                         "exec", "output", or "guest.exec.eventlog")
""",
    "status": """\
Usage: flux-job status id [id...]
Wait for job(s) to complete and exit with largest exit code
  -h, --help             Display this message.
  -v, --verbose          Increase verbosity
  -j, --json             Dump job result information gleaned from eventlog to
                         stdout
  -e, --exception-exit-code=N
                         Set the default exit code for any jobs that terminate
                         solely due to an exception (e.g. canceled jobs or jobs
                         rejected by the scheduler) to N [default=1]
""",
    "info": """\
Usage: flux-job info id key
Display info for a job
  -h, --help             Display this message.
  -o, --original         For key "jobspec", return the original submitted
                         jobspec
  -b, --base             For key "jobspec" or "R", do not apply updates from
                         eventlog
""",
}


@pytest.mark.parametrize("sub", sorted(HELP_REAL))
def test_job_help_as_flux_core(sub: str) -> None:
    result = flux(None, "job", sub, "--help")
    assert (result.stdout + result.stderr, result.returncode) == (HELP_REAL[sub], 0)
