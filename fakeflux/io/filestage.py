"""Writing a job's RFC 37 file archive into its FLUX_JOB_TMPDIR, as the job
shell's ``files`` plugin extracts it with libarchive: parent directories
made as needed, an existing file replaced, permission bits under the
process umask, the modification time when the archive gives one."""

from __future__ import annotations

import os
from typing import Iterable

from fakeflux.broker.jobs.filemap import FileEntry


def write_entries(directory: str, entries: Iterable[FileEntry]) -> None:
    """Write each entry under ``directory``; OSError at the first failure."""
    for entry in entries:
        path = os.path.join(directory, entry.path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, 0o755, exist_ok=True)
        if entry.kind == "dir":
            os.makedirs(path, entry.mode, exist_ok=True)
        else:
            if os.path.lexists(path) and not os.path.isdir(path):
                os.unlink(path)
            if entry.kind == "symlink":
                os.symlink(entry.data.decode("utf-8"), path)
                continue
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, entry.mode)
            try:
                view = memoryview(entry.data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        if entry.mtime is not None:
            os.utime(path, (entry.mtime, entry.mtime))
