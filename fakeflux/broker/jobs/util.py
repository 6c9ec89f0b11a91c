"""Small encodings the jobs services share: KVS key names, idsets, durations."""

from __future__ import annotations

from typing import List, Optional


def dothex(jobid: int) -> str:
    return ".".join(f"{(jobid >> shift) & 0xFFFF:04x}" for shift in (48, 32, 16, 0))


def kvs_key(jobid: int, name: Optional[str] = None) -> str:
    """flux_job_kvs_key: ``job.<dothex>[.name]``."""
    base = f"job.{dothex(jobid)}"
    return base if not name else f"{base}.{name}"


def guest_namespace(jobid: int) -> str:
    return f"job-{jobid}"


def idset_encode(ids: List[int], brackets: bool = False) -> str:
    ids = sorted(set(ids))
    out: List[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    text = ",".join(out)
    if brackets and (len(ids) > 1):
        text = f"[{text}]"
    return text


def parse_fsd(text: str) -> float:
    """Flux Standard Duration: N[smhd]."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "ms": 0.001}
    for suffix in ("ms", "s", "m", "h", "d"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix]
    return float(text)
