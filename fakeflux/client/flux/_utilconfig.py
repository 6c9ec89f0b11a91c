"""``flux.util.UtilConfig``: per-tool configuration files (``~/.config/flux/NAME.toml`` and friends)."""

from __future__ import annotations

import copy
import glob
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

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


def _format_problem(name: str, entry: Any, builtin: Any) -> Optional[str]:
    """What is wrong with one entry of a ``formats`` table (None: nothing)."""
    if name in builtin:
        return f"override of builtin format '{name}' not permitted"
    if not isinstance(entry, dict):
        return f"'formats.{name}' must be a mapping"
    if "format" not in entry:
        return f"formats.{name}: required key 'format' missing"
    if not isinstance(entry["format"], str):
        return f"formats.{name}: 'format' key must be a string"
    return None


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
        self.name, self.toolname, self.subtable = name, toolname, subcommand
        self.dict: Dict[str, Any] = copy.deepcopy(initial_dict) if initial_dict else {}
        self.config = self.dict  # the subtable's, once loaded, with a subcommand
        self.searchpath = xdg_searchpath()[::-1]  # system folders first: the user's win

    def _files(self) -> Iterator[Tuple[str, Callable[[Any], Any]]]:
        """(path, reader) of each config file, lowest precedence first."""
        for folder in self.searchpath:
            for path in sorted(glob.glob(f"{folder}/{self.name}.*")):
                reader = self.extension_handlers.get(os.path.splitext(path)[1])
                if reader is not None:  # NAME.<other>: not a config file
                    yield path, reader

    def load(self) -> UtilConfig:
        """Read and merge the config files; returns self. ValueError "PATH: reason" for a bad file."""
        for path, reader in self._files():
            try:
                with open(path, "rb") as stream:
                    table = reader(stream)
            except _decode_errors() as exc:
                raise ValueError(f"{path}: {exc}") from exc
            self.validate(path, table)
            dict_merge(self.dict, table)
        wanted = self.subtable
        if wanted and wanted in self.dict:
            self.config = self.dict[wanted]
        return self

    def validate_formats(self, path: str, formats: Any) -> None:
        """Check a ``formats`` table: names not builtin, each a mapping with a string ``format``."""
        builtin = self.builtin_formats
        if self.subtable:  # a subcommand's own builtin formats, if it has some
            builtin = self.builtin_formats.get(self.subtable, builtin)
        if not isinstance(formats, dict):
            raise ValueError(f"{path}: the 'formats' key must be a mapping")
        for name, entry in formats.items():
            problem = _format_problem(name, entry, builtin)
            if problem:
                raise ValueError(f"{path}: {problem}")

    def validate(self, path: str, conf: Any) -> None:
        """Hook for subclasses: check one file's config before it is merged."""

    def _default_env_name(self) -> str:
        name = (self.toolname or self.name).upper().replace("-", "_")
        if self.subtable:
            name += "_" + self.subtable.upper().replace("-", "_")
        return name + "_FORMAT_DEFAULT"

    def _list_formats(self, formats: Dict[str, Any]) -> None:
        print(f"\nConfigured {self.name} output formats:\n")
        for name, entry in formats.items():
            described = f" {entry['description']}" if "description" in entry else ""
            print(f"  {name:<12}{described}")

    def _print_format(self, formats: Dict[str, Any], name: str) -> None:
        """One format as the TOML a user would put in a config file."""
        if name not in formats:
            raise ValueError(f"--format: No such format {name}")
        table = f"{self.subtable}.formats.{name}" if self.subtable else f"formats.{name}"
        lines = [f"[{table}]"]
        if "description" in formats[name]:
            lines.append(f'description = "{formats[name]["description"]}"')
        lines.append(f'format = "{formats[name]["format"]}"')
        print("\n".join(lines))

    def get_format_string(self, format_name: str) -> str:
        """The format called ``format_name`` (a string with ``{`` is itself a format).

        ``help`` lists the formats and ``get-config=NAME`` prints one, both then
        exit; ``default`` may be overridden by ``<TOOL>[_<SUB>]_FORMAT_DEFAULT``.
        """
        if "{" in format_name:
            return format_name
        formats = self.formats
        if format_name == "help" or format_name.startswith("get-config="):
            if format_name == "help":
                self._list_formats(formats)
            else:
                self._print_format(formats, format_name.partition("=")[2])
            sys.exit(0)
        if format_name == "default":
            chosen = os.environ.get(self._default_env_name())
            if chosen is not None and "{" in chosen:  # the variable holds a format itself
                return chosen
            format_name = format_name if chosen is None else chosen
        try:
            found = formats[format_name]["format"]
        except KeyError:
            # perhaps field names were meant: suggest them as a format
            suggestion = re.sub(r"\w+", r"{\g<0>}", format_name)
            raise ValueError(f"--format: No such format {format_name} (Did you mean '{suggestion}'?)") from None
        return str(found)

    def __getattr__(self, attr: str) -> Any:
        if attr in ("config", "__setstate__"):  # not yet set: avoid recursing
            raise AttributeError(attr)
        return self.config[attr]
