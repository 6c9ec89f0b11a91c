"""RFC 37 file archives (``attributes.system.files`` of a jobspec, as ``flux
batch`` puts its script there): what the job shell's ``files`` plugin writes
into FLUX_JOB_TMPDIR before any task starts, decoded here without touching
the disk (the IO layer writes the entries).

An archive is an object ``{path: fileref}`` or an array of filerefs that
name their own ``path``; a fileref has an integer ``mode`` (file type and
permission bits), optional ``size``/``mtime``/``ctime``, ``encoding`` and
``data``.  Regular file data is utf-8 or base64 text, or (no encoding) any
JSON value written as compact JSON; a symlink's ``data`` is its target; a
directory has none.  Errors are worded as flux-core's libfilemap words them
(recorded on flux-core v0.88)."""

from __future__ import annotations

import base64
import binascii
import stat
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple

from fakeflux.broker.jobs.eventlog import dumps as compact_json
from fakeflux.broker.jobs.local_run import json_type


class FilemapError(Exception):
    """The archive cannot be extracted; the text is the shell's log message."""


class FileEntry(NamedTuple):
    path: str  # relative to the directory extracted into (an absolute one stays absolute)
    kind: str  # "file", "dir" or "symlink"
    mode: int  # permission bits (the process umask still applies, as for libarchive)
    data: bytes  # a file's content; a symlink's target
    mtime: Optional[int]


def _fields(path: Optional[str], ref: Any) -> Tuple[str, int, Optional[int], Any, Any]:
    if not isinstance(ref, dict):
        raise FilemapError(f"error decoding fileref object: Expected object, got {json_type(ref)}")
    for key, kind in (("path", str), ("encoding", str)):
        if key in ref and not isinstance(ref[key], kind):
            raise FilemapError(f"error decoding fileref object: Expected string, got {json_type(ref[key])}")
    for key in ("mode", "size", "mtime", "ctime"):
        value = ref.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise FilemapError(f"error decoding fileref object: Expected integer, got {json_type(value)}")
    if "mode" not in ref:
        raise FilemapError("error decoding fileref object: Object item not found: mode")
    name = ref.get("path", path)
    if not isinstance(name, str):
        raise FilemapError("error decoding fileref object: Object item not found: path")
    return name, int(ref["mode"]), ref.get("mtime"), ref.get("encoding"), ref.get("data")


def _content(path: str, encoding: Optional[str], data: Any) -> bytes:
    if data is None:
        return b""
    if encoding is None:
        return compact_json(data).encode("utf-8")
    if encoding == "base64":
        try:
            if not isinstance(data, str):
                raise ValueError("not a string")
            return base64.b64decode(data.encode("ascii"), validate=True)
        except (ValueError, binascii.Error):
            raise FilemapError(f"{path}: could not decode base64 file data") from None
    if encoding == "utf-8":
        if not isinstance(data, str):
            raise FilemapError(f"{path}: unexpected data type for utf8")
        return data.encode("utf-8")
    if encoding == "blobvec":  # content-store references: not kept by fakeflux
        raise FilemapError(f"{path}: blobvec encoding is not supported by fakeflux")
    raise FilemapError(f"{path}: unknown RFC 37 encoding {encoding}")


def _refs(files: Any) -> Iterator[Tuple[Optional[str], Any]]:
    if isinstance(files, dict):
        yield from files.items()
    elif isinstance(files, list):
        for ref in files:
            yield None, ref


def entries(files: Any) -> Tuple[List[FileEntry], Optional[str]]:
    """The archive's entries in order up to the first bad one, and what is
    wrong with that one (None: all good); the ones before it are still
    written, as libarchive writes each entry as it reads it."""
    out: List[FileEntry] = []
    try:
        for key, ref in _refs(files):
            out.append(_entry(key, ref))
    except FilemapError as exc:
        return out, str(exc)
    return out, None


def _entry(key: Optional[str], ref: Any) -> FileEntry:
    path, mode, mtime, encoding, data = _fields(key, ref)
    perms = stat.S_IMODE(mode)
    if stat.S_ISREG(mode):
        return FileEntry(path, "file", perms, _content(path, encoding, data), mtime)
    if stat.S_ISLNK(mode):
        if not isinstance(data, str):
            raise FilemapError(f"{path}: missing symlink data")
        return FileEntry(path, "symlink", perms, data.encode("utf-8"), mtime)
    if stat.S_ISDIR(mode):
        return FileEntry(path, "dir", perms, b"", mtime)
    raise FilemapError(f"{path}: unknown file type (mode=0{mode:o})")
