"""Plugin loading of flux-core's ``flux.importer``: every module of a namespace package."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from types import ModuleType
from typing import Dict, List, Optional

__all__ = ["import_plugins_pkg", "import_plugins", "import_path"]


def import_plugins_pkg(ns_pkg: ModuleType) -> Dict[str, ModuleType]:
    """Import every module of package ``ns_pkg``: {name: module}; ImportError names the failing one."""
    result = {}
    for _finder, name, _ispkg in pkgutil.iter_modules(ns_pkg.__path__):
        try:
            result[name] = importlib.import_module(f"{ns_pkg.__name__}.{name}")
        except ImportError as exc:
            raise ImportError(f"failed to import {name} plugin: {exc}") from exc
    return result


def import_plugins(pkg_name: str, pluginpath: Optional[List[str]] = None) -> Dict[str, ModuleType]:
    """The plugins of namespace package ``pkg_name``, also searched for in ``pluginpath`` first.

    A package that does not exist gives no plugins ({}).
    """
    if pluginpath is not None:
        sys.path[1:1] = pluginpath
    try:
        try:
            pkg = importlib.import_module(pkg_name)
        except ModuleNotFoundError:
            return {}
        return import_plugins_pkg(pkg)
    finally:
        for path in pluginpath or []:
            sys.path.remove(path)


def import_path(file_path: str) -> ModuleType:
    """Import a module straight from a file."""
    module_name = os.path.basename(file_path).rstrip(".py")
    spec = importlib.util.spec_from_file_location(module_name, file_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {file_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
