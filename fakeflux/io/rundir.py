"""The instance's run directory: private (mode 0700), removed when we made it."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Optional


def default_parent() -> Optional[str]:
    """Where rundirs go: ``$TMPDIR`` when set (as flux-core does), else
    /dev/shm when it is a writable tmpfs: binding a Unix socket there costs
    about 10 us against over 600 us on an ext4 /tmp, which decides how fast
    a large instance starts.  Else the system's temporary folder."""
    if os.environ.get("TMPDIR"):
        return None
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


class Rundir:
    def __init__(self, path: Optional[str] = None, parent: Optional[str] = None) -> None:
        if path is None:
            # Named like flux-core's own rundirs: /tmp/flux-XXXXXX.
            self.path = tempfile.mkdtemp(prefix="flux-", dir=parent or default_parent())
            self.created = True
        else:
            self.path = os.path.abspath(path)
            self.created = not os.path.exists(self.path)
            os.makedirs(self.path, mode=0o700, exist_ok=True)
        os.chmod(self.path, 0o700)

    def remove(self) -> None:
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
