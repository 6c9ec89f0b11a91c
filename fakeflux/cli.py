"""The ``fakeflux`` command line."""

from __future__ import annotations

import argparse
from typing import List, Optional


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakeflux", description="A fake Flux broker for testing.")
    parser.add_subparsers(dest="command", required=True)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    return 0
