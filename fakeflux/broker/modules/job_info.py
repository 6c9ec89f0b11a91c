"""``job-info`` (flux-core ``modules/job-info``), every rank:
``eventlog-watch`` (+ ``eventlog-watch-cancel``) and ``lookup``.

The main ``eventlog`` stream ends with ENODATA after ``clean``; a
``guest.*`` path is read from the job's guest namespace while the job runs
and from ``job.<id>.guest.*`` afterwards, and its stream ends when the job's
guest namespace goes away (job-exec moves it into the main namespace)."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from fakeflux.broker import jobs as J
from fakeflux.broker import kvs_store as K
from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.eventlog import dumps_spaced
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank

WAITCREATE = 1
INITIAL_SENTINEL = 2
LOOKUP_JSON_DECODE = 1
LOOKUP_CURRENT = 2



class EventlogWatch:
    def __init__(self, module: JobInfoModule, msg: Message, jobid: int, path: str, flags: int) -> None:
        self.module = module
        self.msg = msg
        self.jobid = jobid
        self.path = path
        self.flags = flags
        self.offset = 0
        self.done = False
        self.sentinel_sent = False
        self.guest = path.startswith("guest.")
        self.ns = J.guest_namespace(jobid) if self.guest else K.PRIMARY
        self.key = path[6:] if self.guest else J.kvs_key(jobid, path)

    @property
    def store(self) -> K.KvsStore:
        return self.module.broker.core.kvs

    def start(self) -> None:
        store = self.store
        if self.guest and self.ns not in store.namespaces:
            job = self.module.broker.core.jobs.jobs.get(self.jobid)
            if job is None or job.state == J.INACTIVE or job.started:
                # the guest namespace was moved into the job's directory
                self.ns, self.key = K.PRIMARY, J.kvs_key(self.jobid, self.path)
                self.send_new()
                if not self.done:
                    # a job that never ran has no guest eventlogs: its watch just ends (real v0.88)
                    if self.offset == 0 and not self.flags & WAITCREATE and (job is None or job.started):
                        self.finish(errno.ENOENT)
                    else:
                        self.finish(errno.ENODATA)
                return
        store.watch(self.ns, self.changed)
        self.send_new(initial=True)

    def changed(self, ns: str, what: str) -> None:
        if self.done:
            return
        if what == "removed":
            # finished job: what is left is in the main namespace now
            self.ns, self.key = K.PRIMARY, J.kvs_key(self.jobid, self.path)
            self.send_new()
            if not self.done:
                self.finish(errno.ENODATA)
            return
        if what == "created" or self.key in self.store.last_keys:
            self.send_new()

    def send_new(self, initial: bool = False) -> None:
        data = self.store.get(self.ns, self.key) if self.ns in self.store.namespaces else None
        if data is None:
            if initial and not self.flags & WAITCREATE and not self.guest:
                self.finish(errno.ENOENT)
            elif initial:
                self.sentinel()
            return
        text = data.decode("utf-8", "replace")
        new = text[self.offset :]
        for line in new.splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            self.offset += len(line)
            self.module.respond_json(self.msg, {"event": line})
            if not self.guest and self.path == "eventlog":
                try:
                    name = json.loads(line).get("name")
                except ValueError:
                    name = None
                if name == "clean":
                    self.sentinel()
                    self.finish(errno.ENODATA)
                    return
        if initial:
            self.sentinel()

    def sentinel(self) -> None:
        if self.flags & INITIAL_SENTINEL and not self.sentinel_sent:
            self.sentinel_sent = True
            self.module.respond(self.msg)

    def finish(self, errnum: Optional[int]) -> None:
        self.done = True
        self.store.unwatch(self.ns, self.changed)
        if self in self.module.watches:
            self.module.watches.remove(self)
        if errnum is not None:
            self.module.respond_error(self.msg, errnum)


class JobInfoModule(BrokerModule):
    name = "job-info"
    methods = {
        "eventlog-watch": ("eventlog_watch", C.ROLE_USER),
        "eventlog-watch-cancel": ("eventlog_watch_cancel", C.ROLE_USER),
        "lookup": ("lookup", C.ROLE_USER),
        "disconnect": ("on_disconnect", C.ROLE_USER),
    }

    def __init__(self, broker: BrokerRank) -> None:
        super().__init__(broker)
        self.watches: List[EventlogWatch] = []
        self._listening = False  # on the jobs from the first watch on (most ranks never have one)

    def _on_job_event(self, job: J.Job, kind: str, context: Dict[str, Any]) -> None:
        """A job gone inactive without ever running has no guest namespace to
        remove: its guest watches end here, with what the job's directory
        holds (nothing), ENODATA as flux-core's job-info ends them."""
        if kind != "state" or context.get("state") != J.INACTIVE:
            return
        for watch in [w for w in self.watches if w.jobid == job.id and w.guest and not w.done]:
            if watch.ns not in watch.store.namespaces:
                watch.changed(watch.ns, "removed")

    def _allow(self, msg: Message, jobid: int, text: Optional[str] = "access is restricted to job/instance owner") \
            -> None:
        """Only the job's owner and the instance owner read a job's eventlogs and
        keys; lookup says why, eventlog-watch answers a bare EPERM (real v0.88)."""
        job = self.broker.core.jobs.jobs.get(jobid)
        if job is None:
            raise ServiceError(errno.ENOENT)
        if not msg.rolemask & C.ROLE_OWNER and msg.userid != job.userid:
            raise ServiceError(errno.EPERM, text)

    def eventlog_watch(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid, path, flags = req.get("id"), req.get("path"), req.get("flags")
        if not isinstance(jobid, int) or not isinstance(path, str) or not isinstance(flags, int):
            raise ProtocolError("bad eventlog-watch request")
        if flags & ~(WAITCREATE | INITIAL_SENTINEL):
            raise ServiceError(errno.EPROTO, "eventlog-watch request rejected with invalid flag")
        if not msg.flags & C.FLAG_STREAMING:
            raise ServiceError(errno.EPROTO, "eventlog-watch request rejected without streaming RPC flag")
        self._allow(msg, jobid, text=None)
        if not self._listening:
            self._listening = True
            self.broker.core.jobs.listeners.append(self._on_job_event)
        watch = EventlogWatch(self, msg, jobid, path, flags)
        self.watches.append(watch)
        watch.start()

    def eventlog_watch_cancel(self, msg: Message) -> None:
        matchtag = payload_json(msg.payload).get("matchtag")
        if not isinstance(matchtag, int):
            raise ProtocolError("'matchtag' must be an integer")
        for w in [w for w in self.watches if w.msg.sender == msg.sender and w.msg.matchtag == matchtag]:
            w.finish(errno.ENODATA)

    def on_disconnect(self, msg: Message) -> None:
        for w in [w for w in self.watches if w.msg.sender == msg.sender]:
            w.finish(None)

    def lookup(self, msg: Message) -> None:
        req = payload_json(msg.payload)
        jobid, keys, flags = req.get("id"), req.get("keys"), req.get("flags")
        if not isinstance(jobid, int) or "keys" not in req or not isinstance(flags, int):
            raise ProtocolError("bad lookup request")
        if flags & ~(LOOKUP_JSON_DECODE | LOOKUP_CURRENT):
            raise ServiceError(errno.EPROTO, "lookup request rejected with invalid flag")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ServiceError(errno.EPROTO)
        if self.broker.core.jobs.jobs.get(jobid) is None:
            # flux-core's lookup.c reads the eventlog first and says this
            raise ServiceError(errno.ENOENT, "invalid job id")
        self._allow(msg, jobid)
        store = self.broker.core.kvs
        out: Dict[str, Any] = {"id": jobid}
        for key in keys:
            try:
                obj = store.lookup(J.kvs_key(jobid, key), 0, namespace=K.PRIMARY)
            except ServiceError as exc:
                raise ServiceError(exc.errnum, f"{key}: {errno.errorcode.get(exc.errnum, exc.errnum)}") from None
            if obj is None:
                raise ServiceError(errno.ENOENT, f"{key}: key not found")
            data = store.get(K.PRIMARY, J.kvs_key(jobid, key)) or b""
            if not data:
                raise ServiceError(errno.EPROTO, f"{key}: value is unexpectedly empty")
            text = data.decode("utf-8", "replace")
            if key in ("jobspec", "R") and flags & (LOOKUP_JSON_DECODE | LOOKUP_CURRENT):
                value = json.loads(text)
                # the current value is decoded and, unless asked for as JSON, encoded again
                out[key] = value if flags & LOOKUP_JSON_DECODE else dumps_spaced(value)
            else:
                out[key] = text
        self.respond_json(msg, out)
