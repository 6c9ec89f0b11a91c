"""What libflux's ``flux_rpc_pack`` / ``flux_rpc_get_unpack`` do, for the kvs and job modules.

Requests are packed as jansson packs them (compact JSON, keys in the order
given, UTF-8 unescaped).  Failures of the C calls raise the C-style OSError
(``"ENAME: strerror"``); :func:`future_error` turns one into the text error a
Python future method reports (the service's error string when it sent one).
"""

from __future__ import annotations

import errno
import json
from typing import Any, Dict, Optional

from fakeflux.wire import json_payload

from ._dispatch import Core
from ._errors import c_error
from ._futurecore import FutureCore
from .constants import FLUX_NODEID_ANY
from .rpc import send_request


def core_of(flux_handle: Any) -> Core:
    """The ``flux_t`` of a handle object (EINVAL for None)."""
    if flux_handle is None:
        raise c_error(errno.EINVAL)
    if isinstance(flux_handle, Core):
        return flux_handle
    core = flux_handle._c()
    assert isinstance(core, Core)
    return core


def rpc_pack(
    flux_handle: Any, topic: str, obj: Dict[str, Any], nodeid: int = FLUX_NODEID_ANY, flags: int = 0
) -> FutureCore:
    """Send ``obj`` as a JSON request now; the future state of its response(s)."""
    return send_request(core_of(flux_handle), topic, json_payload(obj), nodeid, flags)


def rpc_get_str(fc: FutureCore) -> Optional[str]:
    """The current response's payload as text (None if empty); C-style OSError on error."""
    msg = fc.get()
    payload = getattr(msg, "payload", None)
    if not payload:
        return None
    return bytes(payload).split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def rpc_get_unpack(fc: FutureCore) -> Dict[str, Any]:
    """The current response's JSON object; EPROTO when it is not one."""
    text = rpc_get_str(fc)
    if text is None:
        raise c_error(errno.EPROTO)
    try:
        obj = json.loads(text)
    except ValueError:
        raise c_error(errno.EPROTO) from None
    if not isinstance(obj, dict):
        raise c_error(errno.EPROTO)
    return obj


def future_error(fc: FutureCore, err: OSError) -> OSError:
    """flux-core's ``check_future_error``: prefer the future's error string."""
    text = fc.error_string()
    if text is None:
        return err
    return OSError(err.errno, text)
