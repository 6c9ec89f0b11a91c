"""``service``: registration of services provided by clients (flux-core
``broker.c`` ``service_add_cb``).  Requests reach this module from a
connector, which answers its client itself (connector.py)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from fakeflux.broker.errors import ServiceError
from fakeflux.wire import constants as C

if TYPE_CHECKING:
    from fakeflux.broker.rank import BrokerRank


def check_allowed(userid: int, rolemask: int, name: str) -> None:
    """The owner may register any name; others only ``<userid>-...``."""
    if not rolemask & C.ROLE_OWNER and not name.startswith(f"{userid}-"):
        raise ServiceError(errno.EPERM)


def add(broker: BrokerRank, name: str, userid: int, rolemask: int) -> None:
    check_allowed(userid, rolemask, name)
    if "." in name:
        raise ServiceError(errno.EINVAL)
    if name in broker.services:
        raise ServiceError(errno.EEXIST)


def remove(broker: BrokerRank, name: str, userid: int, rolemask: int) -> None:
    check_allowed(userid, rolemask, name)
