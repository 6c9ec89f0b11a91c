"""What flux-core's job shell (src/shell) decides for a job, as pure
functions: where the tasks go (rcalc), the taskmap it posts (RFC 34), each
task's environment, the mustache templates it renders ({{id}}, {{name}} ...),
and the RFC 24 output/input eventlog entries it writes.

The local exec back end (:mod:`.exec_local`) plays the shell with these."""

from __future__ import annotations

import base64
import locale
import os
from typing import Any, Dict, List, Optional, Tuple

from fakeflux.broker.jobs.util import dothex, idset_encode

F58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

# shell log levels (shell_die() is FATAL) and where real Flux logs a task that fails to start
LOG_FATAL, LOG_ERR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 0, 3, 4, 5, 6, 7
START_FAILED_FILE, START_FAILED_LINE = "shell.c", 2036

# Signals job-exec uses (Linux numbers)
SIGKILL, SIGALRM, SIGTERM = 9, 14, 15


def f58(jobid: int, ascii: bool = False) -> str:
    """FLUID F58 (RFC 19): 'ƒ' (or 'f') and base 58, most significant first."""
    digits = ""
    n = jobid
    while True:
        digits = F58_ALPHABET[n % 58] + digits
        n //= 58
        if n == 0:
            break
    return ("f" if ascii else "ƒ") + digits


def f58_ascii_only() -> bool:
    """libutil fluid.c: the 'ƒ' prefix needs a UTF-8 locale and no FLUX_F58_FORCE_ASCII."""
    try:
        codeset = locale.nl_langinfo(locale.CODESET)
    except (AttributeError, ValueError):
        codeset = ""
    return codeset != "UTF-8" or "FLUX_F58_FORCE_ASCII" in os.environ


def encode_id(jobid: int, kind: str, ascii: bool) -> Optional[str]:
    """flux_job_id_encode for the kinds the shell's {{id.KIND}} accepts."""
    if kind == "f58":
        return f58(jobid, ascii)
    if kind == "f58plain":
        return f58(jobid, True)
    if kind == "dec":
        return str(jobid)
    if kind == "hex":
        return f"0x{jobid:x}"
    if kind == "dothex":
        return dothex(jobid)
    return None


# -- placement -----------------------------------------------------------------------------------
def distribute(ncores: List[int], ntasks: int, cores_per_task: int) -> List[int]:
    """rcalc_distribute: tasks per node, handed out one at a time to the
    node with the most free cores first, oversubscribing once all are full."""
    if not ncores:
        return []
    if cores_per_task <= 0:
        cores_per_task = max(sum(ncores) // max(ntasks, 1), 1)
    cores_per_task = min(cores_per_task, min(ncores))
    counts = [0] * len(ncores)
    avail = list(ncores)

    def sorted_nodes() -> List[int]:
        return sorted(range(len(ncores)), key=lambda i: -avail[i])  # stable: lower node first on ties

    queue = sorted_nodes()
    assigned = 0
    while assigned < ntasks:
        if not queue:
            avail = list(ncores)
            queue = sorted_nodes()
            continue
        node = queue.pop(0)
        if avail[node] >= cores_per_task:
            avail[node] -= cores_per_task
            counts[node] += 1
            queue.append(node)
            assigned += 1
    return counts


def distribute_per_slot(slots: List[int], per_slot: int) -> List[int]:
    return [n * per_slot for n in slots]


def taskmap(counts: List[int]) -> Dict[str, Any]:
    """RFC 34 block taskmap: [first node, nodes, tasks per node, repeat],
    consecutive nodes with the same count folded into one entry."""
    blocks: List[List[int]] = []
    for node, n in enumerate(counts):
        if blocks and blocks[-1][2] == n and blocks[-1][0] + blocks[-1][1] == node:
            blocks[-1][1] += 1
        else:
            blocks.append([node, 1, n, 1])
    return {"version": 1, "map": blocks}


# -- templates -------------------------------------------------------------------------------------
def render(text: str, values: Dict[str, str], jobid: int, ascii: bool) -> str:
    """The shell's mustache rendering: known ``{{name}}`` are replaced, unknown
    ones are left as they are."""
    out: List[str] = []
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            out.append(text[i:])
            break
        end = text.find("}}", start + 2)
        if end < 0:
            out.append(text[i:])
            break
        name = text[start + 2:end].strip()
        out.append(text[i:start])
        value = _template_value(name, values, jobid, ascii)
        out.append(text[start:end + 2] if value is None else value)
        i = end + 2
    return "".join(out)


def _template_value(name: str, values: Dict[str, str], jobid: int, ascii: bool) -> Optional[str]:
    if name.startswith("jobid"):
        name = name[3:]
    elif name == "taskid":
        name = "task.id"
    if name.startswith("id"):
        if name == "id":
            return f58(jobid, ascii)
        return encode_id(jobid, name[3:], ascii) if name[2] == "." else None
    aliases = {"task.rank": "task.id", "task.localid": "task.index", "size": "ntasks"}
    return values.get(aliases.get(name, name))


# -- RFC 24 entries ---------------------------------------------------------------------------------
def output_header(ntasks: int) -> Dict[str, Any]:
    return {"version": 1, "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
            "count": {"stdout": ntasks, "stderr": ntasks}, "options": {}}


def input_header() -> Dict[str, Any]:
    return {"version": 1, "encoding": {"stdin": "UTF-8"}, "count": {"stdin": 1}, "options": {}}


def data_context(stream: str, rank: str, data: bytes) -> Dict[str, Any]:
    """ioencode: UTF-8 text as is, anything else in base64."""
    try:
        return {"stream": stream, "rank": rank, "data": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"stream": stream, "rank": rank, "encoding": "base64", "data": base64.b64encode(data).decode()}


def eof_context(stream: str, rank: str) -> Dict[str, Any]:
    return {"stream": stream, "rank": rank, "eof": True}


def redirect_context(stream: str, ntasks: int, path: str) -> Dict[str, Any]:
    return {"stream": stream, "rank": idset_encode(list(range(ntasks)), brackets=True), "path": path}


def log_context(rank: int, level: int, message: str, file: str, line: int,
                component: Optional[str] = None) -> Dict[str, Any]:
    context: Dict[str, Any] = {"rank": rank, "level": level, "message": message}
    if component is not None:
        context["component"] = component
    context.update(file=file, line=line)
    return context


def split_lines(buffer: bytes, data: bytes) -> Tuple[List[bytes], bytes]:
    """Line-buffered output (the shell's default): whole lines out, the rest kept."""
    buffer += data
    lines: List[bytes] = []
    while True:
        nl = buffer.find(b"\n")
        if nl < 0:
            return lines, buffer
        lines.append(buffer[:nl + 1])
        buffer = buffer[nl + 1:]


def fsd_format(seconds: float) -> str:
    """libutil fsd_format_duration (6 significant digits)."""
    if 0 < seconds < 0.1:
        return f"{seconds * 1000:.6g}ms"
    for limit, unit, scale in ((60.0, "s", 1.0), (3600.0, "m", 60.0), (86400.0, "h", 3600.0)):
        if seconds < limit:
            return f"{seconds / scale:.6g}{unit}"
    return f"{seconds / 86400:.6g}d"


def strsignal(signo: int) -> str:
    """strsignal(3) as glibc words it ("Killed", "Segmentation fault", ...)."""
    import signal as _signal

    try:
        text = _signal.strsignal(signo)
    except ValueError:
        text = None
    return text or f"Unknown signal {signo}"


# The KVS output limit (shell output/kvs.c)
OUTPUT_LIMIT_MAX = 1073741824
OUTPUT_LIMIT_WARNING = 104857600
_SIZE_SUFFIXES = ("", "K", "M", "G", "T", "P", "E")


def parse_size(text: str) -> Optional[int]:
    """libutil parse_size: a number with an optional K/M/G/T/P/E (powers of 1024)."""
    body = text.strip()
    power = 0
    if body and body[-1].upper() in _SIZE_SUFFIXES[1:]:
        power = _SIZE_SUFFIXES.index(body[-1].upper())
        body = body[:-1]
    try:
        value = float(body)
    except ValueError:
        return None
    if value < 0 or value != value:
        return None
    return int(value * 1024 ** power)


def encode_size(size: int) -> str:
    """libutil encode_size: "%.8g" of the largest unit it fits."""
    value = float(size)
    index = 0
    while value >= 1024 and index < len(_SIZE_SUFFIXES) - 1:
        value /= 1024
        index += 1
    return f"{value:.8g}{_SIZE_SUFFIXES[index]}"


# -- exit codes -------------------------------------------------------------------------------------
def task_exit_code(wait_status: int) -> int:
    """The shell's task rc: the exit code, or 128 + the signal that killed it."""
    if wait_status & 0x7F:
        return 128 + (wait_status & 0x7F)
    return (wait_status >> 8) & 0xFF


def task_exit_context(localid: int, rank: int, pid: int, wait_status: int) -> Dict[str, Any]:
    """The task info of ``shell.task-exit``."""
    signaled = wait_status & 0x7F
    return {"localid": localid, "rank": rank, "state": "Exited", "pid": pid, "wait_status": wait_status,
            "signaled": signaled, "exitcode": task_exit_code(wait_status)}
