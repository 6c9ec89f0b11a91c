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
from typing import Any, Dict, List, Optional


class PluginArgsProxy:
    """The args namespace as one plugin sees it: its unprefixed option names reach the prefixed dests."""

    __slots__ = ("_ns", "_alias")

    def __init__(self, args: Any, alias: Dict[str, str]) -> None:
        object.__setattr__(self, "_ns", args)
        object.__setattr__(self, "_alias", alias)

    def __getattr__(self, name: str) -> Any:
        alias = object.__getattribute__(self, "_alias")
        return getattr(object.__getattribute__(self, "_ns"), alias.get(name, name))

    def __setattr__(self, name: str, value: Any) -> None:
        alias = object.__getattribute__(self, "_alias")
        setattr(object.__getattribute__(self, "_ns"), alias.get(name, name), value)


class CLIPluginOption:
    """One long option a plugin registers; ``kwargs`` go to ``ArgumentParser.add_argument``."""

    def __init__(self, name: str, prefix: Optional[str], **kwargs: Any) -> None:
        if not name.startswith("--"):
            raise ValueError("Plugins must register only long options.")
        self.name = name.replace("--", f"--{prefix}-", 1) if prefix else name
        self._unprefixed_dest: Optional[str]
        if "dest" in kwargs:
            self._unprefixed_dest = None  # chosen by the plugin: no alias
        else:
            self._unprefixed_dest = name[2:].replace("-", "_")
            kwargs["dest"] = self.name[2:].replace("-", "_")
        self.kwargs = kwargs

    @property
    def dest(self) -> str:
        return str(self.kwargs["dest"])


class CLIPlugin(ABC):  # noqa: B024 - every callback is optional, as in flux-core
    """Base class of a submission plugin: override ``preinit``, ``modify_jobspec``, ``validate``."""

    def __init__(self, prog: str, prefix: Optional[str] = "ex", version: Optional[str] = None) -> None:
        self.prog = prog[len("flux ") :] if prog.startswith("flux ") else prog
        self.path: Optional[str] = None
        self.prefix = prefix
        self.version = version
        self.options: List[CLIPluginOption] = []

    def help(self, option: CLIPluginOption) -> None:
        """Print this plugin's docstring as help for ``option``."""
        docstring = inspect.getdoc(self)
        if docstring is None or docstring == inspect.getdoc(CLIPlugin):
            print(f"No extra documentation for option `{option.name}` found.", file=sys.stderr)
            return
        print(f"\nDocumentation for plugin providing option `{option.name}`:\n")
        sys.stdout.write(docstring + "\n")

    def add_option(self, name: str, **kwargs: Any) -> None:
        """Register ``--PREFIX-NAME`` (``name`` is ``--NAME``); dest defaults to ``PREFIX_NAME``."""
        self.options.append(CLIPluginOption(name, prefix=self.prefix, **kwargs))

    def preinit(self, args: Any) -> None:  # noqa: B027
        """Called after options are parsed, before the jobspec is built."""

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:  # noqa: B027
        """Called once the jobspec is built: change it in place."""

    def validate(self, jobspec: Any) -> None:  # noqa: B027
        """Raise ValueError with a message if ``jobspec`` is not acceptable."""


def _import_path(file_path: str) -> ModuleType:
    name = os.path.splitext(os.path.basename(file_path))[0]
    spec = importlib.util.spec_from_file_location(name, file_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import a plugin from {file_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _import_namespace(pkg_name: str) -> Dict[str, ModuleType]:
    try:
        pkg = importlib.import_module(pkg_name)
    except ModuleNotFoundError:
        return {}
    modules = {}
    for _finder, name, _ispkg in pkgutil.iter_modules(pkg.__path__):
        try:
            modules[name] = importlib.import_module(f"{pkg_name}.{name}")
        except ImportError as exc:
            raise ImportError(f"failed to import {name} plugin: {exc}") from exc
    return modules


class CLIPluginRegistry:
    """The plugins and options of one command (``prog``: submit, run, alloc, batch, bulksubmit)."""

    default_plugins = ["shape"]
    plugin_namespace = "flux.cli.plugins"

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self.plugins: List[CLIPlugin] = []
        self.options: List[CLIPluginOption] = []
        self.plugindirs = self._get_searchpath()
        self._load_plugins(self.prog)

    def print_help(self, name: str) -> None:
        """Print the help of the plugin providing option ``name`` and exit; ValueError if none does."""
        for plugin in self.plugins:
            for option in plugin.options:
                if name in (option.name, option.name.lstrip("-")):
                    plugin.help(option)
                    sys.exit(0)
        raise ValueError(f"--help: no such option {name}")

    def _get_searchpath(self) -> List[str]:
        def split(value: str) -> List[str]:
            return [s for s in value.split(":") if s and not s.isspace()]

        if "FLUX_CLI_PLUGINPATH_OVERRIDE" in os.environ:
            return split(os.environ["FLUX_CLI_PLUGINPATH_OVERRIDE"])
        return split(os.environ.get("FLUX_CLI_PLUGINPATH", ""))

    def _add_plugins_from_module(self, module: ModuleType, program: str) -> None:
        for attr in dir(module):
            if attr.startswith("_"):
                continue
            entry = getattr(module, attr)
            if isinstance(entry, type) and issubclass(entry, CLIPlugin) and entry is not CLIPlugin:
                plugin = entry(program)
                plugin.path = module.__file__
                self.plugins.append(plugin)

    def print_plugins(self) -> None:
        """Print the plugins loaded and their options."""
        print("Options provided by plugins:")
        if self.plugindirs:
            print(f"  Search path: {':'.join(self.plugindirs)}")
            print(f"  (plus {self.plugin_namespace} namespace)\n")
        else:
            print(f"  Searched only {self.plugin_namespace} namespace\n")
        for plugin in self.plugins:
            print(f"{type(plugin).__name__} loaded from {plugin.path}")
            for option in plugin.options:
                print(f"  {option.name:<20}  {option.kwargs['help']}")
            print()

    def _load_plugins(self, program: str) -> CLIPluginRegistry:
        for plugindir in self.plugindirs:
            for path in glob.glob(f"{plugindir}/*.py"):
                self._add_plugins_from_module(_import_path(path), program)
        packaged = _import_namespace(self.plugin_namespace)
        for name in self.default_plugins:
            if name in packaged:
                self._add_plugins_from_module(packaged[name], program)
        # The first plugin to claim a dest keeps it; a later one claiming any
        # of the same dests is dropped whole.
        by_dest: Dict[str, CLIPluginOption] = {}
        for plugin in list(self.plugins):
            if any(opt.dest in by_dest for opt in plugin.options):
                self.plugins.remove(plugin)
            else:
                by_dest.update((opt.dest, opt) for opt in plugin.options)
        self.options = list(by_dest.values())
        return self

    @staticmethod
    def _make_alias(plugin: CLIPlugin) -> Dict[str, str]:
        return {
            opt._unprefixed_dest: opt.dest
            for opt in plugin.options
            if opt._unprefixed_dest is not None and opt._unprefixed_dest != opt.dest
        }

    def preinit(self, args: Any) -> None:  # noqa: B027
        for plugin in self.plugins:
            plugin.preinit(PluginArgsProxy(args, self._make_alias(plugin)))

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:  # noqa: B027
        for plugin in self.plugins:
            plugin.modify_jobspec(PluginArgsProxy(args, self._make_alias(plugin)), jobspec)

    def validate(self, jobspec: Any) -> None:  # noqa: B027
        for plugin in self.plugins:
            plugin.validate(jobspec)
