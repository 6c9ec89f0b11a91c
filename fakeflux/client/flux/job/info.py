"""Job records of job-list (flux-core's ``flux.job.info``): JobInfo and the state/result names."""

from __future__ import annotations

import os
import pwd
import signal
import string
import sys
import time
from collections import namedtuple
from datetime import datetime
from typing import Any, Dict, Iterable, Optional, Set

from .. import constants
from .._outputformat import OutputFormat
from ..memoized_property import memoized_property
from .JobID import JobID
from .stats import JobStats

__all__ = [
    "statetostr",
    "resulttostr",
    "statustostr",
    "statetoemoji",
    "resulttoemoji",
    "statustoemoji",
    "ExceptionInfo",
    "StatsInfo",
    "InstanceInfo",
    "InfoList",
    "DependencyList",
    "JobInfoFormat",
    "AnnotationsInfo",
    "JobInfo",
    "job_fields_to_attrs",
]

# (long upper, long lower, short upper, short lower), as libjob's string tables
_STATES = {
    constants.FLUX_JOB_STATE_NEW: ("NEW", "new", "N", "n"),
    constants.FLUX_JOB_STATE_DEPEND: ("DEPEND", "depend", "D", "d"),
    constants.FLUX_JOB_STATE_PRIORITY: ("PRIORITY", "priority", "P", "p"),
    constants.FLUX_JOB_STATE_SCHED: ("SCHED", "sched", "S", "s"),
    constants.FLUX_JOB_STATE_RUN: ("RUN", "run", "R", "r"),
    constants.FLUX_JOB_STATE_CLEANUP: ("CLEANUP", "cleanup", "C", "c"),
    constants.FLUX_JOB_STATE_INACTIVE: ("INACTIVE", "inactive", "I", "i"),
    constants.FLUX_JOB_STATE_PENDING: ("PENDING", "pending", "PD", "pd"),
    constants.FLUX_JOB_STATE_RUNNING: ("RUNNING", "running", "RU", "ru"),
    constants.FLUX_JOB_STATE_ACTIVE: ("ACTIVE", "active", "A", "a"),
}
_RESULTS = {
    constants.FLUX_JOB_RESULT_COMPLETED: ("COMPLETED", "completed", "CD", "cd"),
    constants.FLUX_JOB_RESULT_FAILED: ("FAILED", "failed", "F", "f"),
    constants.FLUX_JOB_RESULT_CANCELED: ("CANCELED", "canceled", "CA", "ca"),
    constants.FLUX_JOB_RESULT_TIMEOUT: ("TIMEOUT", "timeout", "TO", "to"),
}
_UNKNOWN = ("(unknown)", "(unknown)", "?", "?")
_FMT = {"L": 0, "l": 1, "S": 2, "s": 3}


def _lookup(table: Dict[int, Any], num: Any, fmt: str) -> str:
    names = table.get(num, _UNKNOWN)
    return str(names[_FMT.get(fmt, 0)])


def statetostr(stateid: int, fmt: str = "L") -> str:
    """``RUN``, ``run``, ``R`` or ``r`` (fmt L, l, S, s) for a job state."""
    return _lookup(_STATES, stateid, fmt)


def resulttostr(resultid: Any, fmt: str = "L") -> str:
    """``COMPLETED``, ``CD``... for a job result ("" when there is none)."""
    if resultid == "":
        return ""
    return _lookup(_RESULTS, resultid, fmt)


def statustostr(stateid: int, resultid: Any, fmt: str = "L") -> str:
    """The state while the job is active, its result once inactive."""
    if stateid & (constants.FLUX_JOB_STATE_PENDING | constants.FLUX_JOB_STATE_RUNNING):
        return statetostr(stateid, fmt)
    return resulttostr(resultid, fmt)


# What the ``*_emoji`` fields show; the second text is for a stdout that cannot encode it.
_STATE_EMOJI = {
    "N": "\U0001f381",  # wrapped gift
    "D": "\U0001f6d1",  # stop sign
    "P": "\U0001f6a6",  # vertical traffic light
    "S": "\U0001f4c5",  # calendar
    "R": "\U0001f3c3",  # person running
    "C": "\U0001f5d1",  # wastebasket
    "I": "\U0001f480",  # skull
}
_RESULT_EMOJI = {
    "CD": ("\U0001f600", ":-)"),  # grinning face
    "F": ("\U0001f4a9", ":'-("),  # pile of poo
    "CA": ("\U0001f4a5", "%-|"),  # collision
    "TO": ("\u231b", "(-_-)"),  # hourglass done
}


def _stdout_can_encode(text: str) -> bool:
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def statetoemoji(stateid: int) -> str:
    """A picture for the job state (its one-letter name when stdout cannot show it)."""
    short = statetostr(stateid, "S")
    emoji = _STATE_EMOJI.get(short, short)
    return emoji if _stdout_can_encode(emoji) else short


def resulttoemoji(resultid: Any) -> str:
    """A picture for the job result (an ASCII face when stdout cannot show it); a wide blank if none."""
    if resultid == "":
        emoji, alt = "\u3000", ""  # ideographic space
    else:
        emoji, alt = _RESULT_EMOJI.get(resulttostr(resultid, "S"), ("?", "?"))
    return emoji if _stdout_can_encode(emoji) else alt


def statustoemoji(stateid: int, resultid: Any) -> str:
    if stateid & (constants.FLUX_JOB_STATE_PENDING | constants.FLUX_JOB_STATE_RUNNING):
        return statetoemoji(stateid)
    return resulttoemoji(resultid)


def get_username(userid: int) -> str:
    try:
        return pwd.getpwuid(userid).pw_name
    except KeyError:
        return str(userid)


class ExceptionInfo:
    def __init__(self, occurred: Any, severity: Any, _type: Any, note: Any) -> None:
        self.occurred = occurred
        self.severity = severity
        self.type = _type
        self.note = note


class EmptyObject:
    """Stands for a missing value: empty in str() and format()."""

    def __getattr__(self, attr: str) -> EmptyObject:
        return EmptyObject()

    def __repr__(self) -> str:
        return ""

    def __str__(self) -> str:
        return ""

    def __format__(self, spec: str) -> str:
        return "".__format__(spec.rstrip("bcdoxXeEfFgGn%"))


class AnnotationsInfo:
    """Attribute access to annotations (``info.annotations.user.uri``)."""

    def __init__(self, annotationsDict: Dict[str, Any]) -> None:  # noqa: N803
        self.annotationsDict = annotationsDict
        fields = [k for k in annotationsDict if k.isidentifier()]
        self.atuple = namedtuple("X", fields)(
            *(
                AnnotationsInfo(annotationsDict[k]) if isinstance(annotationsDict[k], dict) else annotationsDict[k]
                for k in fields
            )
        )

    def __repr__(self) -> str:
        import json

        return json.dumps(self.annotationsDict) if self.annotationsDict else ""

    def __getattr__(self, attr: str) -> Any:
        try:
            return object.__getattribute__(self.atuple, attr)
        except AttributeError:
            return EmptyObject()


class StatsInfo(JobStats):
    """Job counts of a subinstance, shown as ``PD:n R:n CD:n F:n`` in a format field."""

    def __init__(self, handle: Any = None) -> None:
        super().__init__(handle)

    def __repr__(self) -> str:
        return f"PD:{self.pending} R:{self.running} CD:{self.successful} F:{self.failed}"

    def __format__(self, fmt: str) -> str:
        return str(self).__format__(fmt)


class InstanceInfo:
    """Job counts and resources of a running subinstance (the ``instance.*`` fields).

    Every field is "" when the job is not an instance or cannot be reached.
    """

    def __init__(self, uri: Any = None) -> None:
        self.initialized = False
        self.stats: Any = EmptyObject()
        self.resources: Any = EmptyObject()
        if not uri:
            return
        from ..core.handle import Flux
        from ..resource import resource_list

        try:
            handle = Flux(str(uri))
            future = resource_list(handle)
            stats = StatsInfo(handle).update_sync()
            resources = future.get()
        except (ValueError, OSError):
            return
        self.stats, self.resources, self.initialized = stats, resources, True

    @memoized_property
    def utilization(self) -> Any:
        if self.initialized and self.resources.all.ncores:
            return self.resources.allocated.ncores / self.resources.all.ncores
        return ""

    @memoized_property
    def gpu_utilization(self) -> Any:
        if self.initialized and self.resources.all.ngpus > 0:
            return self.resources.allocated.ngpus / self.resources.all.ngpus
        return ""

    @memoized_property
    def progress(self) -> Any:
        if self.initialized and self.stats.total != 0:
            return self.stats.inactive / self.stats.total
        return ""

    def __getattr__(self, attr: str) -> Any:
        # only reached for unknown names: empty until the instance answered
        if attr.startswith("_") or self.__dict__.get("initialized"):
            raise AttributeError(attr)
        return ""


class InfoList(list):
    """A list shown comma-separated in a format field."""

    def __str__(self) -> str:
        return ",".join(self)


class DependencyList(InfoList):
    """Dependencies as flux jobs shows them: ``begin-time=T`` becomes ``begin@HH:MM[:SS]``
    (with the date when not today)."""

    def __init__(self, items: Iterable[str]) -> None:
        shown = []
        for dep in items:
            if dep.startswith("begin-time="):
                when = datetime.fromtimestamp(float(dep.partition("=")[2])).astimezone()
                stamp = f"{when:%H:%M}" if when.date() == datetime.today().date() else f"{when:%b%d-%H:%M}"
                dep = f"begin@{stamp}" + (f":{when:%S}" if when.second > 0 else "")
            shown.append(dep)
        super().__init__(shown)


class JobInfo:
    """One job-list record with computed fields (state, result, status, returncode, runtime...).

    Missing fields take defaults (0.0 for times, "" for most others).
    """

    defaults: Dict[str, Any] = {
        "t_depend": 0.0,
        "t_priority": 0.0,
        "t_sched": 0.0,
        "t_run": 0.0,
        "t_cleanup": 0.0,
        "t_inactive": 0.0,
        "duration": 0.0,
        "expiration": 0.0,
        "name": "",
        "cwd": "",
        "queue": "",
        "project": "",
        "bank": "",
        "ntasks": "",
        "ncores": "",
        "nnodes": "",
        "priority": "",
        "ranks": "",
        "nodelist": "",
        "success": "",
        "result": "",
        "waitstatus": "",
    }
    properties = (
        "id",
        "t_submit",
        "t_remaining",
        "state",
        "result",
        "username",
        "userid",
        "urgency",
        "runtime",
        "status",
        "returncode",
        "dependencies",
    )

    def __init__(self, info_resp: Dict[str, Any]) -> None:
        data = dict(self.defaults)
        data.update(info_resp)
        data["id"] = JobID(data["id"])
        if "state" in data:
            data["state_id"] = data.pop("state")
        if "result" in data:
            data["result_id"] = data.pop("result")
        data["exception"] = ExceptionInfo(
            data.get("exception_occurred", ""),
            data.get("exception_severity", ""),
            data.get("exception_type", ""),
            data.get("exception_note", ""),
        )
        annotations = AnnotationsInfo(data.get("annotations", {}))
        data["annotations"] = annotations
        data["sched"] = annotations.sched
        data["user"] = annotations.user
        data["dependencies"] = DependencyList(data.get("dependencies", []))
        for key, value in data.items():
            setattr(self, f"_{key}", value)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        try:
            return object.__getattribute__(self, f"_{attr}")
        except AttributeError:
            raise AttributeError(f"invalid JobInfo attribute '{attr}'") from None

    # -- computed fields ------------------------------------------------------------------
    @property
    def state(self) -> str:
        return statetostr(self.state_id)

    @property
    def state_single(self) -> str:
        return statetostr(self.state_id, "S")

    @property
    def result(self) -> str:
        return resulttostr(self.result_id)

    @property
    def result_abbrev(self) -> str:
        return resulttostr(self.result_id, "S")

    @property
    def status(self) -> str:
        return statustostr(self.state_id, self.result_id)

    @property
    def status_abbrev(self) -> str:
        return statustostr(self.state_id, self.result_id, "S")

    @property
    def username(self) -> str:
        return get_username(self.userid)

    @property
    def state_emoji(self) -> str:
        return statetoemoji(self.state_id)

    @property
    def result_emoji(self) -> str:
        return resulttoemoji(self.result_id)

    @property
    def status_emoji(self) -> str:
        return statustoemoji(self.state_id, self.result_id)

    @memoized_property
    def uri(self) -> Any:
        """The job's own instance URI (a JobURI) when it is a Flux instance, else None."""
        from ..uri import JobURI

        text = str(self.user.uri)
        return JobURI(text) if text else None

    def get_instance_info(self) -> JobInfo:
        """Fetch the ``instance.*`` fields (counts and resources of a running subinstance)."""
        running = self.uri and self.state_single == "R"
        self._instance = InstanceInfo(self.uri if running else None)
        return self

    @property
    def contextual_info(self) -> Any:
        """Why a pending job waits (priority-wait, depends:..., eta:..., held, priority-hold),
        else the nodes it ran on."""
        state = self.state
        if state == "PRIORITY":
            return "priority-wait"
        if state == "DEPEND":
            return f"depends:{self.dependencies}"
        if state != "SCHED":
            return self.nodelist
        try:
            eta = self.sched.t_estimate - time.time()
        except TypeError:
            if self.urgency == 0:
                return "held"
            if self.priority == 0:
                return "priority-hold"
            return ""
        from ..util import fsd

        return "eta:" + ("now" if eta < 0 else fsd(eta))

    @property
    def contextual_time(self) -> float:
        """The requested duration while pending, else the run time."""
        if self.state in ("PRIORITY", "DEPEND", "SCHED"):
            return float(self.duration)
        return self.runtime

    @property
    def inactive_reason(self) -> str:
        """Why an inactive job ended: Canceled[: note], Exception: type=..., a signal, Exit N..."""
        if self.state != "INACTIVE":
            return ""
        result = self.result
        exc = self.exception
        if result == "CANCELED":
            if exc.occurred and exc.type == "cancel" and exc.note:
                return f"Canceled: {exc.note}"
            return "Canceled"
        if result == "TIMEOUT":
            return "Timeout"
        if result != "FAILED":
            return f"Exit {self.returncode}"
        # an exec exception shows through the return code (e.g. 127: command not found)
        if exc.occurred and exc.type != "exec" and exc.severity == 0:
            note = f" note={exc.note}" if exc.note else ""
            return f"Exception: type={exc.type}{note}"
        code = self.returncode
        if code > 128:
            try:
                return signal.strsignal(code - 128) or f"Signaled {code - 128}"
            except ValueError:
                return f"Signaled {code - 128}"
        return _EXIT_REASONS.get(code, f"Exit {code}")

    def get_runtime(self) -> float:
        if self.t_cleanup > 0 and self.t_run > 0:
            return float(self.t_cleanup - self.t_run)
        if self.t_run > 0:
            return time.time() - self.t_run
        return 0.0

    @property
    def runtime(self) -> float:
        return self.get_runtime()

    def get_remaining_time(self) -> float:
        try:
            if str(self.status) != "RUN":
                return 0.0
            left = float(self.expiration - time.time())
        except (KeyError, AttributeError):
            return 0.0
        return max(left, 0.0)

    @property
    def t_remaining(self) -> float:
        return self.get_remaining_time()

    @property
    def returncode(self) -> Any:
        """The exit code (-signal if signalled), -128 if canceled before running, 1 if failed
        without a status, "" while active."""
        status = self.waitstatus
        if not isinstance(status, int):
            try:
                result_id = self.result_id
            except AttributeError:
                return ""
            if result_id == constants.FLUX_JOB_RESULT_CANCELED:
                return -128
            if result_id == constants.FLUX_JOB_RESULT_FAILED:
                return 1
            return ""
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status)
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        return ""

    def to_dict(self, filtered: bool = True) -> Dict[str, Any]:
        """The record as a dict, with ``jobid`` in f58; ``filtered`` drops empty and unset values."""
        result: Dict[str, Any] = {}
        for attr in [*self.defaults, *self.properties]:
            try:
                val = getattr(self, attr)
            except AttributeError:
                val = None
            if val is not None:
                result[attr] = val
        result["jobid"] = self.id.f58
        result["annotations"] = self.annotations.annotationsDict
        result["exception"] = self.exception.__dict__
        if self.uri is not None:
            result["uri"] = str(self.uri)
        if not filtered:
            return result
        for key in list(result):
            val = result[key]
            if val == "" or ((key.startswith("t_") or key in ("runtime", "expiration")) and val == 0):
                del result[key]
            if key == "exception" and not val["occurred"]:
                result["exception"] = {"occurred": False}
        if self.uri is not None:  # shown as "uri" already
            user = dict(result["annotations"]["user"])
            del user["uri"]
            result["annotations"] = {**result["annotations"], "user": user}
            if not user:
                del result["annotations"]["user"]
        return result


_EXIT_REASONS = {126: "Command invoked cannot execute", 127: "command not found", 128: "Invalid argument to exit"}

_EXC = ("exception_occurred", "exception_severity", "exception_type", "exception_note")
_STATE_RESULT = ("state", "result")

# JobInfo field -> the job-list attributes it is computed from ("id" always comes)
_FIELD_ATTRS: Dict[str, tuple] = {
    **{name: () for name in ("id", "id.dec", "id.hex", "id.f58", "id.f58plain", "id.emoji", "id.kvs",
                             "id.words", "id.dothex")},
    **{name: (name,) for name in ("userid", "urgency", "priority", "state", "name", "cwd", "queue",
                                  "project", "bank", "ntasks", "ncores", "duration", "nnodes", "ranks",
                                  "nodelist", "success", "waitstatus", "result", "t_submit", "t_depend",
                                  "t_priority", "t_sched", "t_run", "t_cleanup", "t_inactive",
                                  "annotations", "dependencies")},
    **{f"exception.{part}": (f"exception_{part}",) for part in ("occurred", "severity", "type", "note")},
    "username": ("userid",),
    "state_single": ("state",),
    "state_emoji": ("state",),
    "result_abbrev": ("result",),
    "result_emoji": ("result",),
    "returncode": ("waitstatus", "result"),
    "runtime": ("t_run", "t_cleanup"),
    "status": _STATE_RESULT,
    "status_abbrev": _STATE_RESULT,
    "status_emoji": _STATE_RESULT,
    "expiration": ("expiration", *_STATE_RESULT),
    "t_remaining": ("expiration", *_STATE_RESULT),
    "contextual_info": ("state", "dependencies", "annotations", "nodelist", "priority", "urgency"),
    "contextual_time": ("state", "t_run", "t_cleanup", "duration"),
    "inactive_reason": (*_STATE_RESULT, "waitstatus", *_EXC),
    "sched": ("annotations",),
    "user": ("annotations",),
    "uri": ("annotations",),
    "uri.local": ("annotations",),
}  # fmt: skip


def job_fields_to_attrs(fields: Iterable[str]) -> Set[str]:
    """The job-list attributes to request for these JobInfo fields (KeyError for an unknown one)."""
    attrs: Set[str] = set()
    for field in fields:
        if field.startswith(("annotations.", "sched.", "user.")):
            attrs.add("annotations")
        elif field.startswith("instance."):
            attrs.update(("annotations", *_STATE_RESULT))
        else:
            attrs.update(_FIELD_ATTRS[field])
    return attrs


class JobInfoFormat(OutputFormat):
    """An output format for JobInfo records (what ``flux jobs -o`` takes), with their headings.

    Besides the fixed fields, any ``annotations.*``, ``sched.*``, ``user.*`` and
    ``instance.*`` field is accepted; its heading is made from its name.
    """

    headings: Dict[str, str] = {
        **{name: "JOBID" for name in ("id", "id.dec", "id.hex", "id.f58", "id.f58plain", "id.emoji", "id.kvs",
                                      "id.words", "id.dothex")},
        "userid": "UID", "username": "USER", "urgency": "URG", "priority": "PRI", "state": "STATE",
        "state_single": "S", "state_emoji": "STATE", "name": "NAME", "cwd": "CWD", "queue": "QUEUE",
        "project": "PROJECT", "bank": "BANK", "ntasks": "NTASKS", "ncores": "NCORES", "duration": "DURATION",
        "nnodes": "NNODES", "expiration": "EXPIRATION", "t_remaining": "T_REMAINING", "ranks": "RANKS",
        "nodelist": "NODELIST", "success": "SUCCESS", "result": "RESULT", "result_abbrev": "RS",
        "result_emoji": "RESULT", "t_submit": "T_SUBMIT", "t_depend": "T_DEPEND", "t_priority": "T_PRIORITY",
        "t_sched": "T_SCHED", "t_run": "T_RUN", "t_cleanup": "T_CLEANUP", "t_inactive": "T_INACTIVE",
        "runtime": "RUNTIME", "status": "STATUS", "status_abbrev": "ST", "status_emoji": "STATUS",
        "waitstatus": "WSTATUS", "returncode": "RC", "exception.occurred": "EXCEPTION-OCCURRED",
        "exception.severity": "EXCEPTION-SEVERITY", "exception.type": "EXCEPTION-TYPE",
        "exception.note": "EXCEPTION-NOTE", "annotations": "ANNOTATIONS", "dependencies": "DEPENDENCIES",
        "contextual_info": "INFO", "contextual_time": "TIME", "inactive_reason": "INACTIVE-REASON",
        # RFC 27's scheduler annotations
        "annotations.sched.t_estimate": "T_ESTIMATE", "annotations.sched.reason_pending": "REASON",
        "annotations.sched.resource_summary": "RESOURCES", "sched": "SCHED", "sched.t_estimate": "T_ESTIMATE",
        "sched.reason_pending": "REASON", "sched.resource_summary": "RESOURCES", "user": "USER", "uri": "URI",
        "uri.local": "URI", "instance.stats.total": "NJOBS", "instance.utilization": "CORE%",
        "instance.gpu_utilization": "GPU%", "instance.progress": "PROG",
        **{f"instance.resources.{state}.{kind}": heading
           for state, heading in (("all", ""), ("up", "UP"), ("down", "DOWN"), ("allocated", "USED"),
                                  ("free", "FREE"))
           for kind in ("ncores", "ngpus", "nnodes")},
        "instance.resources.all.ncores": "CORES", "instance.resources.all.ngpus": "GPUS",
        "instance.resources.all.nnodes": "NODES",
    }  # fmt: skip

    def __init__(self, fmt: str, headings: Optional[Dict[str, str]] = None, prepend: Optional[str] = None) -> None:
        # As flux-core, open-ended fields are added to the class's table of headings.
        for _, field, _, _ in string.Formatter().parse(fmt):
            if not field or field in self.headings:
                continue
            if field.startswith("annotations."):
                self.headings[field] = field[len("annotations.") :].upper()
            elif field.startswith(("sched.", "user.")):
                self.headings[field] = field.upper()
            elif field.startswith("instance."):
                heading = field[len("instance.") :].upper()
                self.headings[field] = heading[len("RESOURCES.") :] if heading.startswith("RESOURCES.") else heading
        super().__init__(fmt)
