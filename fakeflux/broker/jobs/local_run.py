"""One job's execution state for the local exec back end, and what the job
shell reads from the jobspec to set it up (flux-core src/shell: info.c,
rcalc.c, the output and input plugins' options)."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Set, Tuple

from fakeflux.broker.jobs import shell as S
from fakeflux.broker.jobs.model import Job
from fakeflux.shell.pmi import PmiServer
from fakeflux.shell.taskmap import TaskMap


class LocalTask:
    def __init__(self, rank: int, localid: int, node: int, broker_rank: int) -> None:
        self.rank = rank  # global task rank
        self.localid = localid
        self.node = node  # shell rank
        self.broker_rank = broker_rank
        self.pid = 0
        self.wait_status: Optional[int] = None
        self.buffers: Dict[str, bytes] = {"stdout": b"", "stderr": b""}


class LocalRun:
    """One job's execution state."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.tasks: List[LocalTask] = []
        self.tmpdirs: List[str] = []
        self.leader = 0
        self.die_rc = 0  # the shell's own exit code when it failed (127: no such program)
        self.exception_in_progress = False
        self.killing = False
        self.task_exit_posted = False
        self.finished = False
        self.timers: List[List[bool]] = []
        self.verbose = 0
        self.cwd: Optional[str] = None
        self.output_ready = False  # guest.output has its header: logs go straight in
        self.logs: List[Tuple[float, Dict[str, Any]]] = []
        self.pmi: Optional[PmiServer] = None
        self.exception_wait_status: Optional[int] = None  # from an exception that carried one
        self.output_bytes: Dict[str, int] = {}  # per stream, all tasks (the KVS output limit)
        self.output_limit: Tuple[int, str] = (S.OUTPUT_LIMIT_MAX, "1G")
        self.service: Optional[str] = None  # <userid>-shell-<id>, registered on the leader's rank
        self.open_input: Set[int] = set()  # tasks whose stdin has not had its EOF

    def live(self) -> List[LocalTask]:
        return [t for t in self.tasks if t.pid and t.wait_status is None]


# fakeflux's own bound: a job asking for more tasks than this fails as a shell error instead of
# exhausting the machine (real Flux would try to fork them all).
MAX_TASKS = 100_000

# A shell start-up failure: the log lines (level, message, source file, line) of rank -1.
ShellLogs = List[Tuple[int, str, str, int]]


def c_int(value: int) -> int:
    """A JSON integer read into a C int, as jansson's "i" format does: its low 32 bits, signed."""
    low = value & 0xFFFFFFFF
    return low - (1 << 32) if low >= 1 << 31 else low


def jobspec_problem(job: Job) -> Optional[str]:
    """What the shell's jobspec parser (info.c) refuses, in its words."""
    system = job.jobspec.get("attributes", {}).get("system", {})
    if "environment" in system and not isinstance(system["environment"], dict):
        return "attributes.system.environment is not object type"
    if "cwd" in system and not isinstance(system["cwd"], str):
        return f"Expected string, got {json_type(system['cwd'])}"
    count = _task_count(job)
    if len(count) != 1:
        return "tasks count must have exactly one key set"
    if "total" not in count and "per_slot" in count and _is_int(count["per_slot"]):
        per_slot = c_int(count["per_slot"])
        if per_slot != 1:  # the shell leaves other tasks-per-slot layouts to -o per-resource
            return f"per_slot count: expected 1 got {per_slot}"
    return None


def shell_start_problem(job: Job) -> Optional[ShellLogs]:
    """Why the job shell would fail before starting any task, as the lines it logs."""
    problem = jobspec_problem(job)
    if problem is not None:
        return [(S.LOG_ERR, f"error parsing jobspec: {problem}", "info.c", 184)]
    total = _task_count(job).get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        ntasks = c_int(total)
        if ntasks <= 0:  # a count that wrapped: libtaskmap refuses the shell's block
            return [(S.LOG_ERR, "taskmap: failed to process rank=0: Invalid argument", "info.c", 218),
                    (S.LOG_ERR, "error creating taskmap", "info.c", 316)]
        if ntasks > MAX_TASKS:
            return [(S.LOG_ERR, f"fakeflux runs at most {MAX_TASKS} tasks per job, not {ntasks}", "info.c", 218)]
    return None


def _task_count(job: Job) -> Dict[str, Any]:
    tasks = job.jobspec.get("tasks")
    count = tasks[0].get("count") if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else None
    return count if isinstance(count, dict) else {"per_slot": 1}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan(run: LocalRun) -> None:
    """Tasks per node, as the shell's rcalc places them, ranks in block order."""
    job = run.job
    js = job.jobspec
    task0 = js["tasks"][0] if js.get("tasks") else {"count": {"per_slot": 1}}
    count = task0.get("count", {})
    slot_cores = job.request.slot_cores
    per_resource = _per_resource(job)
    if per_resource is not None:  # rcalc_distribute_per_resource: N per node, or per core held
        kind, n = per_resource
        counts = [n if kind == "node" else n * len(c) for _, c, _ in job.alloc]
    elif "per_slot" in count:
        counts = S.distribute_per_slot([max(len(c) // slot_cores, 1) for _, c, _ in job.alloc],
                                       int(count["per_slot"]))
    else:
        counts = S.distribute([len(c) for _, c, _ in job.alloc], c_int(int(count.get("total", 1))), slot_cores)
    run.leader = job.alloc[0][0] if job.alloc else 0
    localids = [0] * len(counts)
    for rank, node in enumerate(task_nodes(counts, _cyclic_stride(job))):
        run.tasks.append(LocalTask(rank, localids[node], node, job.alloc[node][0]))
        localids[node] += 1


def task_nodes(counts: List[int], stride: Optional[int]) -> List[int]:
    """The node of each task rank: block order, or with the taskmap plugin
    ``cyclic`` (taskmap_cyclic) up to ``stride`` tasks per node per round."""
    if stride is None:
        return [node for node, n in enumerate(counts) for _ in range(n)]
    return cyclic_taskmap(counts, stride).task_nodes()


def cyclic_taskmap(counts: List[int], stride: int) -> TaskMap:
    """taskmap_cyclic: rounds over the nodes, each taking up to ``stride`` of
    the tasks rcalc gave it, appended as libtaskmap appends (so repeats merge)."""
    left = list(counts)
    tm = TaskMap()
    while any(left):
        for node, avail in enumerate(left):
            take = min(stride, avail)
            if take:
                tm.append(node, 1, take)
                left[node] -= take
    return tm


def run_taskmap(run: LocalRun) -> Optional[TaskMap]:
    """The job's task map when a taskmap plugin made one (None: the block map)."""
    stride = _cyclic_stride(run.job)
    return cyclic_taskmap(task_counts(run), stride) if stride is not None else None


def _cyclic_stride(job: Job) -> Optional[int]:
    """``-o taskmap={"scheme": "cyclic", "value": "N"}`` (flux run --taskmap=cyclic[:N])."""
    option = shell_options(job).get("taskmap")
    if not isinstance(option, dict) or option.get("scheme") != "cyclic":
        return None
    value = option.get("value") or "1"
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) > 0 else None


def _per_resource(job: Job) -> Optional[Tuple[str, int]]:
    """The shell option ``per-resource`` ({type: node|core, count: N}, as
    ``flux batch``/``alloc`` ask one broker per node with it)."""
    option = shell_options(job).get("per-resource")
    if not isinstance(option, dict) or option.get("type") not in ("node", "core"):
        return None
    n = option.get("count", 1)
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        return None
    return str(option["type"]), n


def task_counts(run: LocalRun) -> List[int]:
    counts = [0] * len(run.job.alloc)
    for t in run.tasks:
        counts[t.node] += 1
    return counts


def shell_options(job: Job) -> Dict[str, Any]:
    system = job.jobspec.get("attributes", {}).get("system", {})
    options = system.get("shell", {}).get("options", {}) if isinstance(system.get("shell"), dict) else {}
    return options if isinstance(options, dict) else {}


def template_values(job: Job, ntasks: int, nnodes: int) -> Dict[str, str]:
    return {"name": job.name or "unknown", "nnodes": str(nnodes), "ntasks": str(ntasks)}


def output_files(run: LocalRun, ntasks: int, ascii: bool) -> Dict[str, str]:
    """attributes.system.shell.options.output.{stdout,stderr} of type file,
    templates rendered (as the leader shell renders them), relative to the
    job's cwd; stderr follows stdout into its file when not given."""
    job = run.job
    output = shell_options(job).get("output", {})
    if not isinstance(output, dict):
        return {}
    values = template_values(job, ntasks, len(job.alloc))
    values["tmpdir"] = run.tmpdirs[0] if run.tmpdirs else ""
    files: Dict[str, str] = {}
    for stream in ("stdout", "stderr"):
        spec = output.get(stream)
        if isinstance(spec, dict) and spec.get("type", "file") == "file" and isinstance(spec.get("path"), str):
            path = S.render(spec["path"], values, job.id, ascii)
            files[stream] = os.path.join(run.cwd, path) if run.cwd else path
    if "stdout" in files and "stderr" not in files:
        files["stderr"] = files["stdout"]
    return files


def input_file(job: Job) -> Optional[str]:
    stdin = shell_options(job).get("input", {})
    spec = stdin.get("stdin") if isinstance(stdin, dict) else None
    if isinstance(spec, dict) and spec.get("type", "file") == "file" and isinstance(spec.get("path"), str):
        return str(spec["path"])
    return None


def json_type(value: Any) -> str:
    """The type names jansson puts in its unpack errors."""
    if isinstance(value, bool):
        return "true" if value else "false"
    for kind, name in ((int, "integer"), (float, "real"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else "string"
