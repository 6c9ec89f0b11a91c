"""Reading a non-blocking socket the way the loop's readers all want it."""

from __future__ import annotations

import socket
from typing import Optional

READ_SIZE = 65536


def recv_ready(sock: socket.socket, size: int = READ_SIZE) -> Optional[bytes]:
    """What ``sock`` has to read now: None when nothing is ready yet (or the
    call was interrupted), b"" at end of file. A socket error counts as end of
    file, since the peer is gone either way and the caller just closes."""
    try:
        return sock.recv(size)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""
