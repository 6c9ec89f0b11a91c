"""``jobid:`` URIs: the URI of a running job's instance, ``jobid:/`` (root) and ``jobid:..`` (parent)."""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Any, Optional, Tuple

from ..uri import JobURI, URIResolverPlugin, URIResolverURI


def _flux(uri: Optional[str] = None) -> Any:
    from ... import Flux

    return Flux(uri) if uri is not None else Flux()


def _instance_level(handle: Any) -> int:
    return int(handle.attr_get("instance-level"))


def wait_for_uri(flux_handle: Any, jobid: Any) -> Optional[str]:
    """The ``uri`` a job's memo event announces, waiting for it; None if the job finishes first."""
    from ...job import event_watch

    for event in event_watch(flux_handle, jobid):
        if event.name == "finish":
            break
        if event.name == "memo" and "uri" in event.context:
            return str(event.context["uri"])
    return None


def resolve_parent(handle: Any) -> str:
    """``parent-uri`` of a nested instance, else its own ``local-uri``."""
    return str(handle.attr_get("parent-uri" if _instance_level(handle) > 0 else "local-uri"))


def resolve_root(flux_handle: Any) -> str:
    """The ``local-uri`` of the top-level instance, climbing one parent at a time."""
    handle = flux_handle
    while _instance_level(handle):
        handle = _flux(resolve_parent(handle))
    return str(handle.attr_get("local-uri"))


def _job_uri(job: Any) -> Any:
    """The ``user.uri`` annotation of a listed job (None when it has none)."""
    user = getattr(job, "user", None)
    uri = getattr(user, "uri", None) if user is not None else None
    if uri is None:
        annotations = getattr(job, "annotations", None) or {}
        uri = (annotations.get("user") or {}).get("uri") if isinstance(annotations, dict) else None
    return uri


def _listed_uri(flux_handle: Any, jobid: Any, arg: str) -> Any:
    from ...job import job_list_id

    job = job_list_id(flux_handle, jobid, attrs=["state", "annotations"]).get_jobinfo()
    if job.state != "RUN":
        raise ValueError(f"jobid {arg} is not running")
    return _job_uri(job)


def resolve_jobid(flux_handle: Any, arg: str, wait: bool) -> str:
    """The URI of running job ``arg``; ValueError if it is not a job, not running or has none."""
    from ...job import JobID

    try:
        jobid = JobID(arg)
    except OSError:  # JobID's own ValueError ("... is not a valid Flux jobid") passes through
        raise ValueError(f"{arg} is not a valid jobid") from None
    lookup = wait_for_uri if wait else lambda h, j: _listed_uri(h, j, arg)
    try:
        found = lookup(flux_handle, jobid)
    except FileNotFoundError as exc:  # ENOENT from the job manager or job-list: no such job
        raise ValueError(f"jobid {arg} not found") from exc
    if found is None or str(found) == "":
        raise ValueError(f"URI not found for job {arg}")
    return str(found)


def _step(handle: Any, step: str, wait: bool, hostname: Optional[str]) -> Tuple[str, Optional[str]]:
    """Where one path component leads from the instance behind ``handle``, and the host
    of the job last passed through (a later ``..`` is reached on that host)."""
    if step == "/":
        return resolve_root(handle), hostname
    if step == "..":
        parent = resolve_parent(handle)
        return (JobURI(parent, remote_hostname=hostname).remote if hostname else parent), hostname
    found = resolve_jobid(handle, step, wait)
    return found, JobURI(found).netloc


class URIResolver(URIResolverPlugin):
    """Resolves a path of job ids (``jobid:f1/f2``), ``/`` and ``..`` to an instance URI,
    component by component, each from inside the instance the previous one found."""

    def describe(self) -> str:
        return "Get URI for a given Flux JOBID"

    def resolve(self, uri: URIResolverURI) -> str:
        query = uri.query_dict
        force_local = "local" in query or "FLUX_URI_RESOLVE_LOCAL" in os.environ
        handle = _flux()
        steps = PurePosixPath(uri.path).parts
        if not steps:  # "jobid:" alone: the enclosing instance
            return str(handle.attr_get("local-uri"))
        found, hostname = _step(handle, steps[0], "wait" in query, None)
        for step in steps[1:]:  # only the first job is waited for
            handle = _flux(JobURI(found).local if force_local else found)
            found, hostname = _step(handle, step, False, hostname)
        return found
