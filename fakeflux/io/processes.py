"""Job tasks as real processes, driven by the broker's selectors loop: the
implementation of :class:`fakeflux.broker.jobs.exec.ProcessHost`.

Each task is a child in a process group of its own (as flux-core's job shell
starts tasks), its stdout/stderr pipes read without blocking on the loop
thread, and its exit noticed through a pidfd registered with the selector
(Linux 5.3+), else by polling ``waitpid`` on a short timer.  A task is
reported complete once it has exited *and* its output pipes are at EOF, so a
job's output is whole before its ``finish``.  :meth:`LocalProcessHost.shutdown`
kills and reaps every group still alive and closes every descriptor.
"""

from __future__ import annotations

import errno
import os
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Set

from fakeflux.broker.jobs.exec import ChannelCallback, ExitCallback, OutputCallback, TaskSpec
from fakeflux.broker.jobs.filemap import FileEntry
from fakeflux.io.filestage import write_entries
from fakeflux.io.nonblock import recv_ready

# How often a task's exit is polled for where pidfds are not available.
POLL_INTERVAL = 0.01
READ_SIZE = 65536
LINGERING_PRUNE_AT = 64  # lingering groups kept before the gone ones are dropped


class _Task:
    """One running task and the descriptors the loop watches for it."""

    def __init__(self, proc: subprocess.Popen[bytes], on_output: OutputCallback, on_exit: ExitCallback) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.on_output = on_output
        self.on_exit = on_exit
        self.pipes: Dict[int, str] = {}  # read end -> stream name
        self.stdin: Optional[int] = None  # write end of the stdin pipe
        self.stdin_buffer = b""
        self.stdin_eof = False
        self.pidfd: Optional[int] = None
        self.channel: Optional[socket.socket] = None  # our end of the task's channel (PMI_FD)
        self.on_channel: Optional[ChannelCallback] = None
        self.channel_out = b""
        self.status: Optional[int] = None  # raw wait status once reaped
        self.reported = False


class LocalProcessHost:
    def __init__(self, selector: selectors.BaseSelector,
                 call_later: Callable[[float, Callable[[], None]], None]) -> None:
        self.selector = selector
        self.call_later = call_later
        self.tasks: Dict[int, _Task] = {}  # by pid (= process group id)
        self.spawned = 0
        self.killed: List[int] = []  # groups shutdown() had to kill (for leak checks)
        # Groups of finished tasks that still had a process (a child left running in the
        # background): shutdown() kills them too, so nothing a job started outlives the instance.
        self.lingering: Set[int] = set()
        self.spare_dirs = SpareDirs()

    # -- starting -----------------------------------------------------------------------
    def spawn(self, spec: TaskSpec, on_output: OutputCallback, on_exit: ExitCallback,
              on_channel: Optional[ChannelCallback] = None) -> int:
        child_fds: List[int] = []
        parent_fds: List[int] = []
        channel: Optional[socket.socket] = None
        try:
            env, pass_fds = spec.env, tuple(spec.pass_fds)
            if spec.channel is not None:
                channel, task_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                child_fds.append(task_end.detach())
                env = {**env, spec.channel: str(child_fds[-1])}
                pass_fds += (child_fds[-1],)
            stdin_fd, stdin_w = self._stdin(spec, child_fds, parent_fds)
            outputs: Dict[int, str] = {}
            std: Dict[str, int] = {}
            opened: Dict[str, int] = {}
            for stream, path in (("stdout", spec.stdout), ("stderr", spec.stderr)):
                if path is None:
                    r, w = os.pipe2(os.O_CLOEXEC)
                    parent_fds.append(r)
                    child_fds.append(w)
                    outputs[r] = stream
                    std[stream] = w
                elif path in opened:
                    std[stream] = opened[path]  # one file for both streams, one offset
                else:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                    if stream in spec.truncate:
                        flags |= os.O_TRUNC
                    fd = os.open(path, flags, 0o666)
                    child_fds.append(fd)
                    opened[path] = std[stream] = fd
            proc = subprocess.Popen(
                spec.argv, stdin=stdin_fd, stdout=std["stdout"], stderr=std["stderr"], env=env,
                cwd=spec.cwd, pass_fds=pass_fds, close_fds=True, **_own_process_group(),
            )
        except BaseException:
            for fd in child_fds + parent_fds:
                os.close(fd)
            if channel is not None:
                channel.close()
            raise
        for fd in child_fds:
            os.close(fd)
        task = _Task(proc, on_output, on_exit)
        task.stdin = stdin_w
        if channel is not None and on_channel is not None:
            channel.setblocking(False)
            task.channel, task.on_channel = channel, on_channel
            self.selector.register(channel, selectors.EVENT_READ, lambda: self._channel_readable(task))
        elif channel is not None:
            channel.close()
        self.tasks[task.pid] = task
        self.spawned += 1
        for fd, stream in outputs.items():
            os.set_blocking(fd, False)
            task.pipes[fd] = stream
            self.selector.register(fd, selectors.EVENT_READ, lambda fd=fd: self._readable(task, fd))
        self._watch_exit(task)
        return task.pid

    @staticmethod
    def _stdin(spec: TaskSpec, child_fds: List[int], parent_fds: List[int]) -> Any:
        if spec.stdin is not None:
            fd = os.open(spec.stdin, os.O_RDONLY | os.O_CLOEXEC)
            child_fds.append(fd)
            return fd, None
        r, w = os.pipe2(os.O_CLOEXEC)
        child_fds.append(r)
        parent_fds.append(w)
        os.set_blocking(w, False)
        return r, w

    def _watch_exit(self, task: _Task) -> None:
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                task.pidfd = pidfd_open(task.pid)
            except OSError:
                task.pidfd = None
        if task.pidfd is not None:
            self.selector.register(task.pidfd, selectors.EVENT_READ, lambda: self._reap(task))
        else:
            self._poll(task)

    def _poll(self, task: _Task) -> None:
        if task.status is None and self._reap(task) is None and task.pid in self.tasks:
            self.call_later(POLL_INTERVAL, lambda: self._poll(task))

    # -- running ------------------------------------------------------------------------
    def _readable(self, task: _Task, fd: int) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        stream = task.pipes[fd]
        if not data:
            self.selector.unregister(fd)
            os.close(fd)
            del task.pipes[fd]
        task.on_output(stream, data)
        self._maybe_done(task)

    def _reap(self, task: _Task) -> Optional[int]:
        try:
            pid, status = os.waitpid(task.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = task.pid, 0
        if pid == 0:
            return None
        task.status = status
        task.proc.returncode = _exitcode(status)  # so Popen never waits for it again
        if task.pidfd is not None:
            self.selector.unregister(task.pidfd)
            os.close(task.pidfd)
            task.pidfd = None
        self._maybe_done(task)
        return status

    def _maybe_done(self, task: _Task) -> None:
        if task.status is None or task.pipes or task.reported:
            return
        task.reported = True
        self._close_stdin(task)
        self._close_channel(task)
        self.tasks.pop(task.pid, None)
        if _has_member(task.pid):
            if len(self.lingering) >= LINGERING_PRUNE_AT:
                self.lingering = {pgid for pgid in self.lingering if _has_member(pgid)}
            self.lingering.add(task.pid)
        task.on_exit(task.status)

    def _channel_readable(self, task: _Task) -> None:
        sock = task.channel
        if sock is None:
            return
        data = recv_ready(sock)
        if data is None:
            return
        if not data:
            self._close_channel(task)
        if task.on_channel is not None:
            task.on_channel(data)

    def write_channel(self, pgid: int, data: bytes) -> None:
        task = self.tasks.get(pgid)
        if task is None or task.channel is None:
            return
        task.channel_out += data
        self._flush_channel(task)

    def _flush_channel(self, task: _Task) -> None:
        sock = task.channel
        if sock is None:
            return
        try:
            while task.channel_out:
                n = sock.send(task.channel_out)
                task.channel_out = task.channel_out[n:]
        except BlockingIOError:
            self.selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self._channel_events(task))
            return
        except OSError:
            task.channel_out = b""
        self.selector.modify(sock, selectors.EVENT_READ, lambda: self._channel_readable(task))

    def _channel_events(self, task: _Task) -> Callable[[], None]:
        def both() -> None:
            self._flush_channel(task)
            self._channel_readable(task)
        return both

    def _close_channel(self, task: _Task) -> None:
        sock, task.channel = task.channel, None
        if sock is not None:
            if sock.fileno() in self.selector.get_map():
                self.selector.unregister(sock)
            sock.close()

    def signal(self, pgid: int, signum: int) -> None:
        task = self.tasks.get(pgid)
        if task is None:
            return  # not ours, or finished: never signal a group id that may be reused
        try:
            os.killpg(pgid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def write_input(self, pgid: int, data: bytes, eof: bool) -> None:
        task = self.tasks.get(pgid)
        if task is None or task.stdin is None or task.stdin_eof:
            return
        task.stdin_buffer += data
        task.stdin_eof = eof
        self._flush_stdin(task)

    def _flush_stdin(self, task: _Task) -> None:
        fd = task.stdin
        if fd is None:
            return
        try:
            while task.stdin_buffer:
                n = os.write(fd, task.stdin_buffer)
                task.stdin_buffer = task.stdin_buffer[n:]
        except BlockingIOError:
            events = self.selector.get_map().get(fd)
            if events is None:
                self.selector.register(fd, selectors.EVENT_WRITE, lambda: self._flush_stdin(task))
            return
        except OSError:  # EPIPE: the task closed its stdin
            task.stdin_buffer = b""
            task.stdin_eof = True
        if fd in self.selector.get_map():
            self.selector.unregister(fd)
        if task.stdin_eof:
            self._close_stdin(task)

    def _close_stdin(self, task: _Task) -> None:
        fd, task.stdin = task.stdin, None
        if fd is not None:
            if fd in self.selector.get_map():
                self.selector.unregister(fd)
            os.close(fd)

    # -- files and directories ----------------------------------------------------------------
    def prepare_output(self, path: str, truncate: bool) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | (os.O_TRUNC if truncate else 0)
        os.close(os.open(path, flags, 0o666))

    def check_readable(self, path: str) -> None:
        os.close(os.open(path, os.O_RDONLY | os.O_CLOEXEC))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path) and os.access(path, os.X_OK)

    def make_dir(self, path: str) -> None:
        if self.spare_dirs.reuse(path):
            return
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass

    def remove_tree(self, path: str) -> None:
        if not self.spare_dirs.keep(path):
            shutil.rmtree(path, ignore_errors=True)

    def write_files(self, directory: str, entries: List[FileEntry]) -> None:
        write_entries(directory, entries)

    # -- tearing down -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Kill every task's process group, reap it, close its descriptors
        (without reporting: the instance is going away)."""
        for task in list(self.tasks.values()):
            task.reported = True
            self.killed.append(task.pid)
            try:
                os.killpg(task.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if task.status is None:
                try:
                    _, status = os.waitpid(task.pid, 0)
                    task.proc.returncode = _exitcode(status)
                except ChildProcessError:
                    task.proc.returncode = -signal.SIGKILL
            for fd in [*task.pipes, *([task.pidfd] if task.pidfd is not None else [])]:
                if fd in self.selector.get_map():
                    self.selector.unregister(fd)
                os.close(fd)
            task.pipes.clear()
            task.pidfd = None
            self._close_stdin(task)
            self._close_channel(task)
        self.tasks.clear()
        for pgid in sorted(self.lingering):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                continue  # gone meanwhile
            self.killed.append(pgid)
        self.lingering.clear()
        self.spare_dirs.clear()

    def live(self) -> List[int]:
        """Process groups of tasks not yet reaped."""
        return sorted(pid for pid, task in self.tasks.items() if task.status is None)


class SpareDirs:
    """Emptied FLUX_JOB_TMPDIRs kept (renamed aside, hidden, in the same
    directory) to become the next job's, instead of ``rmdir`` then ``mkdir``.

    Why: on ext4 mounted with ``discard`` (as on the development VM) freeing
    a directory's block waits for the device, ~2.5 ms of wall time per job,
    more than spawning the task; two renames cost ~80 µs.  What a job sees is
    unchanged: its tmpdir exists, empty, mode 0700, with a fresh mtime, from
    its start, and is gone (renamed away) before the job's shell exits.
    Anything unusual (a file that will not go, a changed owner, a rename
    that fails) falls back to really removing the directory."""

    LIMIT = 16  # spares kept per parent directory

    def __init__(self) -> None:
        self.spares: Dict[str, List[str]] = {}  # parent directory -> spare paths
        self.made = 0

    def reuse(self, path: str) -> bool:
        """Rename a spare to ``path``; False when there is none (or ``path``
        exists: then mkdir decides, as without spares)."""
        spares = self.spares.get(os.path.dirname(path))
        if not spares or os.path.lexists(path):
            return False
        spare = spares.pop()
        try:
            os.rename(spare, path)
            os.utime(path)
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
            return False
        return True

    def keep(self, path: str) -> bool:
        """Empty ``path`` and keep it as a spare; False when it must be removed."""
        parent = os.path.dirname(path)
        spares = self.spares.setdefault(parent, [])
        if len(spares) >= self.LIMIT:
            return False
        try:
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                return False
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
            if stat.S_IMODE(st.st_mode) != 0o700:
                os.chmod(path, 0o700)
            self.made += 1
            spare = os.path.join(parent, f".jobtmp-spare-{os.getpid()}-{self.made}")
            os.rename(path, spare)
        except OSError:
            return False
        spares.append(spare)
        return True

    def clear(self) -> None:
        for spares in self.spares.values():
            for spare in spares:
                shutil.rmtree(spare, ignore_errors=True)
        self.spares.clear()


def _has_member(pgid: int) -> bool:
    """Whether process group ``pgid`` still has a process (a zombie counts)."""
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _exitcode(status: int) -> int:
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status


def _own_process_group() -> Dict[str, Any]:
    """Popen keywords that put the child in a process group of its own
    (``process_group`` from Python 3.11; before it, a new session does)."""
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"start_new_session": True}


def live_groups(pgids: List[int], wait: float = 1.0) -> List[int]:
    """Which of these process groups still have a process, after giving
    killed ones up to ``wait`` seconds to go."""
    deadline = time.monotonic() + wait
    while True:
        alive = [p for p in pgids if group_alive(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.01)


def group_alive(pgid: int) -> bool:
    """Whether a process that is not a zombie is left in group ``pgid`` (for
    leak checks: a killed grandchild stays a zombie until its new parent
    reaps it, which is not ours to wait for)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        entries = []
    if not entries:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except OSError as exc:
            return exc.errno != errno.ESRCH
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False
