"""``flux bulksubmit``'s inputs and command templates (flux-core's flux/cli/bulksubmit.py
and base.Xcmd): inputs split on ``:::`` (``::::`` reads a file, ``:::+`` links a list),
or stdin split on ``--sep``; each combination formatted into the command and the
options that may vary, with ``{}``/``{0}``, ``{seq}``, ``{0.%}`` and ``--define``d methods."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# The options a template may vary (argparse dests), in the order the verbose
# line lists them.  Most are spelled ``--dest-with-dashes=``; the exceptions:
_VARYING_DESTS = """
    queue bank ntasks nodes cores_per_task gpus_per_task cores tasks_per_node tasks_per_core
    gpus_per_node time_limit env env_file env_remove urgency setopt setattr job_name input
    output error cc bcc log log_stderr dependency taskmap requires wait cwd flags begin_time signal
""".split()
_SPELLED_OTHERWISE = {
    "queue": "-q",
    "bank": "-B",
    "ntasks": "-n",
    "nodes": "-N",
    "cores_per_task": "-c",
    "gpus_per_task": "-g",
    "time_limit": "-t",
    "setopt": "-o ",
    "wait": "--wait-event=",
}
# dest -> how the verbose line spells the option (before its value)
MUTABLE_ARGS: Dict[str, str] = {
    dest: _SPELLED_OTHERWISE.get(dest, "--{}=".format(dest.replace("_", "-"))) for dest in _VARYING_DESTS
}

# what an input's path-like methods (``{0.%}`` and friends) give
_PATH_METHODS: Dict[str, Callable[[str], str]] = {
    "%": lambda path: os.path.splitext(path)[0],
    "/": os.path.basename,
    "//": os.path.dirname,
    "/%": lambda path: os.path.basename(os.path.splitext(path)[0]),
}

# a user method may give a list: its items become separate command words
_LIST_JOIN = "::list::"


class Input:
    """One input: a string with ``.%`` (no extension), ``./`` (basename), ``.//`` (dirname),
    ``./%`` and the ``--define``d methods as attributes."""

    def __init__(self, text: str, methods: Dict[str, Any]) -> None:
        self.string = text
        self.methods = methods

    def _shows(self, dest: str) -> bool:
        """Whether the verbose line names the option: changed by a template, and set."""
        return dest in self.modified and bool(vars(self).get(dest))

    def __str__(self) -> str:
        return self.string

    def __format__(self, spec: str) -> str:
        return format(self.string, spec)

    def __getattr__(self, attr: str) -> Any:
        path_method = _PATH_METHODS.get(attr)
        if path_method is not None:
            return path_method(self.string)
        if attr not in self.methods:
            raise ValueError(f"Unknown input string method '.{attr}'")
        value = eval(self.methods[attr], {}, {"x": self.string})  # noqa: S307 - the user's --define code
        return _LIST_JOIN.join(value) if isinstance(value, list) else value


# Double braces are mustache templates for the job shell, not ours: they are
# swapped for markers while formatting and put back after.
_SHIELDS = (("{{", "=stache="), ("}}", "=/stache="))


def _render(template: str, values: Sequence[Input], fields: Dict[str, Any]) -> str:
    for braces, marker in _SHIELDS:
        template = template.replace(braces, marker)
    text = template.format(*values, **fields)
    for braces, marker in _SHIELDS:
        text = text.replace(marker, braces)
    return text


def _fail(message: str) -> None:
    import logging

    logging.getLogger("flux").error(message)  # flux-core logs these through its "flux" logger
    sys.exit(1)


def _fill(value: Any, render: Callable[[str], str]) -> Any:
    """An option value with its templates rendered: a string, or a list's strings; None if not templatable."""
    if isinstance(value, str):
        return render(value)
    if isinstance(value, list):
        return [render(item) if isinstance(item, str) else item for item in value]
    return None


class Xcmd:
    """One job of the bulk: the command and varying options formatted with its inputs;
    other attributes fall back to the command line's."""

    def __init__(self, args: argparse.Namespace, inputs: Sequence[str], **kwargs: Any) -> None:
        self._orig = args
        self.modified: Dict[str, bool] = {}
        values = [Input(text, args.methods) for text in inputs]

        def render(template: str) -> str:
            return _render(template, values, kwargs)

        self.command = self._render_command(args.command, render)
        for dest, spelling in MUTABLE_ARGS.items():
            self._vary(dest, spelling, getattr(args, dest, None), render)

    @staticmethod
    def _render_command(words: Sequence[str], render: Callable[[str], str]) -> List[str]:
        command: List[str] = []
        for word in words:
            try:
                command += render(word).split(_LIST_JOIN)
            except (KeyError, IndexError):
                _fail(f"Invalid replacement string in command: '{word}'")
        return command

    def _vary(self, dest: str, spelling: str, value: Any, render: Callable[[str], str]) -> None:
        """This job's value of one varying option (kept in this object's own attributes)."""
        if value is None:
            return
        try:
            filled = _fill(value, render)
        except KeyError as exc:
            _fail(f"Replacement key {exc} not found in '{spelling}{value}'")
        except IndexError:
            _fail(f"Invalid replacement index in {spelling}{value}'")
        if filled is None:
            return
        setattr(self, dest, filled)
        # cc always counts as changed: each copy's number is substituted into it
        if dest == "cc" or filled != value:
            self.modified[dest] = True

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._orig, attr)

    def namespace(self) -> argparse.Namespace:
        """The job's own options, as a namespace the jobspec builder reads."""
        own = vars(self)
        merged = {**vars(self._orig), **{dest: own[dest] for dest in MUTABLE_ARGS if dest in own}}
        merged["command"] = list(self.command)
        return argparse.Namespace(**merged)

    def _shows(self, dest: str) -> bool:
        """Whether the verbose line names the option: changed by a template, and set."""
        return dest in self.modified and bool(vars(self).get(dest))

    def __str__(self) -> str:
        own = vars(self)
        shown = [f"{spelling}{own[dest]}" for dest, spelling in MUTABLE_ARGS.items() if self._shows(dest)]
        return " ".join([*shown, *self.command])


def _input_file(stream: Any, sep: Optional[str]) -> List[str]:
    """The non-empty items of a stream split on ``sep`` (None: whitespace)."""
    return list(filter(None, stream.read().split(sep)))


def _read_list_file(words: List[str], sep: Optional[str]) -> List[str]:
    """The inputs of ``:::: FILE`` (``-``: stdin)."""
    if len(words) > 1:
        raise ValueError("Multiple args not allowed after ::::")
    source = words[0]
    if source == "-":
        return _input_file(sys.stdin, sep)
    with open(source) as stream:
        return _input_file(stream, sep)


def split_inputs(command: Sequence[str], sep: Optional[str], delim: str = ":::") -> Tuple[List[str], list, list]:
    """The command before the first delimiter, the input lists, the linked (``:::+``) lists.

    A linked list's ``index`` counts every group after the command, empty ones included.
    """
    head: List[str] = []
    groups: List[Tuple[str, List[str]]] = []
    for word in command:
        if word.startswith(delim):
            groups.append((word, []))  # a new group, named by its delimiter
        else:
            (groups[-1][1] if groups else head).append(word)
    lists: List[List[str]] = []
    links: List[Dict[str, Any]] = []
    for index, (marker, words) in enumerate(groups):
        if marker == delim + ":":
            words = _read_list_file(words, sep)
        elif marker in (delim + "+", delim + ":+"):
            links.append({"index": index, "list": words})
            words = []
        lists.append(words)
    return head, [words for words in lists if words], links


def _separator(text: str) -> Optional[str]:
    """``--sep`` with backslash escapes decoded; "none" means any whitespace (None)."""
    decoded = text.encode("utf-8").decode("unicode_escape")
    return None if decoded.lower() == "none" else decoded


def create_commands(args: argparse.Namespace) -> List[Xcmd]:
    """One Xcmd per combination of the inputs (linked lists cycled in at their place)."""
    sep = _separator(args.sep)
    args.methods = {name: compile(code, name, "eval") for name, code in dict(args.methods).items()}
    args.command, lists, links = split_inputs(args.command, sep)
    args.command = args.command or ["{}"]
    rows = [list(combo) for combo in itertools.product(*(lists or [_input_file(sys.stdin, sep)]))]
    for link in links:
        for row, value in zip(rows, itertools.cycle(link["list"])):
            row.insert(link["index"], value)
    return [Xcmd(args, row, seq=seq, seq1=seq + 1, cc="{cc}") for seq, row in enumerate(rows)]
