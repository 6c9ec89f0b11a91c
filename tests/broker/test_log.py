"""The ``log`` service on the wire (flux-core ``src/broker/log.c``):
``log.append`` as ``flux_log`` sends it, ``log.dmesg`` streaming, where a
line is kept, and forwarding toward rank 0."""

from __future__ import annotations

import errno
import os
import re
from typing import Callable, List

import pytest

from fakeflux.broker import stdlog
from fakeflux.wire import Message
from fakeflux.wire import constants as C
from tests.broker.golden import assert_error, assert_response, golden_value, response_json
from tests.rawclient import RawClient

Connect = Callable[..., RawClient]

LOG_ERR, LOG_INFO = 3, 6


def line(severity: int, host: str, message: str, app: str = "python3") -> bytes:
    """An RFC 5424 line as flux_log writes it: PRI = severity << 3, no NUL."""
    return f"<{severity << 3}>1 {stdlog.timestamp()} {host} {app} {os.getpid()} - - {message}".encode()


def append(client: RawClient, payload: bytes, matchtag: int = 0, flags: int = 0) -> None:
    """``log.append``: nodeid ANY, matchtag 0, raw payload without a NUL."""
    client.send(Message.request("log.append", payload, matchtag=matchtag, flags=flags))


def dmesg(client: RawClient) -> List[bytes]:
    """The whole backlog, as ``flux dmesg`` reads it (streaming, no follow)."""
    req = client.request("log.dmesg", {"follow": False}, flags=C.FLAG_STREAMING)
    lines: List[bytes] = []
    while True:
        resp = client.recv(timeout=5.0)
        assert resp.matchtag == req.matchtag
        if resp.errnum:
            # The end: ENODATA, flags 0x49 (TOPIC|ROUTE|STREAMING), no payload.
            assert_error(resp, "log.dmesg", errno.ENODATA, extra_flags=C.FLAG_STREAMING)
            assert resp.flags == 0x49
            return lines
        assert_response(resp, "log.dmesg", extra_flags=C.FLAG_STREAMING)
        assert resp.flags == 0x4B
        assert resp.payload is not None and resp.payload.endswith(b"\x00")
        lines.append(resp.payload[:-1])


def messages(lines: List[bytes]) -> List[str]:
    out: List[str] = []
    for raw in lines:
        entry = stdlog.decode(raw)
        assert entry is not None, raw
        out.append(entry.message)
    return out


def test_append_gets_no_response_and_lands_in_dmesg(connect: Connect) -> None:
    assert golden_value("h.log(LOG_INFO,'golden-log-line-x')") is None
    assert golden_value("h.log(LOG_ERR,'golden-log-err')") is None
    h = connect(0)
    info = line(LOG_INFO, "0", "golden-log-line-x")
    err = line(LOG_ERR, "0", "golden-log-err")
    append(h, info)
    append(h, err)
    assert h.recv_nothing(0.05)
    got = dmesg(h)
    assert got[-2:] == [info, err]  # stored byte for byte, NUL added on the way out
    # flux dmesg prints them as "TIME python3.info[0]: golden-log-line-x".
    printed = golden_value("flux dmesg | grep golden")["stdout"].splitlines()
    for raw, want in zip(got[-2:], printed):
        entry = stdlog.decode(raw)
        assert entry is not None
        ours = stdlog.human(entry)
        assert ours.split(" ", 1)[1] == want.split(" ", 1)[1]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ours.split(" ", 1)[0])
    assert golden_value("flux dmesg | tail -5")["stdout"].endswith(printed[-1] + "\n")


def test_append_with_matchtag_is_answered(connect: Connect) -> None:
    h = connect(0)
    append(h, line(LOG_INFO, "0", "tagged"), matchtag=7)
    resp = h.recv(timeout=5.0)
    assert_response(resp, "log.append")
    assert resp.matchtag == 7 and resp.payload is None
    append(h, line(LOG_INFO, "0", "quiet"), matchtag=8, flags=C.FLAG_NORESPONSE)
    assert h.recv_nothing(0.05)


def test_one_append_is_one_entry(connect: Connect) -> None:
    """Line breaks are the client's business (flux_log splits); the broker
    keeps what one request carried as one entry."""
    h = connect(0)
    payload = line(LOG_INFO, "0", "first\nsecond")
    append(h, payload)
    assert dmesg(h)[-1] == payload


def test_dmesg_needs_streaming(connect: Connect) -> None:
    h = connect(0)
    assert_error(h.rpc("log.dmesg", {"follow": False}), "log.dmesg", errno.EPROTO)
    resp = h.rpc("log.dmesg", {}, flags=C.FLAG_STREAMING)  # "follow" is required
    assert_error(resp, "log.dmesg", errno.EPROTO, extra_flags=C.FLAG_STREAMING)


def test_dmesg_follow_and_cancel(connect: Connect) -> None:
    h, writer = connect(0), connect(0)
    req = h.request("log.dmesg", {"follow": True, "nobacklog": True}, flags=C.FLAG_STREAMING)
    assert h.recv_nothing(0.05)
    new = line(LOG_INFO, "0", "followed")
    append(writer, new)
    resp = h.recv(timeout=5.0)
    assert_response(resp, "log.dmesg", extra_flags=C.FLAG_STREAMING)
    assert resp.payload == new + b"\x00"
    h.request("log.cancel", {"matchtag": req.matchtag}, flags=C.FLAG_NORESPONSE)
    end = h.recv(timeout=5.0)
    assert end.matchtag == req.matchtag
    assert_error(end, "log.dmesg", errno.ENODATA, extra_flags=C.FLAG_STREAMING)


@pytest.mark.parametrize(("host", "kept"), [("2", True), ("02", True), ("0", False), ("x", False)])
def test_line_is_kept_by_the_rank_its_host_field_names(host: str, kept: bool, connect: Connect) -> None:
    """log.c reads HOST with strtoul: a rank keeps only its own lines
    ("x" reads as 0, "02" as 2)."""
    h2 = connect(2)
    payload = line(LOG_INFO, host, f"from host {host}")
    append(h2, payload)
    assert (payload in dmesg(h2)) == kept


def test_errors_are_forwarded_to_rank0(connect: Connect) -> None:
    h0, h3 = connect(0), connect(3)
    mine = line(LOG_ERR, "3", "err on 3")
    for_root = line(LOG_ERR, "0", "err for 0")
    info_for_root = line(LOG_INFO, "0", "info for 0")
    for payload in (mine, for_root, info_for_root):
        append(h3, payload)
    assert dmesg(h3)[-1:] == [mine]
    root = dmesg(h0)
    # Rank 0 keeps the forwarded line that names it; severities above
    # log-forward-level (LOG_ERR) never leave rank 3.
    assert for_root in root and mine not in root and info_for_root not in root
    stats = response_json(h0.rpc("log.stats-get"))
    assert stats["remote"] >= 1 and stats["local"] >= 1


def test_levels_use_the_high_bits_of_pri(connect: Connect) -> None:
    """STDLOG_SEVERITY is PRI >> 3: <56> is LOG_DEBUG, kept at log-level 7;
    <64> (severity 8) is above log-level and dropped."""
    h = connect(1)
    debug = line(7, "1", "debug line")
    beyond = b"<64>1 " + stdlog.timestamp().encode() + b" 1 app 1 - - too verbose"
    append(h, debug)
    append(h, beyond)
    got = dmesg(h)
    assert debug in got and beyond not in got
    assert "debug line" in messages(got)


def test_clear_and_stats(connect: Connect) -> None:
    h = connect(1)
    append(h, line(LOG_INFO, "1", "to be cleared"))
    before = response_json(h.rpc("log.stats-get"))
    assert before["ring-used"] >= 1
    assert_response(h.rpc("log.clear"), "log.clear")
    assert dmesg(h) == []
    assert response_json(h.rpc("log.stats-get"))["ring-used"] == 0
