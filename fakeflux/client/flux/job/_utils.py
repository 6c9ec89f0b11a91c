"""Option helpers shared by ``Jobspec.apply_options`` and the submission commands.

flux-core keeps these in ``flux.job._utils``: signal and duration decoding,
dependency URIs, environment and rlimit filtering, ``--add-file``,
``--setopt``/``--setattr`` values and ``BatchConfig`` (``--conf``).  The
texts of the errors are flux-core's, since its commands print them.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import importlib
import json
import os
import pathlib
import re
import resource
import signal
import sys
from collections import ChainMap
from string import Template
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Type, Union
from urllib.parse import parse_qs, urlparse

from ..util import get_treedict, parse_fsd, set_treedict


def decode_signal(val: Union[int, str]) -> int:
    """A signal given as a number, a name (``SIGUSR1``) or a short name (``USR1``)."""
    if isinstance(val, int):
        return val
    with contextlib.suppress(ValueError):
        return int(val)  # (int()'s syntax: "+9", " 9", "1_0")
    for candidate in (val, "SIG" + val):
        if hasattr(signal, candidate):
            found: int = getattr(signal, candidate)
            return found
    raise ValueError(f"signal '{val}' is invalid")


def decode_duration(val: Union[int, float, str]) -> float:
    """A duration in seconds, or a string of a number or a Flux Standard Duration."""
    if not isinstance(val, str):
        return val
    try:
        return float(val)
    except ValueError:
        return parse_fsd(val)


def parse_signal_option(arg: Optional[str]) -> Dict[str, Any]:
    """``--signal=[SIG][@TIME]`` as the job shell's ``signal`` option wants it (default USR1, 60 s)."""
    sig, _, when = (arg or "").partition("@")

    def checked(decode: Callable[[Any], Any], text: Any) -> Any:
        try:
            return decode(text)
        except ValueError as exc:
            raise ValueError(f"--signal={arg}: {exc}") from None

    def positive_signal(text: Any) -> int:
        number = decode_signal(text)
        if number <= 0:
            raise ValueError("signal must be > 0")
        return number

    return {
        "signum": checked(positive_signal, sig or signal.SIGUSR1),
        "timeleft": checked(decode_duration, when or 60),
    }


@functools.cache
def _mini_constraint_parser_class() -> Any:
    # flux.constraint is another module of the package, imported only when
    # the --requires parser is first wanted (it is the only user here).
    base = importlib.import_module("flux.constraint.parser").ConstraintParser

    class MiniConstraintParser(base):  # type: ignore[misc, valid-type]
        """The ``--requires`` syntax: bare words are properties, ``host:``/``hosts:`` hostlists, ``rank:`` ranks."""

        operator_map = {None: "properties", "host": "hostlist", "hosts": "hostlist", "rank": "ranks"}
        split_values = {"properties": ","}
        combined_terms = {"properties"}

    MiniConstraintParser.__module__ = __name__
    return MiniConstraintParser


def mini_constraint_parser() -> Any:
    """A new ``--requires`` parser (flux-core's ``MiniConstraintParser()``)."""
    return _mini_constraint_parser_class()()


def __getattr__(name: str) -> Any:
    # MiniConstraintParser is importable by name, as in flux-core, without
    # importing flux.constraint with this module.
    if name == "MiniConstraintParser":
        return _mini_constraint_parser_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _number_or_text(text: str) -> Union[int, float, str]:
    for convert in (int, float):
        with contextlib.suppress(ValueError):
            return convert(text)
    return text


class URIArg:
    """A ``scheme:value[?key=val...]`` argument (``--dependency``, ``--taskmap``) as an RFC 26 entry."""

    # urlparse will not take an all-digits path after the scheme ("afterok:123"),
    # so the first colon gets this marker behind it while parsing
    _MARK = "FXX"

    def __init__(self, uri: str, name: str) -> None:
        uri = uri if ":" in uri else uri + ":"  # a bare word is a scheme
        parsed = urlparse(uri.replace(":", ":" + self._MARK, 1))
        self.uri = parsed
        self.scheme = parsed.scheme
        self.path = parsed.path.replace(self._MARK, "", 1)
        if not (parsed.scheme and parsed.path):
            raise ValueError(f'Invalid {name} URI "{uri}"')
        if (name, self.scheme) == ("dependency", "after"):
            print("dependency scheme 'after' is deprecated, use 'afterstart'", file=sys.stderr)

    @staticmethod
    def _try_number(value: str) -> Union[int, float, str]:
        return _number_or_text(value)

    @property
    def entry(self) -> Dict[str, Any]:
        """``{"scheme", "value", **query}``; a repeated query key gives a list; numbers are numbers."""
        found: Dict[str, Any] = {"scheme": self.scheme, "value": self.path}
        for key, values in parse_qs(self.uri.query).items():
            converted = [_number_or_text(v) for v in values]
            found[key] = converted if len(converted) > 1 else converted[0]
        return found


def dependency_array_create(uris: Iterable[str]) -> List[Dict[str, Any]]:
    return [URIArg(uri, "dependency").entry for uri in uris]


def filter_dict(env: Dict[str, Any], pattern: str, reverseMatch: bool = True) -> Dict[str, Any]:
    """``env`` without (or, with ``reverseMatch=False``, only) the keys matching ``pattern``.

    The pattern is a shell glob, or a regular expression when it starts with ``/``.
    """
    if pattern.startswith("/"):
        regex = re.compile(pattern[1:].rstrip("/"))
    else:
        regex = re.compile(fnmatch.translate(pattern))
    return {k: v for k, v in env.items() if bool(regex.match(k)) != reverseMatch}


def get_rlimits(name: str = "*") -> Dict[str, int]:
    """The current soft limits whose ``RLIMIT_`` name matches ``name``, keyed by lowercase short name."""
    found = fnmatch.filter(vars(resource).keys(), f"RLIMIT_{name}".upper())
    if not found:
        raise ValueError(f'No corresponding rlimit matching "{name}"')
    return {limit[len("RLIMIT_") :].lower(): resource.getrlimit(getattr(resource, limit))[0] for limit in found}


def list_split(opts: Union[None, str, Iterable[str]]) -> List[str]:
    """Every member of ``opts`` split on commas, as one list."""
    if isinstance(opts, str):
        opts = [opts]
    return [part for opt in (opts or []) for part in opt.split(",")]


# Limits a job does not inherit unless asked: the rules start from every
# limit and remove these.
_RLIMIT_DEFAULT_RULES = ["-memlock", "-ofile", "-msgqueue", "-nice", "-rtprio", "-rttime", "-sigpending"]


def _limit_value(name: str, text: str) -> int:
    if text in ("unlimited", "infinity", "inf"):
        return resource.RLIM_INFINITY
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"Invalid value in {name}={text}") from None


def _apply_rlimit_rule(limits: Dict[str, int], rule: str) -> Dict[str, int]:
    """One --rlimit rule: ``-NAME`` drops, ``NAME`` takes the current value(s), ``NAME=VALUE`` sets."""
    if rule[:1] == "-":
        return filter_dict(limits, rule[1:].lower())
    name, has_value, text = rule.partition("=")
    if not has_value:
        return {**limits, **get_rlimits(name.lower())}
    if not hasattr(resource, f"RLIMIT_{name.upper()}"):
        raise ValueError(f'Invalid rlimit "{name}"')
    return {**limits, name.lower(): _limit_value(name, text)}


def get_filtered_rlimits(user_rules: Optional[Iterable[str]] = None) -> Dict[str, int]:
    """The rlimits to propagate: all but the defaults removed, then ``--rlimit`` rules."""
    limits = get_rlimits()
    for rule in _RLIMIT_DEFAULT_RULES + (list_split(user_rules) if user_rules else []):
        limits = _apply_rlimit_rule(limits, rule)
    return limits


def _env_rules_file(rule: str) -> List[str]:
    try:
        with open(os.path.expanduser(rule[1:])) as rules_file:
            return [line.strip() for line in rules_file]
    except OSError as exc:
        raise ValueError(f"--env: {exc}") from None


def _env_assign(environ: Dict[str, str], rule: str, var: str, template: str) -> None:
    # $VAR refers to the environment built so far, then to this process's
    lookup: ChainMap[str, str] = ChainMap(environ, dict(os.environ))
    try:
        environ[var] = Template(template).substitute(lookup)
    except ValueError:
        raise ValueError(f"--env: Unable to substitute {rule}") from None
    except KeyError as exc:
        raise ValueError(f"--env: Variable {exc} not found in {rule}") from None


def get_filtered_environment(
    rules: Optional[Iterable[str]], environ: Optional[Dict[str, str]] = None
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """The job environment built from ``environ`` (default: this process's) by ``--env`` rules.

    ``-PATTERN`` removes, ``^FILE`` reads more rules, ``VAR`` (a glob)
    imports what is not there yet, ``VAR=VALUE`` sets (``$NAME`` expanded).
    Returns the environment and the variables whose values are mustache
    templates (``{{...}}``), which the job shell expands (``env-expand``).
    """
    built = dict(os.environ) if environ is None else environ
    templates: Dict[str, str] = {}
    for rule in rules if rules is not None else ():
        kind = rule[:1]
        if kind == "-":
            built = filter_dict(built, rule[1:])
            continue
        if kind == "^":
            built, more = get_filtered_environment(_env_rules_file(rule), environ=built)
            templates.update(more)
            continue
        var, has_value, value = rule.partition("=")
        if not has_value:
            for key, val in filter_dict(dict(os.environ), var, reverseMatch=False).items():
                built.setdefault(key, val)
        elif "{{" in value:
            templates[var] = value
        else:
            _env_assign(built, rule, var, value)
    return built, templates


def dict_merge(src: Optional[Dict[str, Any]], new: Dict[str, Any]) -> Dict[str, Any]:
    """``new`` merged into ``src`` recursively (tables merge, other values replace); returns ``src``."""
    if src is None:
        src = {}
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(src.get(key), dict):
            dict_merge(src[key], value)
        else:
            src[key] = value
    return src


def _xdg_config_dirs() -> List[str]:
    # The search order of flux-core's util.xdg_searchpath("config"): the user's
    # config home, then each of XDG_CONFIG_DIRS, each with /flux appended.
    home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    return [os.path.join(d, "flux", "config") for d in [home, *dirs.split(":")]]


_Loader = Callable[[Any], Any]


def _tomllib() -> Any:
    # TOML is read only for --conf: not loaded with flux.job.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - older Pythons only
        import tomli as tomllib
    return tomllib


def _toml_load(fp: Any) -> Any:
    return _tomllib().load(fp)


class BatchConfig:
    """A broker config built from successive ``--conf=`` values (KEY=VAL, JSON, TOML, file or name)."""

    loaders: Dict[str, _Loader] = {".toml": _toml_load, ".json": json.load}

    def __init__(self) -> None:
        self.config: Optional[Dict[str, Any]] = None

    def _merge(self, more: Dict[str, Any]) -> BatchConfig:
        self.config = dict_merge(self.config, more)
        return self

    @staticmethod
    def _parse_errors() -> Tuple[Type[BaseException], ...]:
        return (json.decoder.JSONDecodeError, _tomllib().TOMLDecodeError)

    def update_string(self, value: str) -> BatchConfig:
        """Merge a JSON or TOML document."""
        for parse in (json.loads, _tomllib().loads):
            try:
                return self._merge(parse(value))
            except self._parse_errors():
                continue
        raise ValueError("--conf: failed to parse multiline as TOML or JSON")

    def update_keyval(self, keyval: str) -> BatchConfig:
        """Set ``dotted.key=VALUE`` (VALUE read as JSON when it is JSON)."""
        key, _, text = keyval.partition("=")
        value: Any = text
        with contextlib.suppress(json.decoder.JSONDecodeError):
            value = json.loads(text)
        try:
            set_treedict(self.config, key, value)  # type: ignore[arg-type]
        except TypeError as exc:
            raise TypeError(f"failed to set {key} to {value}: {exc}") from None
        return self

    def _load(self, path: str, loader: _Loader, label: str) -> Dict[str, Any]:
        try:
            with open(path, "rb") as stream:
                loaded: Dict[str, Any] = loader(stream)
                return loaded
        except OSError as exc:
            raise ValueError(f"{label}: {exc}") from None

    def update_file(self, path: str, extension: str = ".toml") -> BatchConfig:
        """Merge a .toml or .json file."""
        if extension not in self.loaders:
            raise ValueError(f"--conf: {path} must end in .toml or .json")
        try:
            return self._merge(self._load(path, self.loaders[extension], "--conf"))
        except self._parse_errors() as exc:
            raise ValueError(f"--conf: parse error: {path}: {exc}") from None

    def _find_config(self, name: str) -> Tuple[Optional[str], Optional[_Loader]]:
        """The first NAME.toml or NAME.json in the XDG config directories (TOML first in each)."""
        candidates = (f"{d}/{name}{ext}" for d in _xdg_config_dirs() for ext in (".toml", ".json"))
        for candidate in candidates:
            if os.path.exists(candidate):
                return candidate, self.loaders[candidate[-5:]]
        return None, None

    def update_named_config(self, name: str) -> BatchConfig:
        """Merge the named config found by ``_find_config``."""
        filename, loader = self._find_config(name)
        if filename is None or loader is None:
            raise ValueError(f"--conf: named config '{name}' not found")
        try:
            return self._merge(self._load(filename, loader, f"--conf={name}: {filename}"))
        except self._parse_errors() as exc:
            raise ValueError(f"--conf={name}: {filename}: {exc}") from None

    def update(self, value: str) -> BatchConfig:
        """Merge ``value``: multiline JSON/TOML, ``dotted.key=JSON``, a .toml/.json path, or a named config."""
        if self.config is None:
            self.config = {}
        suffix = pathlib.Path(value).suffix
        if "\n" in value:
            return self.update_string(value)
        if "=" in value:
            return self.update_keyval(value)
        if suffix in (".toml", ".json"):
            return self.update_file(value, suffix)
        return self.update_named_config(value)

    def get(self, key: str, default: Any = None) -> Any:
        """The value at a dotted ``key`` of the config so far."""
        return get_treedict(self.config or {}, key, default=default)


def normalize_conf(conf: Any) -> Optional[Dict[str, Any]]:
    """A ``conf=`` argument (dict, ``BatchConfig`` or a ``--conf`` string) as a dict, or None."""
    if conf is None:
        return None
    if isinstance(conf, dict):
        return conf
    if isinstance(conf, BatchConfig):
        return conf.config
    return BatchConfig().update(str(conf)).config


def jobspec_add_file(jobspec: Any, arg: str) -> None:
    """Attach one ``--add-file=[NAME[:PERMS]=]PATH|DATA`` to ``jobspec``."""
    perms: Optional[int] = None
    # A newline the shell passed escaped counts as a newline (inline data).
    name, _, data = arg.replace("\\n", "\n").partition("=")
    if not data:
        if "\n" in name:
            raise ValueError("--add-file: file name missing")
        data = name
        name = os.path.basename(data)
    else:
        base, _, permstr = name.partition(":")
        try:
            perms = int(permstr, base=8)
            name = base
        except ValueError:
            pass  # the colon belongs to the name
    try:
        jobspec.add_file(name, data, perms=perms)
    except (TypeError, ValueError, OSError) as exc:
        raise ValueError(f"--add-file={arg}: {exc}") from None


def parse_jobspec_keyval(label: str, keyval: str) -> Tuple[str, Any]:
    """``key[=value]`` of ``--setopt``/``--setattr``: value JSON if it parses, 1 if absent, ``^key=file`` reads JSON."""
    key, sep, text = keyval.partition("=")
    val: Any = text if sep else 1
    if key.startswith("^"):
        key = key.lstrip("^")
        with open(val) as filep:
            try:
                val = json.load(filep)
            except (json.JSONDecodeError, TypeError) as exc:
                raise ValueError(f"{label}: {val}: {exc}") from exc
    else:
        try:
            val = json.loads(val)
        except (json.JSONDecodeError, TypeError):
            pass  # not JSON: the string itself
    return key, val
