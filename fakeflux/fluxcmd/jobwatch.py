"""Reading a job's eventlogs over fakeflux's ``flux`` handle, as libjob does for the
commands: ``job-info.eventlog-watch`` streams, ``job-info.lookup``, and the job's
result (what ``flux job status`` and ``flux job attach`` report)."""

from __future__ import annotations

import errno
import json
import os
import signal
from typing import Any, Dict, Iterator, List, Optional

from flux.constants import FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING  # type: ignore[import-not-found,unused-ignore]
from flux.job import JobID  # type: ignore[import-not-found,unused-ignore]

# `flux job eventlog -p` short names (flux-core's path_lookup)
PATHS = {"exec": "guest.exec.eventlog", "output": "guest.output", "input": "guest.input"}
WAITCREATE = 1


def parse_jobid(prog: str, text: str) -> int:
    """parse_jobid: any of flux-core's encodings, or ``prog: TEXT: malformed input``."""
    from .common import die

    try:
        return int(JobID(text))
    except (ValueError, OSError, TypeError):
        die(prog, f"{text}: malformed input")


def idf58(jobid: int) -> str:
    """A job id as flux-core's C commands print it: F58 with its "ƒ" prefix
    (``f`` when FLUX_F58_FORCE_ASCII is set), whatever the locale."""
    prefix = "f" if os.environ.get("FLUX_F58_FORCE_ASCII") else "\u0192"
    return prefix + JobID(jobid).encode("f58plain")[1:]  # f58plain is "f" + the digits


def eventlog_path(path: str) -> str:
    return PATHS.get(path, path)


class EventWatch:
    """One eventlog watched entry by entry; ``cancel()`` ends the stream (ENODATA)."""

    def __init__(self, h: Any, jobid: int, path: str = "eventlog", flags: int = 0) -> None:
        self.h = h
        self.future = h.rpc(
            "job-info.eventlog-watch", {"id": jobid, "path": path, "flags": flags}, flags=FLUX_RPC_STREAMING
        )

    def next(self, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """The next entry, or None at the end; OSError as the watch failed (ETIMEDOUT on timeout)."""
        try:
            if timeout is not None and timeout >= 0:
                self.future.wait_for(timeout)
            text = self.future.get()["event"]
        except TimeoutError:
            raise OSError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT)) from None
        except OSError as exc:
            if exc.errno == errno.ENODATA:
                return None
            raise
        self.future.reset()
        entry = json.loads(text)
        if not isinstance(entry, dict):
            raise OSError(errno.EPROTO, os.strerror(errno.EPROTO))
        return entry

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        while True:
            entry = self.next()
            if entry is None:
                return
            yield entry

    def cancel(self) -> None:
        self.h.rpc(
            "job-info.eventlog-watch-cancel", {"matchtag": self.future.pimpl.get_matchtag()}, flags=FLUX_RPC_NORESPONSE
        )


def lookup(h: Any, jobid: int, keys: List[str], flags: int = 0) -> Dict[str, Any]:
    resp = h.rpc("job-info.lookup", {"id": jobid, "keys": keys, "flags": flags}).get()
    return resp if isinstance(resp, dict) else {}


def eventlog_entries(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Result:
    """flux_job_result: the job's result object built from its main eventlog, key by
    key as libjob builds it (``id``, ``exception_occurred``, then ``t_submit``,
    ``t_run``, the exception, ``t_cleanup``, ``waitstatus`` as events come, ``result``)."""

    COMPLETED, FAILED, CANCELED, TIMEOUT = 1, 2, 4, 8

    def __init__(self, jobid: int) -> None:
        self.res: Dict[str, Any] = {"id": jobid, "exception_occurred": False}

    @property
    def waitstatus(self) -> Optional[int]:
        return self.res.get("waitstatus")

    @property
    def exception(self) -> bool:
        return bool(self.res["exception_occurred"])

    @property
    def exception_type(self) -> Optional[str]:
        return self.res.get("exception_type")

    @property
    def exception_severity(self) -> Optional[int]:
        return self.res.get("exception_severity")

    def add(self, entry: Dict[str, Any]) -> None:
        name = entry.get("name")
        ctx = entry.get("context") or {}
        ts = entry.get("timestamp")
        if name == "submit":
            self.res["t_submit"] = ts
        elif name == "alloc":
            self.res["t_run"] = ts
        elif name == "finish":
            self.res["t_cleanup"] = ts
            self.res["waitstatus"] = ctx.get("status")
        elif name == "exception":
            previous = self.res.get("exception_severity", -1)
            # as libjob: a later exception replaces the first unless that one was less severe
            # (and more than 0)
            if self.res["exception_occurred"] and previous > 0 and previous < ctx.get("severity", 0):
                return
            self.res["exception_occurred"] = True
            self.res["exception_type"] = ctx.get("type")
            self.res["exception_note"] = ctx.get("note")
            self.res["exception_severity"] = ctx.get("severity")

    def result(self) -> int:
        if self.res.get("t_run", 0) > 0 and self.res.get("waitstatus", -1) == 0:
            return self.COMPLETED
        if self.exception:
            if self.exception_type == "cancel":
                return self.CANCELED
            if self.exception_type == "timeout":
                return self.TIMEOUT
        return self.FAILED

    def as_json(self) -> Dict[str, Any]:
        return {**self.res, "result": self.result()}

    def exitcode(self) -> int:
        status = self.waitstatus
        if status is None:
            return 0
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        return os.WEXITSTATUS(status)


def result(h: Any, jobid: int) -> Result:
    res = Result(jobid)
    for entry in EventWatch(h, jobid):
        res.add(entry)
        if entry.get("name") == "clean":
            break
    return res


def waitstatus_text(status: int) -> str:
    """flux_job_waitstatus_to_exitcode's error text."""
    if os.WIFSIGNALED(status):
        return f"job shell {signal.strsignal(os.WTERMSIG(status))}"
    code = os.WEXITSTATUS(status)
    if code > 128:
        return f"task(s) {signal.strsignal(code - 128)}"
    return f"task(s) exited with exit code {code}"


def waitstatus_exitcode(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
