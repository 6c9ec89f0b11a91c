"""``flux.util.UtilConfig``: per-tool configuration files (``~/.config/flux/NAME.toml`` and friends)."""

from __future__ import annotations

import copy
import glob
import importlib
import json
import os
import re
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, List, Optional

__all__ = ["dict_merge", "xdg_searchpath", "UtilConfig"]


def dict_merge(src: Dict[str, Any], new: Dict[str, Any]) -> Dict[str, Any]:
    """Merge ``new`` into ``src`` recursively (``new`` wins on conflicts); returns ``src``."""
    for key, value in new.items():
        if key in src and isinstance(src[key], dict) and isinstance(value, dict):
            dict_merge(src[key], value)
        else:
            src[key] = value
    return src


def xdg_searchpath(subdir: str = "") -> List[Path]:
    """Flux config folders by XDG precedence: ``$XDG_CONFIG_HOME/flux``, then ``$XDG_CONFIG_DIRS``'."""
    dirs = [os.getenv("XDG_CONFIG_HOME") or f"{Path.home()}/.config"]
    dirs += (os.getenv("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    return [Path(d, "flux", subdir) for d in dirs]


def _load_toml(fp: Any) -> Any:
    try:
        tomllib = importlib.import_module("tomllib")  # Python 3.11+
    except ModuleNotFoundError:
        raise ValueError("reading TOML configuration needs Python 3.11 or later (tomllib)") from None
    return tomllib.load(fp)


def _load_yaml(fp: Any) -> Any:
    import yaml

    return yaml.safe_load(fp)


def _decode_errors() -> tuple:
    errors: list = [json.JSONDecodeError]
    tomllib = sys.modules.get("tomllib")
    if tomllib is not None:
        errors.append(tomllib.TOMLDecodeError)
    scanner = sys.modules.get("yaml.scanner")
    if scanner is not None:  # only scanner errors get the file name, as in flux-core
        errors.append(scanner.ScannerError)
    return tuple(errors)


class UtilConfig:
    """Configuration of a tool: ``initial_dict`` overridden by ``NAME.{toml,json,yaml}`` files.

    Files are read from the XDG folders in reverse precedence order (system
    first, user last), each folder's files in sorted order.  With
    ``subcommand``, attribute access reads that subtable.
    """

    extension_handlers: Dict[str, Callable[[Any], Any]] = {
        ".toml": _load_toml,
        ".json": json.load,
        ".yaml": _load_yaml,
    }
    builtin_formats: Dict[str, Any] = {}

    def __init__(
        self,
        name: str,
        toolname: Optional[str] = None,
        subcommand: Optional[str] = None,
        initial_dict: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.name = name
        self.toolname = toolname
        self.dict: Dict[str, Any] = copy.deepcopy(initial_dict) if initial_dict else {}
        self.config = self.dict
        self.subtable = subcommand
        self.searchpath = list(reversed(xdg_searchpath()))

    def load(self) -> UtilConfig:
        """Read and merge the config files; returns self. ValueError "PATH: reason" for a bad file."""
        for folder in self.searchpath:
            for filepath in sorted(glob.glob(f"{folder}/{self.name}.*")):
                handler = self.extension_handlers.get(PurePosixPath(filepath).suffix)
                if handler is None:
                    continue
                try:
                    with open(filepath, "rb") as fp:
                        conf = handler(fp)
                except _decode_errors() as exc:
                    raise ValueError(f"{filepath}: {exc}") from exc
                self.validate(filepath, conf)
                dict_merge(self.dict, conf)
        if self.subtable and self.subtable in self.dict:
            self.config = self.dict[self.subtable]
        return self

    def validate_formats(self, path: str, formats: Any) -> None:
        """Check a ``formats`` table: names not builtin, each a mapping with a string ``format``."""
        builtin = self.builtin_formats
        if self.subtable and self.subtable in self.builtin_formats:
            builtin = self.builtin_formats[self.subtable]
        if not isinstance(formats, dict):
            raise ValueError(f"{path}: the 'formats' key must be a mapping")
        for name, entry in formats.items():
            if name in builtin:
                raise ValueError(f"{path}: override of builtin format '{name}' not permitted")
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: 'formats.{name}' must be a mapping")
            if "format" not in entry:
                raise ValueError(f"{path}: formats.{name}: required key 'format' missing")
            if not isinstance(entry["format"], str):
                raise ValueError(f"{path}: formats.{name}: 'format' key must be a string")

    def validate(self, path: str, conf: Any) -> None:
        """Hook for subclasses: check one file's config before it is merged."""

    def _default_env_name(self) -> str:
        name = (self.toolname or self.name).upper().replace("-", "_")
        if self.subtable:
            name += "_" + self.subtable.upper().replace("-", "_")
        return name + "_FORMAT_DEFAULT"

    def get_format_string(self, format_name: str) -> str:
        """The format called ``format_name`` (a string with ``{`` is itself a format).

        ``help`` lists the formats and ``get-config=NAME`` prints one, both then
        exit; ``default`` may be overridden by ``<TOOL>[_<SUB>]_FORMAT_DEFAULT``.
        """
        if "{" in format_name:
            return format_name
        formats = self.formats
        if format_name == "help":
            print(f"\nConfigured {self.name} output formats:\n")
            for name, entry in formats.items():
                print(f"  {name:<12}", end="")
                if "description" in entry:
                    print(f" {entry['description']}")
                else:
                    print()
            sys.exit(0)
        if format_name.startswith("get-config="):
            name = format_name.split("=", 1)[1]
            if name not in formats:
                raise ValueError(f"--format: No such format {name}")
            entry = formats[name]
            print(f"[{self.subtable}.formats.{name}]" if self.subtable else f"[formats.{name}]")
            if "description" in entry:
                print(f'description = "{entry["description"]}"')
            print(f'format = "{entry["format"]}"')
            sys.exit(0)
        if format_name == "default":
            override = os.environ.get(self._default_env_name())
            if override is not None:
                if "{" in override:
                    return override
                format_name = override
        try:
            return str(formats[format_name]["format"])
        except KeyError:
            suggestion = re.sub(r"\w+", r"{\g<0>}", format_name)
            raise ValueError(f"--format: No such format {format_name} (Did you mean '{suggestion}'?)") from None

    def __getattr__(self, attr: str) -> Any:
        if attr in ("config", "__setstate__"):  # not yet set: avoid recursing
            raise AttributeError(attr)
        return self.config[attr]
