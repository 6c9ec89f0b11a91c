"""``jobid:`` URIs: the URI of a running job's instance, ``jobid:/`` (root) and ``jobid:..`` (parent)."""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Any, Optional

from ..uri import JobURI, URIResolverPlugin, URIResolverURI


def _flux(uri: Optional[str] = None) -> Any:
    from ... import Flux

    return Flux(uri) if uri is not None else Flux()


def wait_for_uri(flux_handle: Any, jobid: Any) -> Optional[str]:
    """The ``uri`` of the job's memo event, waiting for it; None if the job finishes first."""
    from ...job import event_watch

    for event in event_watch(flux_handle, jobid):
        if event.name == "memo" and "uri" in event.context:
            return str(event.context["uri"])
        if event.name == "finish":
            return None
    return None


def resolve_parent(handle: Any) -> str:
    """``parent-uri`` of a nested instance, else its own ``local-uri``."""
    if int(handle.attr_get("instance-level")) > 0:
        return str(handle.attr_get("parent-uri"))
    return str(handle.attr_get("local-uri"))


def resolve_root(flux_handle: Any) -> str:
    """The ``local-uri`` of the top-level instance."""
    handle = flux_handle
    while int(handle.attr_get("instance-level")) > 0:
        handle = _flux(resolve_parent(handle))
    return str(handle.attr_get("local-uri"))


def _job_uri(job: Any) -> Any:
    user = getattr(job, "user", None)
    uri = getattr(user, "uri", None) if user is not None else None
    if uri is None:
        annotations = getattr(job, "annotations", None) or {}
        uri = (annotations.get("user") or {}).get("uri") if isinstance(annotations, dict) else None
    return uri


def resolve_jobid(flux_handle: Any, arg: str, wait: bool) -> str:
    """The URI of running job ``arg``; ValueError if it is not a job, not running or has none."""
    from ...job import JobID, job_list_id

    try:
        jobid = JobID(arg)
    except OSError:  # JobID's own ValueError ("... is not a valid Flux jobid") passes through
        raise ValueError(f"{arg} is not a valid jobid") from None
    try:
        if wait:
            uri = wait_for_uri(flux_handle, jobid)
        else:
            job = job_list_id(flux_handle, jobid, attrs=["state", "annotations"]).get_jobinfo()
            if job.state != "RUN":
                raise ValueError(f"jobid {arg} is not running")
            uri = _job_uri(job)
    except FileNotFoundError as exc:
        raise ValueError(f"jobid {arg} not found") from exc
    if uri is None or str(uri) == "":
        raise ValueError(f"URI not found for job {arg}")
    return str(uri)


class URIResolver(URIResolverPlugin):
    """Resolves a path of job ids (``jobid:f1/f2``), ``/`` and ``..`` to an instance URI."""

    def describe(self) -> str:
        return "Get URI for a given Flux JOBID"

    def _do_resolve(
        self,
        uri: URIResolverURI,
        flux_handle: Any,
        force_local: bool = False,
        wait: bool = False,
        hostname: Optional[str] = None,
    ) -> str:
        jobids = list(PurePosixPath(uri.path).parts)
        if not jobids:
            return str(flux_handle.attr_get("local-uri"))
        arg = jobids.pop(0)
        if arg == "/":
            result = resolve_root(flux_handle)
        elif arg == "..":
            result = resolve_parent(flux_handle)
            # relative to a job resolved earlier: reach its parent on that job's host
            if hostname:
                result = JobURI(result, remote_hostname=hostname).remote
        else:
            result = resolve_jobid(flux_handle, arg, wait)
            hostname = JobURI(result).netloc
        if jobids:
            rest = URIResolverURI("jobid:" + "/".join(jobids))
            if force_local:
                result = JobURI(result).local
            return self._do_resolve(rest, _flux(result), force_local=force_local, hostname=hostname)
        return result

    def resolve(self, uri: URIResolverURI) -> str:
        force_local = "local" in uri.query_dict or "FLUX_URI_RESOLVE_LOCAL" in os.environ
        wait = "wait" in uri.query_dict
        return self._do_resolve(uri, _flux(), force_local=force_local, wait=wait)
