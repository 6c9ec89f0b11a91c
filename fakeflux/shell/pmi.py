"""The job shell's simple PMI-1 server, without IO.

flux-core's job shell gives every task one end of a socketpair, says which in
``PMI_FD`` (with ``PMI_RANK`` and ``PMI_SIZE``), and answers the PMI-1 wire
protocol (RFC 13) on the other end, so that MPI programs (MPICH's "simple"
PMI client, Flux's own libpmi) bootstrap.  :class:`PmiServer` is that
protocol engine and the shell's key-value exchange, as plain objects: it is
handed the bytes a task sent and returns the bytes to write back.  Whoever
owns the sockets (:mod:`fakeflux.io.pmi_driver`, the exec back end's event
loop) does the reading and writing.

What it reproduces of flux-core (``src/shell/pmi/`` and the simple server of
``src/common/libpmi/``):

* every command and answer, with flux-core's limits (``kvsname_max=64
  keylen_max=64 vallen_max=1024``) and error codes; ``publish_name``,
  ``unpublish_name``, ``lookup_name`` and ``mcmd=spawn`` are refused;
* one shell per node of the task map.  A ``put`` is visible at once to the
  tasks of the same shell and to the others after the next barrier, which
  completes once every task of every shell has entered it (tasks entering
  are counted, as flux-core counts them);
* the keys the shell publishes itself: ``PMI_process_mapping``,
  ``flux.taskmap``, ``flux.instance-level`` and
  ``flux.tbon-interface-hint``, all local to each shell;
* what ends a job: ``cmd=abort`` raises the ``exec`` exception ``PMI_Abort:
  MSG``; a request the protocol does not know makes the shell die with
  ``PMI-1 wire protocol error`` (unless an abort came first).  These are
  reported as outcomes (:meth:`PmiServer.take_outcomes`) for the caller to
  act on, never raised.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final, Optional, Union

from fakeflux.shell import keyval
from fakeflux.shell.taskmap import TaskMap

# The limits flux-core's server announces (cmd=maxes).  Names and keys must
# be shorter than their maximum, values too, as its parser counts them.
KVSNAME_MAX: Final = 64
KEYLEN_MAX: Final = 64
VALLEN_MAX: Final = 1024

# PMI-1 return codes (pmi.h)
PMI_SUCCESS: Final = 0
PMI_FAIL: Final = -1
PMI_ERR_INVALID_KEY: Final = 4
PMI_ERR_INVALID_KEY_LENGTH: Final = 5
PMI_ERR_INVALID_VAL_LENGTH: Final = 7
PMI_ERR_INVALID_LENGTH: Final = 8

# Past this many bytes without a newline, the shell's channel buffer is full
# and what it holds is handed over as if it were a line (libsubprocess).
CHANNEL_BUFSIZE: Final = 4 * 1024 * 1024

PROTOCOL_ERROR_NOTE: Final = "PMI-1 wire protocol error"
SLURM_PMI2_WARNING: Final = "is application unintentionally using slurm libpmi2.so?"
MAPPING_OVERFLOW_WARNING: Final = "PMI_process_mapping overflows PMI max value."


# The exception note of a job whose shell plugin failed to initialize (recorded
# from real Flux: the shell reports its init failure with a stale errno)
SETUP_FAILURE_NOTE: Final = "shell_init: No such file or directory"


class PmiSetupError(ValueError):
    """The shell's PMI plugin could not start (bad option or attribute).  The
    real shell logs this text as an ERROR of component ``pmi-simple``, then
    ``plugin 'pmi-simple': shell.init failed``, and the job gets the fatal
    ``exec`` exception :data:`SETUP_FAILURE_NOTE`."""


@dataclass(frozen=True)
class PmiAbort:
    """A task sent ``cmd=abort``.  The real shell raises a fatal job
    exception of type ``exec`` (severity 0) with :attr:`note` and keeps
    serving until the job is killed; ``exit_code`` is what the client asked
    for and the shell ignores it."""

    task_rank: int
    exit_code: int
    message: str

    @property
    def note(self) -> str:
        return f"PMI_Abort: {self.message}"


@dataclass(frozen=True)
class PmiProtocolError:
    """A task sent a request the protocol does not know.  The real shell logs
    :attr:`note` as FATAL, SIGKILLs every task, raises the ``exec``
    exception (severity 0) with that note and exits with status 1.  The
    server answers nothing more once this happened."""

    task_rank: int
    line: bytes
    note: str = PROTOCOL_ERROR_NOTE


@dataclass(frozen=True)
class PmiWarning:
    """Something the real shell logs at warning level (``shell_warn``)."""

    task_rank: Optional[int]
    text: str


@dataclass(frozen=True)
class PmiFinalized:
    """A task sent ``cmd=finalize`` (and got its ``finalize_ack``)."""

    task_rank: int


@dataclass(frozen=True)
class PmiBarrierStranded:
    """Tasks wait in a barrier that can no longer complete, because tasks it
    needs have exited.  flux-core's PMI server does nothing about this: the
    job shell's exit-timeout (first task exit + 30 s by default, or at once
    with ``-o exit-on-error`` when the task failed) kills the job.  This
    outcome tells the caller the waiting tasks will not get further by
    themselves; it is reported once per barrier."""

    waiting: tuple[int, ...]
    missing: tuple[int, ...]  # tasks that exited or finalized without entering


PmiOutcome = Union[PmiAbort, PmiProtocolError, PmiWarning, PmiFinalized, PmiBarrierStranded]


@dataclass
class _Task:
    rank: int
    shell: _Shell
    buffer: bytearray = field(default_factory=bytearray)
    spawning: bool = False  # between mcmd=spawn and endcmd
    finalized: bool = False
    exited: bool = False
    in_barrier: bool = False  # entered the current barrier (counted, even if it exited since)


@dataclass
class _Shell:
    """One job shell: the tasks of one node, with their share of the KVS."""

    index: int
    size: int
    barrier_count: int = 0
    # tasks that have sent anything, in order: every one of them gets barrier_out
    clients: dict[int, None] = field(default_factory=dict)
    # keys never exchanged (set by the shell, or put as "local::...")
    local: dict[bytes, bytes] = field(default_factory=dict)
    # put since the last barrier, visible here only until it is exchanged
    pending: dict[bytes, bytes] = field(default_factory=dict)
    exchanged: dict[bytes, bytes] = field(default_factory=dict)
    in_exchange: bool = False


def simple_pmi_enabled(pmi_option: object) -> bool:
    """Whether the shell option ``-o pmi=LIST`` leaves simple PMI on.

    ``None`` (no option) means on; otherwise LIST, comma separated, must name
    ``simple`` (or ``pmi1``/``pmi2``, its aliases).  A non-string raises
    :class:`PmiSetupError` with the shell's message."""
    if pmi_option is None:
        return True
    if not isinstance(pmi_option, str):
        raise PmiSetupError("pmi shell option must be a string")
    names = pmi_option.split(",")
    return any(name in names for name in ("simple", "pmi1", "pmi2"))


@dataclass(frozen=True)
class PmiSimpleOptions:
    """The shell option ``pmi-simple`` (``-o pmi-simple.nomap=1`` ...)."""

    nomap: bool = False
    exchange_k: int = 2  # fan-out of the shells' exchange tree (no effect here)
    warnings: tuple[str, ...] = ()  # what shell rank 0 logs at warning level


def _json_type(value: object) -> str:
    # the type names jansson puts in its unpack errors
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    for kind, name in ((int, "integer"), (float, "real"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _unpacked_left(obj: dict[str, object], known: tuple[str, ...]) -> None:
    left = [key for key in obj if key not in known]
    if left:
        raise PmiSetupError(f"option error: {len(left)} object item(s) left unpacked: {', '.join(left)}")


def pmi_simple_options(config: object, shell_size: int) -> PmiSimpleOptions:
    """Parse the ``pmi-simple`` shell option (None: not given) as the shell
    does, for a job of ``shell_size`` shells; :class:`PmiSetupError` with the
    shell's message when it is wrong."""
    if config is None:
        return PmiSimpleOptions()
    if not isinstance(config, dict):
        raise PmiSetupError(f"option error: Expected object, got {_json_type(config)}")
    kvs = config.get("kvs", "exchange")
    if not isinstance(kvs, str):
        raise PmiSetupError(f"option error: Expected string, got {_json_type(kvs)}")
    k = 0
    exchange = config.get("exchange", {})
    if not isinstance(exchange, dict):
        raise PmiSetupError(f"option error: Expected object, got {_json_type(exchange)}")
    if "k" in exchange:
        k = exchange["k"]
        if not isinstance(k, int) or isinstance(k, bool):
            raise PmiSetupError(f"option error: Expected integer, got {_json_type(k)}")
    _unpacked_left(exchange, ("k",))
    nomap = config.get("nomap", 0)
    if not isinstance(nomap, int) or isinstance(nomap, bool):
        raise PmiSetupError(f"option error: Expected integer, got {_json_type(nomap)}")
    _unpacked_left(config, ("kvs", "exchange", "nomap"))
    if kvs != "exchange":
        raise PmiSetupError(f"Unknown kvs implementation {kvs}")
    warnings: tuple[str, ...] = ()
    if k <= 0:
        k = 2
    elif k > shell_size:
        k = shell_size
        warnings = (f"requested exchange fanout too large, using k={k}",)
    else:
        warnings = (f"using k={k}",)
    return PmiSimpleOptions(nomap=nomap != 0, exchange_k=k, warnings=warnings)


def pmi_environment(task_rank: int, size: int, fd: int) -> dict[str, str]:
    """The variables the shell sets for a task's PMI: ``PMI_FD`` (the task's
    end of its socketpair, as numbered in the task), ``PMI_RANK``, ``PMI_SIZE``.

    The real shell also prepends its libpmi directory to ``LD_LIBRARY_PATH``
    and sets ``FLUX_PMI_LIBRARY_PATH``; fakeflux ships no libpmi.so, so it
    sets neither."""
    return {"PMI_FD": str(fd), "PMI_RANK": str(task_rank), "PMI_SIZE": str(size)}


class PmiServer:
    """The PMI-1 server of one job's shells.

    ``PmiServer(size, kvsname, appnum=0, *, taskmap=None, instance_level="0",
    tbon_interface_hint=None, nomap=False)``:

    * ``size``: the job's number of tasks (``PMI_SIZE``, the universe size);
    * ``kvsname``: the name ``get_my_kvsname`` returns (flux-core uses the job
      id in F58); no white space, shorter than 64 bytes;
    * ``taskmap``: a :class:`~fakeflux.shell.taskmap.TaskMap` of ``size``
      tasks (default: all on one node); one shell per node;
    * ``instance_level``, ``tbon_interface_hint``: the values of the broker
      attributes of the same names (``None``: unset), which the shell
      publishes as ``flux.instance-level`` (plus one) and
      ``flux.tbon-interface-hint``;
    * ``nomap``: the ``-o pmi-simple.nomap`` option (no ``PMI_process_mapping``
      nor ``flux.taskmap``).

    Bad arguments raise :class:`ValueError` (:class:`PmiSetupError` where the
    real shell would fail the job).  Then:

    * ``receive(task_rank, data) -> list[tuple[int, bytes]]``: ``data`` came
      from task ``task_rank``'s socket (any split: partial lines are kept
      until their newline); returns ``(task_rank, bytes)`` pairs to write, in
      order.  A completed barrier answers every task that has spoken.
    * ``task_exited(task_rank)``: the task's process is gone.
    * ``take_outcomes() -> list[PmiOutcome]``: what happened since the last
      call that the caller must act on (abort, protocol error, warnings,
      finalize, stranded barrier).  Never raised: wire input cannot make
      these methods raise.
    * ``failed``: a protocol error killed the shell; nothing more is answered.
      ``aborted``: a task sent ``cmd=abort``.
    * ``get(task_rank, key)``: the value a ``get`` would answer, for inspection.
    """

    def __init__(
        self,
        size: int,
        kvsname: str,
        appnum: int = 0,
        *,
        taskmap: Optional[TaskMap] = None,
        instance_level: Optional[str] = "0",
        tbon_interface_hint: Optional[str] = None,
        nomap: bool = False,
    ) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be a positive integer, not {size!r}")
        name = kvsname.encode()
        if not name or len(name) >= KVSNAME_MAX or any(c in b" \t\n\v\f\r" for c in name):
            raise ValueError(f"kvsname must be 1 to {KVSNAME_MAX - 1} bytes without white space, not {kvsname!r}")
        if taskmap is None:
            taskmap = TaskMap.block([size])
        if taskmap.ntasks != size:
            raise ValueError(f"taskmap places {taskmap.ntasks} tasks, the job has {size}")
        self.size = size
        self.kvsname = name
        self.appnum = appnum
        self.taskmap = taskmap
        self.failed = False
        self.aborted = False
        self._outcomes: list[PmiOutcome] = []
        self._replies: list[tuple[int, bytes]] = []
        self._stranded_reported = False

        nodes = taskmap.task_nodes()
        per_node = Counter(nodes)
        empty = [i for i in range(taskmap.nnodes) if i not in per_node]
        if empty:
            # every shell runs at least one task; a shell without would hold every barrier
            raise ValueError(f"taskmap leaves node {empty[0]} without tasks")
        self._shells = [_Shell(index=i, size=per_node[i]) for i in range(taskmap.nnodes)]
        self._tasks = [_Task(rank=r, shell=self._shells[node]) for r, node in enumerate(nodes)]
        self._publish_shell_keys(taskmap, instance_level, tbon_interface_hint, nomap)

    def _publish_shell_keys(
        self,
        taskmap: TaskMap,
        instance_level: Optional[str],
        tbon_interface_hint: Optional[str],
        nomap: bool,
    ) -> None:
        keys: dict[bytes, bytes] = {}
        if not nomap:
            mapping = taskmap.encode_pmi().encode()
            if len(mapping) > VALLEN_MAX:
                # MPICH copes with a missing key (it only skips a shortcut)
                self._outcomes.append(PmiWarning(None, MAPPING_OVERFLOW_WARNING))
            else:
                keys[b"PMI_process_mapping"] = mapping
        if instance_level is not None:
            if not instance_level.isdigit() or not instance_level.isascii():
                raise PmiSetupError(f"set_flux_instance_level level={instance_level} invalid")
            keys[b"flux.instance-level"] = str(int(instance_level) + 1).encode()
        if tbon_interface_hint is not None:
            keys[b"flux.tbon-interface-hint"] = tbon_interface_hint.encode()
        if not nomap:
            wrapped = taskmap.encode().encode()
            if len(wrapped) > VALLEN_MAX:
                raise PmiSetupError(f"flux.taskmap is {len(wrapped)} bytes, more than the PMI value limit {VALLEN_MAX}")
            keys[b"flux.taskmap"] = wrapped
        for shell in self._shells:
            shell.local.update(keys)

    # -- the interface -------------------------------------------------------

    def receive(self, task_rank: int, data: bytes) -> list[tuple[int, bytes]]:
        task = self._task(task_rank)
        task.buffer += data
        while not self.failed:
            end = task.buffer.find(b"\n")
            if end >= 0:
                line = bytes(task.buffer[: end + 1])
            elif len(task.buffer) >= CHANNEL_BUFSIZE:
                line = bytes(task.buffer[:CHANNEL_BUFSIZE])
            else:
                break
            del task.buffer[: len(line)]
            self._request(task, line)
        replies, self._replies = self._replies, []
        return replies

    def task_exited(self, task_rank: int) -> None:
        task = self._task(task_rank)
        task.exited = True
        task.buffer.clear()  # a line without its newline at EOF is dropped, as the shell does
        self._check_stranded()

    def take_outcomes(self) -> list[PmiOutcome]:
        outcomes, self._outcomes = self._outcomes, []
        return outcomes

    def get(self, task_rank: int, key: str) -> Optional[str]:
        """The value ``get`` would answer task ``task_rank`` (for tests and
        inspection), or None."""
        value = self._lookup(self._task(task_rank).shell, key.encode())
        return None if value is None else value.decode(errors="surrogateescape")

    # -- the protocol engine ---------------------------------------------------

    def _task(self, task_rank: int) -> _Task:
        if not isinstance(task_rank, int) or not 0 <= task_rank < self.size:
            raise ValueError(f"task rank must be 0..{self.size - 1}, not {task_rank!r}")
        return self._tasks[task_rank]

    def _reply(self, task: _Task, text: bytes) -> None:
        self._replies.append((task.rank, text))

    def _request(self, task: _Task, line: bytes) -> None:
        # the shell hands the engine a C string: it ends at the first NUL
        nul = line.find(b"\0")
        if nul >= 0:
            line = line[:nul]
        task.shell.clients.setdefault(task.rank, None)
        if task.spawning:
            # a spawn's lines are read and ignored up to endcmd, then refused
            if line == b"endcmd\n":
                task.spawning = False
                self._reply(task, b"cmd=spawn_result rc=-1\n")
            return
        cmd = _command(line)
        if cmd is None:
            self._protocol_error(task, line)
            return
        handler = getattr(self, "_cmd_" + cmd)
        handler(task, line)

    def _protocol_error(self, task: _Task, line: bytes) -> None:
        # After an abort, the tasks being killed may send anything: the real
        # shell does not let that turn the abort into a shell failure.
        if self.aborted:
            return
        self.failed = True
        self._outcomes.append(PmiProtocolError(task.rank, line))

    def _cmd_init(self, task: _Task, line: bytes) -> None:
        version = keyval.parse_uint(line, b"pmi_version")
        subversion = keyval.parse_uint(line, b"pmi_subversion")
        if version is None or subversion is None:
            self._protocol_error(task, line)
        elif version < 1 or (version == 1 and subversion < 1):
            self._reply(task, b"cmd=response_to_init rc=-1\n")
        elif version == 2:
            if task.rank == 0:
                self._outcomes.append(PmiWarning(task.rank, SLURM_PMI2_WARNING))
            self._reply(task, b"cmd=response_to_init rc=-1\n")
        else:
            self._reply(task, b"cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n")

    def _cmd_get_maxes(self, task: _Task, line: bytes) -> None:
        self._reply(
            task,
            b"cmd=maxes rc=0 kvsname_max=%d keylen_max=%d vallen_max=%d\n" % (KVSNAME_MAX, KEYLEN_MAX, VALLEN_MAX),
        )

    def _cmd_abort(self, task: _Task, line: bytes) -> None:
        code = keyval.parse_uint(line, b"exitcode")
        if code is None:
            code = keyval.parse_uint(line, b"exit_code")
        message = keyval.parse_string(line, b"error_msg", VALLEN_MAX)
        text = message.decode(errors="replace") if isinstance(message, bytes) else "aborted"
        if not self.aborted:  # the shell raises one exception: later ones are not logged
            self._outcomes.append(PmiAbort(task.rank, 1 if code is None else code, text))
        self.aborted = True

    def _cmd_finalize(self, task: _Task, line: bytes) -> None:
        task.finalized = True
        self._reply(task, b"cmd=finalize_ack rc=0\n")
        self._outcomes.append(PmiFinalized(task.rank))
        self._check_stranded()

    def _cmd_get_universe_size(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=universe_size rc=0 size=%d\n" % self.size)

    def _cmd_get_appnum(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=appnum rc=0 appnum=%d\n" % self.appnum)

    def _cmd_get_my_kvsname(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=my_kvsname rc=0 kvsname=%s\n" % self.kvsname)

    def _cmd_put(self, task: _Task, line: bytes) -> None:
        # the kvsname is checked for length, then ignored (one job, one KVS)
        name = keyval.parse_word(line, b"kvsname", KVSNAME_MAX)
        key = keyval.parse_word(line, b"key", KEYLEN_MAX)
        value = keyval.parse_string(line, b"value", VALLEN_MAX)
        for parsed, code in (
            (name, PMI_ERR_INVALID_LENGTH),
            (key, PMI_ERR_INVALID_KEY_LENGTH),
            (value, PMI_ERR_INVALID_VAL_LENGTH),
        ):
            if parsed is keyval.LEN_EXCEEDED:
                self._reply(task, b"cmd=put_result rc=%d\n" % code)
                return
            if parsed is None:
                self._protocol_error(task, line)
                return
        assert isinstance(key, bytes) and isinstance(value, bytes)
        shell = task.shell
        (shell.local if key.startswith(b"local::") else shell.pending)[key] = value
        self._reply(task, b"cmd=put_result rc=0\n")

    def _cmd_get(self, task: _Task, line: bytes) -> None:
        name = keyval.parse_word(line, b"kvsname", KVSNAME_MAX)
        key = keyval.parse_word(line, b"key", KEYLEN_MAX)
        for parsed, code in ((name, PMI_ERR_INVALID_LENGTH), (key, PMI_ERR_INVALID_KEY_LENGTH)):
            if parsed is keyval.LEN_EXCEEDED:
                self._reply(task, b"cmd=get_result rc=%d\n" % code)
                return
            if parsed is None:
                self._protocol_error(task, line)
                return
        assert isinstance(key, bytes)
        value = self._lookup(task.shell, key)
        if value is None:
            self._reply(task, b"cmd=get_result rc=%d\n" % PMI_ERR_INVALID_KEY)
        else:
            self._reply(task, b"cmd=get_result rc=0 value=%s\n" % value)

    def _lookup(self, shell: _Shell, key: bytes) -> Optional[bytes]:
        for scope in (shell.local, shell.pending, shell.exchanged):
            if key in scope:
                return scope[key]
        return None

    def _cmd_barrier_in(self, task: _Task, line: bytes) -> None:
        task.in_barrier = True
        shell = task.shell
        shell.barrier_count += 1
        if shell.barrier_count == shell.size:
            if len(self._shells) == 1:
                # a lone shell completes at once, and keeps its puts pending
                self._barrier_exit(shell)
            else:
                shell.in_exchange = True
                if all(s.in_exchange for s in self._shells):
                    self._exchange()
        self._check_stranded()

    def _exchange(self) -> None:
        # Each shell sends what was put on it since the last barrier up the
        # exchange tree, and gets back everything the shells put.
        merged: dict[bytes, bytes] = {}
        for shell in self._shells:
            merged.update(shell.pending)
        for shell in self._shells:
            shell.exchanged.update(merged)
            shell.pending.clear()
            shell.in_exchange = False
            self._barrier_exit(shell)

    def _barrier_exit(self, shell: _Shell) -> None:
        shell.barrier_count = 0
        self._stranded_reported = False
        for rank in shell.clients:
            self._tasks[rank].in_barrier = False
            self._reply(self._tasks[rank], b"cmd=barrier_out rc=0\n")

    def _cmd_publish_name(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=publish_result rc=-1 msg=command not implemented\n")

    def _cmd_unpublish_name(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=unpublish_result rc=-1 msg=command not implemented\n")

    def _cmd_lookup_name(self, task: _Task, line: bytes) -> None:
        self._reply(task, b"cmd=lookup_result rc=-1 msg=command not implemented\n")

    def _cmd_spawn(self, task: _Task, line: bytes) -> None:
        task.spawning = True

    def _check_stranded(self) -> None:
        """Report tasks stuck in a barrier that can no longer complete: counting
        each task still able to enter (alive, not finalized, not yet in) once."""
        if self._stranded_reported or self.failed or self.aborted:
            return  # reported already, or the job is going down anyway
        waiting = tuple(t.rank for t in self._tasks if t.in_barrier and not t.exited)
        if not waiting:
            return
        for shell in self._shells:
            if shell.in_exchange:
                continue
            can_still_enter = sum(
                1 for t in self._tasks if t.shell is shell and not (t.exited or t.finalized or t.in_barrier)
            )
            if shell.barrier_count + can_still_enter < shell.size:
                self._stranded_reported = True
                missing = tuple(t.rank for t in self._tasks if (t.exited or t.finalized) and not t.in_barrier)
                self._outcomes.append(PmiBarrierStranded(waiting=waiting, missing=missing))
                return


# Commands in the order flux-core tests them: a command matches by prefix,
# so "get_maxes" must be tried before "get".
_COMMANDS: Final = (
    (b"cmd", b"init", "init"),
    (b"cmd", b"get_maxes", "get_maxes"),
    (b"cmd", b"abort", "abort"),
    (b"cmd", b"finalize", "finalize"),
    (b"cmd", b"get_universe_size", "get_universe_size"),
    (b"cmd", b"get_appnum", "get_appnum"),
    (b"cmd", b"get_my_kvsname", "get_my_kvsname"),
    (b"cmd", b"put", "put"),
    (b"cmd", b"get", "get"),
    (b"cmd", b"barrier_in", "barrier_in"),
    (b"cmd", b"publish_name", "publish_name"),
    (b"cmd", b"unpublish_name", "unpublish_name"),
    (b"cmd", b"lookup_name", "lookup_name"),
    (b"mcmd", b"spawn", "spawn"),
)


def _command(line: bytes) -> Optional[str]:
    for key, match, name in _COMMANDS:
        if keyval.is_word(line, key, match):
            return name
    return None
