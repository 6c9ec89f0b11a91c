"""job-ingest's checks: the none signature (sign_none.c) and the jobspec
validator (flux-core's job-validator "jobspec" plugin, RFC 14/25)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Dict, List, Tuple


def sign_none_unwrap(J: str) -> Tuple[bytes, int]:
    """sign_none.c: ``base64(header).base64(payload).none`` -> (payload, userid);
    ValueError for anything else."""
    parts = J.split(".")
    if len(parts) != 3 or parts[2] != "none":
        raise ValueError("not a none-signed string")
    try:
        header = base64.b64decode(parts[0], validate=True)
        payload = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("invalid base64") from None
    fields = header.split(b"\x00")
    if fields and fields[-1] == b"":
        fields.pop()
    if len(fields) % 2:
        raise ValueError("odd header")
    kv = dict(zip(fields[::2], fields[1::2]))
    if set(kv) - {b"version", b"userid", b"mechanism"}:
        raise ValueError("unknown header key")
    uid = kv.get(b"userid", b"")
    if kv.get(b"version") != b"i1" or kv.get(b"mechanism") != b"snone" or len(uid) < 2 or not uid[1:].isdigit():
        raise ValueError("bad header")
    return payload, int(uid[1:])


def sign_none_wrap(payload: bytes, userid: int) -> str:
    header = f"version\0i1\0userid\0i{userid}\0mechanism\0snone\0".encode()
    return f"{base64.b64encode(header).decode()}.{base64.b64encode(payload).decode()}.none"


def _missing_extraneous(expected: List[str], given: List[str], optional: bool = False,
                        additional: bool = False) -> None:
    if not optional:
        for key in sorted(set(expected) - set(given)):
            raise ValueError(f"Missing key ({key})")
    if not additional:
        for key in sorted(set(given) - set(expected)):
            raise ValueError(f"Extraneous key ({key})")


def _walk_resources(resources: Any) -> List[Any]:
    out: List[Any] = []
    for res in resources if isinstance(resources, list) else []:
        out.append(res)
        if isinstance(res, dict) and isinstance(res.get("with"), list):
            out.extend(_walk_resources(res["with"]))
    return out


def _validate_dependency(dep: Any) -> None:
    """Each entry names a scheme and a value, both strings (more keys allowed)."""
    if not isinstance(dep, dict):
        raise TypeError("dependency must be a mapping")
    _missing_extraneous(["scheme", "value"], list(dep), additional=True)
    if not isinstance(dep["scheme"], str):
        raise TypeError("dependency scheme must be a string")
    if not isinstance(dep["value"], str):
        raise TypeError("dependency value must be a string")


def _validate_range(count: Dict[str, Any]) -> None:
    """A count given as a range (RFC 14): min, and optionally max, operand, operator."""
    if "min" not in count:
        raise ValueError("min must be in range")
    _missing_extraneous(["min", "max", "operand", "operator"], list(count), optional=True)
    for key in ("min", "max", "operand"):
        if key in count:
            if not isinstance(count[key], int):
                raise TypeError(f"{key} must be an int")
            if count[key] < 1:
                raise ValueError(f"{key} must be > 0")
    if "max" in count and count["max"] < count["min"]:
        raise ValueError("max must be >= min")
    if ("operand" in count) != ("operator" in count):
        raise ValueError("operand and operator must both be in range if either is")
    if "operator" in count:
        operator = count["operator"]
        if not isinstance(operator, str) or len(operator) != 1:
            raise TypeError("operator must be a single character str")
        if operator not in ("+", "*", "^"):
            raise ValueError("operator must be one of ['+', '*', '^']")
        if operator in ("*", "^") and count["operand"] < 2:
            raise ValueError("operand must be > 1 for '*' or '^' operator")
        if operator == "^" and count["min"] < 2:
            raise ValueError("min must be > 1 for '^' operator")


_IDSET = re.compile(r"\[?(?:\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)?\]?")


def _validate_count_string(count: str) -> None:
    """An idset ("1-3,5"), or a range written "MIN-MAX[:OPERAND[:OPERATOR]]" or
    "MIN+[:OPERAND[:OPERATOR]]"; int()'s own ValueError text for a bad number."""
    if _IDSET.fullmatch(count) and all(
            int(lo) <= int(hi) for lo, _, hi in (r.partition("-") for r in count.strip("[]").split(",") if "-" in r)):
        return
    values = count.split(":")
    if len(values) > 3 or ("-" not in values[0] and "+" not in values[0]):
        raise ValueError("count string must be a valid idset or range")
    rng: Dict[str, Any] = {}
    if "-" in values[0]:
        low, _, high = values[0].partition("-")
        rng["max"] = int(high)
    else:
        low = values[0].rstrip("+")
    rng["min"] = int(low)
    if len(values) > 1:
        rng["operand"], rng["operator"] = int(values[1]), "+"
    if len(values) > 2:
        rng["operator"] = values[2]
    _validate_range(rng)


def validate_jobspec(js: Any) -> None:
    """flux.job.validate_jobspec for version 1; ValueError/TypeError text as the
    validator returns it."""
    if not isinstance(js, dict):
        raise ValueError("jobspec must be a JSON object")
    _missing_extraneous(["resources", "tasks", "version", "attributes"], list(js))
    resources, tasks, attributes, version = js["resources"], js["tasks"], js["attributes"], js["version"]
    if version != 1:  # JobspecV1 checks this first, whatever the type
        raise ValueError("version must be 1")
    if not isinstance(version, int):  # 1.0 == 1 gets this far
        raise TypeError("version must be an integer")
    if not isinstance(resources, list):
        raise TypeError("resources must be a sequence")
    if not isinstance(tasks, list):
        raise TypeError("tasks must be a sequence")
    if not isinstance(attributes, dict):
        raise TypeError("attributes must be a mapping")
    for res in _walk_resources(resources):
        if not isinstance(res, dict):
            raise TypeError("resource must be a mapping")
        if "type" not in res:
            raise ValueError("type is a required key for resources")
        if not isinstance(res["type"], str):
            raise TypeError("type must be a string")
        if "count" not in res:
            raise ValueError("count is a required key for resources")
        count = res["count"]
        if isinstance(count, dict):
            _validate_range(count)
        elif isinstance(count, str):
            _validate_count_string(count)
        elif not isinstance(count, int):  # True and False count as 1 and 0 there too
            raise TypeError("count must be an int or mapping")
        else:
            if res["type"] in ("node", "slot", "core") and count < 1:
                raise ValueError("node, slot, or core count must be > 0")
            if count < 0:
                raise ValueError("count must be >= 0")
        for key in ("id", "unit", "label"):
            if key in res and not isinstance(res[key], str):
                raise TypeError(f"{key} must be a string")
        if "exclusive" in res and res["exclusive"] not in (True, False):
            raise TypeError("exclusive must be a boolean")
        if res["type"] == "slot" and "label" not in res:
            raise ValueError("slots must have labels")
    for task in tasks:
        if not isinstance(task, dict):
            raise TypeError("task must be a mapping")
        _missing_extraneous(["command", "slot", "count"], list(task), additional=True)
        if not isinstance(task["count"], dict):
            raise TypeError("count must be a mapping")
        count = task["count"]
        if len(count) != 1:
            raise ValueError("count must have exactly one key set")
        if not set(count) & {"per_slot", "per_resource", "total"}:
            raise ValueError("count per_slot, per_resource, or total must be set")
        for key in ("total", "per_slot"):
            if key in count:
                if not isinstance(count[key], int):  # true passes as 1, as in Python's validator
                    raise TypeError(f"count {key} must be an int")
                if count[key] <= 0:
                    raise ValueError(f"count {key} must be > 0")
        if not isinstance(task["slot"], str):
            raise TypeError("slot must be a string")
        if "attributes" in task and not isinstance(task["attributes"], dict):
            raise TypeError("attributes must be a mapping")
        command = task["command"]
        if isinstance(command, (list, str)) and len(command) == 0:
            raise TypeError("command array cannot have length of zero")
        if not isinstance(command, list) or not all(isinstance(x, str) for x in command):
            raise TypeError("command must be a list of strings")
    _missing_extraneous(["system", "user"], list(attributes), optional=True)
    system = attributes.get("system")
    if isinstance(system, dict) and "dependencies" in system:
        if not isinstance(system["dependencies"], list):
            raise TypeError("attributes.system.dependencies must be a list")
        for dep in system["dependencies"]:
            _validate_dependency(dep)
    if "system" not in attributes:
        raise ValueError("attributes.system is a required key")
    if not isinstance(system, dict):
        raise ValueError("attributes.system must be a mapping")
    if "duration" not in system:
        raise ValueError("attributes.system.duration is a required key")
    if not isinstance(system["duration"], (int, float)) or isinstance(system["duration"], bool):
        raise ValueError("attributes.system.duration must be a number")
    for task in tasks:
        if not set(task["count"]) & {"per_slot", "total"}:
            raise ValueError("count per_slot or total must be set")
    for res in _walk_resources(resources):
        if not isinstance(res["count"], int):
            raise ValueError(
                f"resource count must be an integer for type '{res['type']}' (got '{type(res['count']).__name__}')"
            )


