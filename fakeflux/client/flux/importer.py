"""Plugin loading (flux-core's ``flux.importer``): a plugin is a module of a namespace package."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import Dict, Iterator, List, Optional

__all__ = ["import_plugins_pkg", "import_plugins", "import_path"]


def import_plugins_pkg(ns_pkg: ModuleType) -> Dict[str, ModuleType]:
    """Import every module found in package ``ns_pkg``: {name: module}.

    ImportError naming the plugin if one fails to import.
    """
    loaded: Dict[str, ModuleType] = {}
    for found in pkgutil.iter_modules(ns_pkg.__path__):
        qualified = ns_pkg.__name__ + "." + found.name
        try:
            loaded[found.name] = importlib.import_module(qualified)
        except ImportError as exc:
            raise ImportError(f"failed to import {found.name} plugin: {exc}") from exc
    return loaded


@contextmanager
def _searched_first(folders: List[str]) -> Iterator[None]:
    """``folders`` in sys.path ahead of all but the script's own folder, for the duration;
    so a plugin there wins over one of the same name installed with the package."""
    sys.path[1:1] = folders
    try:
        yield
    finally:
        for folder in folders:
            sys.path.remove(folder)


def import_plugins(pkg_name: str, pluginpath: Optional[List[str]] = None) -> Dict[str, ModuleType]:
    """The plugins of namespace package ``pkg_name``, ``pluginpath`` searched first.

    A package that cannot be found (say, an empty folder) has no plugins: {}.
    """
    with _searched_first(list(pluginpath or [])):
        try:
            package = importlib.import_module(pkg_name)
        except ModuleNotFoundError:
            return {}
        return import_plugins_pkg(package)


def import_path(file_path: str) -> ModuleType:
    """Import a module straight from a file (named like the file, as flux-core names it:
    trailing '.', 'p' and 'y' characters are stripped)."""
    spec = importlib.util.spec_from_file_location(os.path.basename(file_path).rstrip(".py"), file_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {file_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
