"""``job-ingest``: ``job-ingest.submit`` (flux-core ``modules/job-ingest``),
every rank (each submits to the one job manager).  J must be signed with mechanism "none" (flux-core built without
flux-security accepts nothing else); the jobspec is checked as the default
job-validator ("jobspec" plugin) checks it, and its error text is answered
with EPERM, as flux-core v0.88 answers it."""

from __future__ import annotations

import errno
import os
from typing import Any

from fakeflux.broker import jobs as J
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs import jansson_read
from fakeflux.broker.jobs.constraint_check import check_constraint
from fakeflux.broker.jobs.resources import hostlist_decode
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


class JobIngestModule(BrokerModule):
    name = "job-ingest"
    methods = {
        "submit": ("submit", C.ROLE_USER),
        "getinfo": ("getinfo", 0),
    }

    def submit(self, msg: Message) -> None:
        try:
            req = payload_json(msg.payload)
            signed, urgency, flags = req.get("J"), req.get("urgency"), req.get("flags")
            if (not isinstance(signed, str) or not isinstance(urgency, int) or isinstance(urgency, bool)
                    or not isinstance(flags, int) or isinstance(flags, bool)):
                raise ProtocolError("bad submit request")
        except ProtocolError:
            raise ServiceError(errno.EPROTO, f"error decoding job request: {os.strerror(errno.EPROTO)}") from None
        owner = bool(msg.rolemask & C.ROLE_OWNER)
        if flags & ~J.VALID_SUBMIT_FLAGS:
            raise ServiceError(errno.EPROTO, "invalid job flags")
        if not owner and flags & J.FLAG_NOVALIDATE:
            raise ServiceError(errno.EPERM, "only the instance owner can submit with FLUX_JOB_NOVALIDATE")
        if not J.URGENCY_MIN <= urgency <= J.URGENCY_MAX:
            raise ServiceError(errno.EINVAL, f"urgency range is [{J.URGENCY_MIN}:{J.URGENCY_MAX}]")
        if not owner and urgency > J.URGENCY_DEFAULT:
            raise ServiceError(errno.EINVAL, f"only the instance owner can submit with urgency >{J.URGENCY_DEFAULT}")
        if not owner and flags & J.FLAG_WAITABLE:
            raise ServiceError(errno.EINVAL, "only the instance owner can submit with FLUX_JOB_WAITABLE")
        try:
            payload, signer = J.sign_none_unwrap(signed)
        except ValueError:
            raise ServiceError(errno.EINVAL, f"could not unwrap jobspec: {os.strerror(errno.EINVAL)}") from None
        if signer != msg.userid:
            raise ServiceError(errno.EPERM, f"signer={signer} != requestor={msg.userid}")
        if not owner:
            raise ServiceError(errno.EPERM, "only instance owner can use sign-type=none")
        validator_died = ServiceError(errno.EPROTO, "Unrecoverable error: worker unexpectedly exited")
        try:
            jobspec = jansson_read.loads(payload)
        except jansson_read.JanssonError as exc:
            raise ServiceError(errno.EINVAL, f"jobspec: invalid JSON: {exc}") from None
        except RecursionError:
            # nesting jansson takes (up to 2048) but Python's json does not:
            # flux-core's validator, in Python, dies on it
            raise validator_died from None
        if not isinstance(jobspec, dict):
            if flags & J.FLAG_NOVALIDATE:
                raise ServiceError(errno.EINVAL)  # job-ingest's own jobspec reading
            raise validator_died  # flux-core's validator plugin dies on a top-level array
        queues = self.broker.core.jobs.sched.queues
        queues.frobnicate(jobspec)  # the frobnicator runs before the validator
        if not flags & J.FLAG_NOVALIDATE:
            try:
                J.validate_jobspec(jobspec)
                self._check_constraint(jobspec)
            except (ValueError, TypeError) as exc:
                # the validator's rejection comes back as EPERM (checked on real v0.88)
                raise ServiceError(errno.EPERM, str(exc)) from None
        else:
            try:
                J.Request(jobspec)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                raise ServiceError(errno.EINVAL, "jobspec could not be parsed") from None
        queues.submit_check(jobspec)  # job-manager's, once ingest has passed the job on
        job = self.broker.core.jobs.submit(msg.userid, msg.rolemask, jobspec, urgency, flags, signed)
        self.respond_json(msg, {"id": job.id})

    def _check_constraint(self, jobspec: Any) -> None:
        """The validator's constraint check, hosts against the instance's hostlist."""
        system = jobspec.get("attributes", {}).get("system", {})
        if isinstance(system, dict) and "constraints" in system:
            hosts = hostlist_decode(self.broker.attrs.value("hostlist") or "")
            check_constraint(system["constraints"], hosts)

    def getinfo(self, msg: Message) -> None:
        jobs = self.broker.core.jobs
        self.respond_json(msg, {"timestamp": jobs._last_ts})
