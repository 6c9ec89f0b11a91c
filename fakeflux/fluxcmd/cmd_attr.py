"""``flux getattr``, ``flux setattr``, ``flux lsattr`` (flux-core's builtin/attr.c)."""

from __future__ import annotations

from typing import List

from .common import die, die_err, error_text, open_handle
from .optparse import Option, OptParser


def main_getattr(argv: List[str]) -> int:
    parser = OptParser("flux getattr", "name", description="Get broker attribute")
    opts = parser.parse(argv[1:])
    h = open_handle()
    if len(opts.args) != 1:
        parser.fatal_usage(1)
    name = opts.args[0]
    try:
        value = h.attr_get(name)
    except OSError as exc:
        die_err("flux-getattr", name, exc)
    print(value)
    return 0


def main_setattr(argv: List[str]) -> int:
    parser = OptParser(
        "flux setattr",
        "name value",
        description="Set broker attribute",
        options=[Option("force", "f", usage="force update of attribute that doesn't support runtime changes")],
    )
    opts = parser.parse(argv[1:])
    h = open_handle()
    if len(opts.args) != 2:
        parser.print_usage()
        return 1
    name, value = opts.args
    try:
        h.rpc("attr.set", {"name": name, "value": value, "force": opts.has("force")}).get()
    except OSError as exc:
        die("flux-setattr", f"{name}: {error_text(exc)}")
    return 0


def main_lsattr(argv: List[str]) -> int:
    parser = OptParser(
        "flux lsattr", "[-v]", [Option("values", "v", usage="List values with attributes")], "List broker attributes"
    )
    opts = parser.parse(argv[1:])
    h = open_handle()
    if opts.args:
        parser.fatal_usage(1)
    try:
        names = sorted(h.rpc("attr.list").get()["names"])
    except OSError as exc:
        die_err("flux-lsatrr", "attr.list", exc)  # sic: flux-core's spelling
    for name in names:
        if opts.has("values"):
            try:
                value = h.attr_get(name)
            except OSError:
                value = "-"
            print(f"{name:<40}{value}")
        else:
            print(name)
    return 0
