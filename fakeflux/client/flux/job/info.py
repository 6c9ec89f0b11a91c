"""Job records of job-list (flux-core's ``flux.job.info``): JobInfo and the state/result names."""

from __future__ import annotations

import os
import pwd
import time
from collections import namedtuple
from typing import Any, Dict, List

from .. import constants
from .JobID import JobID

__all__ = [
    "statetostr",
    "resulttostr",
    "statustostr",
    "ExceptionInfo",
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
        data["dependencies"] = list(data.get("dependencies", []))
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
        if not filtered:
            return result
        for key in list(result):
            val = result[key]
            if val == "" or ((key.startswith("t_") or key in ("runtime", "expiration")) and val == 0):
                del result[key]
            if key == "exception" and not val["occurred"]:
                result["exception"] = {"occurred": False}
        return result


_ALL_ATTRS: List[str] = [
    "id", "userid", "urgency", "priority", "t_submit", "t_depend", "t_priority", "t_sched", "t_run",
    "t_cleanup", "t_inactive", "state", "name", "cwd", "queue", "project", "bank", "ntasks", "ncores",
    "duration", "nnodes", "ranks", "nodelist", "expiration", "waitstatus", "success", "exception_occurred",
    "exception_severity", "exception_type", "exception_note", "result", "annotations", "dependencies",
]  # fmt: skip


def job_fields_to_attrs(fields: Any) -> List[str]:
    """The job-list attributes needed for JobInfo fields (a simplified mapping: each field itself)."""
    attrs = set()
    for field in fields:
        attrs.add(field if field in _ALL_ATTRS else "all")
    return sorted(attrs)
