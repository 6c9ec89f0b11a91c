"""The job validator's check of an RFC 31 constraint
(``attributes.system.constraints``), as flux-core's Jobspec class runs it
when the job-ingest validator builds one: operators known, operands of the
right types, property names without query characters, rank idsets that
decode, and every host of a ``hostlist`` operand present in the instance's
``hostlist`` attribute (so ``--requires=host:badhost`` is refused at submit,
not left pending).  Errors are TypeError/ValueError with flux-core's texts."""

from __future__ import annotations

from typing import Any, List

from fakeflux.broker.jobs.resources import hostlist_decode, hostlist_encode, idset_decode

_QUERY_CHARS = set("&'\"`|()")


def check_constraint(constraint: Any, instance_hosts: List[str]) -> None:
    if not isinstance(constraint, dict):
        raise TypeError("constraints must be a mapping")
    for operator, args in constraint.items():
        _check_operation(operator, args, instance_hosts)


def _check_operation(operator: Any, args: Any, instance_hosts: List[str]) -> None:
    if not isinstance(operator, str):
        raise TypeError(f"constraint operation {operator} is not a string")
    if not isinstance(args, (list, str)):  # what collections.abc.Sequence accepts of JSON
        raise TypeError(f"argument to constraint {operator} must be a sequence")
    if operator in ("and", "or", "not"):
        for operand in args:
            check_constraint(operand, instance_hosts)
    elif operator == "properties":
        for name in args:
            if any(c in _QUERY_CHARS for c in name):
                raise TypeError(f"invalid character in property '{name}'")
    elif operator == "hostlist":
        for hosts in args:
            _check_hosts(hosts, instance_hosts)
    elif operator == "ranks":
        for ranks in args:
            try:
                idset_decode(ranks)
            except (ValueError, TypeError, AttributeError):
                raise ValueError(f"IDset(): Invalid argument: {ranks}") from None
    else:
        raise TypeError(f"unknown constraint operator '{operator}'")


def _check_hosts(hosts: Any, instance_hosts: List[str]) -> None:
    try:
        wanted = hostlist_decode(hosts)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"Invalid hostlist: '{hosts}'") from None
    known = set(instance_hosts)
    missing = [host for host in wanted if host not in known]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ValueError(f"host constraint contains invalid hosts: host{plural} '{hostlist_encode(missing)}' not found")
