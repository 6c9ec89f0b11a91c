"""``--resources-shape`` and ``--resources-json``: replace a jobspec's resources (flux-core's shape plugin)."""

from __future__ import annotations

import importlib
import json
from typing import Any

from ..plugin import CLIPlugin

_OPTIONS = (
    (
        "--shape",
        "SHAPE",
        "Provide an RFC 46 jobspec shape on the command line. Any other resource arguments will be ignored.",
    ),
    ("--json", "FILE", "Provide a JSON file specifying the `resources` section of a jobspec."),
)


def _resources_from_file(path: str) -> Any:
    # the file holds a whole jobspec, or just its resources
    with open(path) as stream:
        loaded = json.load(stream)
    try:
        return loaded["resources"]
    except TypeError:
        return loaded


class ShapePlugin(CLIPlugin):
    """Set the ``resources`` of a jobspec from an RFC 46 shape or a JSON file."""

    def __init__(self, prog: str, prefix: str = "resources") -> None:
        CLIPlugin.__init__(self, prog, prefix=prefix)
        for flag, metavar, text in _OPTIONS:
            self.add_option(flag, metavar=metavar, help=text)

    def preinit(self, args: Any) -> None:
        # any slot count will do: the resources given here replace them
        try:
            given = bool(args.json) or bool(args.shape)
        except AttributeError:
            return
        if given:
            args.nodes = 1

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:
        shape, path = getattr(args, "shape", None), getattr(args, "json", None)
        if shape and path:
            raise ValueError(
                "`--resources-shape` and `--resources-json` are mutually exclusive arguments. Use only one."
            )
        if shape:
            # the RFC 46 parser is flux.shape's, loaded only when a shape is given
            parser = importlib.import_module("flux.shape.parser").ShapeParser()
            jobspec.jobspec["resources"] = parser.parse(shape)
        elif path:
            jobspec.jobspec["resources"] = _resources_from_file(str(path))
