"""Jobspecs (RFC 14 and its version 1, RFC 25): flux-core's ``flux.job.Jobspec``/``JobspecV1``.

Pure Python.  Construction validates the document and raises ValueError or
TypeError with flux-core's messages; the factories (``from_command`` and
friends) build the minimal legal jobspec for a command.

Validation is written as ordered rule tables run by ``_enforce``: each rule is
a test, the exception class and the message flux-core gives when the test
fails.  The first failing rule wins, so a rule may rely on the ones before it.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import errno
import importlib
import json
import math
import numbers
import os
import pathlib
import re
import threading
import types
from collections import abc
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ..util import Fileref, del_treedict, parse_fsd, set_treedict
from . import _utils
from ._null import is_null

__all__ = ["Jobspec", "JobspecV1", "validate_jobspec"]

_IDSET = re.compile(r"\[?\d+(-\d+)?(,\d+(-\d+)?)*\]?")

# (test, exception class, message): the test is called only when every rule before it held
_Rule = Tuple[Callable[[], object], type, str]


def _enforce(*rules: _Rule) -> None:
    for test, error, message in rules:
        if not test():
            raise error(message)


def _is_map(value: Any) -> bool:
    return isinstance(value, abc.Mapping)


def _is_seq(value: Any) -> bool:
    return isinstance(value, abc.Sequence)


def _int_at_least(value: Any, low: int) -> bool:
    return isinstance(value, int) and value >= low


def _flux_module(name: str) -> Any:
    """A module of the ``flux`` package, imported when validation first needs it."""
    return importlib.import_module(name)


def _convert_jobspec_arg_to_string(jobspec: Any) -> bytes:
    """A jobspec argument (Jobspec, str or bytes) as the bytes submitted.

    None raises OSError(EINVAL), anything else TypeError.
    """
    if is_null(jobspec):
        raise OSError(errno.EINVAL, "jobspec must not be None/NULL")
    text = jobspec.dumps() if isinstance(jobspec, Jobspec) else jobspec
    if isinstance(text, str):
        return text.encode("utf-8", errors="surrogateescape")
    if isinstance(text, bytes):
        return text
    raise TypeError("jobspec must be a Jobspec or string (either binary or unicode)")


def _check_keys(
    present: Iterable[str], *, required: Iterable[str] = (), permitted: Optional[Iterable[str]] = None
) -> None:
    """ValueError naming a required key that is absent, else one outside ``permitted`` (None: any)."""
    have = set(present)
    missing = set(required) - have
    if missing:
        raise ValueError(f"Missing key ({next(iter(missing))})")
    extra = have - set(permitted) if permitted is not None else set()
    if extra:
        raise ValueError(f"Extraneous key ({next(iter(extra))})")


def _check_dependencies(deps: Any) -> None:
    _enforce((lambda: _is_seq(deps), TypeError, "attributes.system.dependencies must be a list"))
    for dep in deps:
        _check_dependency(dep)


def _check_dependency(dep: Any) -> None:
    _check_keys(dep.keys(), required=("scheme", "value"))
    _enforce(
        (lambda: isinstance(dep["scheme"], str), TypeError, "dependency scheme must be a string"),
        (lambda: isinstance(dep["value"], str), TypeError, "dependency value must be a string"),
    )


# ---- RFC 31 constraints --------------------------------------------------------------------

_PROPERTY_FORBIDDEN = "&'\"`|()"


def _nested_constraints(args: Sequence[Any]) -> None:
    for sub in args:
        _validate_constraint(sub)


def _property_names(args: Sequence[Any]) -> None:
    for name in args:
        if any(part in _PROPERTY_FORBIDDEN for part in name):
            raise TypeError(f"invalid character in property '{name}'")


def _rank_sets(args: Sequence[Any]) -> None:
    idset = _flux_module("flux.idset")
    for text in args:
        idset.decode(text)


def _host_sets(args: Sequence[Any]) -> None:
    hostlist = _flux_module("flux.hostlist")
    for text in args:
        _validate_hosts(hostlist.decode(text))


# operator -> check of its argument list
_CONSTRAINT_OPERATORS: Dict[str, Callable[[Sequence[Any]], None]] = {
    "and": _nested_constraints,
    "or": _nested_constraints,
    "not": _nested_constraints,
    "properties": _property_names,
    "ranks": _rank_sets,
    "hostlist": _host_sets,
}


def _validate_constraint(constraints: Any) -> None:
    """RFC 31 constraints: operators and, or, not, properties, hostlist, ranks."""
    _enforce((lambda: _is_map(constraints), TypeError, "constraints must be a mapping"))
    for operator, args in constraints.items():
        _check_constraint_term(operator, args)


def _check_constraint_term(operator: Any, args: Any) -> None:
    _enforce(
        (lambda: isinstance(operator, str), TypeError, f"constraint operation {operator} is not a string"),
        (lambda: _is_seq(args), TypeError, f"argument to constraint {operator} must be a sequence"),
        (lambda: operator in _CONSTRAINT_OPERATORS, TypeError, f"unknown constraint operator '{operator}'"),
    )
    _CONSTRAINT_OPERATORS[operator](args)


# Host constraints are checked against the enclosing instance's hostlist.  Per
# thread, a handle is opened on first use (attribute ``flux``) and the hostlist
# asked for once (attribute ``hostlist``; None when unknown: then not checked).
_tls = threading.local()


def _thread_handle() -> Any:
    if getattr(_tls, "flux", None) is None:
        from ..core.handle import Flux

        _tls.flux = Flux()
    return _tls.flux


def _instance_hostlist() -> Any:
    cache = vars(_tls)
    if "hostlist" not in cache:
        cache["hostlist"] = None
        with contextlib.suppress(FileNotFoundError, ValueError):
            text = _thread_handle().attr_get("hostlist")
            if text is not None:
                cache["hostlist"] = _flux_module("flux.hostlist").decode(text)
    return cache["hostlist"]


def _validate_hosts(hosts: Any) -> None:
    """ValueError if ``hosts`` (a Hostlist) names hosts the enclosing instance does not have."""
    known = _instance_hostlist()
    if known is None:
        return
    try:
        known.index(hosts)
    except FileNotFoundError as exc:
        raise ValueError(f"host constraint contains invalid hosts: {exc}") from None


def validate_jobspec(jobspec: Any, require_version: Optional[int] = None) -> Tuple[bool, Jobspec]:
    """Validate a jobspec (object or JSON) by constructing it: ``(True, jobspec)`` or an exception."""
    doc = json.loads(_convert_jobspec_arg_to_string(jobspec))
    _check_keys(doc.keys(), required=Jobspec.top_level_keys, permitted=Jobspec.top_level_keys)
    kind = JobspecV1 if 1 in (require_version, doc.get("version", 0)) else Jobspec
    return True, kind(**doc)


def validate_counts(resources: Sequence[Mapping[str, Any]]) -> None:
    """Every resource count (recursively) must be an int; the first bad one, depth first, is named."""
    pending = list(reversed(resources))
    while pending:
        res = pending.pop()
        count = res["count"]
        if not isinstance(count, int):
            raise ValueError(
                f"resource count must be an integer for type '{res['type']}' (got '{type(count).__name__}')"
            )
        pending.extend(reversed(res.get("with", [])))


def _full_attribute_key(key: str) -> str:
    """``duration`` -> ``attributes.system.duration``; ``user.x`` -> ``attributes.user.x``."""
    if key.startswith("attributes."):
        return key
    head, dot, _rest = key.partition(".")
    scoped = key if dot and head in ("user", "system") else f"system.{key}"
    return f"attributes.{scoped}"


# ---- resources -----------------------------------------------------------------------------

_RANGE_KEYS = ("min", "max", "operand", "operator")


def _positive_range_int(name: str, value: Any) -> None:
    _enforce(
        (lambda: isinstance(value, int), TypeError, f"{name} must be an int"),
        (lambda: value >= 1, ValueError, f"{name} must be > 0"),
    )


def _check_range(rng: Mapping[str, Any]) -> None:
    """An RFC 14 range count: ``{min, max?, operand?, operator?}``."""
    _enforce((lambda: "min" in rng, ValueError, "min must be in range"))
    _check_keys(rng.keys(), permitted=_RANGE_KEYS)
    for key in [k for k in _RANGE_KEYS[:3] if k in rng]:
        _positive_range_int(key, rng[key])
    _enforce(
        (lambda: "max" not in rng or not rng["max"] < rng["min"], ValueError, "max must be >= min"),
        (
            lambda: ("operand" in rng) is ("operator" in rng),
            ValueError,
            "operand and operator must both be in range if either is",
        ),
    )
    if "operator" in rng:
        _check_range_operator(rng["operator"], rng["operand"], rng["min"])


def _check_range_operator(op: Any, operand: int, low: int) -> None:
    _enforce(
        (lambda: isinstance(op, str) and len(op) == 1, TypeError, "operator must be a single character str"),
        (lambda: op in ("+", "*", "^"), ValueError, "operator must be one of ['+', '*', '^']"),
        (lambda: op == "+" or operand > 1, ValueError, "operand must be > 1 for '*' or '^' operator"),
        (lambda: op != "^" or low > 1, ValueError, "min must be > 1 for '^' operator"),
    )


def _check_count_string(text: str) -> None:
    """A count string: an idset, or ``MIN+``/``MIN-MAX`` with ``:OPERAND[:OPERATOR]``."""
    if _IDSET.fullmatch(text):
        return
    span, *extra = text.split(":")
    _enforce(
        (
            lambda: len(extra) <= 2 and ("-" in span or "+" in span),
            ValueError,
            "count string must be a valid idset or range",
        )
    )
    rng: Dict[str, Any] = {}
    low, dash, high = span.partition("-")
    if dash:
        rng["max"] = int(high)
    rng["min"] = int(low if dash else span.rstrip("+"))
    if extra:
        rng["operand"] = int(extra[0])
        rng["operator"] = extra[1] if len(extra) > 1 else "+"
    _check_range(rng)


def _check_int_count(kind: str, count: Any) -> None:
    _enforce(
        (lambda: isinstance(count, int), TypeError, "count must be an int or mapping"),
        (
            lambda: kind not in ("node", "slot", "core") or count >= 1,
            ValueError,
            "node, slot, or core count must be > 0",
        ),
        (lambda: count >= 0, ValueError, "count must be >= 0"),
    )


def _check_resource(res: Any) -> None:
    _enforce(
        (lambda: _is_map(res), TypeError, "resource must be a mapping"),
        (lambda: "type" in res, ValueError, "type is a required key for resources"),
        (lambda: isinstance(res["type"], str), TypeError, "type must be a string"),
        (lambda: "count" in res, ValueError, "count is a required key for resources"),
    )
    count = res["count"]
    if _is_map(count):
        _check_range(count)
    elif isinstance(count, str):
        _check_count_string(count)
    else:
        _check_int_count(res["type"], count)
    not_text = [field for field in ("id", "unit", "label") if field in res and not isinstance(res[field], str)]
    if not_text:
        raise TypeError(f"{not_text[0]} must be a string")
    _enforce(
        (lambda: res.get("exclusive", False) in (True, False), TypeError, "exclusive must be a boolean"),
        (lambda: res["type"] != "slot" or "label" in res, ValueError, "slots must have labels"),
    )


# ---- tasks ---------------------------------------------------------------------------------


def _is_string_list(value: Any) -> bool:
    return not isinstance(value, str) and _is_seq(value) and all(isinstance(item, str) for item in value)


def _check_task_count(count: Any) -> None:
    _enforce(
        (lambda: _is_map(count), TypeError, "count must be a mapping"),
        (lambda: len(count) == 1, ValueError, "count must have exactly one key set"),
        (
            lambda: bool({"per_slot", "per_resource", "total"} & set(count.keys())),
            ValueError,
            "count per_slot, per_resource, or total must be set",
        ),
    )
    (kind, value), *_ = count.items()
    if kind != "per_resource":
        _enforce(
            (lambda: isinstance(value, int), TypeError, f"count {kind} must be an int"),
            (lambda: value > 0, ValueError, f"count {kind} must be > 0"),
        )


def _check_task(task: Any) -> None:
    _enforce((lambda: _is_map(task), TypeError, "task must be a mapping"))
    _check_keys(task.keys(), required=("command", "slot", "count"))
    _check_task_count(task["count"])
    command = task["command"]
    _enforce(
        (lambda: isinstance(task["slot"], str), TypeError, "slot must be a string"),
        (lambda: _is_map(task.get("attributes", {})), TypeError, "attributes must be a mapping"),
        (lambda: len(command) > 0, TypeError, "command array cannot have length of zero"),
        (lambda: _is_string_list(command), TypeError, "command must be a list of strings"),
    )


# ---- attributes ----------------------------------------------------------------------------

# attributes.system key -> check of its value, when present
_SYSTEM_ATTRIBUTE_CHECKS: Dict[str, Callable[[Any], None]] = {
    "dependencies": _check_dependencies,
    "constraints": _validate_constraint,
}


def _check_attributes(attributes: Mapping[str, Any]) -> None:
    _check_keys(attributes.keys(), permitted=("system", "user"))
    system = attributes.get("system")
    if system is None:
        return
    for key, check in _SYSTEM_ATTRIBUTE_CHECKS.items():
        if key in system:
            check(system[key])


# ---- per_resource() ------------------------------------------------------------------------


def _per_resource_option(kind: Any, count: Any) -> Optional[Dict[str, Any]]:
    """The ``per-resource`` shell option of ``per_resource()`` (both or neither of type and count)."""
    if kind is None and count is None:
        return None
    _enforce(
        (lambda: count is not None, ValueError, "must specify a per_resource_count with per_resource_type"),
        (lambda: kind is not None, ValueError, "must specify a per_resource_type with per_resource_count"),
        (lambda: isinstance(kind, str), ValueError, "per_resource_type must be a string"),
        (lambda: kind in ("node", "core"), ValueError, f"Invalid per_resource_type='{kind}' specified"),
        (lambda: isinstance(count, int), ValueError, "per_resource_count must be an integer"),
        (lambda: count >= 1, ValueError, "per_resource_count must be >= 1"),
    )
    return {"type": kind, "count": count}


def _per_resource_layout(ncores: Optional[int], nnodes: Optional[int], exclusive: bool) -> Tuple[int, int]:
    """(slots, cores per slot) of ``per_resource()``: with nodes, slots per node; else slots in total."""
    if nnodes and ncores:
        _enforce(
            (lambda: ncores >= nnodes, ValueError, "number of cores cannot be less than nnodes"),
            (lambda: ncores % nnodes == 0, ValueError, "number of cores must be evenly divisible by node count"),
        )
        return 1, ncores // nnodes
    if ncores:
        return ncores, 1
    _enforce(
        (lambda: bool(nnodes), ValueError, "must specify node or core count with per_resource"),
        (lambda: exclusive, ValueError, "Specifying nnodes also requires ncores or exclusive"),
    )
    return 1, 1


# ---- the jobspec object --------------------------------------------------------------------


def _document_field(name: str) -> Any:
    """A read-only property: one top-level field of the document (None when absent)."""
    return property(lambda self: self.jobspec.get(name), doc=f"The jobspec's {name}.")


def _io_property(section: str, stream: str) -> Any:
    """A property for a standard stream: the file it is routed to (None: not routed to a file)."""

    def read(self: Jobspec) -> Any:
        try:
            return self.getattr(f"shell.options.{section}.{stream}.path")
        except KeyError:
            return None

    def write(self: Jobspec, path: Any) -> None:
        self._route_io(section, stream, path)

    return property(read, write, doc=f"The file {stream} is routed to.")


def _seconds(duration: Any) -> float:
    """A duration (seconds, FSD string or timedelta) in seconds."""
    if isinstance(duration, str):
        return parse_fsd(duration)
    if isinstance(duration, datetime.timedelta):
        return duration.total_seconds()
    if isinstance(duration, (float, int)):
        return float(duration)
    raise TypeError("duration must be an int, float, string, or timedelta")


# shell options unbuffered output sets, with their values
_UNBUFFERED_OPTIONS: Tuple[Tuple[str, Any], ...] = (
    ("output.stdout.buffer.type", "none"),
    ("output.stderr.buffer.type", "none"),
    ("output.batch-timeout", 0.05),
    ("input.batch-timeout", 0.0),
)


class Jobspec:
    """A canonical jobspec (RFC 14): ``Jobspec(resources, tasks, attributes, version)``."""

    top_level_keys = {"resources", "tasks", "version", "attributes"}

    def __init__(self, resources: Any, tasks: Any, attributes: Any, version: Any) -> None:
        _enforce(
            (lambda: _is_seq(resources), TypeError, "resources must be a sequence"),
            (lambda: _is_seq(tasks), TypeError, "tasks must be a sequence"),
            (lambda: _is_map(attributes), TypeError, "attributes must be a mapping"),
            (lambda: isinstance(version, int), TypeError, "version must be an integer"),
            (lambda: version >= 1, ValueError, "version must be >= 1"),
        )
        self.jobspec: Dict[str, Any] = dict(resources=resources, tasks=tasks, attributes=attributes, version=version)
        for res in self:
            _check_resource(res)
        for task in tasks:
            _check_task(task)
        _check_attributes(attributes)

    # -- other constructors ---------------------------------------------------------------
    @classmethod
    def from_yaml_stream(cls, yaml_stream: Any) -> Any:
        """A jobspec from YAML text or a file-like object."""
        import yaml

        doc = yaml.safe_load(yaml_stream)
        _check_keys(doc.keys(), required=cls.top_level_keys, permitted=cls.top_level_keys)
        return cls(**doc)

    @classmethod
    def from_yaml_file(cls, filename: Union[str, os.PathLike[str]]) -> Any:
        with open(filename, "rb") as stream:
            return cls.from_yaml_stream(stream)

    @staticmethod
    def _create_resource(
        res_type: str, count: int, with_child: Optional[List[Dict[str, Any]]] = None, exclusive: bool = False
    ) -> Dict[str, Any]:
        _enforce(
            (lambda: with_child is None or _is_seq(with_child), TypeError, "child resource must None or a sequence"),
            (lambda: not isinstance(with_child, str), TypeError, "child resource must not be a string"),
            (lambda: count > 0, ValueError, "resource count must be > 0"),
        )
        res: Dict[str, Any] = {"type": res_type, "count": count}
        res.update({"exclusive": True} if exclusive else {})
        res.update({"with": with_child} if with_child else {})
        return res

    @classmethod
    def _create_slot(cls, label: str, count: int, with_child: List[Dict[str, Any]]) -> Dict[str, Any]:
        return {**cls._create_resource("slot", count, with_child), "label": label}

    # -- attribute access ------------------------------------------------------------------
    def getattr(self, key: str) -> Any:
        """An attribute by dotted key (``system.`` assumed); KeyError if missing."""
        value: Any = self.jobspec
        for part in _full_attribute_key(key).split("."):
            value = value.get(part)
            if value is None:
                raise KeyError
        return value

    def _system_value(self, key: str) -> Any:
        try:
            return self.getattr(f"system.{key}")
        except KeyError:
            return None

    def setattr(self, key: str, val: Any) -> None:
        """Set an attribute by dotted key (``system.`` assumed, levels created)."""
        path = _full_attribute_key(key)
        try:
            set_treedict(self.jobspec, path, val)
        except TypeError as exc:
            raise TypeError(f"failed to set {path} to {val}: {exc}") from None

    def setattr_shell_option(self, key: str, val: Any) -> None:
        self.setattr(f"system.shell.options.{key}", val)

    @property
    def duration(self) -> Any:
        """Time limit in seconds (0: unlimited); set from seconds, an FSD string or a timedelta."""
        return self._system_value("duration")

    @duration.setter
    def duration(self, duration: Any) -> None:
        seconds = _seconds(duration)
        _enforce(
            (lambda: not seconds < 0, ValueError, "duration must not be negative"),
            (lambda: math.isfinite(seconds), ValueError, "duration must be a normal, finite value"),
        )
        self.setattr("system.duration", seconds)

    @property
    def queue(self) -> Any:
        return self._system_value("queue")

    @queue.setter
    def queue(self, queue: Any) -> None:
        _enforce((lambda: isinstance(queue, str), TypeError, "queue must be a string"))
        self.setattr("queue", queue)

    @property
    def cwd(self) -> Any:
        return self._system_value("cwd")

    @cwd.setter
    def cwd(self, cwd: Any) -> None:
        path = os.fspath(cwd) if isinstance(cwd, os.PathLike) else cwd
        _enforce((lambda: isinstance(path, str), ValueError, "cwd must be a string"))
        self.setattr("cwd", path)

    @property
    def environment(self) -> Any:
        return self._system_value("environment")

    @environment.setter
    def environment(self, environ: Any) -> None:
        """The whole environment (stored without a copy)."""
        _enforce((lambda: _is_map(environ), ValueError, "environment must be a mapping"))
        self.setattr("environment", environ)

    def _route_io(self, section: str, stream: str, path: Any) -> None:
        """Send a standard stream to (or read it from) a file."""
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"The path must be a string or pathlib object, got {type(path).__name__}")
        for leaf, value in (("type", "file"), ("path", path)):
            self.setattr_shell_option(f"{section}.{stream}.{leaf}", value)

    input = _io_property("input", "stdin")
    output = _io_property("output", "stdout")
    error = _io_property("output", "stderr")
    stdin = input
    stdout = output
    stderr = error

    @property
    def unbuffered(self) -> bool:
        """True when both output streams are unbuffered."""
        try:
            return all(self.getattr(f"shell.options.{opt}") == value for opt, value in _UNBUFFERED_OPTIONS[:2])
        except KeyError:
            return False

    @unbuffered.setter
    def unbuffered(self, value: Any) -> None:
        _enforce((lambda: isinstance(value, bool), TypeError, "unbuffered must be True or False"))
        if value:
            for option, setting in _UNBUFFERED_OPTIONS:
                self.setattr_shell_option(option, setting)
            return
        # Undo: the buffer tables go; a batch timeout only if still at the
        # unbuffered value.  The first option found missing ends the undo.
        with contextlib.suppress(KeyError):
            for option, setting in _UNBUFFERED_OPTIONS:
                if option.endswith(".buffer.type"):
                    doomed = option.rpartition(".")[0]
                elif self.getattr(f"shell.options.{option}") == setting:
                    doomed = option
                else:
                    continue
                del_treedict(self.attributes, f"system.shell.options.{doomed}", remove_empty=True)

    def add_file(self, path: str, data: Any, perms: Optional[int] = None, encoding: Optional[str] = None) -> None:
        """Add an RFC 37 file to ``attributes.system.files`` (content, or a local path to read)."""
        _enforce((lambda: isinstance(data, (abc.Mapping, str)), TypeError, "data must be a Mapping or string"))
        if encoding is None and "\n" in data:
            encoding = "utf-8"  # several lines: text, not a path
        ref = Fileref(data, perms=0o600 if perms is None else perms, encoding=encoding)
        self.jobspec["attributes"]["system"].setdefault("files", {})[path] = ref

    def dumps(self, **kwargs: Any) -> str:
        """The jobspec as JSON (``json.dumps`` keywords accepted)."""
        return json.dumps(obj=self.jobspec, ensure_ascii=False, **kwargs)

    resources = _document_field("resources")
    tasks = _document_field("tasks")
    attributes = _document_field("attributes")
    version = _document_field("version")

    def __iter__(self) -> Iterator[Any]:
        """Every resource, depth first, parents before children."""
        stack = list(reversed(self.resources))
        while stack:
            res = stack.pop()
            yield res
            stack.extend(reversed(res.get("with", []) if isinstance(res, abc.Mapping) else []))

    def resource_walk(self) -> Iterator[Tuple[Any, Any, int]]:
        """``(parent, resource, count)`` depth first; count multiplies the ancestors' counts."""

        def walk(items: Sequence[Any], parent: Any, mult: int) -> Iterator[Tuple[Any, Any, int]]:
            for res in items:
                count = mult * res["count"]
                yield (parent, res, count)
                yield from walk(res.get("with", []), res, count)

        return walk(self.resources, None, 1)

    def resource_counts(self) -> Dict[str, int]:
        """Total count of each resource type."""
        counts: Dict[str, int] = collections.defaultdict(int)
        for _parent, res, count in self.resource_walk():
            counts[res["type"]] += count
        return counts

    def __repr__(self) -> str:
        fields = f"{self.resources}, {self.tasks}, attributes={self.attributes}, version={self.version}"
        return f"{type(self).__name__}({fields})"

    def __str__(self) -> str:
        return str(self.jobspec)


# shell options every nested instance gets
_NESTED_SHELL_OPTIONS = (("per-resource.type", "node"), ("mpi", "none"), ("exit-timeout", "none"))


def _with_command_options(jobspec: JobspecV1, prog: str, kwargs: Dict[str, Any]) -> JobspecV1:
    """``apply_options`` as a command's factory calls it: env and rlimit always (empty: no rules)."""
    env, rlimit = kwargs.pop("env", []), kwargs.pop("rlimit", [])
    return jobspec.apply_options(prog=prog, env=env, rlimit=rlimit, **kwargs)


class JobspecV1(Jobspec):
    """A version 1 jobspec (RFC 25): also requires ``attributes.system.duration``."""

    def __init__(self, resources: Any, tasks: Any, attributes: Any, version: Any = 1) -> None:
        _enforce((lambda: version == 1, ValueError, "version must be 1"))
        super().__init__(resources, tasks, attributes, version)
        _enforce(
            (lambda: "system" in attributes, ValueError, "attributes.system is a required key"),
            (lambda: _is_map(attributes["system"]), ValueError, "attributes.system must be a mapping"),
            (lambda: "duration" in attributes["system"], ValueError, "attributes.system.duration is a required key"),
            (
                lambda: isinstance(attributes["system"]["duration"], numbers.Number),
                ValueError,
                "attributes.system.duration must be a number",
            ),
            (
                lambda: all({"per_slot", "total"} & set(task["count"]) for task in tasks),
                ValueError,
                "count per_slot or total must be set",
            ),
        )
        validate_counts(resources)

    def _set_extra_options(
        self,
        duration: Any = None,
        environment: Optional[Mapping[str, str]] = None,
        env_expand: Optional[Mapping[str, str]] = None,
        cwd: Any = None,
        rlimits: Optional[Mapping[str, int]] = None,
        name: Optional[str] = None,
        input: Any = None,  # noqa: A002 - flux-core's keyword
        output: Any = None,
        error: Any = None,
        label_io: bool = False,
        unbuffered: bool = False,
        queue: Optional[str] = None,
        bank: Optional[str] = None,
    ) -> JobspecV1:
        """The factories' common keywords, applied in flux-core's order (which decides the error first raised)."""
        if duration is not None:
            self.duration = duration
        self.environment = dict(os.environ) if environment is None else environment
        self._set_mapping_option("env-expand", env_expand, "env_expand")
        if cwd is not None:
            self.cwd = cwd
        self._set_mapping_option("rlimit", rlimits, "rlimits")
        if name is not None:
            self.setattr("job.name", name)
        if input is not None:
            self.input = input
        for stream, path in (("stdout", output), ("stderr", error)):
            if path is None or path in ("none", "kvs"):
                continue  # the default: output to the KVS
            self._route_io("output", stream, path)
            if label_io:
                self.setattr_shell_option(f"output.{stream}.label", True)
        if unbuffered:
            self.unbuffered = True
        for key, value in (("queue", queue), ("bank", bank)):
            if value is not None:
                self.setattr(key, value)
        return self

    def _set_mapping_option(self, option: str, value: Any, keyword: str) -> None:
        if value is not None:
            _enforce((lambda: _is_map(value), ValueError, f"{keyword} must be a mapping"))
            self.setattr_shell_option(option, value)

    @classmethod
    def from_command(
        cls,
        command: Sequence[str],
        num_tasks: int = 1,
        cores_per_task: int = 1,
        gpus_per_task: Optional[int] = None,
        num_nodes: Optional[int] = None,
        exclusive: bool = False,
        duration: Any = None,
        environment: Optional[Mapping[str, str]] = None,
        env_expand: Optional[Mapping[str, str]] = None,
        cwd: Any = None,
        rlimits: Optional[Mapping[str, int]] = None,
        name: Optional[str] = None,
        input: Any = None,  # noqa: A002 - flux-core's keyword
        output: Any = None,
        error: Any = None,
        label_io: bool = False,
        unbuffered: bool = False,
        queue: Optional[str] = None,
        bank: Optional[str] = None,
    ) -> JobspecV1:
        """The minimal v1 jobspec running ``command`` as ``num_tasks`` tasks.

        One slot of ``cores_per_task`` cores (and ``gpus_per_task`` GPUs) per
        task, spread over ``num_nodes`` nodes when given.  The environment
        defaults to a copy of ``os.environ``; the duration to 0 (unlimited).
        """
        _enforce(
            (lambda: _int_at_least(num_tasks, 1), ValueError, "task count must be a integer >= 1"),
            (lambda: _int_at_least(cores_per_task, 1), ValueError, "cores per task must be an integer >= 1"),
            (
                lambda: gpus_per_task is None or _int_at_least(gpus_per_task, 0),
                ValueError,
                "gpus per task must be an integer >= 0",
            ),
            (
                lambda: num_nodes is None or _int_at_least(num_nodes, 1),
                ValueError,
                "node count must be an integer >= 1 (if set)",
            ),
            (
                lambda: num_nodes is None or num_nodes <= num_tasks,
                ValueError,
                "node count must not be greater than task count",
            ),
            (lambda: num_nodes is not None or not exclusive, ValueError, "exclusive can only be set with a node count"),
        )
        per_task = [cls._create_resource("core", cores_per_task)]
        if gpus_per_task:
            per_task.append(cls._create_resource("gpu", gpus_per_task))
        if num_nodes is None:
            task_count: Dict[str, int] = {"per_slot": 1}
            top = cls._create_slot("task", num_tasks, per_task)
        else:
            # an uneven spread wastes slots: count tasks in total then
            per_node = -(-num_tasks // num_nodes)
            task_count = {"per_slot": 1} if num_tasks % num_nodes == 0 else {"total": num_tasks}
            top = cls._create_resource("node", num_nodes, [cls._create_slot("task", per_node, per_task)], exclusive)
        tasks = [{"command": command, "slot": "task", "count": task_count}]
        io = (input, output, error, label_io, unbuffered)
        jobspec = cls([top], tasks, attributes={"system": {"duration": 0}})
        return jobspec._set_extra_options(duration, environment, env_expand, cwd, rlimits, name, *io, queue, bank)

    @classmethod
    def from_nest_command(
        cls,
        command: Sequence[str],
        num_slots: int = 1,
        cores_per_slot: int = 1,
        gpus_per_slot: Optional[int] = None,
        num_nodes: Optional[int] = None,
        broker_opts: Optional[Sequence[str]] = None,
        exclusive: bool = False,
        conf: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> JobspecV1:
        """A jobspec for a nested Flux instance (``flux broker [opts] command``)."""
        conf_opt = [] if conf is None else ["-c{{tmpdir}}/conf.json"]
        argv = ["flux", "broker", *(broker_opts or ()), *conf_opt, *command]
        jobspec = cls.from_command(argv, num_slots, cores_per_slot, gpus_per_slot, num_nodes, exclusive, **kwargs)
        for option, value in _NESTED_SHELL_OPTIONS:
            jobspec.setattr_shell_option(option, value)
        if conf is not None:
            jobspec.add_file("conf.json", conf)
        return jobspec

    @classmethod
    def from_batch_command(
        cls,
        script: str,
        jobname: str,
        args: Optional[Sequence[str]] = None,
        num_slots: int = 1,
        cores_per_slot: int = 1,
        gpus_per_slot: Optional[int] = None,
        num_nodes: Optional[int] = None,
        broker_opts: Optional[Sequence[str]] = None,
        exclusive: bool = False,
        conf: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> JobspecV1:
        """A nested instance whose initial program is ``script`` (which must start with ``#!``)."""
        _enforce((lambda: script.startswith("#!"), ValueError, f"{jobname} does not appear to start with '#!'"))
        argv = ["{{tmpdir}}/script", *(args or ())]
        shape = (num_slots, cores_per_slot, gpus_per_slot, num_nodes, broker_opts, exclusive, conf)
        jobspec = cls.from_nest_command(argv, *shape, name=jobname, **kwargs)
        # the script travels in the jobspec, executable by its owner only
        jobspec.add_file("script", script, 0o700, "utf-8")
        return jobspec

    @classmethod
    def per_resource(
        cls,
        command: Sequence[str],
        ncores: Optional[int] = None,
        nnodes: Optional[int] = None,
        per_resource_type: Optional[str] = None,
        per_resource_count: Optional[int] = None,
        gpus_per_node: Optional[int] = None,
        exclusive: bool = False,
        **kwargs: Any,
    ) -> JobspecV1:
        """A jobspec from a node or core count, running ``per_resource_count`` tasks per node or core."""
        option = _per_resource_option(per_resource_type, per_resource_count)
        _enforce(
            (lambda: ncores is None or _int_at_least(ncores, 1), ValueError, "ncores must be an integer >= 1"),
            (
                lambda: gpus_per_node is None or _int_at_least(gpus_per_node, 0),
                ValueError,
                "gpus_per_node must be an integer >= 0",
            ),
            (lambda: gpus_per_node is None or bool(nnodes), ValueError, "gpus_per_node must be specified with nnodes"),
            (lambda: nnodes is None or _int_at_least(nnodes, 1), ValueError, "nnodes must be an integer >= 1"),
            (lambda: nnodes is not None or not exclusive, ValueError, "exclusive can only be set with a node count"),
        )
        nslots, cores_each = _per_resource_layout(ncores, nnodes, exclusive)
        inner = [cls._create_resource("core", cores_each)]
        if gpus_per_node:
            inner.append(cls._create_resource("gpu", gpus_per_node))
        slot = cls._create_slot("task", nslots, inner)
        layout = cls._create_resource("node", nnodes, [slot], exclusive) if nnodes else slot
        attributes: Dict[str, Any] = {"system": {"duration": 0}}
        if option:
            attributes["system"]["shell"] = {"options": {"per-resource": option}}
        one_per_slot = [{"command": command, "slot": "task", "count": {"per_slot": 1}}]
        return cls([layout], one_per_slot, attributes=attributes)._set_extra_options(**kwargs)

    @classmethod
    def from_submit(
        cls,
        command: Sequence[str],
        *,
        ntasks: int = 1,
        nodes: Optional[int] = None,
        cores_per_task: int = 1,
        gpus_per_task: Optional[int] = None,
        exclusive: bool = False,
        name: Optional[str] = None,
        queue: Optional[str] = None,
        bank: Optional[str] = None,
        cwd: Any = None,
        output: Any = None,
        error: Any = None,
        input: Any = None,  # noqa: A002 - flux-core's keyword
        label_io: bool = False,
        unbuffered: bool = False,
        **kwargs: Any,
    ) -> JobspecV1:
        """``from_command`` then ``apply_options(prog="submit", **kwargs)``: what ``flux submit`` builds."""
        io = dict(output=output, error=error, input=input, label_io=label_io, unbuffered=unbuffered)
        shape = (ntasks, cores_per_task, gpus_per_task, nodes, exclusive)
        jobspec = cls.from_command(command, *shape, cwd=cwd, name=name, queue=queue, bank=bank, **io)
        return _with_command_options(jobspec, "submit", kwargs)

    @classmethod
    def from_alloc(
        cls,
        *,
        nslots: Optional[int] = None,
        nodes: Optional[int] = None,
        cores_per_slot: int = 1,
        gpus_per_slot: Optional[int] = None,
        exclusive: bool = False,
        broker_opts: Optional[Sequence[str]] = None,
        conf: Any = None,
        bg: bool = False,
        name: Optional[str] = None,
        queue: Optional[str] = None,
        bank: Optional[str] = None,
        cwd: Any = None,
        output: Any = None,
        error: Any = None,
        input: Any = None,  # noqa: A002 - flux-core's keyword
        label_io: bool = False,
        unbuffered: bool = False,
        **kwargs: Any,
    ) -> JobspecV1:
        """``from_nest_command`` then ``apply_options(prog="alloc", **kwargs)``: what ``flux alloc`` builds."""
        if nslots is None:
            # whole nodes, one slot on each
            _enforce((lambda: nodes is not None, ValueError, "from_alloc() requires nslots or nodes"))
            nslots, exclusive = nodes, True
        if bg:
            # the instance waits for jobs instead of running an initial program
            broker_opts = [*(broker_opts or []), "-Sbroker.rc2_none=1"]
        shape: Tuple[Any, ...] = (nslots, cores_per_slot, gpus_per_slot, nodes, broker_opts, exclusive)
        shape += (_utils.normalize_conf(conf),)
        io = dict(output=output, error=error, input=input, label_io=label_io, unbuffered=unbuffered)
        jobspec = cls.from_nest_command(
            [], *shape, cwd=os.getcwd() if cwd is None else cwd, name=name, queue=queue, bank=bank, **io
        )
        if bg:
            jobspec.setattr_shell_option("pty.capture", 1)
        return _with_command_options(jobspec, "alloc", kwargs)

    @classmethod
    def from_batch(
        cls,
        script: Union[None, str, os.PathLike[str]] = None,
        *,
        content: Optional[str] = None,
        nslots: Optional[int] = None,
        nodes: Optional[int] = None,
        cores_per_slot: int = 1,
        gpus_per_slot: Optional[int] = None,
        exclusive: bool = False,
        broker_opts: Optional[Sequence[str]] = None,
        conf: Any = None,
        wrap: bool = False,
        name: Optional[str] = None,
        queue: Optional[str] = None,
        bank: Optional[str] = None,
        cwd: Any = None,
        output: Any = None,
        error: Any = None,
        input: Any = None,  # noqa: A002 - flux-core's keyword
        label_io: bool = False,
        unbuffered: bool = False,
        **kwargs: Any,
    ) -> JobspecV1:
        """A batch job from a script file or inline ``content``, as ``flux batch`` builds it."""
        sources = [given for given in (script, content) if given is not None]
        _enforce(
            (lambda: len(sources) < 2, TypeError, "from_batch() accepts 'script' or 'content', not both"),
            (
                lambda: len(sources) > 0,
                TypeError,
                "from_batch() requires 'script' (file path) or 'content' (inline script)",
            ),
        )
        if content is None:
            path = pathlib.Path(sources[0])
            name = path.name if name is None else name
            content = path.read_text(encoding="utf-8")
        if wrap and not content.startswith("#!"):
            content = "#!/bin/sh\n" + content
        if nslots is None:
            # by nodes: whole nodes, one slot each; else a single slot
            nslots, exclusive = (1, exclusive) if nodes is None else (nodes, True)
        shape: Tuple[Any, ...] = (nslots, cores_per_slot, gpus_per_slot, nodes, broker_opts, exclusive)
        shape += (_utils.normalize_conf(conf),)
        io = dict(error=error, input=input, label_io=label_io, unbuffered=unbuffered, queue=queue, bank=bank)
        jobspec = cls.from_batch_command(
            content,
            "batch" if name is None else name,
            None,
            *shape,
            cwd=os.getcwd() if cwd is None else cwd,
            output="flux-{{id}}.out" if output is None else output,
            **io,
        )
        return _with_command_options(jobspec, "batch", kwargs)

    def apply_options(
        self,
        args: Any = None,
        *,
        prog: Optional[str] = None,
        _preinit: bool = True,
        env: Union[None, str, Sequence[str]] = None,
        rlimit: Union[None, str, Sequence[str]] = None,
        signal: Optional[str] = None,
        taskmap: Optional[str] = None,
        dependency: Union[None, str, Sequence[str]] = None,
        requires: Union[None, str, Sequence[str]] = None,
        shell_options: Optional[Mapping[str, Any]] = None,
        time_limit: Union[None, str, float] = None,
        attributes: Optional[Mapping[str, Any]] = None,
        add_file: Optional[Sequence[str]] = None,
        **kwargs: Any,
    ) -> JobspecV1:
        """Apply ``flux submit`` options to this jobspec in place; returns self.

        Options come from keywords, from ``args`` (an argparse namespace, as
        the commands pass), or both, keywords winning.  ``env`` and
        ``rlimit`` apply only when given (``[]``: propagate everything, no
        rules) or when ``args`` is.  ``setopt``/``setattr`` strings are read
        from ``args`` only.  With ``prog``, that command's CLI plugins run and
        their option dests are accepted as keywords.
        """
        builtin = {
            "env": env,
            "rlimit": rlimit,
            "signal": signal,
            "taskmap": taskmap,
            "dependency": dependency,
            "requires": requires,
            "shell_options": shell_options,
            "time_limit": time_limit,
            "attributes": attributes,
            "add_file": add_file,
        }
        registry = _plugin_registry(prog) if prog else None
        unknown = sorted(set(kwargs) - ({opt.dest for opt in registry.options} if registry else set()))
        if unknown:
            raise TypeError("apply_options() got unexpected keyword argument(s): " + ", ".join(map(repr, unknown)))
        merged = _merged_options(args, {**builtin, **kwargs})
        # env and rlimit only when asked for (or on the command's path, with args)
        if env is not None or args is not None:
            self._apply_environment(merged.env)
        if rlimit is not None or args is not None:
            self._apply_rlimits(merged.rlimit)
        for name, step in self._OPTION_STEPS:
            value = getattr(merged, name, None)
            if value is not None:
                step(self, value)
        self._apply_attributes(getattr(merged, "setattr", None), merged.attributes)
        for spec in merged.add_file or ():
            _utils.jobspec_add_file(self, spec)
        if registry:
            if _preinit:
                # as argparse would have it: every plugin option there, at its default
                for plugin_opt in registry.options:
                    vars(merged).setdefault(plugin_opt.dest, plugin_opt.kwargs.get("default"))
                registry.preinit(merged)
            registry.modify_jobspec(merged, self)
        return self

    def _apply_environment(self, rules: Any) -> None:
        self.environment, templates = _utils.get_filtered_environment(rules)
        if templates:
            self.setattr_shell_option("env-expand", templates)

    def _apply_rlimits(self, rules: Any) -> None:
        limits = _utils.get_filtered_rlimits(rules)
        if limits:
            self.setattr_shell_option("rlimit", limits)

    def _apply_signal(self, value: Any) -> None:
        if value:  # (an empty string sends nothing)
            self.setattr_shell_option("signal", _utils.parse_signal_option(value))

    def _apply_shell_option_strings(self, keyvals: Any) -> None:
        for keyval in keyvals:
            self.setattr_shell_option(*_utils.parse_jobspec_keyval("--setopt", keyval))

    def _apply_shell_options(self, options: Any) -> None:
        for key, value in options.items():
            self.setattr_shell_option(key, value)

    def _apply_attributes(self, keyvals: Any, attributes: Any) -> None:
        pairs = [_utils.parse_jobspec_keyval("--setattr", kv) for kv in keyvals or []]
        for key, value in [*pairs, *(attributes or {}).items()]:
            self.setattr(_attribute_path(key), value)

    # (option, step) in the order flux-core applies them; a step runs when the option is not None
    _OPTION_STEPS: List[Tuple[str, Callable[[Any, Any], None]]] = [
        ("signal", _apply_signal),
        ("taskmap", lambda js, v: js.setattr_shell_option("taskmap", _utils.URIArg(v, "taskmap").entry)),
        ("dependency", lambda js, v: js.setattr("system.dependencies", _utils.dependency_array_create(v))),
        ("requires", lambda js, v: js._apply_requires(" ".join(v))),
        ("setopt", _apply_shell_option_strings),
        ("shell_options", _apply_shell_options),
        ("time_limit", lambda js, v: setattr(js, "duration", _utils.decode_duration(v))),
    ]

    def _apply_requires(self, constraint: str) -> None:
        parser = _utils.mini_constraint_parser()
        syntax_error = importlib.import_module("flux.constraint.parser").ConstraintSyntaxError
        try:
            self.setattr("system.constraints", parser.parse(constraint))
        except syntax_error as exc:
            raise ValueError(f"--requires='{constraint}': {exc}") from None


def _merged_options(args: Any, given: Dict[str, Any]) -> types.SimpleNamespace:
    """The options: every known one (None), then the namespace's, then the keywords given (not None)."""
    values: Dict[str, Any] = dict.fromkeys(given)
    values.update(vars(args) if args is not None else {})
    values.update((key, value) for key, value in given.items() if value is not None)
    # a Python caller may give one string where the command gives a list
    for key in ("requires", "dependency", "env", "rlimit"):
        if isinstance(values.get(key), str):
            values[key] = [values[key]]
    return types.SimpleNamespace(**values)


def _attribute_path(key: str) -> str:
    """A --setattr key as a jobspec path: bare means ``system.``, a leading "." the attributes root."""
    if key.startswith("."):
        return "attributes" + key
    if key.startswith(("attributes.", "user.", "system.")):
        return key
    return "system." + key


def _plugin_registry(prog: str) -> Any:
    from ..cli.plugin import CLIPluginRegistry

    return CLIPluginRegistry(prog)
