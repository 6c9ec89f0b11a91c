"""The instance's run directory: private (mode 0700) when made here, and
removed only then; a given one is used as it is."""

from __future__ import annotations

import errno
import os
import random
import shutil
import stat
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


class RundirError(ValueError):
    """A run directory that cannot be used, said as the real broker says it."""


def _check_dir(path: str) -> None:
    """What flux-core's ``rundir_checkdir`` requires of a run directory."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise RundirError(f"rundir cannot stat {path}: {exc.strerror}") from None
    if st.st_uid != os.getuid():
        raise RundirError(f"rundir {path} is not owned by instance owner: {os.strerror(errno.EPERM)}")
    if not stat.S_ISDIR(st.st_mode):
        raise RundirError(f"rundir {path}: {os.strerror(errno.ENOTDIR)}")
    if st.st_mode & stat.S_IRWXU != stat.S_IRWXU:
        raise RundirError(f"rundir {path} does not have owner=rwx permissions")


class Rundir:
    """Where the rank sockets go, chosen as flux-core's broker chooses it.

    Without a path, a new private ``flux-XXXXXX``.  A given path that does
    not exist is made (mode 0700); one that exists is used as it is, its
    mode untouched (it may be a folder others need); a sticky one (/tmp)
    gets a new private ``flux-XXXXXX`` inside it.  Only what was made here
    is removed afterwards (``created``).
    """

    def __init__(self, path: Optional[str] = None, parent: Optional[str] = None) -> None:
        self.created = True
        if path is None:
            # Named like flux-core's own rundirs: /tmp/flux-XXXXXX.
            self.path = _make_private_dir(parent or default_parent() or tempfile.gettempdir())
            return
        self.path = os.path.abspath(path)
        try:
            st: Optional[os.stat_result] = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise RundirError(f"rundir cannot stat {self.path}: {exc.strerror}") from None
        if st is None:
            try:
                os.makedirs(self.path, mode=0o700)
            except OSError as exc:
                raise RundirError(f"rundir error creating {self.path}: {exc.strerror}") from None
        elif stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
            try:
                self.path = _make_private_dir(self.path)
            except OSError as exc:
                raise RundirError(f"rundir cannot create directory in {self.path}: {exc.strerror}") from None
        else:
            self.created = False
            _check_dir(self.path)

    def remove(self) -> None:
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
