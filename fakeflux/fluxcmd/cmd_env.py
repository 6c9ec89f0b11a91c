"""``flux env``, ``flux python``, ``flux uri``, ``flux version`` (flux-core's builtin/env.c,
builtin/python.c, flux-uri.py, builtin/version.c)."""

from __future__ import annotations

import os
import sys
from typing import Dict, List

from .common import die_err, open_handle, python_main

FLUX_CORE_VERSION = "0.88.0-59-g4a5e79f56"  # the flux-core release fakeflux emulates


def command_environment() -> Dict[str, str]:
    """What the front end exports to what it runs: fakeflux's ``flux`` package first on
    PYTHONPATH (as flux-core's ``flux`` prepends its own) and this command first on PATH."""
    from fakeflux.fluxcmd import bin_dir

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    prepend = [os.path.join(root, "fakeflux", "client"), root]
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in prepend]
    env = {"PYTHONPATH": os.pathsep.join(prepend + current)}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    if bin_dir() not in path:
        env["PATH"] = os.pathsep.join([bin_dir(), *path])
    env.setdefault("FAKEFLUX_PYTHON", os.environ.get("FAKEFLUX_PYTHON") or sys.executable)
    if "FLUX_URI" in os.environ:
        env["FLUX_URI"] = os.environ["FLUX_URI"]
    return env


def main_env(argv: List[str]) -> int:
    from .optparse import OptParser

    parser = OptParser(
        "flux env",
        "[OPTIONS...] [COMMAND...]",
        description="Print the flux environment or execute COMMAND inside it",
    )
    opts = parser.parse(argv[1:])
    env = command_environment()
    if opts.args:
        os.environ.update(env)
        try:
            sys.stdout.flush()
            os.execvp(opts.args[0], opts.args)
        except OSError as exc:
            die_err("flux", f"execvp ({opts.args[0]})", exc)
    for name, value in env.items():
        print(f'export {name}="{value}"')
    return 0


def main_python(argv: List[str]) -> int:
    """Run this interpreter with fakeflux's ``flux`` package importable."""
    os.environ.update(command_environment())
    sys.stdout.flush()
    try:
        os.execv(sys.executable, [sys.executable, *argv[1:]])
    except OSError as exc:
        die_err("flux-python", sys.executable, exc)


def main_version(argv: List[str]) -> int:
    from .optparse import OptParser

    OptParser("flux version", description="Display flux version information").parse(argv[1:])
    print(f"commands:    \t\t{FLUX_CORE_VERSION}")
    print(f"libflux-core:\t\t{FLUX_CORE_VERSION}")
    uri = os.environ.get("FLUX_URI")
    if uri:
        h = open_handle()
        try:
            version = h.attr_get("version")
        except OSError as exc:
            die_err("flux", "flux_attr_get", exc)
        print(f"broker:  \t\t{version}")
        print(f"FLUX_URI:\t\t{uri}")
    print("build-options:\t\t+fakeflux")
    return 0


def main_uri(argv: List[str]) -> int:
    """flux-core's flux-uri.py: TARGET resolved by flux.uri.FluxURIResolver (its
    plugins list in the epilog), printed as is, ``--remote`` or ``--local``."""
    from flux.uri import FluxURIResolver  # type: ignore[import-not-found,unused-ignore]
    from flux.util import help_formatter  # type: ignore[import-not-found,unused-ignore]

    from .pytool import argument_parser

    resolver = FluxURIResolver()
    plugins = "\n".join(f"  {name}\t\t{what}" for name, what in resolver.plugins().items())
    parser = argument_parser(
        "flux-uri",
        description="Resolve TARGET to a Flux URI",
        epilog="Supported resolver schemes:\n" + plugins,
        formatter_class=help_formatter(raw_description=True),
    )
    parser.add_argument("--remote", action="store_true", help="convert a local URI to remote")
    parser.add_argument("--local", action="store_true", help="convert a remote URI to local",
                        default=os.environ.get("FLUX_URI_RESOLVE_LOCAL"))
    parser.add_argument("--wait", action="store_true", help="wait for a URI to become available, if supported")
    parser.add_argument("uri", metavar="TARGET", help="A Flux jobid or URI in scheme:argument form (e.g. jobid:f1234)")

    def body() -> None:
        args = parser.parse_args(argv[1:])
        uri = resolver.resolve(args.uri + "?wait" if args.wait else args.uri)
        print(uri.remote if args.remote else uri.local if args.local else uri)

    return python_main("flux-uri", body)
