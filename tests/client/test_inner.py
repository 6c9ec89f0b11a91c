"""flux.wrapper and flux.core.inner: cffi's ffi, the pure-Python lib, raw, wrapper errors.

Every expectation here was recorded with flux-core 0.88's own bindings
(``/tmp/h6_real2.py``-style scripts under ``flux start --test-size=4``).
"""

from __future__ import annotations

import errno
import importlib
import json
import subprocess
import sys
from typing import Any

import cffi  # type: ignore[import-untyped]
import pytest

from .conftest import client_path, flux

inner = importlib.import_module("flux.core.inner")
ffi, lib, raw = inner.ffi, inner.lib, inner.raw
Future = importlib.import_module("flux.future").Future


def test_ffi_is_a_genuine_cffi_ffi() -> None:
    assert isinstance(ffi, cffi.FFI)
    err = ffi.new("flux_error_t[1]")
    assert ffi.string(err[0].text) == b""
    p = ffi.new("uint32_t *")
    assert p[0] == 0
    assert ffi.cast("char *", 0) == ffi.NULL
    assert ffi.typeof("flux_future_t *").kind == "pointer"


def test_ffi_typeof_knows_handles(h: Any) -> None:
    assert ffi.typeof(h.handle) is ffi.typeof("flux_t *")
    rpc = h.rpc("broker.ping", {})
    assert ffi.typeof(rpc.handle) is ffi.typeof("flux_future_t *")
    with pytest.raises(TypeError, match="expected a string or cdata object, got 'RPC'"):
        ffi.typeof(rpc)
    rpc.get()


def test_import_flux_does_not_load_cffi_or_the_broker() -> None:
    code = (
        "import sys, flux, flux.job; "
        "print(sorted(m for m in sys.modules if m.startswith(('cffi', 'fakeflux.broker', 'fakeflux.io'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": client_path() + ":" + client_path().rsplit("/", 2)[0]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_handle_resolves_lib_functions(h: Any) -> None:
    assert h.flux_attr_get("size") == b"4"  # char * results come back as bytes
    rank = ffi.new("uint32_t *")
    assert raw.flux_get_size(h, rank) == 0 and rank[0] == 4
    assert lib.flux_get_rank(h.handle, rank) == 0 and rank[0] == 0
    assert raw.flux_msg_typestr(1) == b"request"
    assert raw.flux_strerror(errno.ENOENT) == b"No such file or directory"
    assert h.flux_event_subscribe("fallback.") == 0
    assert h.event_unsubscribe("fallback.") == 0


def test_wrapper_errors(h: Any) -> None:
    with pytest.raises(flux.wrapper.WrongNumArguments, match="Expected 2 arguments, received 1"):
        h.flux_get_rank()
    with pytest.raises(flux.wrapper.WrongNumArguments, match="Expected 4 arguments, received 3"):
        h.respond_error(flux.message.Message(), errno.ENODATA)
    with pytest.raises(flux.wrapper.InvalidArguments, match="Name: flux_request_encode") as info:
        raw.flux_request_encode(1, None)
    assert isinstance(info.value.__cause__, TypeError)
    with pytest.raises(flux.wrapper.MissingFunctionError, match=r"Possible C names: \['flux_nosuch', 'FLUX_nosuch'\]"):
        h.nosuch("x")
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'ffi' and 'lib'"):
        flux.wrapper.Wrapper()
    with pytest.raises(OSError) as oserr:
        h.request_encode(None, "{}")
    assert oserr.value.errno == errno.EINVAL and oserr.value.strerror == "EINVAL: Invalid argument"


def test_lib_reports_failure_as_c_does() -> None:
    assert lib.flux_future_get(ffi.NULL, ffi.NULL) == -1
    assert ffi.errno == errno.EINVAL
    assert lib.flux_request_encode(ffi.NULL, ffi.NULL) == ffi.NULL
    assert ffi.errno == errno.EINVAL


def test_futures_made_and_fulfilled_through_raw(h: Any) -> None:
    f = h.future_create(ffi.NULL, ffi.NULL)
    assert raw.flux_future_is_ready(f) is False
    raw.flux_future_fulfill_error(f, errno.ENOENT, "oops")
    with pytest.raises(FileNotFoundError, match="ENOENT: No such file or directory"):
        raw.flux_future_get(f, ffi.NULL)
    assert raw.flux_future_error_string(f) == b"oops"
    with pytest.raises(OSError) as info:
        h.future_get(None, ffi.NULL)
    assert info.value.errno == errno.EINVAL
    fut = Future(h.future_create(ffi.NULL, ffi.NULL))
    fut.pimpl.fulfill(ffi.NULL, ffi.NULL)
    assert fut.is_ready() and h.future_get(fut, ffi.NULL) == 0


def test_messages_through_raw() -> None:
    msg = raw.flux_request_encode("a.b", '{"x":1}')
    topic, payload, mtype = ffi.new("char *[1]"), ffi.new("char *[1]"), ffi.new("int *")
    assert raw.flux_request_decode(msg, topic, payload) == 0
    assert (ffi.string(topic[0]), ffi.string(payload[0])) == (b"a.b", b'{"x":1}')
    assert raw.flux_msg_get_type(msg, mtype) == 0 and mtype[0] == 1
    with pytest.raises(OSError) as info:
        raw.flux_response_decode(msg, topic, payload)
    assert info.value.errno == errno.EPROTO


def test_rpc_through_raw_and_pimpl_handle(h: Any) -> None:
    fc = raw.flux_rpc(h, "broker.ping", '{"seq":7}', flux.constants.FLUX_NODEID_ANY, 0)
    s = ffi.new("char *[1]")
    assert raw.flux_rpc_get(fc, s) == 0
    assert json.loads(ffi.string(s[0]))["seq"] == 7
    raw.flux_future_destroy(fc)
    r = h.rpc("broker.ping", {"seq": 1})
    r.handle = raw.flux_rpc(h.handle, "broker.ping", '{"seq":2}', flux.constants.FLUX_NODEID_ANY, 0)
    assert r.get()["seq"] == 2
    with pytest.raises(TypeError, match="expected a string or cdata object, got 'RPC'"):
        r.handle = h.rpc("broker.ping")
    with pytest.raises(AttributeError, match="masks function flux_request_encode"):
        h.rpc("broker.ping").pimpl.flux_request_encode("request", 15)
    done = h.rpc("broker.ping", {})
    done.get()
    done.pimpl.handle = None
    with pytest.raises(ValueError, match="cached, bound method.*NULL handle"):
        done.get()


def test_flux_open_through_raw(uri: str) -> None:
    err = ffi.new("flux_error_t[1]")
    with pytest.raises(FileNotFoundError):
        raw.flux_open_ex("foo://x", 0, err)
    assert ffi.string(err[0].text) == b"Unable to find connector name 'foo'"
    core = raw.flux_open(uri.encode(), 0)
    h = flux.Flux(handle=core)
    raw.flux_close(core)
    assert h.get_rank() == 0


def test_pimpl_names_and_resolution(h: Any) -> None:
    """As flux-core 0.88 shows them: the RPC's pimpl class, its prefixes, its masking."""
    rpc = h.rpc("broker.ping", {})
    assert type(rpc.pimpl).__qualname__ == "RPC.RPCInnerWrapper"
    assert type(Future(h.future_create(ffi.NULL, ffi.NULL)).pimpl).__qualname__ == "Future.InnerWrapper"
    with pytest.raises(
        flux.wrapper.MissingFunctionError, match=r"Possible C names: \['flux_rpc_nonexist', 'flux_future_nonexist'\]"
    ):
        rpc.pimpl.nonexist()
    assert rpc.pimpl.is_ready() in (True, False)
    assert ffi.sizeof("flux_error_t") == 160
    rpc.get()
