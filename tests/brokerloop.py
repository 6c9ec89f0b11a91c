"""Test helpers that reach into a running broker's event loop."""

from __future__ import annotations

import threading

from fakeflux.io.server import BrokerServer


def hold_loop(server: BrokerServer) -> threading.Event:
    """Keep the broker's loop busy until the returned event is set, so that
    connections made meanwhile wait in the listen backlog and are accepted
    only later (perhaps after their peer has gone)."""
    busy, release = threading.Event(), threading.Event()

    def hold() -> None:
        busy.set()
        release.wait(10)

    server.call_soon(hold)
    assert busy.wait(10)
    return release
