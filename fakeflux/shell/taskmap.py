"""Task maps (RFC 34): which job task runs on which of the job's nodes.

A task map is a list of blocks ``[nodeid, nnodes, ppn, repeat]``: ``nnodes``
consecutive nodes from ``nodeid``, each running ``ppn`` consecutive tasks, the
whole block repeated ``repeat`` times.  Node ids count the job's own nodes
(shell ranks 0..N-1), not broker ranks.

The job shell builds its map by appending one entry per shell, ``(i, 1,
ntasks_on_shell_i)``, and libtaskmap merges entries as they are appended: the
merge rules decide the exact text of ``PMI_process_mapping`` and
``flux.taskmap``, so :meth:`TaskMap.append` follows them step for step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class _Block:
    start: int
    nnodes: int
    ppn: int
    repeat: int

    @property
    def end(self) -> int:
        return self.start + self.nnodes - 1


class TaskMap:
    """An RFC 34 task map, built with :meth:`append` or the constructors."""

    def __init__(self) -> None:
        self._blocks: list[_Block] = []

    @classmethod
    def block(cls, ntasks_per_node: Sequence[int]) -> TaskMap:
        """The job shell's default map: node i runs ``ntasks_per_node[i]``
        consecutive tasks (what ``flux run -N2 -n4`` gives)."""
        tm = cls()
        for nodeid, ntasks in enumerate(ntasks_per_node):
            tm.append(nodeid, 1, ntasks)
        if not tm._blocks:
            raise ValueError("a task map needs at least one node")
        return tm

    @classmethod
    def from_task_nodes(cls, nodes: Iterable[int]) -> TaskMap:
        """Task i runs on node ``nodes[i]``, appended one task at a time (as
        flux-core's hostfile task map plugin builds its map)."""
        tm = cls()
        for nodeid in nodes:
            tm.append(nodeid, 1, 1)
        if not tm._blocks:
            raise ValueError("a task map needs at least one task")
        return tm

    @classmethod
    def decode(cls, text: str) -> TaskMap:
        """Parse the RFC 34 JSON form: a block array or ``{"version":1,"map":[...]}``."""
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"taskmap is not JSON: {exc}") from None
        if isinstance(obj, dict):
            if obj.get("version") != 1 or "map" not in obj:
                raise ValueError('taskmap object must be {"version": 1, "map": [...]}')
            obj = obj["map"]
        if not isinstance(obj, list):
            raise ValueError("taskmap must be an object or array")
        tm = cls()
        for index, entry in enumerate(obj):
            if (
                not isinstance(entry, list)
                or len(entry) != 4
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in entry)
            ):
                raise ValueError(f"entry {index} in taskmap is not an array of 4 integers")
            start, nnodes, ppn, repeat = entry
            if start < 0 or nnodes <= 0 or ppn <= 0 or repeat <= 0:
                raise ValueError(f"invalid entry [{start},{nnodes},{ppn},{repeat}]")
            tm._blocks.append(_Block(start, nnodes, ppn, repeat))
        if not tm._blocks:
            raise ValueError("taskmap is empty (mapping unknown)")
        return tm

    def append(self, nodeid: int, nnodes: int, ppn: int) -> None:
        """Add ``ppn`` tasks on each of ``nnodes`` nodes from ``nodeid``,
        merging with the last block the way libtaskmap does."""
        if nodeid < 0 or nnodes <= 0 or ppn <= 0:
            raise ValueError(f"invalid taskmap entry nodeid={nodeid} nnodes={nnodes} ppn={ppn}")
        if self._blocks:
            last = self._blocks[-1]
            if nodeid == last.end + 1 and ppn == last.ppn and last.repeat == 1:
                last.nnodes += nnodes
                self._merge_repeats()
                return
            if last.start == nodeid and last.nnodes == 1 and nnodes == 1:
                last.ppn += ppn
                self._merge_repeats()
                return
            if last.start == nodeid and last.nnodes == nnodes and last.ppn == ppn:
                last.repeat += 1
                return
        self._blocks.append(_Block(nodeid, nnodes, ppn, 1))

    def _merge_repeats(self) -> None:
        merged: list[_Block] = [self._blocks[0]]
        for block in self._blocks[1:]:
            prev = merged[-1]
            if (block.start, block.nnodes, block.ppn) == (prev.start, prev.nnodes, prev.ppn):
                prev.repeat += block.repeat
            else:
                merged.append(block)
        self._blocks = merged

    def task_nodes(self) -> list[int]:
        """The node of each task, in task rank order."""
        nodes: list[int] = []
        for block in self._blocks:
            for _ in range(block.repeat):
                for nodeid in range(block.start, block.start + block.nnodes):
                    nodes.extend([nodeid] * block.ppn)
        return nodes

    @property
    def ntasks(self) -> int:
        return sum(b.nnodes * b.ppn * b.repeat for b in self._blocks)

    @property
    def nnodes(self) -> int:
        return max(b.start + b.nnodes for b in self._blocks)

    def blocks(self) -> list[list[int]]:
        return [[b.start, b.nnodes, b.ppn, b.repeat] for b in self._blocks]

    def encode(self) -> str:
        """RFC 34 wrapped form, compact, as the shell writes ``flux.taskmap``
        and the ``shell.start`` event's ``taskmap``."""
        return json.dumps({"version": 1, "map": self.blocks()}, separators=(",", ":"))

    def encode_pmi(self) -> str:
        """``PMI_process_mapping`` (RFC 13): ``(vector,(start,nnodes,ppn),...)``,
        one triple per repeat of each block."""
        triples = [f"({b.start},{b.nnodes},{b.ppn})" for b in self._blocks for _ in range(b.repeat)]
        return "(vector," + ",".join(triples) + ")"

    def __repr__(self) -> str:
        return f"TaskMap({self.blocks()})"
