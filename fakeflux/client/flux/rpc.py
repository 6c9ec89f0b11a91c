"""RPCs (flux-core's ``flux.rpc``): send a request, get its response(s) through a future."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING, Any, Optional

from fakeflux.wire import Message as WireMessage
from fakeflux.wire import constants as W
from fakeflux.wire import json_payload

from ._dispatch import Core
from ._errors import c_error
from ._futurecore import FutureCore
from .constants import FLUX_NODEID_ANY, FLUX_RPC_NORESPONSE, FLUX_RPC_STREAMING
from .future import Future, _FutureInner, _text_error
from .util import payload_bytes, topic_str

if TYPE_CHECKING:
    from .core.handle import Flux

__all__ = ["RPC"]

_rpc_init = FutureCore.rpc_init


def check_nodeid(nodeid: Any) -> int:
    """A uint32 as cffi converts it: OverflowError for negative or too large values."""
    if not isinstance(nodeid, int):
        raise TypeError(f"an integer is required, not {type(nodeid).__name__}")
    if nodeid < 0:
        raise OverflowError("can't convert negative number to unsigned")
    if nodeid > 0xFFFFFFFF:
        raise OverflowError("int too big to convert")
    return nodeid


def send_request(core: Core, topic: str, payload: Optional[bytes], nodeid: int, flags: int) -> FutureCore:
    """flux_rpc: allocate a matchtag, send the request now, return its future state."""
    if flags & ~(FLUX_RPC_NORESPONSE | FLUX_RPC_STREAMING):
        raise c_error(errno.EINVAL)
    conn = core.conn
    if conn.error:
        raise c_error(conn.error)
    fc = FutureCore(_rpc_init, core)
    msgflags = 0
    if flags & FLUX_RPC_NORESPONSE:
        tag = W.MATCHTAG_NONE
        msgflags = W.FLAG_NORESPONSE
    else:
        tag = conn.tag_alloc()
        if flags & FLUX_RPC_STREAMING:
            msgflags = W.FLAG_STREAMING
            fc.streaming = True
    fc.tag = tag
    try:
        if nodeid == W.NODEID_UPSTREAM:
            msgflags |= W.FLAG_UPSTREAM
            nodeid = get_rank(core)
        conn.send(WireMessage.request(topic, payload, nodeid=nodeid, matchtag=tag, flags=msgflags))
    except BaseException:
        if tag:
            conn.tag_free(tag)
        fc.tag = 0
        raise
    if not tag:
        fc.fulfill(None)
    return fc


def sync_request(core: Core, topic: str, payload: Optional[bytes], nodeid: int = W.NODEID_ANY) -> WireMessage:
    """A blocking RPC as libflux's own helpers make one; C-style OSError on failure."""
    conn = core.conn
    if conn.error:
        raise c_error(conn.error)
    tag = conn.tag_alloc()
    try:
        conn.send(WireMessage.request(topic, payload, nodeid=nodeid, matchtag=tag))
    except BaseException:
        conn.tag_free(tag)
        raise
    msg = conn.wait_response(tag, None)
    conn.tag_free(tag)
    assert msg is not None
    if msg.aux1:
        raise c_error(msg.aux1)
    return msg


def attr_get(core: Core, name: str) -> str:
    """flux_attr_get: immutable values are cached for the life of the handle."""
    conn = core.conn
    value = conn.attr_cache.get(name)
    if value is not None:
        return value
    msg = sync_request(core, "attr.get", json_payload({"name": name}))
    try:
        if not msg.payload or msg.payload[-1] != 0:
            raise ValueError
        obj = json.loads(msg.payload[:-1])
        value = obj["value"]
        flags = obj["flags"]
        if not isinstance(value, str) or not isinstance(flags, int):
            raise TypeError
    except (TypeError, KeyError, ValueError):
        raise c_error(errno.EPROTO) from None
    if flags & 1:
        conn.attr_cache[name] = value
    else:
        conn.attr_temp[name] = value
    return value


def get_rank(core: Core) -> int:
    return int(attr_get(core, "rank"))


class _RPCInner(_FutureInner):
    """An RPC's ``pimpl``: names resolve to ``flux_rpc_*`` then ``flux_future_*`` functions."""

    prefixes = ("flux_rpc_", "flux_future_")


class RPC(Future):
    """An RPC: the request is sent at construction; ``get()`` waits for the response.

    ``get_str()`` returns the response payload as str (None if empty),
    ``get()`` its JSON decoding.  Errors raise ``OSError(errno, text)`` with
    the server's error text, or strerror.  With FLUX_RPC_STREAMING, call
    ``reset()`` after each response; the stream ends with an error
    (usually ENODATA).
    """

    RPCInnerWrapper = _RPCInner
    _RPCInner.__name__, _RPCInner.__qualname__ = "RPCInnerWrapper", "RPC.RPCInnerWrapper"

    def __init__(
        self,
        flux_handle: Flux,
        topic: Any,
        payload: Any = None,
        nodeid: int = FLUX_NODEID_ANY,
        flags: int = 0,
    ) -> None:
        self.flux_handle = flux_handle
        core = flux_handle._c()
        text = topic_str(topic)
        data = payload_bytes(payload)
        nodeid = check_nodeid(nodeid)
        fc = send_request(core, text, data, nodeid, flags)
        super().__init__(fc, pimpl_t=self.RPCInnerWrapper)

    def get_str(self) -> Optional[str]:
        fc = self._fc()
        try:
            msg = fc.get()
            if msg is None:
                raise c_error(errno.EINVAL)
            payload = msg.payload
            if payload is None:
                return None
            if payload[-1] != 0:
                raise c_error(errno.EPROTO)
        except OSError as err:
            self.raise_if_handle_exception()
            raise _text_error(fc, err) from None
        return payload.split(b"\x00", 1)[0].decode("utf-8")

    def get(self) -> Any:
        resp = self.get_str()
        if resp is None:
            return None
        return json.loads(resp)
