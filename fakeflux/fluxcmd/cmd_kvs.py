"""``flux kvs`` (flux-core's flux-kvs.c): get, put, dir, ls, unlink, link, readlink,
mkdir, version, getroot, namespace list, eventlog append/get/wait-event."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from flux import constants as C  # type: ignore[import-not-found,unused-ignore]

from . import kvs_ops as kvs
from .common import die, die_err, error_text, open_handle, strerror
from .eventlog_fmt import EventlogFormatter
from .jsonfmt import dumps
from .optparse import OPTIONAL_ARG, REQUIRED_ARG, Option, OptParser, Parsed, command_list_usage
from .parse import parse_duration, parse_int

PROG = "flux-kvs"
NS = Option("namespace", "N", REQUIRED_ARG, usage="Specify KVS namespace to use.")
AT = Option("at", "a", REQUIRED_ARG, usage="Lookup relative to RFC 11 snapshot reference")
COLOR = Option(
    "color",
    "L",
    OPTIONAL_ARG,
    "WHEN",
    "Colorize output when supported; WHEN can be 'always' (default if omitted), 'never', or 'auto' (default).",
)


def _commit_out(what: str) -> List[Option]:
    return [
        Option("treeobj-root", "O", usage=f"Output resulting RFC11 root containing {what}"),
        Option("blobref", "b", usage=f"Output blobref of root containing {what}"),
        Option("sequence", "s", usage=f"Output root sequence of root containing {what}"),
    ]


COPY_OPTS = [
    Option("src-namespace", "S", REQUIRED_ARG, usage="Specify source key's namespace"),
    Option("dst-namespace", "D", REQUIRED_ARG, usage="Specify destination key's namespace"),
]

# name -> (usage, description, options, function); None usage prints "[OPTIONS]"
Sub = Tuple[Optional[str], str, List[Option], Callable[[OptParser, Parsed], int]]


def cmd_get(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    maxcount = parse_int("flux-kvs get", "count", o.get("count", "0") or "0")
    flags = 0
    if o.has("treeobj"):
        flags |= C.FLUX_KVS_TREEOBJ
    if o.has("watch"):
        flags |= C.FLUX_KVS_WATCH
        flags |= C.FLUX_KVS_WATCH_FULL if o.has("full") else 0
        flags |= C.FLUX_KVS_WATCH_UNIQ if o.has("uniq") else 0
        flags |= C.FLUX_KVS_WATCH_APPEND if o.has("append") else 0
    flags |= C.FLUX_KVS_WAITCREATE if o.has("waitcreate") else 0
    flags |= C.FLUX_KVS_STREAM if o.has("stream") else 0
    h = open_handle(PROG)
    streaming = o.has("watch") or o.has("stream")
    for key in o.args:
        try:
            future = kvs.lookup_send(h, o.get("namespace"), flags, key, o.get("at"))
        except OSError as exc:
            die_err(PROG, key, exc)
        count = 0
        have_output = False
        while True:
            try:
                obj = kvs.treeobj(future)
            except OSError as exc:
                if streaming and exc.errno == errno.ENODATA:
                    if o.has("stream") and have_output:
                        print()
                    break
                die_err(PROG, key, exc)
            label = f"{key}=" if o.has("label") else ""
            try:
                if o.has("treeobj"):
                    print(f"{label}{dumps(obj)}")
                elif o.has("raw"):
                    sys.stdout.write(label)
                    sys.stdout.flush()
                    sys.stdout.buffer.write(kvs.val_bytes(obj))
                else:
                    value = kvs.val_string(obj)
                    sys.stdout.write(label)
                    if value is not None:
                        sys.stdout.write(value if o.has("stream") else value + "\n")
                        have_output = True
            except OSError as exc:
                die_err(PROG, key, exc)
            sys.stdout.flush()
            if not streaming:
                break
            future.reset()
            count += 1
            if o.has("watch") and maxcount > 0 and count == maxcount:
                h.rpc("kvs-watch.cancel", {"matchtag": future.pimpl.get_matchtag()}, flags=C.FLUX_RPC_NORESPONSE)
                maxcount = -1  # wait for the ENODATA that ends the stream
    return 0


def cmd_put(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    commit_flags = (C.FLUX_KVS_NO_MERGE if o.has("no-merge") else 0) | (C.FLUX_KVS_SYNC if o.has("sync") else 0)
    h = open_handle(PROG)
    txn = kvs.Txn()
    for arg in o.args:
        key, eq, value = arg.partition("=")
        if not eq:
            die(PROG, "put: you must specify a value as key=value")
        if not key:
            die_err(PROG, key, OSError(errno.EINVAL, ""))
        if o.has("treeobj"):
            text = sys.stdin.read() if value == "-" else value
            try:
                obj = json.loads(text)
            except ValueError:
                die_err(PROG, key, OSError(errno.EINVAL, ""))
            txn.put_treeobj(key, obj)
            continue
        flags = C.FLUX_KVS_APPEND if o.has("append") else 0
        # stored as given, with no NUL (libkvs adds it when it hands a value back)
        if o.has("raw") and value == "-":
            data = sys.stdin.buffer.read()
        else:
            data = value.encode("utf-8", "surrogateescape")
        txn.put(key, data, flags)
    return _commit(h, o, txn, commit_flags, "flux_kvs_commit")


def _commit(h: Any, o: Parsed, txn: kvs.Txn, flags: int, what: str) -> int:
    try:
        result = txn.commit(h, o.get("namespace"), flags)
    except OSError as exc:
        die_err(PROG, what, exc)
    if o.has("treeobj-root"):
        print(dumps({"data": [result.get("rootref")], "type": "dirref", "ver": 1}))
    elif o.has("blobref"):
        print(result.get("rootref"))
    elif o.has("sequence"):
        print(result.get("rootseq"))
    return 0


def _window_width(o: Parsed) -> int:
    if o.has("width"):
        width = parse_int("flux-kvs ls", "width", o.get("width") or "")
        if width >= 0:
            return width
    if os.isatty(1):
        return shutil.get_terminal_size().columns
    try:
        return max(int(os.environ.get("COLUMNS", "80")), 0)
    except ValueError:
        return 80


def _kv_print(key: str, maxcol: int, value: str) -> None:
    if 0 < maxcol <= 3:
        maxcol = 0
    kv = f"{key} = {value}"
    overflow = False
    if maxcol:
        if len(kv) > maxcol - 3:
            kv = kv[: maxcol - 3]
            overflow = True
        nl = kv.find("\n")
        if nl >= 0:
            if kv[nl + 1 :]:
                overflow = True
            kv = kv[:nl]
    print(kv + ("..." if overflow else ""))


def _dump_dir(
    h: Any,
    ns: Optional[str],
    key: str,
    obj: Dict[str, Any],
    maxcol: int,
    recurse: bool,
    keys_only: bool,
    at: Optional[str],
) -> None:
    for name in kvs.entries(obj):
        child_key = kvs.key_at(key, name)
        child = obj["data"][name]
        kind = child.get("type")
        try:
            if kind == "symlink":
                data = child["data"]
                target = f"{data['namespace']}::{data['target']}" if "namespace" in data else data["target"]
                print(f"{child_key} -> {target}")
            elif kind in ("dir", "dirref"):
                if recurse:
                    sub = kvs.lookup(h, ns, C.FLUX_KVS_READDIR, child_key, at)
                    if not sub.get("data"):
                        print(f"{child_key}.")
                    else:
                        _dump_dir(h, ns, child_key, sub, maxcol, recurse, keys_only, at)
                else:
                    print(f"{child_key}.")
            elif keys_only:
                print(child_key)
            else:
                value_obj = kvs.lookup(h, ns, 0, child_key, at)
                try:
                    text = kvs.val_string(value_obj) or ""
                except OSError:
                    text = kvs.val_bytes(value_obj).decode("utf-8", "replace")
                _kv_print(child_key, maxcol, text)
        except OSError as exc:
            die_err(PROG, child_key, exc)


def cmd_dir(p: OptParser, o: Parsed) -> int:
    maxcol = _window_width(o)
    if len(o.args) > 1:
        die(PROG, "dir: specify zero or one directory")
    key = o.args[0] if o.args else "."
    h = open_handle(PROG)
    try:
        obj = kvs.lookup(h, o.get("namespace"), C.FLUX_KVS_READDIR, key, o.get("at"))
    except OSError as exc:
        die_err(PROG, key, exc)
    _dump_dir(h, o.get("namespace"), key, obj, maxcol, o.has("recursive"), o.has("directory"), o.get("at"))
    return 0


def _columns(names: Sequence[str], width: int, col_width: int = 0) -> None:
    if not names:
        return
    col_width = col_width or max(len(n) for n in names) + 4
    col = 0
    out = []
    last = 0
    for name in names:
        if width != 0 and col + col_width > width and col > 0:
            out.append("\n")
            col = 0
        elif last > 0:
            out.append(" " * (col_width - last))
        out.append(name)
        last = len(name)
        col += col_width
    if col > 0:
        out.append("\n")
    sys.stdout.write("".join(out))


def cmd_ls(p: OptParser, o: Parsed) -> int:
    width = 1 if o.has("1") else _window_width(o)
    ns = o.get("namespace")
    h = open_handle(PROG)
    dirs: List[str] = []
    singles: List[str] = []
    rc = 0
    for key in o.args or ["."]:
        nkey = key
        require_dir = False
        while len(nkey) > 1 and nkey.endswith("."):
            nkey = nkey[:-1]
            require_dir = True
        try:
            obj = kvs.lookup(h, ns, C.FLUX_KVS_TREEOBJ, nkey)
        except OSError as exc:
            sys.stdout.flush()
            sys.stderr.write(f"{nkey}: {strerror(exc)}\n")
            rc = 1
            continue
        kind = obj.get("type")
        if kind in ("dir", "dirref"):
            if o.has("directory"):
                singles.append(nkey + ("." if o.has("classify") else ""))
            else:
                dirs.append(nkey)
        elif require_dir:
            sys.stdout.flush()
            sys.stderr.write(f"{nkey}: Not a directory\n")
            rc = 1
            continue
        elif kind == "symlink" and not (o.has("classify") or o.has("directory")):
            try:
                kvs.val_bytes(kvs.lookup(h, ns, 0, nkey))
                singles.append(nkey)
            except OSError as exc:
                if exc.errno == errno.EISDIR:
                    dirs.append(nkey)
                elif exc.errno == errno.ENOENT:
                    singles.append(nkey)
                else:
                    die_err(PROG, nkey, exc)
        else:
            singles.append(nkey + ("@" if kind == "symlink" and o.has("classify") else ""))
    singles.sort()
    dirs.sort()
    label = vspace = False
    if singles:
        _columns(singles, width)
        label = vspace = True
    if o.has("recursive") or len(dirs) > 1:
        label = True
    for key in dirs:
        _list_dir(h, ns, key, o, width, label, vspace)
        vspace = True
    return rc


def _list_dir(h: Any, ns: Optional[str], key: str, o: Parsed, width: int, label: bool, vspace: bool) -> None:
    try:
        obj = kvs.lookup(h, ns, C.FLUX_KVS_READDIR, key)
    except OSError as exc:
        die_err(PROG, key, exc)
    if label:
        print(f"{chr(10) if vspace else ''}{key}:")
    names = []
    for name in kvs.entries(obj):
        child = obj["data"][name]
        suffix = ""
        if o.has("classify"):
            suffix = "." if kvs.is_dir(child) else "@" if child.get("type") == "symlink" else ""
        names.append(name + suffix)
    # the column width comes from the names alone, as list_kvs_dir_single measures them
    _columns(names, width, max((len(n) for n in kvs.entries(obj)), default=0) + 4)
    if o.has("recursive"):
        for name in kvs.entries(obj):
            if kvs.is_dir(obj["data"][name]):
                _list_dir(h, ns, kvs.key_at(key, name), o, width, label, True)


def cmd_unlink(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    ns = o.get("namespace")
    h = open_handle(PROG)
    txn = kvs.Txn()
    for key in o.args:
        try:
            obj = kvs.lookup(h, ns, C.FLUX_KVS_TREEOBJ, key)
        except OSError as exc:
            if exc.errno == errno.ENOENT and o.has("force"):
                continue
            die_err(PROG, f"cannot unlink '{key}'", exc)
        if obj.get("type") == "dir" and not o.has("recursive") and obj.get("data"):
            die_err(PROG, f"cannot unlink '{key}'", OSError(errno.ENOTEMPTY, ""))
        if obj.get("type") == "dirref" and not o.has("recursive"):
            try:
                if kvs.lookup(h, ns, C.FLUX_KVS_READDIR, key).get("data"):
                    raise OSError(errno.ENOTEMPTY, "")
            except OSError as exc:
                die_err(PROG, f"cannot unlink '{key}'", exc)
        txn.unlink(key)
    return _commit(h, o, txn, 0, "flux_kvs_commit")


def cmd_mkdir(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    h = open_handle(PROG)
    txn = kvs.Txn()
    for key in o.args:
        txn.mkdir(key)
    return _commit(h, o, txn, 0, "kvs_commit")


def cmd_link(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    if len(o.args) != 2:
        die(PROG, "link: specify target and link_name")
    h = open_handle(PROG)
    txn = kvs.Txn()
    txn.symlink(o.args[1], o.get("target-namespace"), o.args[0])
    return _commit(h, o, txn, 0, "flux_kvs_commit")


def cmd_readlink(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    h = open_handle(PROG)
    for key in o.args:
        try:
            obj = kvs.lookup(h, o.get("namespace"), C.FLUX_KVS_READLINK, key, o.get("at"))
            if obj.get("type") != "symlink":
                raise OSError(errno.EINVAL, "")
        except OSError as exc:
            die_err(PROG, key, exc)
        data = obj["data"]
        ns, target = data.get("namespace"), data["target"]
        if o.has("namespace-only") and ns:
            print(ns)
        elif o.has("key-only"):
            print(target)
        else:
            print(f"{ns}::{target}" if ns else target)
    return 0


def _copy(o: Parsed, name: str, unlink: bool) -> int:
    """flux_kvs_copy: the source's tree object put at the destination (in one commit
    with the source's unlink for move, when both are in one namespace)."""
    if len(o.args) != 2:
        die(PROG, f"{name}: specify srckey dstkey")
    src, dst = o.args
    src_ns, dst_ns = o.get("src-namespace"), o.get("dst-namespace")
    h = open_handle(PROG)
    what = f"flux_kvs_{name}"
    try:
        obj = kvs.lookup(h, src_ns, C.FLUX_KVS_TREEOBJ, src)
        txn = kvs.Txn()
        txn.put_treeobj(dst, obj)
        if unlink and kvs.namespace(src_ns) == kvs.namespace(dst_ns):
            txn.unlink(src)
            unlink = False
        txn.commit(h, dst_ns)
        if unlink:
            gone = kvs.Txn()
            gone.unlink(src)
            gone.commit(h, src_ns)
    except OSError as exc:
        die_err(PROG, what, exc)
    return 0


def cmd_copy(p: OptParser, o: Parsed) -> int:
    return _copy(o, "copy", unlink=False)


def cmd_move(p: OptParser, o: Parsed) -> int:
    return _copy(o, "move", unlink=True)


def cmd_version(p: OptParser, o: Parsed) -> int:
    h = open_handle(PROG)
    try:
        resp = h.rpc("kvs.getroot", {"namespace": kvs.namespace(o.get("namespace")), "flags": 0}).get()
    except OSError as exc:
        die_err(PROG, "flux_kvs_get_version", exc)
    print(resp["rootseq"])
    return 0


def cmd_getroot(p: OptParser, o: Parsed) -> int:
    h = open_handle(PROG)
    try:
        resp = h.rpc("kvs.getroot", {"namespace": kvs.namespace(o.get("namespace")), "flags": 0}).get()
    except OSError as exc:
        die_err(PROG, "flux_kvs_getroot", exc)
    if o.has("sequence"):
        print(resp["rootseq"])
    elif o.has("owner"):
        print(resp["owner"])
    elif o.has("blobref"):
        print(resp["rootref"])
    else:
        print(dumps({"data": [resp["rootref"]], "type": "dirref", "ver": 1}))
    return 0


def cmd_namespace(p: OptParser, o: Parsed) -> int:
    return _run_sub("flux-kvs namespace", NAMESPACE_SUBS, o.args, None)


FLUX_USERID_UNKNOWN = 0xFFFFFFFF  # the KVS makes the instance owner the namespace's owner


def cmd_namespace_create(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    owner = FLUX_USERID_UNKNOWN
    text = o.get("owner")
    if text is not None:
        if not text.isdigit():  # strtoul with nothing left over
            die(PROG, "--owner requires an unsigned integer argument")
        owner = int(text) & 0xFFFFFFFF
    h = open_handle(PROG)
    rootref = o.get("rootref")
    if rootref is None:  # flux_kvs_namespace_create: the empty directory's blobref
        from flux.kvs import _empty_dir_blobref  # type: ignore[import-not-found,unused-ignore]

        try:
            rootref = _empty_dir_blobref(h.attr_get("content.hash"))
        except OSError as exc:
            die_err(PROG, "flux_attr_get", exc)
    for name in o.args:
        try:
            h.rpc("kvs.namespace-create", {"namespace": name, "rootref": rootref, "owner": owner, "flags": 0}).get()
        except OSError as exc:
            die(PROG, f"{name}: {error_text(exc)}")
    return 0


def cmd_namespace_remove(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    h = open_handle(PROG)
    for name in o.args:
        try:
            h.rpc("kvs.namespace-remove", {"namespace": name}).get()
        except OSError as exc:
            die_err(PROG, name, exc)
    return 0


def cmd_namespace_list(p: OptParser, o: Parsed) -> int:
    h = open_handle(PROG)
    try:
        resp = h.rpc("kvs.namespace-list").get()
    except OSError as exc:
        die_err(PROG, "flux_kvs_namespace_list", exc)
    print("NAMESPACE                                 OWNER      FLAGS")
    for item in resp["namespaces"]:
        print(f"{item['namespace']:<36} {item['owner']:>10} 0x{item['flags']:08X}")
    return 0


NAMESPACE_SUBS: Dict[str, Sub] = {
    "create": (
        "[-o owner] [-r rootref] name [name...]",
        "Create a KVS namespace",
        [
            Option("owner", "o", REQUIRED_ARG, usage="Specify alternate namespace owner via userid"),
            Option("rootref", "r", REQUIRED_ARG, usage="Initialize namespace with specific root reference"),
        ],
        cmd_namespace_create,
    ),
    "remove": ("name [name...]", "Remove a KVS namespace", [], cmd_namespace_remove),
    "list": ("", "List namespaces on local rank", [], cmd_namespace_list),
}


def cmd_wait(p: OptParser, o: Parsed) -> int:
    if not o.args:
        p.print_usage()
        return 1
    if len(o.args) != 1:
        die(PROG, "wait: specify a version")
    digits = re.match(r"\s*\+?(\d*)", o.args[0])  # strtoul, junk ignored
    version = int(digits.group(1) or 0) if digits else 0
    h = open_handle(PROG)
    try:
        h.rpc("kvs.wait-version", {"rootseq": version, "namespace": kvs.namespace(o.get("namespace"))}).get()
    except OSError as exc:
        die_err(PROG, "flux_kvs_wait_version", exc)
    return 0


def _formatter(o: Parsed) -> EventlogFormatter:
    return EventlogFormatter("human" if o.has("human") else "raw", unformatted=o.has("unformatted"))


def cmd_eventlog_append(p: OptParser, o: Parsed) -> int:
    if len(o.args) < 2:
        p.print_usage()
        return 1
    key, name, *rest = o.args
    ts = float(o.get("timestamp") or 0) if o.has("timestamp") else time.time()
    entry: Dict[str, Any] = {"timestamp": ts, "name": name}
    if rest:
        text = " ".join(rest)
        try:
            context = json.loads(text)
            if not isinstance(context, dict):
                raise ValueError
        except ValueError:
            die_err(PROG, "eventlog_entry_pack", OSError(errno.EINVAL, ""))
        entry["context"] = context
    h = open_handle(PROG)
    txn = kvs.Txn()
    txn.put(key, (dumps(entry) + "\n").encode(), C.FLUX_KVS_APPEND)
    try:
        txn.commit(h, o.get("namespace"))
    except OSError as exc:
        die_err(PROG, "flux_kvs_commit", exc)
    return 0


def _eventlog_entries(obj: Dict[str, Any]) -> List[Dict[str, Any]]:
    from .eventlog_fmt import decode

    try:
        return decode(kvs.val_bytes(obj).rstrip(b"\0").decode())
    except ValueError:
        die(PROG, "cannot decode improperly formatted eventlog")


def cmd_eventlog_get(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 1:
        p.print_usage()
        return 1
    key = o.args[0]
    flags = (C.FLUX_KVS_WATCH | C.FLUX_KVS_WATCH_APPEND) if o.has("watch") else 0
    flags |= C.FLUX_KVS_WAITCREATE if o.has("waitcreate") else 0
    flags |= C.FLUX_KVS_STREAM if o.has("stream") else 0
    maxcount = parse_int("flux-kvs get", "count", o.get("count", "0") or "0")
    fmt = _formatter(o)
    h = open_handle(PROG)
    future = kvs.lookup_send(h, o.get("namespace"), flags, key)
    count = 0
    while True:
        try:
            obj = kvs.treeobj(future)
        except OSError as exc:
            if flags & (C.FLUX_KVS_WATCH | C.FLUX_KVS_STREAM) and exc.errno == errno.ENODATA:
                break
            die_err(PROG, "flux_kvs_lookup_get", exc)
        for entry in _eventlog_entries(obj):
            print(fmt.format(entry), flush=True)
            count += 1
            if maxcount and count == maxcount:
                return 0
        if not flags & (C.FLUX_KVS_WATCH | C.FLUX_KVS_STREAM):
            break
        future.reset()
    return 0


def cmd_eventlog_wait_event(p: OptParser, o: Parsed) -> int:
    if len(o.args) != 2:
        p.print_usage()
        return 1
    key, wanted = o.args
    timeout = (
        parse_duration("flux-kvs eventlog wait-event", "timeout", o.get("timeout") or "-1")
        if o.has("timeout")
        else -1.0
    )
    flags = C.FLUX_KVS_WATCH | C.FLUX_KVS_WATCH_APPEND
    flags |= C.FLUX_KVS_WAITCREATE if o.has("waitcreate") else 0
    fmt = _formatter(o)
    h = open_handle(PROG)
    future = kvs.lookup_send(h, o.get("namespace"), flags, key)
    deadline = None if timeout < 0 else time.monotonic() + timeout
    while True:
        try:
            if deadline is not None:
                future.wait_for(max(deadline - time.monotonic(), 0.0))
            obj = kvs.treeobj(future)
        except TimeoutError:
            die(PROG, f"wait-event timeout on event '{wanted}'")
        except OSError as exc:
            if exc.errno == errno.ETIMEDOUT:
                die(PROG, f"wait-event timeout on event '{wanted}'")
            if exc.errno == errno.ENOENT:
                die(PROG, f"eventlog path {key} not found")
            if exc.errno == errno.ENODATA:
                die(PROG, f"event '{wanted}' never received")
            die_err(PROG, "flux_kvs_lookup_get", exc)
        for entry in _eventlog_entries(obj):
            fmt.update_t0(float(entry["timestamp"]))
            if entry["name"] == wanted:
                if not o.has("quiet"):
                    print(fmt.format(entry), flush=True)
                return 0
            if o.has("verbose"):
                print(fmt.format(entry), flush=True)
        future.reset()


EVENTLOG_SUBS: Dict[str, Sub] = {
    "append": (
        "[-N ns] [-t SECONDS] key name [context ...]",
        "Append to eventlog",
        [NS, Option("timestamp", "t", REQUIRED_ARG, "SECONDS", "Specify timestamp in seconds since epoch")],
        cmd_eventlog_append,
    ),
    "get": (
        "[-N ns] [-u] [-W] [-w] [-c COUNT] [-H] [-S]  [-L auto|always|never] key",
        "Get eventlog",
        [
            NS,
            Option("waitcreate", "W", usage="Wait for creation to occur on watch"),
            Option("watch", "w", usage="Monitor eventlog"),
            Option("count", "c", REQUIRED_ARG, "COUNT", "Display at most COUNT events"),
            Option("unformatted", "u", usage="Show event in RFC 18 form"),
            Option("human", "H", usage="Display human-readable output"),
            COLOR,
            Option("stream", "S", usage="Return potentially large values in multiple responses."),
        ],
        cmd_eventlog_get,
    ),
    "wait-event": (
        "[-N ns] [-t seconds] [-u] [-W] [-q] [-v] [-L auto|always|never] key event",
        "Wait for an event",
        [
            NS,
            Option("waitcreate", "W", usage="Wait for creation to occur on eventlog"),
            Option("timeout", "t", REQUIRED_ARG, "DURATION", "timeout after DURATION"),
            Option("unformatted", "u", usage="Show event in RFC 18 form"),
            Option("quiet", "q", usage="Do not output matched event"),
            Option("verbose", "v", usage="Output all events before matched event"),
            Option("human", "H", usage="Display human-readable output"),
            COLOR,
        ],
        cmd_eventlog_wait_event,
    ),
}


def cmd_eventlog(p: OptParser, o: Parsed) -> int:
    return _run_sub("flux-kvs eventlog", EVENTLOG_SUBS, o.args, None)


SUBS: Dict[str, Sub] = {
    "namespace": (None, "Perform KVS namespace operations", [], cmd_namespace),
    "get": (
        "[-N ns] [-r|-t] [-a treeobj] [-l] [-W] [-w] [-u] [-A] [-f] [-S] [-c COUNT] key [key...]",
        "Get value stored under key",
        [
            NS,
            Option("raw", "r", usage="Interpret value(s) as raw data"),
            Option("treeobj", "t", usage="Show RFC 11 object"),
            AT,
            Option("label", "l", usage="Print key= before value"),
            Option("waitcreate", "W", usage="Wait for creation to occur on watch"),
            Option("watch", "w", usage="Monitor key writes"),
            Option("uniq", "u", usage="Only monitor key writes if values have changed"),
            Option("append", "A", usage="Only monitor key appends"),
            Option("full", "f", usage="Monitor key changes with more complete accuracy"),
            Option("count", "c", REQUIRED_ARG, "COUNT", "Display at most COUNT changes"),
            Option("stream", "S", usage="Return potentially large values in multiple responses."),
        ],
        cmd_get,
    ),
    "put": (
        "[-N ns] [-O|-b|-s] [-r|-t] [-n] [-A] [-S] key=value [key=value...]",
        "Store value under key",
        [
            NS,
            *_commit_out("puts"),
            Option("raw", "r", usage="Store value(s) as-is without adding NULL termination"),
            Option("treeobj", "t", usage="Store RFC 11 object"),
            Option("no-merge", "n", usage="Set the NO_MERGE flag to ensure commit is standalone"),
            Option("append", "A", usage="Append value(s) to key instead of overwriting"),
            Option("sync", "S", usage="Flushes content and checkpoints after completing put"),
        ],
        cmd_put,
    ),
    "dir": (
        "[-N ns] [-R] [-d] [-w COLS] [-a treeobj] [key]",
        "Display all keys under directory",
        [
            NS,
            Option("recursive", "R", usage="Recursively display keys under subdirectories"),
            Option("directory", "d", usage="List directory entries and not values"),
            Option("width", "w", REQUIRED_ARG, usage="Set output width to COLS.  0 means no limit"),
            AT,
        ],
        cmd_dir,
    ),
    "ls": (
        "[-N ns] [-R] [-d] [-F] [-w COLS] [-1] [key...]",
        "List directory",
        [
            NS,
            Option("recursive", "R", usage="List directory recursively"),
            Option("directory", "d", usage="List directory instead of contents"),
            Option("width", "w", REQUIRED_ARG, usage="Set output width to COLS.  0 means no limit"),
            Option("1", "1", usage="Force one entry per line"),
            Option("classify", "F", usage="Append indicator (one of .@) to entries"),
        ],
        cmd_ls,
    ),
    "unlink": (
        "[-N ns] [-O|-b|-s] [-R] [-f] key [key...]",
        "Remove key",
        [
            NS,
            *_commit_out("unlinks"),
            Option("recursive", "R", usage="Remove directory contents recursively"),
            Option("force", "f", usage="ignore nonexistent files"),
        ],
        cmd_unlink,
    ),
    "link": (
        "[-N ns] [-T ns] [-O|-b|-s] target linkname",
        "Create a new name for target",
        [
            NS,
            Option("target-namespace", "T", REQUIRED_ARG, usage="Specify target's namespace"),
            *_commit_out("link"),
        ],
        cmd_link,
    ),
    "readlink": (
        "[-N ns] [-a treeobj] [ -o | -k ] key [key...]",
        "Retrieve the key a link refers to",
        [
            NS,
            AT,
            Option("namespace-only", "o", usage="Output only namespace if link points to a namespace"),
            Option("key-only", "k", usage="Output only key if link points to a namespace"),
        ],
        cmd_readlink,
    ),
    "mkdir": ("[-N ns] [-O|-b|-s] key [key...]", "Create a directory", [NS, *_commit_out("new directory")], cmd_mkdir),
    "copy": ("[-S src-ns] [-D dst-ns] source destination", "Copy source key to destination key", COPY_OPTS, cmd_copy),
    "move": ("[-S src-ns] [-D dst-ns] source destination", "Move source key to destination key", COPY_OPTS, cmd_move),
    "version": ("[-N ns]", "Display current KVS version", [NS], cmd_version),
    "wait": ("[-N ns] version", "Block until the KVS reaches version", [NS], cmd_wait),
    "getroot": (
        "[-N ns] [-s|-o|-b]",
        "Get KVS root treeobj",
        [
            NS,
            Option("sequence", "s", usage="Show sequence number"),
            Option("owner", "o", usage="Show owner"),
            Option("blobref", "b", usage="Show blobref"),
        ],
        cmd_getroot,
    ),
    "eventlog": (None, "Manipulate a KVS eventlog", [], cmd_eventlog),
}

# What `flux kvs` lists (flux-core also has copy, move, wait and sync, which fakeflux's KVS lacks).
LISTED = [
    ("namespace", "Perform KVS namespace operations"),
    ("get", "Get value stored under key"),
    ("put", "Store value under key"),
    ("dir", "Display all keys under directory"),
    ("ls", "List directory"),
    ("unlink", "Remove key"),
    ("link", "Create a new name for target"),
    ("readlink", "Retrieve the key a link refers to"),
    ("mkdir", "Create a directory"),
    ("copy", "Copy source key to destination key"),
    ("move", "Move source key to destination key"),
    ("version", "Display current KVS version"),
    ("wait", "Block until the KVS reaches version"),
    ("getroot", "Get KVS root treeobj"),
    ("sync", "sync content and checkpoint to disk"),
    ("eventlog", "Manipulate a KVS eventlog"),
]


def _top_usage() -> str:
    return command_list_usage(PROG, LISTED)


def _run_sub(fullname: str, subs: Dict[str, Sub], args: List[str], top_usage: Optional[str]) -> int:
    if not args or args[0] not in subs:
        if top_usage is not None:
            sys.stderr.write(top_usage)
            return 1
        lines = [
            f"{'Usage' if i == 0 else 'or':>5}: {fullname} {name} {'[OPTIONS]' if usage is None else usage}"
            for i, (name, (usage, _doc, _opts, _fn)) in enumerate(subs.items())
        ]
        message = "missing subcommand" if not args else f"Unknown subcommand: {args[0]}"
        sys.stderr.write(f"{fullname}: {message}\n" + "\n".join(lines) + "\n")
        group_doc = SUBS[fullname.rsplit(" ", 1)[-1]][1]  # the group's own line, as optparse prints it
        sys.stderr.write(f"{group_doc}\n")
        sys.stderr.write(OptParser(fullname).usage_text().split("\n", 1)[1])
        return 1
    usage, doc, options, fn = subs[args[0]]
    parser = OptParser(f"{fullname} {args[0]}", usage, options, description=doc)
    if args[0] in ("namespace", "eventlog"):
        return fn(parser, Parsed(args=args[1:]))
    return fn(parser, parser.parse(args[1:]))


def main(argv: List[str]) -> int:
    top = OptParser(PROG, "[OPTIONS] COMMAND ARGS")
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        sys.stderr.write(_top_usage())
        return 1
    opts = top.parse(argv[1:])
    return _run_sub(PROG, SUBS, opts.args, _top_usage())
