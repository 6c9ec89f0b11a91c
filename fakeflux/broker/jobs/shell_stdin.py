"""The job shell's stdin service (src/shell/input/service.c): the leader
shell's ``<userid>-shell-<id>.stdin`` method, where ``flux job attach`` (and
so ``flux run``) sends RFC 24 stdin data; each accepted request is appended
to ``guest.input`` and written to the tasks it names."""

from __future__ import annotations

import base64
import errno
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.jobs.eventlog import eventlog_entry
from fakeflux.broker.jobs.local_run import LocalRun
from fakeflux.broker.jobs.util import guest_namespace
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire.constants import ROLE_OWNER

if TYPE_CHECKING:
    from fakeflux.broker.jobs.exec_local import LocalExec


class StdinService:
    """The service of one running job (registered on its leader's rank)."""

    def __init__(self, owner: LocalExec, run: LocalRun) -> None:
        self.owner = owner
        self.run = run

    def __call__(self, msg: Message) -> None:
        broker = self.owner.core.rank(self.run.leader)
        method = (msg.topic or "").partition(".")[2]
        if method != "stdin":
            raise ServiceError(errno.ENOSYS)
        if msg.userid != self.run.job.userid and not msg.rolemask & ROLE_OWNER:
            broker.respond_error(msg, errno.EPERM)
            return
        try:
            context = payload_json(msg.payload)
            ranks, data, eof = decode_input(context)
        except (ProtocolError, ValueError, TypeError, KeyError):
            broker.respond_error(msg, errno.EPROTO)
            return
        if not self.run.open_input:
            broker.respond_error(msg, errno.EPIPE)
            return
        targets = set(self.run.open_input) if ranks == "all" else set(idset_decode(ranks))
        if not targets <= self.run.open_input:
            broker.respond_error(msg, errno.EPIPE)
            return
        system = self.owner.system
        system.kvs_write(guest_namespace(self.run.job.id), "input",
                         eventlog_entry(system.now(), "data", context).encode(), append=True)
        for task in self.run.tasks:
            if task.rank in targets and task.pid and task.wait_status is None:
                self.owner.host.write_input(task.pid, data, eof)
        if eof:
            self.run.open_input -= targets
        broker.respond(msg)


def decode_input(context: Dict[str, Any]) -> Tuple[str, bytes, bool]:
    """iodecode: (ranks, data, eof) of an RFC 24 stdin data context."""
    if context.get("stream") != "stdin" or not isinstance(context.get("rank"), str):
        raise ValueError("not stdin")
    text = context.get("data", "")
    if not isinstance(text, str):
        raise ValueError("data")
    data = base64.b64decode(text) if context.get("encoding") == "base64" else text.encode()
    eof = context.get("eof", False)
    if not isinstance(eof, bool) or (not data and not eof):
        raise ValueError("eof")
    return context["rank"], data, eof


def idset_decode(text: str) -> List[int]:
    """RFC 22 idset ("0-2,5", brackets allowed); ValueError when malformed."""
    ids: List[int] = []
    for part in text.strip("[]").split(","):
        low, _, high = part.partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    return ids
