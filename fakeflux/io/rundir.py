"""The instance's run directory: private (mode 0700), removed when we made it."""

from __future__ import annotations

import os
import random
import shutil
import string
import tempfile
from typing import Optional


def _make_private_dir(parent: str) -> str:
    """A new mode-0700 ``flux-XXXXXX`` folder: six letters and digits, the
    shape of flux-core's own rundir names (mkdtemp's template)."""
    alphabet = string.ascii_letters + string.digits
    for _ in range(100):
        path = os.path.join(parent, "flux-" + "".join(random.choice(alphabet) for _ in range(6)))
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not make a new rundir in {parent}")


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
            self.path = _make_private_dir(parent or default_parent() or tempfile.gettempdir())
            self.created = True
        else:
            self.path = os.path.abspath(path)
            self.created = not os.path.exists(self.path)
            os.makedirs(self.path, mode=0o700, exist_ok=True)
        os.chmod(self.path, 0o700)

    def remove(self) -> None:
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
