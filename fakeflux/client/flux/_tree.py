"""``flux.util.Tree``: the pstree-like display of ``flux pstree`` and ``flux jobs --tree``-style tools."""

from __future__ import annotations

import shutil
from typing import Dict, List, NamedTuple, Optional

__all__ = ["Tree"]


class _Connectors(NamedTuple):
    PIPE: str
    TEE: str
    ELBOW: str
    BLANK: str


class Tree:
    """A labelled tree printed with connectors (``box``, ``ascii`` or ``compact`` style).

    With ``combine_children``, children added with the same prefix and label
    are shown once as ``N*[label]``.
    """

    Connectors = _Connectors
    connector_styles = {
        "ascii": _Connectors("|   ", "|-- ", "`-- ", "    "),
        "box": _Connectors("│   ", "├── ", "└── ", "    "),
        "compact": _Connectors("│ ", "├─", "└─", "  "),
    }

    def __init__(self, label: str, prefix: str = "", combine_children: bool = False) -> None:
        self.label = label
        self.prefix = prefix + " " if prefix else prefix
        self.duplicates: Dict[str, Tree] = {}
        self.duplicate_count = 1
        self.children: List[Tree] = []
        self.combine_children = combine_children

    def append(self, label: str, prefix: str = "") -> Tree:
        """Add a child (or count one more of an identical child when combining); returns it."""
        if not self.combine_children:
            return self.add(label, prefix, combine_children=False)
        key = f"{prefix}{label}"
        if key in self.duplicates:
            self.duplicates[key].increment()
        else:
            self.duplicates[key] = self.add(label, prefix, combine_children=True)
        return self.duplicates[key]

    def append_tree(self, tree: Tree) -> Tree:
        """Add a child tree; a childless duplicate is counted instead when combining."""
        if not self.combine_children or tree.children:
            self.children.append(tree)
            return tree
        key = f"{tree.prefix}{tree.label}"
        if key in self.duplicates:
            self.duplicates[key].increment()
        else:
            self.children.append(tree)
            self.duplicates[key] = tree
        return self.duplicates[key]

    def add(self, label: str, prefix: str = "", combine_children: bool = False) -> Tree:
        """Add a child without combining; returns the new child."""
        tree = Tree(label, prefix=prefix, combine_children=combine_children)
        self.children.append(tree)
        return tree

    def increment(self) -> None:
        self.duplicate_count += 1

    def _render(
        self,
        pstack: Optional[List[str]] = None,
        connector: str = "",
        style: str = "box",
        max_level: Optional[int] = None,
        truncate: Optional[int] = None,
    ) -> None:
        # pstack holds the indentation of each level; its top entry is for the level below
        if pstack is None:
            pstack = []
        if max_level is not None and len(pstack) > max_level:
            return
        label = f"{self.duplicate_count}*[{self.label}]" if self.duplicate_count > 1 else self.label
        line = f"{self.prefix}{''.join(pstack[:-1])}{connector}{label}"
        if truncate and len(line) > truncate:
            line = line[: truncate - 1] + "+"
        print(line)
        conn = self.connector_styles[style]
        for child in self.children:
            last = child == self.children[-1]
            pstack.append(conn.BLANK if last else conn.PIPE)
            child._render(
                pstack,
                connector=conn.ELBOW if last else conn.TEE,
                style=style,
                max_level=max_level,
                truncate=truncate,
            )
            pstack.pop()

    def render(
        self, style: str = "box", level: Optional[int] = None, skip_root: bool = False, truncate: bool = True
    ) -> None:
        """Print the tree, down to ``level``; ``truncate`` cuts lines at the terminal width (132)."""
        if skip_root:
            for child in self.children:
                child.render(style=style, level=level, truncate=truncate)
            return
        limit = shutil.get_terminal_size((132, 25)).columns if truncate else None
        self._render(style=style, max_level=level, truncate=limit)
