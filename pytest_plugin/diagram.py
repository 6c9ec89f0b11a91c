"""A sequence diagram of a trace, as one self-contained HTML page with an
inline SVG: a lifeline per client and per rank, an arrow per message."""

from __future__ import annotations

import html
from typing import Dict, List, Sequence, Tuple

from fakeflux.broker.trace import TraceRecord
from fakeflux.wire import constants as C

_COLUMN = 170
_ROW = 26
_TOP = 60
_COLOURS = {C.MSGTYPE_REQUEST: "#1f5fa8", C.MSGTYPE_RESPONSE: "#2e7d32", C.MSGTYPE_EVENT: "#9c27b0"}


def _lanes(records: Sequence[TraceRecord]) -> Tuple[List[str], Dict[str, int]]:
    clients: List[str] = []
    ranks: List[int] = []
    for r in records:
        who = _client_label(r)
        if who not in clients:
            clients.append(who)
        if r.rank not in ranks:
            ranks.append(r.rank)
    names = clients + [f"rank {rank}" for rank in sorted(ranks)]
    return names, {name: i for i, name in enumerate(names)}


def _client_label(r: TraceRecord) -> str:
    return f"client pid {r.client_pid} ({r.client_id[:8]})" if r.client_pid is not None else f"client {r.client_id[:8]}"


def _label(r: TraceRecord) -> str:
    kind = C.MSGTYPE_NAMES.get(r.type, str(r.type))
    extra = ""
    if r.type == C.MSGTYPE_REQUEST:
        extra = f" nodeid={'any' if r.aux1 == C.NODEID_ANY else r.aux1} tag={r.aux2}"
    elif r.type == C.MSGTYPE_RESPONSE:
        extra = f" tag={r.aux2}" + (f" errnum={r.aux1}" if r.aux1 else "")
    elif r.type == C.MSGTYPE_EVENT:
        extra = f" seq={r.aux1}"
    return f"{kind} {r.topic}{extra}"


def render_html(records: Sequence[TraceRecord], title: str, start: float) -> str:
    names, lane = _lanes(records)
    width = max(1, len(names)) * _COLUMN + 40
    height = _TOP + (len(records) + 1) * _ROW
    parts: List[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
        'font-size="11">',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z"/></marker></defs>',
    ]
    for name, i in lane.items():
        x = 20 + i * _COLUMN + _COLUMN // 2
        parts.append(f'<text x="{x}" y="30" text-anchor="middle" font-weight="bold">{html.escape(name)}</text>')
        parts.append(f'<line x1="{x}" y1="40" x2="{x}" y2="{height - 10}" stroke="#bbb" stroke-dasharray="4"/>')
    for n, r in enumerate(records):
        y = _TOP + n * _ROW
        client_x = 20 + lane[_client_label(r)] * _COLUMN + _COLUMN // 2
        rank_x = 20 + lane[f"rank {r.rank}"] * _COLUMN + _COLUMN // 2
        x1, x2 = (client_x, rank_x) if r.direction == "rx" else (rank_x, client_x)
        colour = _COLOURS.get(r.type, "#555")
        payload = "" if r.payload is None else r.payload[:200].rstrip(b"\x00").decode("utf-8", "replace")
        tip = html.escape(f"{r.time - start:+.6f}s {_label(r)} {payload}")
        parts.append(
            f'<g><title>{tip}</title><line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" '
            'stroke-width="1.5" marker-end="url(#a)"/>'
            f'<text x="{(x1 + x2) // 2}" y="{y - 4}" text-anchor="middle" fill="{colour}">'
            f"{html.escape(_label(r))}</text></g>"
        )
    parts.append("</svg>")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h3>{html.escape(title)}</h3><p>{len(records)} messages; hover an arrow for its time and payload.</p>"
        + "".join(parts)
        + "</body></html>\n"
    )
