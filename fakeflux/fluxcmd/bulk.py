"""``flux bulksubmit``'s inputs and command templates (flux-core's flux/cli/bulksubmit.py
and base.Xcmd): inputs split on ``:::`` (``::::`` reads a file, ``:::+`` links a list),
or stdin split on ``--sep``; each combination formatted into the command and the
options that may vary, with ``{}``/``{0}``, ``{seq}``, ``{0.%}`` and ``--define``d methods."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

# options a template may vary, and how the verbose line spells them
MUTABLE_ARGS = {
    "queue": "-q",
    "bank": "-B",
    "ntasks": "-n",
    "nodes": "-N",
    "cores_per_task": "-c",
    "gpus_per_task": "-g",
    "cores": "--cores=",
    "tasks_per_node": "--tasks-per-node=",
    "tasks_per_core": "--tasks-per-core=",
    "gpus_per_node": "--gpus-per-node=",
    "time_limit": "-t",
    "env": "--env=",
    "env_file": "--env-file=",
    "env_remove": "--env-remove=",
    "urgency": "--urgency=",
    "setopt": "-o ",
    "setattr": "--setattr=",
    "job_name": "--job-name=",
    "input": "--input=",
    "output": "--output=",
    "error": "--error=",
    "cc": "--cc=",
    "bcc": "--bcc=",
    "log": "--log=",
    "log_stderr": "--log-stderr=",
    "dependency": "--dependency=",
    "taskmap": "--taskmap=",
    "requires": "--requires=",
    "wait": "--wait-event=",
    "cwd": "--cwd=",
    "flags": "--flags=",
    "begin_time": "--begin-time=",
    "signal": "--signal=",
}


class Input:
    """One input: a string with ``.%`` (no extension), ``./`` (basename), ``.//`` (dirname),
    ``./%`` and the ``--define``d methods as attributes."""

    def __init__(self, text: str, methods: Dict[str, Any]) -> None:
        self.string = text
        self.methods = methods

    def __str__(self) -> str:
        return self.string

    def __format__(self, spec: str) -> str:
        return format(self.string, spec)

    def __getattr__(self, attr: str) -> Any:
        if attr == "%":
            return os.path.splitext(self.string)[0]
        if attr == "/":
            return os.path.basename(self.string)
        if attr == "//":
            return os.path.dirname(self.string)
        if attr == "/%":
            return os.path.basename(os.path.splitext(self.string)[0])
        if attr in self.methods:
            result = eval(self.methods[attr], {}, {"x": self.string})  # noqa: S307 - the user's --define code
            return "::list::".join(result) if isinstance(result, list) else result
        raise ValueError(f"Unknown input string method '.{attr}'")


def _keep_mustache(text: str) -> str:
    return text.replace("{{", "=stache=").replace("}}", "=/stache=")


def _restore_mustache(text: str) -> str:
    return text.replace("=stache=", "{{").replace("=/stache=", "}}")


def _fail(message: str) -> None:
    import logging

    logging.getLogger("flux").error(message)  # flux-core logs these through its "flux" logger
    sys.exit(1)


class Xcmd:
    """One job of the bulk: the command and varying options formatted with its inputs;
    other attributes fall back to the command line's."""

    def __init__(self, args: argparse.Namespace, inputs: Sequence[str], **kwargs: Any) -> None:
        self._orig = args
        self.modified: Dict[str, bool] = {}
        values = [Input(x, args.methods) for x in inputs]
        self.command: List[str] = []
        for arg in args.command:
            try:
                result = _keep_mustache(arg).format(*values, **kwargs).split("::list::")
            except (IndexError, KeyError):
                _fail(f"Invalid replacement string in command: '{arg}'")
            self.command.extend(_restore_mustache(x) for x in result)
        for attr, opt in MUTABLE_ARGS.items():
            val = getattr(args, attr, None)
            if val is None:
                continue
            try:
                if isinstance(val, str):
                    new: Any = _keep_mustache(val).format(*values, **kwargs)
                elif isinstance(val, list):
                    new = [_keep_mustache(x).format(*values, **kwargs) if isinstance(x, str) else x for x in val]
                else:
                    continue
            except IndexError:
                _fail(f"Invalid replacement index in {opt}{val}'")
            except KeyError as exc:
                _fail(f"Replacement key {exc} not found in '{opt}{val}'")
            new = (
                _restore_mustache(new)
                if isinstance(new, str)
                else [_restore_mustache(x) if isinstance(x, str) else x for x in new]
            )
            setattr(self, attr, new)
            if val != new or attr == "cc":
                self.modified[attr] = True

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._orig, attr)

    def namespace(self) -> argparse.Namespace:
        """The job's own options, as a namespace the jobspec builder reads."""
        ns = argparse.Namespace(**vars(self._orig))
        for attr in MUTABLE_ARGS:
            if attr in self.__dict__:
                setattr(ns, attr, self.__dict__[attr])
        ns.command = list(self.command)
        return ns

    def __str__(self) -> str:
        parts = [
            f"{opt}{self.__dict__[attr]}"
            for attr, opt in MUTABLE_ARGS.items()
            if attr in self.modified and self.__dict__.get(attr)
        ]
        return " ".join(parts + self.command)


def _input_file(stream: Any, sep: Optional[str]) -> List[str]:
    return [x for x in stream.read().split(sep) if x]


def _split_before(items: Sequence[str], pred: Any) -> List[List[str]]:
    groups: List[List[str]] = [[]]
    for item in items:
        if pred(item):
            groups.append([])
        groups[-1].append(item)
    return groups


def split_inputs(command: Sequence[str], sep: Optional[str], delim: str = ":::") -> Tuple[List[str], list, list]:
    """The command before the first delimiter, the input lists, the linked (``:::+``) lists."""
    links = []
    head, *lists = _split_before(command, lambda x: x.startswith(delim))
    for i, lst in enumerate(lists):
        first = lst.pop(0)
        if first == delim:
            continue
        if first == delim + ":":
            if len(lst) > 1:
                raise ValueError("Multiple args not allowed after ::::")
            if lst[0] == "-":
                lists[i] = _input_file(sys.stdin, sep)
            else:
                with open(lst[0]) as filep:
                    lists[i] = _input_file(filep, sep)
        if first in (delim + "+", delim + ":+"):
            links.append({"index": i, "list": list(lst)})
            lst.clear()
    return head, [lst for lst in lists if lst], links


def create_commands(args: argparse.Namespace) -> List[Xcmd]:
    sep: Optional[str] = bytes(args.sep, "utf-8").decode("unicode_escape")
    if sep is not None and sep.lower() == "none":
        sep = None
    args.methods = {name: compile(code, name, "eval") for name, code in dict(args.methods).items()}
    args.command, lists, links = split_inputs(args.command, sep)
    if not args.command:
        args.command = ["{}"]
    if not lists:
        lists = [_input_file(sys.stdin, sep)]
    inputs = [list(x) for x in itertools.product(*lists)]
    for link in links:
        cycle = itertools.cycle(link["list"])
        for lst in inputs:
            lst.insert(link["index"], next(cycle))
    return [Xcmd(args, inp, seq=i, seq1=i + 1, cc="{cc}") for i, inp in enumerate(inputs)]
