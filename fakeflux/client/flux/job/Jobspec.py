"""Jobspecs (RFC 14 and its version 1, RFC 25): flux-core's ``flux.job.Jobspec``/``JobspecV1``.

Pure Python.  Construction validates the document and raises ValueError or
TypeError with flux-core's messages; the factories (``from_command`` and
friends) build the minimal legal jobspec for a command.
"""

from __future__ import annotations

import collections
import collections.abc as abc
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
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ..util import Fileref, del_treedict, parse_fsd, set_treedict
from ._null import is_null
from ._utils import (
    URIArg,
    decode_duration,
    dependency_array_create,
    get_filtered_environment,
    get_filtered_rlimits,
    jobspec_add_file,
    mini_constraint_parser,
    normalize_conf,
    parse_jobspec_keyval,
    parse_signal_option,
)

__all__ = ["Jobspec", "JobspecV1", "validate_jobspec"]

_IDSET = re.compile(r"\[?\d+(-\d+)?(,\d+(-\d+)?)*\]?")


def _convert_jobspec_arg_to_string(jobspec: Any) -> bytes:
    """A jobspec argument (Jobspec, str or bytes) as the bytes submitted.

    None raises OSError(EINVAL), anything else TypeError.
    """
    if isinstance(jobspec, Jobspec):
        return jobspec.dumps().encode("utf-8", errors="surrogateescape")
    if isinstance(jobspec, str):
        return jobspec.encode("utf-8", errors="surrogateescape")
    if is_null(jobspec):
        raise OSError(errno.EINVAL, "jobspec must not be None/NULL")
    if not isinstance(jobspec, bytes):
        raise TypeError("jobspec must be a Jobspec or string (either binary or unicode)")
    return jobspec


def _validate_keys(
    expected: Iterable[str], given: Iterable[str], keys_optional: bool = False, allow_additional: bool = False
) -> None:
    want, have = set(expected), set(given)
    if not keys_optional:
        for key in want - have:
            raise ValueError(f"Missing key ({key})")
    if not allow_additional:
        for key in have - want:
            raise ValueError(f"Extraneous key ({key})")


def _validate_dependency(dep: Mapping[str, Any]) -> None:
    _validate_keys(["scheme", "value"], dep.keys(), allow_additional=True)
    if not isinstance(dep["scheme"], str):
        raise TypeError("dependency scheme must be a string")
    if not isinstance(dep["value"], str):
        raise TypeError("dependency value must be a string")


def _validate_constraint(constraints: Any) -> None:
    """RFC 31 constraints: operators and, or, not, properties, hostlist, ranks."""
    if not isinstance(constraints, abc.Mapping):
        raise TypeError("constraints must be a mapping")
    for operator, args in constraints.items():
        if not isinstance(operator, str):
            raise TypeError(f"constraint operation {operator} is not a string")
        if not isinstance(args, abc.Sequence):
            raise TypeError(f"argument to constraint {operator} must be a sequence")
        if operator in ("and", "or", "not"):
            for sub in args:
                _validate_constraint(sub)
        elif operator == "properties":
            for name in args:
                if any(ch in "&'\"`|()" for ch in name):
                    raise TypeError(f"invalid character in property '{name}'")
        elif operator == "ranks":
            for ranks in args:
                importlib.import_module("flux.idset").decode(ranks)
        elif operator == "hostlist":
            for hosts in args:
                _validate_hosts(importlib.import_module("flux.hostlist").decode(hosts))
        else:
            raise TypeError(f"unknown constraint operator '{operator}'")


# One handle per thread, opened on first use, for what validation asks of
# the enclosing instance (its hostlist), as flux-core keeps it.
_tls = threading.local()


def _get_flux() -> Any:
    if not hasattr(_tls, "flux"):
        from ..core.handle import Flux

        _tls.flux = Flux()
    return _tls.flux


def _validate_hosts(hosts: Any) -> None:
    """ValueError if ``hosts`` (a Hostlist) names hosts the enclosing instance does not have."""
    if not hasattr(_tls, "hostlist"):
        # unknown (no hostlist attribute, or not decodable): not checked
        _tls.hostlist = None
        try:
            text = _get_flux().attr_get("hostlist")
            if text is not None:
                _tls.hostlist = importlib.import_module("flux.hostlist").decode(text)
        except (FileNotFoundError, ValueError):
            pass
    if _tls.hostlist is not None:
        try:
            _tls.hostlist.index(hosts)
        except FileNotFoundError as exc:
            raise ValueError(f"host constraint contains invalid hosts: {exc}") from None


def validate_jobspec(jobspec: Any, require_version: Optional[int] = None) -> Tuple[bool, Jobspec]:
    """Validate a jobspec (object or JSON) by constructing it: ``(True, jobspec)`` or an exception."""
    obj = json.loads(_convert_jobspec_arg_to_string(jobspec))
    _validate_keys(Jobspec.top_level_keys, obj.keys())
    if require_version == 1 or obj.get("version", 0) == 1:
        return True, JobspecV1(**obj)
    return True, Jobspec(**obj)


def validate_counts(resources: Sequence[Mapping[str, Any]]) -> None:
    """Every resource count (recursively) must be an int."""
    for res in resources:
        count = res["count"]
        if not isinstance(count, int):
            raise ValueError(
                f"resource count must be an integer for type '{res['type']}' (got '{type(count).__name__}')"
            )
        validate_counts(res.get("with", []))


def _attr_key_prepend(key: str) -> str:
    """``duration`` -> ``attributes.system.duration``; ``user.x`` -> ``attributes.user.x``."""
    if key.startswith("attributes."):
        return key
    if not key.startswith(("user.", "system.")):
        key = "system." + key
    return "attributes." + key


def _complex_range(rng: Mapping[str, Any]) -> None:
    if "min" not in rng:
        raise ValueError("min must be in range")
    _validate_keys(["min", "max", "operand", "operator"], rng.keys(), keys_optional=True)
    for key in ("min", "max", "operand"):
        if key in rng:
            if not isinstance(rng[key], int):
                raise TypeError(f"{key} must be an int")
            if rng[key] < 1:
                raise ValueError(f"{key} must be > 0")
    if "max" in rng and rng["max"] < rng["min"]:
        raise ValueError("max must be >= min")
    if ("operand" in rng) != ("operator" in rng):
        raise ValueError("operand and operator must both be in range if either is")
    if "operator" in rng:
        op = rng["operator"]
        if not isinstance(op, str) or len(op) != 1:
            raise TypeError("operator must be a single character str")
        if op not in ("+", "*", "^"):
            raise ValueError("operator must be one of ['+', '*', '^']")
        if op in ("*", "^") and rng["operand"] < 2:
            raise ValueError("operand must be > 1 for '*' or '^' operator")
        if op == "^" and rng["min"] < 2:
            raise ValueError("min must be > 1 for '^' operator")


def _count_string(count: str) -> None:
    if _IDSET.fullmatch(count):
        return
    parts = count.split(":")
    if len(parts) > 3 or ("-" not in parts[0] and "+" not in parts[0]):
        raise ValueError("count string must be a valid idset or range")
    rng: Dict[str, Any] = {}
    if "-" in parts[0]:
        low, _, high = parts[0].partition("-")
        rng["max"] = int(high)
    else:
        low = parts[0].rstrip("+")
    rng["min"] = int(low)
    if len(parts) > 1:
        rng["operand"] = int(parts[1])
        rng["operator"] = "+"
    if len(parts) > 2:
        rng["operator"] = parts[2]
    _complex_range(rng)


def _check_resource(res: Any) -> None:
    if not isinstance(res, abc.Mapping):
        raise TypeError("resource must be a mapping")
    if "type" not in res:
        raise ValueError("type is a required key for resources")
    if not isinstance(res["type"], str):
        raise TypeError("type must be a string")
    if "count" not in res:
        raise ValueError("count is a required key for resources")
    count = res["count"]
    if isinstance(count, abc.Mapping):
        _complex_range(count)
    elif isinstance(count, str):
        _count_string(count)
    elif not isinstance(count, int):
        raise TypeError("count must be an int or mapping")
    else:
        if res["type"] in ("node", "slot", "core") and count < 1:
            raise ValueError("node, slot, or core count must be > 0")
        if count < 0:
            raise ValueError("count must be >= 0")
    for key in ("id", "unit", "label"):
        if key in res and not isinstance(res[key], str):
            raise TypeError(f"{key} must be a string")
    if "exclusive" in res and res["exclusive"] not in (True, False):
        raise TypeError("exclusive must be a boolean")
    if res["type"] == "slot" and "label" not in res:
        raise ValueError("slots must have labels")


def _check_task(task: Any) -> None:
    if not isinstance(task, abc.Mapping):
        raise TypeError("task must be a mapping")
    _validate_keys(["command", "slot", "count"], task.keys(), allow_additional=True)
    count = task["count"]
    if not isinstance(count, abc.Mapping):
        raise TypeError("count must be a mapping")
    if len(count) != 1:
        raise ValueError("count must have exactly one key set")
    if count.keys().isdisjoint({"per_slot", "per_resource", "total"}):
        raise ValueError("count per_slot, per_resource, or total must be set")
    for key in ("total", "per_slot"):
        if key in count:
            if not isinstance(count[key], int):
                raise TypeError(f"count {key} must be an int")
            if count[key] <= 0:
                raise ValueError(f"count {key} must be > 0")
    if not isinstance(task["slot"], str):
        raise TypeError("slot must be a string")
    if "attributes" in task and not isinstance(task["attributes"], abc.Mapping):
        raise TypeError("attributes must be a mapping")
    command = task["command"]
    if len(command) == 0:
        raise TypeError("command array cannot have length of zero")
    if isinstance(command, str) or not (isinstance(command, abc.Sequence) and all(isinstance(x, str) for x in command)):
        raise TypeError("command must be a list of strings")


def _require(rules: Sequence[Tuple[Callable[[], bool], str]]) -> None:
    """ValueError with the message of the first rule that does not hold (rules checked in order)."""
    for holds, message in rules:
        if not holds():
            raise ValueError(message)


def _per_resource_option(kind: Any, count: Any) -> Optional[Dict[str, Any]]:
    """The ``per-resource`` shell option of ``per_resource()`` (both or neither of type and count)."""
    if kind is None and count is None:
        return None
    if count is None:
        raise ValueError("must specify a per_resource_count with per_resource_type")
    if kind is None:
        raise ValueError("must specify a per_resource_type with per_resource_count")
    _require(
        [
            (lambda: isinstance(kind, str), "per_resource_type must be a string"),
            (lambda: kind in ("node", "core"), f"Invalid per_resource_type='{kind}' specified"),
            (lambda: isinstance(count, int), "per_resource_count must be an integer"),
            (lambda: count >= 1, "per_resource_count must be >= 1"),
        ]
    )
    return {"type": kind, "count": count}


def _per_resource_layout(ncores: Optional[int], nnodes: Optional[int], exclusive: bool) -> Tuple[int, int]:
    """(slots, cores per slot) of ``per_resource()``: with nodes, slots per node; else slots in total."""
    if nnodes and ncores:
        if ncores < nnodes:
            raise ValueError("number of cores cannot be less than nnodes")
        if ncores % nnodes:
            raise ValueError("number of cores must be evenly divisible by node count")
        return 1, ncores // nnodes
    if ncores:
        return ncores, 1
    if not nnodes:
        raise ValueError("must specify node or core count with per_resource")
    if not exclusive:
        raise ValueError("Specifying nnodes also requires ncores or exclusive")
    return 1, 1


class Jobspec:
    """A canonical jobspec (RFC 14): ``Jobspec(resources, tasks, attributes, version)``."""

    top_level_keys = {"resources", "tasks", "version", "attributes"}

    def __init__(self, resources: Any, tasks: Any, attributes: Any, version: Any) -> None:
        if not isinstance(resources, abc.Sequence):
            raise TypeError("resources must be a sequence")
        if not isinstance(tasks, abc.Sequence):
            raise TypeError("tasks must be a sequence")
        if not isinstance(attributes, abc.Mapping):
            raise TypeError("attributes must be a mapping")
        if not isinstance(version, int):
            raise TypeError("version must be an integer")
        if version < 1:
            raise ValueError("version must be >= 1")
        self.jobspec: Dict[str, Any] = {
            "resources": resources,
            "tasks": tasks,
            "attributes": attributes,
            "version": version,
        }
        for res in self:
            _check_resource(res)
        for task in tasks:
            _check_task(task)
        _validate_keys(["system", "user"], attributes.keys(), keys_optional=True)
        system = attributes.get("system")
        if system is not None:
            if "dependencies" in system:
                if not isinstance(system["dependencies"], abc.Sequence):
                    raise TypeError("attributes.system.dependencies must be a list")
                for dep in system["dependencies"]:
                    _validate_dependency(dep)
            if "constraints" in system:
                _validate_constraint(system["constraints"])

    # -- other constructors ---------------------------------------------------------------
    @classmethod
    def from_yaml_stream(cls, yaml_stream: Any) -> Any:
        """A jobspec from YAML text or a file-like object."""
        import yaml

        obj = yaml.safe_load(yaml_stream)
        _validate_keys(cls.top_level_keys, obj.keys())
        return cls(**obj)

    @classmethod
    def from_yaml_file(cls, filename: Union[str, os.PathLike[str]]) -> Any:
        with open(filename, "rb") as infile:
            return cls.from_yaml_stream(infile)

    @staticmethod
    def _create_resource(
        res_type: str, count: int, with_child: Optional[List[Dict[str, Any]]] = None, exclusive: bool = False
    ) -> Dict[str, Any]:
        if with_child is not None and not isinstance(with_child, abc.Sequence):
            raise TypeError("child resource must None or a sequence")
        if with_child is not None and isinstance(with_child, str):
            raise TypeError("child resource must not be a string")
        if not count > 0:
            raise ValueError("resource count must be > 0")
        res: Dict[str, Any] = {"type": res_type, "count": count}
        if exclusive:
            res["exclusive"] = True
        if with_child:
            res["with"] = with_child
        return res

    @classmethod
    def _create_slot(cls, label: str, count: int, with_child: List[Dict[str, Any]]) -> Dict[str, Any]:
        slot = cls._create_resource("slot", count, with_child)
        slot["label"] = label
        return slot

    # -- attribute access ------------------------------------------------------------------
    def _system(self, key: str) -> Any:
        try:
            return self.jobspec["attributes"]["system"][key]
        except KeyError:
            return None

    def getattr(self, key: str) -> Any:
        """An attribute by dotted key (``system.`` assumed); KeyError if missing."""
        value: Any = self.jobspec
        for part in _attr_key_prepend(key).split("."):
            value = value.get(part)
            if value is None:
                raise KeyError
        return value

    def setattr(self, key: str, val: Any) -> None:
        """Set an attribute by dotted key (``system.`` assumed, levels created)."""
        key = _attr_key_prepend(key)
        try:
            set_treedict(self.jobspec, key, val)
        except TypeError as exc:
            raise TypeError(f"failed to set {key} to {val}: {exc}") from None

    def setattr_shell_option(self, key: str, val: Any) -> None:
        self.setattr("system.shell.options." + key, val)

    @property
    def duration(self) -> Any:
        """Time limit in seconds (0: unlimited); set from seconds, an FSD string or a timedelta."""
        return self._system("duration")

    @duration.setter
    def duration(self, duration: Any) -> None:
        if isinstance(duration, str):
            seconds = parse_fsd(duration)
        elif isinstance(duration, datetime.timedelta):
            seconds = duration.total_seconds()
        elif isinstance(duration, (float, int)):
            seconds = float(duration)
        else:
            raise TypeError("duration must be an int, float, string, or timedelta")
        if seconds < 0:
            raise ValueError("duration must not be negative")
        if math.isnan(seconds) or math.isinf(seconds):
            raise ValueError("duration must be a normal, finite value")
        self.setattr("system.duration", seconds)

    @property
    def queue(self) -> Any:
        return self._system("queue")

    @queue.setter
    def queue(self, queue: Any) -> None:
        if not isinstance(queue, str):
            raise TypeError("queue must be a string")
        self.setattr("system.queue", queue)

    @property
    def cwd(self) -> Any:
        return self._system("cwd")

    @cwd.setter
    def cwd(self, cwd: Any) -> None:
        if isinstance(cwd, os.PathLike):
            cwd = os.fspath(cwd)
        if not isinstance(cwd, str):
            raise ValueError("cwd must be a string")
        self.setattr("system.cwd", cwd)

    @property
    def environment(self) -> Any:
        return self._system("environment")

    @environment.setter
    def environment(self, environ: Any) -> None:
        """The whole environment (stored without a copy)."""
        if not isinstance(environ, abc.Mapping):
            raise ValueError("environment must be a mapping")
        self.setattr("system.environment", environ)

    def _get_io_path(self, iotype: str, stream: str) -> Any:
        try:
            return self.jobspec["attributes"]["system"]["shell"]["options"][iotype][stream]["path"]
        except KeyError:
            return None

    def _set_io_path(self, iotype: str, stream: str, path: Any) -> None:
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"The path must be a string or pathlib object, got {type(path).__name__}")
        self.setattr_shell_option(f"{iotype}.{stream}.type", "file")
        self.setattr_shell_option(f"{iotype}.{stream}.path", path)

    @property
    def input(self) -> Any:
        return self._get_io_path("input", "stdin")

    @input.setter
    def input(self, path: Any) -> None:
        self._set_io_path("input", "stdin", path)

    @property
    def output(self) -> Any:
        return self._get_io_path("output", "stdout")

    @output.setter
    def output(self, path: Any) -> None:
        self._set_io_path("output", "stdout", path)

    @property
    def error(self) -> Any:
        return self._get_io_path("output", "stderr")

    @error.setter
    def error(self, path: Any) -> None:
        self._set_io_path("output", "stderr", path)

    stdin = input
    stdout = output
    stderr = error

    @property
    def unbuffered(self) -> bool:
        try:
            return bool(
                self.getattr("shell.options.output.stdout.buffer.type") == "none"
                and self.getattr("shell.options.output.stderr.buffer.type") == "none"
            )
        except KeyError:
            return False

    @unbuffered.setter
    def unbuffered(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise TypeError("unbuffered must be True or False")
        if value:
            self.setattr_shell_option("output.stdout.buffer.type", "none")
            self.setattr_shell_option("output.stderr.buffer.type", "none")
            self.setattr_shell_option("output.batch-timeout", 0.05)
            self.setattr_shell_option("input.batch-timeout", 0.0)
            return
        opts = "system.shell.options."
        try:
            del_treedict(self.attributes, opts + "output.stdout.buffer", remove_empty=True)
            del_treedict(self.attributes, opts + "output.stderr.buffer", remove_empty=True)
            if self.getattr("shell.options.output.batch-timeout") == 0.05:
                del_treedict(self.attributes, opts + "output.batch-timeout", remove_empty=True)
            if self.getattr("shell.options.input.batch-timeout") == 0.0:
                del_treedict(self.attributes, opts + "input.batch-timeout", remove_empty=True)
        except KeyError:
            pass

    def add_file(self, path: str, data: Any, perms: Optional[int] = None, encoding: Optional[str] = None) -> None:
        """Add an RFC 37 file to ``attributes.system.files`` (content, or a local path to read)."""
        if not isinstance(data, (abc.Mapping, str)):
            raise TypeError("data must be a Mapping or string")
        if perms is None:
            perms = 0o600
        files = self.jobspec["attributes"]["system"].get("files", {})
        if encoding is None and "\n" in data:
            encoding = "utf-8"
        files[path] = Fileref(data, perms=perms, encoding=encoding)
        self.jobspec["attributes"]["system"]["files"] = files

    def dumps(self, **kwargs: Any) -> str:
        """The jobspec as JSON (``json.dumps`` keywords accepted)."""
        return json.dumps(self.jobspec, ensure_ascii=False, **kwargs)

    @property
    def resources(self) -> Any:
        return self.jobspec.get("resources", None)

    @property
    def tasks(self) -> Any:
        return self.jobspec.get("tasks", None)

    @property
    def attributes(self) -> Any:
        return self.jobspec.get("attributes", None)

    @property
    def version(self) -> Any:
        return self.jobspec.get("version", None)

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
        return (
            f"{type(self).__name__}({self.resources}, {self.tasks}, "
            f"attributes={self.attributes}, version={self.version})"
        )

    def __str__(self) -> str:
        return str(self.jobspec)


class JobspecV1(Jobspec):
    """A version 1 jobspec (RFC 25): also requires ``attributes.system.duration``."""

    def __init__(self, resources: Any, tasks: Any, attributes: Any, version: Any = 1) -> None:
        if version != 1:
            raise ValueError("version must be 1")
        super().__init__(resources, tasks, attributes, version)
        if "system" not in attributes:
            raise ValueError("attributes.system is a required key")
        system = attributes["system"]
        if not isinstance(system, abc.Mapping):
            raise ValueError("attributes.system must be a mapping")
        if "duration" not in system:
            raise ValueError("attributes.system.duration is a required key")
        if not isinstance(system["duration"], numbers.Number):
            raise ValueError("attributes.system.duration must be a number")
        for task in tasks:
            if task["count"].keys().isdisjoint({"per_slot", "total"}):
                raise ValueError("count per_slot or total must be set")
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
        if duration is not None:
            self.duration = duration
        self.environment = environment if environment is not None else dict(os.environ)
        if env_expand is not None:
            if not isinstance(env_expand, abc.Mapping):
                raise ValueError("env_expand must be a mapping")
            self.setattr_shell_option("env-expand", env_expand)
        if cwd is not None:
            self.cwd = cwd
        if rlimits is not None:
            if not isinstance(rlimits, abc.Mapping):
                raise ValueError("rlimits must be a mapping")
            self.setattr_shell_option("rlimit", rlimits)
        if name is not None:
            self.setattr("job.name", name)
        if input is not None:
            self.input = input
        if output is not None and output not in ("none", "kvs"):
            self.output = output
            if label_io:
                self.setattr_shell_option("output.stdout.label", True)
        if error is not None and error not in ("none", "kvs"):
            self.error = error
            if label_io:
                self.setattr_shell_option("output.stderr.label", True)
        if unbuffered:
            self.unbuffered = True
        if queue is not None:
            self.setattr("queue", queue)
        if bank is not None:
            self.setattr("bank", bank)
        return self

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
        if not isinstance(num_tasks, int) or num_tasks < 1:
            raise ValueError("task count must be a integer >= 1")
        if not isinstance(cores_per_task, int) or cores_per_task < 1:
            raise ValueError("cores per task must be an integer >= 1")
        if gpus_per_task is not None and (not isinstance(gpus_per_task, int) or gpus_per_task < 0):
            raise ValueError("gpus per task must be an integer >= 0")
        if num_nodes is not None:
            if not isinstance(num_nodes, int) or num_nodes < 1:
                raise ValueError("node count must be an integer >= 1 (if set)")
            if num_nodes > num_tasks:
                raise ValueError("node count must not be greater than task count")
        elif exclusive:
            raise ValueError("exclusive can only be set with a node count")
        children = [cls._create_resource("core", cores_per_task)]
        if gpus_per_task not in (None, 0):
            assert gpus_per_task is not None
            children.append(cls._create_resource("gpu", gpus_per_task))
        if num_nodes is None:
            task_count: Dict[str, int] = {"per_slot": 1}
            top = cls._create_slot("task", num_tasks, children)
        else:
            # an uneven spread wastes slots: count tasks in total then
            per_node = -(-num_tasks // num_nodes)
            task_count = {"per_slot": 1} if num_tasks % num_nodes == 0 else {"total": num_tasks}
            top = cls._create_resource("node", num_nodes, [cls._create_slot("task", per_node, children)], exclusive)
        tasks = [{"command": command, "slot": "task", "count": task_count}]
        return cls([top], tasks, attributes={"system": {"duration": 0}})._set_extra_options(
            duration=duration,
            environment=environment,
            env_expand=env_expand,
            cwd=cwd,
            rlimits=rlimits,
            name=name,
            input=input,
            output=output,
            error=error,
            label_io=label_io,
            unbuffered=unbuffered,
            queue=queue,
            bank=bank,
        )

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
        opts = list(broker_opts) if broker_opts is not None else []
        if conf is not None:
            opts.append("-c{{tmpdir}}/conf.json")
        jobspec = cls.from_command(
            command=["flux", "broker", *opts, *command],
            num_tasks=num_slots,
            cores_per_task=cores_per_slot,
            gpus_per_task=gpus_per_slot,
            num_nodes=num_nodes,
            exclusive=exclusive,
            **kwargs,
        )
        jobspec.setattr_shell_option("per-resource.type", "node")
        jobspec.setattr_shell_option("mpi", "none")
        jobspec.setattr_shell_option("exit-timeout", "none")
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
        if not script.startswith("#!"):
            raise ValueError(f"{jobname} does not appear to start with '#!'")
        jobspec = cls.from_nest_command(
            command=["{{tmpdir}}/script", *(args or ())],
            num_slots=num_slots,
            cores_per_slot=cores_per_slot,
            gpus_per_slot=gpus_per_slot,
            num_nodes=num_nodes,
            broker_opts=broker_opts,
            exclusive=exclusive,
            conf=conf,
            name=jobname,
            **kwargs,
        )
        jobspec.add_file("script", script, perms=0o700, encoding="utf-8")
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
        _require(
            [
                (lambda: ncores is None or (isinstance(ncores, int) and ncores >= 1), "ncores must be an integer >= 1"),
                (
                    lambda: gpus_per_node is None or (isinstance(gpus_per_node, int) and gpus_per_node >= 0),
                    "gpus_per_node must be an integer >= 0",
                ),
                (lambda: gpus_per_node is None or bool(nnodes), "gpus_per_node must be specified with nnodes"),
                (lambda: nnodes is None or (isinstance(nnodes, int) and nnodes >= 1), "nnodes must be an integer >= 1"),
                (lambda: nnodes is not None or not exclusive, "exclusive can only be set with a node count"),
            ]
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
        jobspec = cls.from_command(
            command,
            num_tasks=ntasks,
            cores_per_task=cores_per_task,
            gpus_per_task=gpus_per_task,
            num_nodes=nodes,
            exclusive=exclusive,
            name=name,
            queue=queue,
            bank=bank,
            cwd=cwd,
            output=output,
            error=error,
            input=input,
            label_io=label_io,
            unbuffered=unbuffered,
        )
        # env and rlimit given explicitly (empty: no rules), so that the
        # environment and default limits propagate as with the command.
        return jobspec.apply_options(
            prog="submit", env=kwargs.pop("env", []), rlimit=kwargs.pop("rlimit", []), **kwargs
        )

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
            if nodes is None:
                raise ValueError("from_alloc() requires nslots or nodes")
            nslots = nodes
            exclusive = True
        if cwd is None:
            cwd = os.getcwd()
        if bg:
            broker_opts = [*(broker_opts or []), "-Sbroker.rc2_none=1"]
        jobspec = cls.from_nest_command(
            command=[],
            num_slots=nslots,
            cores_per_slot=cores_per_slot,
            gpus_per_slot=gpus_per_slot,
            num_nodes=nodes,
            broker_opts=broker_opts,
            exclusive=exclusive,
            conf=normalize_conf(conf),
            name=name,
            queue=queue,
            bank=bank,
            cwd=cwd,
            output=output,
            error=error,
            input=input,
            label_io=label_io,
            unbuffered=unbuffered,
        )
        if bg:
            jobspec.setattr_shell_option("pty.capture", 1)
        return jobspec.apply_options(prog="alloc", env=kwargs.pop("env", []), rlimit=kwargs.pop("rlimit", []), **kwargs)

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
        if script is not None and content is not None:
            raise TypeError("from_batch() accepts 'script' or 'content', not both")
        if script is None and content is None:
            raise TypeError("from_batch() requires 'script' (file path) or 'content' (inline script)")
        if content is not None:
            text = content
        else:
            assert script is not None
            path = pathlib.Path(script)
            if name is None:
                name = path.name
            text = path.read_text(encoding="utf-8")
        if wrap and not text.startswith("#!"):
            text = "#!/bin/sh\n" + text
        if nslots is None:
            if nodes is not None:
                nslots = nodes
                exclusive = True
            else:
                nslots = 1
        jobspec = cls.from_batch_command(
            script=text,
            jobname=name if name is not None else "batch",
            num_slots=nslots,
            cores_per_slot=cores_per_slot,
            gpus_per_slot=gpus_per_slot,
            num_nodes=nodes,
            broker_opts=broker_opts,
            exclusive=exclusive,
            conf=normalize_conf(conf),
            cwd=cwd if cwd is not None else os.getcwd(),
            output=output if output is not None else "flux-{{id}}.out",
            error=error,
            input=input,
            label_io=label_io,
            unbuffered=unbuffered,
            queue=queue,
            bank=bank,
        )
        return jobspec.apply_options(prog="batch", env=kwargs.pop("env", []), rlimit=kwargs.pop("rlimit", []), **kwargs)

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
        for arg in merged.add_file or []:
            jobspec_add_file(self, arg)
        if registry:
            if _preinit:
                # as argparse would have it: every plugin option there, at its default
                for opt in registry.options:
                    vars(merged).setdefault(opt.dest, opt.kwargs.get("default"))
                registry.preinit(merged)
            registry.modify_jobspec(merged, self)
        return self

    def _apply_environment(self, rules: Any) -> None:
        self.environment, templates = get_filtered_environment(rules)
        if templates:
            self.setattr_shell_option("env-expand", templates)

    def _apply_rlimits(self, rules: Any) -> None:
        limits = get_filtered_rlimits(rules)
        if limits:
            self.setattr_shell_option("rlimit", limits)

    def _apply_signal(self, value: Any) -> None:
        if value:  # (an empty string sends nothing)
            self.setattr_shell_option("signal", parse_signal_option(value))

    def _apply_shell_option_strings(self, keyvals: Any) -> None:
        for keyval in keyvals:
            self.setattr_shell_option(*parse_jobspec_keyval("--setopt", keyval))

    def _apply_shell_options(self, options: Any) -> None:
        for key, value in options.items():
            self.setattr_shell_option(key, value)

    def _apply_attributes(self, keyvals: Any, attributes: Any) -> None:
        pairs = [parse_jobspec_keyval("--setattr", kv) for kv in keyvals or []]
        for key, value in [*pairs, *(attributes or {}).items()]:
            self.setattr(_attribute_path(key), value)

    # (option, step) in the order flux-core applies them; a step runs when the option is not None
    _OPTION_STEPS: List[Tuple[str, Callable[[Any, Any], None]]] = [
        ("signal", _apply_signal),
        ("taskmap", lambda js, v: js.setattr_shell_option("taskmap", URIArg(v, "taskmap").entry)),
        ("dependency", lambda js, v: js.setattr("system.dependencies", dependency_array_create(v))),
        ("requires", lambda js, v: js._apply_requires(" ".join(v))),
        ("setopt", _apply_shell_option_strings),
        ("shell_options", _apply_shell_options),
        ("time_limit", lambda js, v: setattr(js, "duration", decode_duration(v))),
    ]

    def _apply_requires(self, constraint: str) -> None:
        parser = mini_constraint_parser()
        syntax_error = importlib.import_module("flux.constraint.parser").ConstraintSyntaxError
        try:
            self.setattr("system.constraints", parser.parse(constraint))
        except syntax_error as exc:
            raise ValueError(f"--requires='{constraint}': {exc}") from None


def _merged_options(args: Any, given: Dict[str, Any]) -> SimpleNamespace:
    """The options: every known one (None), then the namespace's, then the keywords given (not None)."""
    values: Dict[str, Any] = dict.fromkeys(given)
    values.update(vars(args) if args is not None else {})
    values.update((key, value) for key, value in given.items() if value is not None)
    # a Python caller may give one string where the command gives a list
    for key in ("requires", "dependency", "env", "rlimit"):
        if isinstance(values.get(key), str):
            values[key] = [values[key]]
    return SimpleNamespace(**values)


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
