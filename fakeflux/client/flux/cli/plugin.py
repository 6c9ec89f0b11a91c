"""Submission-command plugins (flux-core's ``flux.cli.plugin``).

A plugin is a ``CLIPlugin`` subclass in a ``*.py`` file of a directory on
``FLUX_CLI_PLUGINPATH`` (or ``FLUX_CLI_PLUGINPATH_OVERRIDE``), or in the
``flux.cli.plugins`` package.  It registers ``--PREFIX-NAME`` options and
gets ``preinit``, ``modify_jobspec`` and ``validate`` callbacks.
``Jobspec.apply_options(prog=...)`` drives them through ``CLIPluginRegistry``.

fakeflux is not installed as Flux is, so there are no system plugin
directories: only the environment's and the package's plugins are found.
"""

from __future__ import annotations

import glob
import importlib
import importlib.util
import inspect
import os
import pkgutil
import sys
from abc import ABC
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional

_PACKAGE = "flux.cli.plugins"


def _as_dest(flag: str) -> str:
    """``--site-my-opt`` -> ``site_my_opt`` (argparse's rule)."""
    return flag.lstrip("-").replace("-", "_")


class PluginArgsProxy:
    """The args namespace as one plugin sees it: its unprefixed option names reach the prefixed dests."""

    __slots__ = ("_ns", "_alias")

    def __init__(self, args: Any, alias: Dict[str, str]) -> None:
        # slots written directly: our __setattr__ forwards to the namespace
        object.__setattr__(self, "_ns", args)
        object.__setattr__(self, "_alias", alias)

    def _target(self, name: str) -> str:
        renames: Dict[str, str] = object.__getattribute__(self, "_alias")
        return renames.get(name, name)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_ns"), self._target(name))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_ns"), self._target(name), value)


class CLIPluginOption:
    """One long option a plugin registers; ``kwargs`` go to ``ArgumentParser.add_argument``."""

    def __init__(self, name: str, prefix: Optional[str], **kwargs: Any) -> None:
        if name[:2] != "--":
            raise ValueError("Plugins must register only long options.")
        self.name = f"--{prefix}-{name[2:]}" if prefix else name
        # An explicit dest is the plugin's choice; otherwise it is derived
        # from the prefixed flag and the plain name stays usable (alias).
        explicit = "dest" in kwargs
        self._unprefixed_dest: Optional[str] = None if explicit else _as_dest(name)
        self.kwargs = kwargs if explicit else {**kwargs, "dest": _as_dest(self.name)}

    @property
    def dest(self) -> str:
        return str(self.kwargs["dest"])


class CLIPlugin(ABC):  # noqa: B024 - every callback is optional, as in flux-core
    """Base class of a submission plugin: override ``preinit``, ``modify_jobspec``, ``validate``."""

    def __init__(self, prog: str, prefix: Optional[str] = "ex", version: Optional[str] = None) -> None:
        self.prog = prog.removeprefix("flux ")  # "flux submit" is "submit"
        self.path: Optional[str] = None
        self.prefix = prefix
        self.version = version
        self.options: List[CLIPluginOption] = []

    def help(self, option: CLIPluginOption) -> None:
        """Print this plugin's docstring as help for ``option``."""
        text = inspect.getdoc(self)
        if text in (None, inspect.getdoc(CLIPlugin)):
            print(f"No extra documentation for option `{option.name}` found.", file=sys.stderr)
            return
        print(f"\nDocumentation for plugin providing option `{option.name}`:\n")
        print(text)

    def add_option(self, name: str, **kwargs: Any) -> None:
        """Register ``--PREFIX-NAME`` (``name`` is ``--NAME``); dest defaults to ``PREFIX_NAME``."""
        self.options.append(CLIPluginOption(name, self.prefix, **kwargs))

    def preinit(self, args: Any) -> None:  # noqa: B027
        """Called after options are parsed, before the jobspec is built."""

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:  # noqa: B027
        """Called once the jobspec is built: change it in place."""

    def validate(self, jobspec: Any) -> None:  # noqa: B027
        """Raise ValueError with a message if ``jobspec`` is not acceptable."""


def _load_file(file_path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(file_path))[0], file_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import a plugin from {file_path}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def _packaged_modules() -> Dict[str, ModuleType]:
    try:
        package = importlib.import_module(_PACKAGE)
    except ModuleNotFoundError:
        return {}
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        try:
            found[info.name] = importlib.import_module(f"{_PACKAGE}.{info.name}")
        except ImportError as exc:
            raise ImportError(f"failed to import {info.name} plugin: {exc}") from exc
    return found


def _plugin_classes(module: ModuleType) -> Iterator[type]:
    # public names only, in dir() order (alphabetical), as flux-core finds them
    for attr in dir(module):
        value = getattr(module, attr)
        if not attr.startswith("_") and isinstance(value, type) and issubclass(value, CLIPlugin):
            if value is not CLIPlugin:
                yield value


class CLIPluginRegistry:
    """The plugins and options of one command (``prog``: submit, run, alloc, batch, bulksubmit)."""

    default_plugins = ["shape"]
    plugin_namespace = _PACKAGE

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self.plugins: List[CLIPlugin] = []
        self.options: List[CLIPluginOption] = []
        self.plugindirs = self._get_searchpath()
        self._load_plugins(prog)

    def _get_searchpath(self) -> List[str]:
        override = os.environ.get("FLUX_CLI_PLUGINPATH_OVERRIDE")
        raw = override if override is not None else os.environ.get("FLUX_CLI_PLUGINPATH", "")
        return [entry for entry in raw.split(":") if entry.strip()]

    def _add_plugins_from_module(self, module: ModuleType, program: str) -> None:
        for cls in _plugin_classes(module):
            plugin = cls(program)
            plugin.path = module.__file__
            self.plugins.append(plugin)

    def _load_plugins(self, program: str) -> CLIPluginRegistry:
        files = [path for directory in self.plugindirs for path in glob.glob(f"{directory}/*.py")]
        for path in files:
            self._add_plugins_from_module(_load_file(path), program)
        packaged = _packaged_modules()
        for name in (n for n in self.default_plugins if n in packaged):
            self._add_plugins_from_module(packaged[name], program)
        # A plugin whose options clash with an earlier plugin's is dropped whole.
        claimed: Dict[str, CLIPluginOption] = {}
        kept = []
        for plugin in self.plugins:
            if claimed.keys().isdisjoint(opt.dest for opt in plugin.options):
                kept.append(plugin)
                claimed.update({opt.dest: opt for opt in plugin.options})
        self.plugins = kept
        self.options = list(claimed.values())
        return self

    def print_help(self, name: str) -> None:
        """Print the help of the plugin providing option ``name`` and exit; ValueError if none does."""
        for plugin in self.plugins:
            if any(name in (opt.name, opt.name.lstrip("-")) for opt in plugin.options):
                owner = next(opt for opt in plugin.options if name in (opt.name, opt.name.lstrip("-")))
                plugin.help(owner)
                sys.exit(0)
        raise ValueError(f"--help: no such option {name}")

    def print_plugins(self) -> None:
        """Print the plugins loaded and their options."""
        lines = ["Options provided by plugins:"]
        if self.plugindirs:
            lines += [f"  Search path: {':'.join(self.plugindirs)}", f"  (plus {self.plugin_namespace} namespace)\n"]
        else:
            lines.append(f"  Searched only {self.plugin_namespace} namespace\n")
        for plugin in self.plugins:
            lines.append(f"{type(plugin).__name__} loaded from {plugin.path}")
            lines += [f"  {opt.name:<20}  {opt.kwargs['help']}" for opt in plugin.options]
            lines.append("")
        print("\n".join(lines))

    def _make_alias(self, plugin: CLIPlugin) -> Dict[str, str]:
        """The plain-name -> prefixed-dest renames of one plugin's derived dests."""
        renames = ((opt._unprefixed_dest, opt.dest) for opt in plugin.options)
        return {plain: dest for plain, dest in renames if plain is not None and plain != dest}

    def _each(self, callback: str, *args: Any, proxied: bool = True) -> None:
        for plugin in self.plugins:
            call = getattr(plugin, callback)
            if proxied:
                call(PluginArgsProxy(args[0], self._make_alias(plugin)), *args[1:])
            else:
                call(*args)

    def preinit(self, args: Any) -> None:
        self._each("preinit", args)

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:
        self._each("modify_jobspec", args, jobspec)

    def validate(self, jobspec: Any) -> None:
        self._each("validate", jobspec, proxied=False)
