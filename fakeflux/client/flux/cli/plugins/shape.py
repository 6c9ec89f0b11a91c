"""``--resources-shape`` and ``--resources-json``: replace a jobspec's resources (flux-core's shape plugin)."""

from __future__ import annotations

import importlib
import json
from typing import Any

from ..plugin import CLIPlugin


class ShapePlugin(CLIPlugin):
    """Set the ``resources`` of a jobspec from an RFC 46 shape or a JSON file."""

    def __init__(self, prog: str, prefix: str = "resources") -> None:
        super().__init__(prog, prefix=prefix)
        self.add_option(
            "--shape",
            metavar="SHAPE",
            help="Provide an RFC 46 jobspec shape on the command line. Any other resource arguments will be ignored.",
        )
        self.add_option(
            "--json",
            metavar="FILE",
            help="Provide a JSON file specifying the `resources` section of a jobspec.",
        )

    def preinit(self, args: Any) -> None:
        try:
            if args.json or args.shape:
                args.nodes = 1  # a slot count the resources given here replace
        except AttributeError:
            pass

    def modify_jobspec(self, args: Any, jobspec: Any) -> None:
        shape = getattr(args, "shape", None)
        path = getattr(args, "json", None)
        if not (shape or path):
            return
        if shape and path:
            raise ValueError(
                "`--resources-shape` and `--resources-json` are mutually exclusive arguments. Use only one."
            )
        if shape:
            # The RFC 46 parser is flux.shape's; imported only when a shape is given.
            parser = importlib.import_module("flux.shape.parser").ShapeParser()
            jobspec.jobspec["resources"] = parser.parse(shape)
            return
        with open(str(path)) as json_file:
            data = json.load(json_file)
        try:
            jobspec.jobspec["resources"] = data["resources"]
        except TypeError:
            jobspec.jobspec["resources"] = data
