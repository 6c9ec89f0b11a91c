"""Run every ``benchmarks/bench_*.py`` module's ``run()`` and print one table.

python -m benchmarks            # all of them
python -m benchmarks wire       # modules whose name contains "wire"
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from typing import List, Optional, Sequence

import benchmarks
from benchmarks import Result


def discover(filters: Sequence[str] = ()) -> List[str]:
    names = sorted(
        info.name for info in pkgutil.iter_modules(benchmarks.__path__) if info.name.startswith("bench_")
    )
    if filters:
        names = [n for n in names if any(f in n for f in filters)]
    return [f"benchmarks.{n}" for n in names]


def _fmt_rate(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f}{suffix}"
    return f"{value:.1f}"


def table(results: Sequence[Result]) -> str:
    header = ("benchmark", "rate", "baseline", "baseline rate", "ratio")
    rows = [
        (
            r.name,
            f"{_fmt_rate(r.rate)} {r.unit}",
            r.baseline,
            f"{_fmt_rate(r.baseline_rate)} {r.baseline_unit}",
            f"{r.ratio:.3f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 3, 4}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("filters", nargs="*", help="run only modules whose name contains one of these")
    args = parser.parse_args(argv)
    modules = discover(args.filters)
    if not modules:
        print("no benchmark modules matched", file=sys.stderr)
        return 1
    results: List[Result] = []
    start = time.perf_counter()
    for name in modules:
        results.extend(importlib.import_module(name).run())
    print(table(results))
    print(f"\n{len(results)} benchmarks from {len(modules)} modules in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
