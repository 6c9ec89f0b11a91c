"""``flux config get|set|unset|load|reload|builtin`` (flux-core's builtin/config.c);
``get`` in full, the others through the broker's config services."""

from __future__ import annotations

import json
import sys
from typing import Any, List, Optional, Tuple

from .common import die, die_err, error_text, open_handle
from .optparse import REQUIRED_ARG, Option, SubcommandGroup
from .parse import fsd_seconds

# type name -> (JSON type, fsd subtype)
TYPES = {
    "object": (dict, None),
    "array": (list, None),
    "string": (str, None),
    "integer": (int, None),
    "real": (float, None),
    "boolean": (bool, None),
    "any": (None, None),
    "fsd": (str, "string"),
    "fsd-integer": (str, "integer"),
    "fsd-real": (str, "real"),
}

PROG = "flux-config"


def _group() -> SubcommandGroup:
    group = SubcommandGroup("flux config", description="Manage configuration")
    group.add("load", "[PATH]")
    group.add("reload", "[OPTIONS]", [Option("follower-noop", usage="Do nothing if run on a non-leader broker")])
    group.add(
        "get",
        "[OPTIONS] [NAME]",
        [
            Option(
                "config-path",
                "c",
                REQUIRED_ARG,
                "PATH|system|security|imp",
                "Get broker config from PATH (default: use live config)",
            ),
            Option(
                "type",
                "t",
                REQUIRED_ARG,
                "TYPE",
                "Set expected type (any, string, integer, real, boolean, object, array, fsd, fsd-integer, fsd-real)",
            ),
            Option("quiet", "q", usage='Suppress printing of "[key] is not set" errors.'),
            Option("default", "d", REQUIRED_ARG, "VAL", "Use this value if config key is unset"),
        ],
    )
    group.add(
        "set",
        "[OPTIONS] NAME VALUE",
        [
            Option(
                "type", "t", REQUIRED_ARG, "TYPE", "Specify type (string, integer, real, boolean, object, array, fsd)"
            )
        ],
    )
    group.add("unset", "NAME")
    group.add(
        "builtin",
        "NAME",
        [
            Option("intree", usage="Force in-tree paths to be used"),
            Option("installed", usage="Force installed paths to be used"),
        ],
    )
    return group


def dumps(value: Any) -> str:
    """json_dumps(JSON_COMPACT|JSON_ENCODE_ANY) as jansson writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _jpath_get(obj: Any, path: str) -> Tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False, None
        obj = obj[part]
    return True, obj


def _type_of(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    return type(value)


def main(argv: List[str]) -> int:
    group = _group()
    _top, name, parser, opts = group.parse(argv[1:])
    if name == "get":
        return _get(parser, opts)
    h = open_handle(PROG)
    if name == "reload":
        try:
            h.rpc("config.reload").get()
        except OSError as exc:
            die(PROG, f"reload: {error_text(exc)}")
        return 0
    if name == "load":
        return _load(h, parser, opts)
    if name in ("set", "unset"):
        return _set(h, parser, opts, name)
    die(PROG, f"{name}: fakeflux has no compiled-in configuration")


def _get(parser: Any, opts: Any) -> int:
    args: List[str] = opts.args
    path: Optional[str] = args[0] if args else None
    if len(args) > 1:
        parser.print_usage()
        return 1
    if opts.has("config-path"):
        conf = _read_path(opts.get("config-path") or "")
    else:
        h = open_handle(PROG)
        try:
            conf = h.rpc("config.get").get()
        except OSError as exc:
            die(PROG, f"Error fetching config object: {error_text(exc)}")
    typestr = (opts.get("type") or "any").lower()
    if typestr not in TYPES:
        die(PROG, f"Unknown type: {opts.get('type')}")
    want, fsd = TYPES[typestr]
    value = conf
    if path is not None:
        found, value = _jpath_get(conf, path)
        if not found:
            if opts.has("default"):
                print(opts.get("default"))
                return 0
            if opts.has("quiet"):
                return 1
            die(PROG, f"{path} is not set")
    kind = _type_of(value)
    if want is None or want is kind and fsd is None:
        print(value if isinstance(value, str) else dumps(value))
        return 0
    if want is kind and fsd is not None:
        try:
            seconds = fsd_seconds(value)
        except ValueError:
            seconds = None
        if seconds is not None:
            print(int(seconds) if fsd == "integer" else f"{seconds:f}" if fsd == "real" else value)
            return 0
    die(PROG, f"{path if path else 'value'} does not have the requested type")


def _read_path(path: str) -> Any:
    import os

    try:
        if os.path.isdir(path):
            conf: dict = {}
            for entry in sorted(os.listdir(path)):
                if entry.endswith(".toml"):
                    conf.update(_toml(os.path.join(path, entry)))
            return conf
        return _toml(path)
    except OSError as exc:
        die(PROG, f"{path}: {exc.strerror}")


def _toml(path: str) -> Any:
    try:
        import tomllib as toml  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as toml  # type: ignore[no-redef,import-not-found,unused-ignore]
    with open(path, "rb") as f:
        try:
            return toml.load(f)
        except toml.TOMLDecodeError as exc:
            die(PROG, f"{path}: {exc}")


def _load(h: Any, parser: Any, opts: Any) -> int:
    if len(opts.args) > 1:
        parser.print_usage()
        return 1
    if opts.args:
        conf = _read_path(opts.args[0])
    else:
        text = sys.stdin.read()
        try:
            conf = json.loads(text)
        except ValueError:
            try:
                import tomllib as toml  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                import tomli as toml  # type: ignore[no-redef,import-not-found,unused-ignore]
            try:
                conf = toml.loads(text)
            except toml.TOMLDecodeError as exc:
                die(PROG, f"TOML parse error: {exc}")
    try:
        h.rpc("config.load", conf).get()
    except OSError as exc:
        die(PROG, f"load: {error_text(exc)}")
    return 0


def _set(h: Any, parser: Any, opts: Any, name: str) -> int:
    want = 2 if name == "set" else 1
    if len(opts.args) != want:
        parser.print_usage()
        return 1
    try:
        conf = h.rpc("config.get").get()
    except OSError as exc:
        die(PROG, f"Error fetching config object: {error_text(exc)}")
    path = opts.args[0]
    parts = path.split(".")
    node = conf
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            die_err(PROG, f"Error updating {path}", NotADirectoryError(20, "Not a directory"))
    if name == "unset":
        node.pop(parts[-1], None)
    else:
        raw = opts.args[1]
        try:
            node[parts[-1]] = json.loads(raw)
        except ValueError:
            node[parts[-1]] = raw
    try:
        h.rpc("config.load", conf).get()
    except OSError as exc:
        die(PROG, f"Error updating config object: {error_text(exc)}")
    return 0
