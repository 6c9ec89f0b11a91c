"""``broker``: the broker's own methods (flux-core ``broker.c``, ``method.c``)."""

from __future__ import annotations

import errno
import resource

from fakeflux.broker.errors import ServiceError
from fakeflux.broker.module import BrokerModule
from fakeflux.wire import Message, ProtocolError, payload_json
from fakeflux.wire import constants as C


class BrokerMethods(BrokerModule):
    name = "broker"
    behind_broker = False  # the broker's own service: no hop to a module thread
    methods = {
        "getenv": ("getenv", 0),
        "setenv": ("setenv", 0),
        "rusage": ("rusage", C.ROLE_USER),
        "stats-get": ("stats_get", C.ROLE_ALL),
        "disconnect": ("ignore", C.ROLE_ALL),
    }

    def getenv(self, msg: Message) -> None:
        names = payload_json(msg.payload).get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ProtocolError("'names' must be a list of strings")
        env = self.broker.core.environ
        self.respond_json(msg, {"env": {n: env[n] for n in names if n in env}})

    def setenv(self, msg: Message) -> None:
        env = payload_json(msg.payload).get("env")
        if not isinstance(env, dict):
            raise ProtocolError("'env' must be an object")
        for name, value in env.items():
            if not name or "=" in name or not (value is None or isinstance(value, str)):
                raise ServiceError(errno.EPROTO)
        for name, value in env.items():
            if value is None:
                self.broker.core.environ.pop(name, None)
            else:
                self.broker.core.environ[name] = value
        self.respond(msg)

    def rusage(self, msg: Message) -> None:
        who = "self"
        if msg.payload is not None:
            who = payload_json(msg.payload).get("who", "self")
        targets = {"self": resource.RUSAGE_SELF, "children": resource.RUSAGE_CHILDREN}
        if hasattr(resource, "RUSAGE_THREAD"):
            targets["thread"] = resource.RUSAGE_THREAD
        if who not in targets:
            raise ServiceError(errno.EINVAL)
        ru = resource.getrusage(targets[who])
        fields = [f for f in dir(ru) if f.startswith("ru_")]
        self.respond_json(msg, {f[3:]: getattr(ru, f) for f in fields})

    def stats_get(self, msg: Message) -> None:
        self.respond_json(msg, self.broker.stats.as_dict())

    def ignore(self, msg: Message) -> None:
        """flux-core's broker ignores ``broker.disconnect``."""


