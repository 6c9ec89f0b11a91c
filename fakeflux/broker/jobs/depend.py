"""Job dependencies (``attributes.system.dependencies``), as flux-core's
builtin job-manager jobtap plugins have them:

* ``after``/``afterstart``, ``afterany``, ``afterok``, ``afternotok``,
  ``afterexcept`` (``dependency-after.c``): wait for another job of the same
  user to start, end, succeed, fail, or end by an exception;
* ``begin-time`` (``begin-time.c``): wait until a wall-clock time;
* ``singleton`` (``dependency-singleton.c``): wait until no other active job
  of the same user has the same explicit job name (except those that wait
  the same way; they are released one at a time, in submission order).

At submit every dependency is checked before the job is accepted (a
rejection is :class:`DependencyRejected`, whose text job-ingest answers
with EINVAL).  Accepted ones are posted as ``dependency-add`` events
between ``submit`` and ``validate``; each is later ``dependency-remove``d
and the job leaves DEPEND once none is outstanding, or it gets a fatal
``dependency`` exception when one can never be satisfied.  Texts, event
order and descriptions are flux-core v0.88's (recorded in
tests/jobs/test_dependencies.py).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from fakeflux.broker.jobs.model import COMPLETED, DEPEND, INACTIVE, JOBID_ANY, NEW, PRIORITY, RUN, Job
from fakeflux.broker.jobs.shell import F58_ALPHABET

if TYPE_CHECKING:
    from fakeflux.broker.jobs.manager import JobSystem

# after* types (dependency-after.c): scheme -> (type, description prefix)
AFTER_START, AFTER_ANY, AFTER_SUCCESS, AFTER_FAILURE, AFTER_EXCEPT = 1, 2, 4, 8, 16
AFTER_SCHEMES: Dict[str, int] = {
    "after": AFTER_START, "afterstart": AFTER_START, "afterany": AFTER_ANY, "afterok": AFTER_SUCCESS,
    "afternotok": AFTER_FAILURE, "afterexcept": AFTER_EXCEPT,
}
AFTER_NAMES = {AFTER_START: "after-start", AFTER_ANY: "after-finish", AFTER_SUCCESS: "after-success",
               AFTER_FAILURE: "after-failure", AFTER_EXCEPT: "after-except"}
SINGLETON = "singleton"
WARNING = 3  # severity of the 'after' deprecation exception, as the plugin raises it


class DependencyRejected(Exception):
    """The job is refused at submit; str() is the text flux-core answers."""


class _After:
    """One after* dependency: ``dependent`` waits on the job it is listed under."""

    def __init__(self, dependent: int, kind: int, description: str) -> None:
        self.dependent = dependent
        self.kind = kind
        self.description = description


# A step of an accepted job's submit: run once the job exists (after "submit")
Step = Callable[[Job], None]


class Dependencies:
    """The dependency plugins' state, for one :class:`JobSystem`."""

    def __init__(self, system: JobSystem) -> None:
        self.system = system
        self._waiters: Dict[int, List[_After]] = {}  # target id -> after* dependencies on it
        self._refs: Dict[int, List[int]] = {}  # dependent id -> targets it waits on
        self._named: Dict[Tuple[int, str], int] = {}  # (userid, name) -> active jobs with that explicit name
        self._singletons: Dict[Tuple[int, str], List[int]] = {}  # (userid, name) -> held singleton jobs
        system.listeners.append(self._on_job)

    # -- submit ----------------------------------------------------------------------------------
    def check(self, job: Job) -> List[Step]:
        """Every dependency of ``job``, in order: what to do once it is
        accepted, or DependencyRejected.  Nothing changes before it is."""
        entries = job.jobspec.get("attributes", {}).get("system", {}).get("dependencies")
        if not isinstance(entries, list):
            return []
        steps: List[Step] = []
        for index, entry in enumerate(entries):
            scheme = entry.get("scheme") if isinstance(entry, dict) else None
            if not isinstance(scheme, str):
                raise DependencyRejected(f"dependency[{index}] missing string scheme")
            if scheme in AFTER_SCHEMES:
                steps += self._check_after(job, scheme, entry)
            elif scheme == "begin-time":
                steps += self._check_begin_time(entry)
            elif scheme == SINGLETON:
                steps += self._check_singleton(job)
            else:
                raise DependencyRejected(f'dependency scheme "{scheme}" not supported')
        return steps

    def accepted(self, job: Job, steps: List[Step]) -> None:
        """The job is in (its "submit" posted): its dependency events, then
        the singleton plugin counts it (job.new)."""
        for step in steps:
            step(job)
        name = explicit_name(job)
        if name is not None:
            self._count(job.userid, name, +1)

    @staticmethod
    def pending(job: Job) -> bool:
        return bool(job.dependencies)

    # -- after* ---------------------------------------------------------------------------------
    def _check_after(self, job: Job, scheme: str, entry: Dict[str, Any]) -> List[Step]:
        kind = AFTER_SCHEMES[scheme]
        value = entry.get("value")
        if not isinstance(value, str):
            raise DependencyRejected(f"dependency: after: {_unpack_error(entry, 'value')}")
        steps: List[Step] = []
        if scheme == "after":
            steps.append(lambda j: self.system.raise_exception(
                j, "dependency", WARNING, "dependency scheme 'after' is deprecated, use 'afterstart'",
                userid=self.system.core.owner))
        target_id = parse_jobid(value)
        if target_id is None or target_id == JOBID_ANY:
            raise DependencyRejected(f'dependency: {scheme}: "{value}" is not a valid jobid')
        target = self.system.jobs.get(target_id)
        if target is None or target.state == NEW:
            raise DependencyRejected(f"dependency: {scheme}: id {value}: job not found")
        if target.userid != job.userid:
            raise DependencyRejected(f"{scheme}: Permission denied for job {value}")
        description = f"{AFTER_NAMES[kind]}={value}"
        steps.append(lambda j: self._add(j, description))
        if target.state == INACTIVE:
            _check_inactive(kind, target, value)
            steps.append(lambda j: self._remove(j, description))
        elif kind == AFTER_START and target.started:
            steps.append(lambda j: self._remove(j, description))
        else:
            steps.append(lambda j: self._wait_on(j, target_id, _After(j.id, kind, description)))
        return steps

    def _wait_on(self, job: Job, target_id: int, after: _After) -> None:
        self._waiters.setdefault(target_id, []).append(after)
        self._refs.setdefault(job.id, []).append(target_id)

    def _release(self, target: Job, kinds: int) -> None:
        """Remove the dependencies on ``target`` of these kinds."""
        waiting = self._waiters.get(target.id, [])
        for after in [a for a in waiting if a.kind & kinds]:
            waiting.remove(after)
            dependent = self.system.jobs.get(after.dependent)
            if dependent is not None:
                self._remove(dependent, after.description)

    def _target_ended(self, target: Job) -> None:
        """release_dependent_jobs: a target that never got resources
        satisfies only afterany; otherwise its result decides."""
        if not target.states_mask & RUN:
            self._release(target, AFTER_ANY)
            self._fail_rest(target, "job never started")
            return
        if target.result != COMPLETED:
            kinds = AFTER_ANY | AFTER_FAILURE
            if _end_event_name(target) == "exception":
                kinds |= AFTER_EXCEPT
        else:
            kinds = AFTER_ANY | AFTER_SUCCESS
        self._release(target, kinds)
        self._fail_rest(target, "can never be satisfied")

    def _fail_rest(self, target: Job, why: str) -> None:
        for after in self._waiters.pop(target.id, []):
            dependent = self.system.jobs.get(after.dependent)
            if dependent is not None and dependent.state != INACTIVE:
                self.system.raise_exception(dependent, "dependency", 0, f"dependency {after.description} {why}",
                                            userid=self.system.core.owner)

    def _forget_refs(self, job: Job) -> None:
        """A dependent that ended (or left DEPEND): its entries go from its targets' lists."""
        for target_id in self._refs.pop(job.id, []):
            waiting = self._waiters.get(target_id)
            if waiting:
                waiting[:] = [a for a in waiting if a.dependent != job.id]

    # -- begin-time -----------------------------------------------------------------------------
    def _check_begin_time(self, entry: Dict[str, Any]) -> List[Step]:
        value = entry.get("value")
        if not isinstance(value, str):
            raise DependencyRejected(f"error processing begin-time: {_unpack_error(entry, 'value')}")
        begin = _parse_timestamp(value)
        if begin is None:
            raise DependencyRejected(f"Invalid begin-time={value}")
        description = f"begin-time={begin:.3f}"

        def step(job: Job) -> None:
            self._add(job, description)
            # the plugin's periodic watcher fires on the next loop turn at the earliest
            self.system.after(job, max(begin - self.system.now(), 0.0), lambda: self._remove(job, description))

        return [step]

    # -- singleton ------------------------------------------------------------------------------
    def _check_singleton(self, job: Job) -> List[Step]:
        name = explicit_name(job)
        if name is None:
            raise DependencyRejected("singleton jobs require a job name")
        key = (job.userid, name)
        if not self._named.get(key):
            return []

        def step(j: Job) -> None:
            self._add(j, SINGLETON)
            self._singletons.setdefault(key, []).append(j.id)

        return [step]

    def _count(self, userid: int, name: str, change: int) -> None:
        """singleton_count_update: when every active job of the pair is a
        held singleton, the first of them goes."""
        key = (userid, name)
        count = self._named.get(key, 0) + change
        held = self._singletons.get(key, [])
        if held and count == len(held):
            first = self.system.jobs.get(held.pop(0))
            if first is not None:
                self._remove(first, SINGLETON)
        if not held:
            self._singletons.pop(key, None)
        if count > 0:
            self._named[key] = count
        else:
            self._named.pop(key, None)

    # -- events and state -----------------------------------------------------------------------
    def _add(self, job: Job, description: str) -> None:
        if job.dependencies is None:
            job.dependencies = []
        deps = job.dependencies
        if description in deps:  # a grudgeset: the same one twice is one
            return
        deps.append(description)
        self.system.post(job, "dependency-add", {"description": description})

    def _remove(self, job: Job, description: str) -> None:
        if job.state not in (NEW, DEPEND):  # flux_jobtap_dependency_remove refuses (EINVAL)
            return
        deps = job.dependencies or []
        if description in deps:
            deps.remove(description)
        self.system.post(job, "dependency-remove", {"description": description})
        if job.state == DEPEND and not deps:
            self.system.dependencies_met(job)

    def _on_job(self, job: Job, what: str, entry: Dict[str, Any]) -> None:
        if what == "event":
            if entry["name"] == "start":
                self._release(job, AFTER_START)
            return
        state = entry["state"]
        if state == PRIORITY:
            self._refs.pop(job.id, None)
        elif state == INACTIVE:
            self._target_ended(job)
            self._forget_refs(job)
            held = [key for key, ids in self._singletons.items() if job.id in ids]
            for key in held:
                self._singletons[key].remove(job.id)
            name = explicit_name(job)
            if name is not None:
                self._count(job.userid, name, -1)


def _check_inactive(kind: int, target: Job, value: str) -> None:
    """dependency_handle_inactive: the target has ended already."""
    if kind != AFTER_ANY and not target.states_mask & RUN:
        raise DependencyRejected(f"dependency: after: {value} never started")
    if kind == AFTER_START and not target.started:
        raise DependencyRejected(f"dependency: after: {value} never started")
    if kind == AFTER_SUCCESS and target.result != COMPLETED:
        raise DependencyRejected(f"dependency: afterok: job {value} failed or was canceled")
    if kind == AFTER_FAILURE and target.result == COMPLETED:
        raise DependencyRejected(f"dependency: afternotok: job {value} succeeded")
    if kind == AFTER_EXCEPT and _end_event_name(target) != "exception":
        raise DependencyRejected(f"dependency: afterexcept: job {value}: no exception")


def _end_event_name(job: Job) -> Optional[str]:
    line = job.end_event
    match = re.search(r'"name":"([^"]*)"', line) if line else None
    return match.group(1) if match else None


def _unpack_error(entry: Dict[str, Any], key: str) -> str:
    """jansson's unpack text for a missing or mistyped string member."""
    if key not in entry:
        return f"Object item not present: {key}"
    return f"Expected string, got {_json_type(entry[key])}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    return "object" if isinstance(value, dict) else "array"


def explicit_name(job: Job) -> Optional[str]:
    """attributes.system.job.name, only when given (not the command's name)."""
    attrs = job.jobspec.get("attributes", {}).get("system", {}).get("job")
    name = attrs.get("name") if isinstance(attrs, dict) else None
    return name if isinstance(name, str) else None


_FLOAT = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def _parse_timestamp(text: str) -> Optional[float]:
    """begin-time.c's parse_timestamp: all of it a number (strtod), finite, >= 0."""
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    if value < 0 or math.isnan(value) or math.isinf(value):
        return None
    return value


_F58 = {c: i for i, c in enumerate(F58_ALPHABET)}
_HEX16 = re.compile(r"[0-9a-fA-F]{4}")


def parse_jobid(text: str) -> Optional[int]:
    """fluid_parse: F58 ("ƒ" or "f"), dothex ("0000.0000.0000.0000", or with
    "job." before it), "0x" hex or decimal; whitespace around it ignored.
    None when it is none of these (the mnemonic word form is not read)."""
    s = text.strip()
    if s.startswith("job."):
        s = s[4:]
    parts = s.split(".")
    if len(parts) == 4 and all(_HEX16.fullmatch(p) for p in parts):
        return int("".join(parts), 16)
    if s[:1] in ("ƒ", "f") and len(s) > 1:
        value = 0
        for char in s[1:]:
            if char not in _F58:
                return None
            value = value * 58 + _F58[char]
        return value if value < 1 << 64 else None
    if s.startswith("0x") and re.fullmatch(r"[0-9a-fA-F]+", s[2:]):
        number = int(s[2:], 16)
    elif s.isascii() and s.isdigit():
        number = int(s)
    else:
        return None
    return number if number < 1 << 64 else None
