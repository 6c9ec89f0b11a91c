"""What the job manager needs of an exec back end (job-exec's part in
flux-core).  Two implement it: :class:`~fakeflux.broker.jobs.exec_sim.SimulatedExec`
(flux-core's test executor, simulated time) and the local one that runs real
processes through the IO layer.

A back end reports back through the job manager: ``exec_init``/``exec_starting``
as the job shell comes up, ``tasks_complete(job, wait_status)`` when every
task has exited, ``expired(job)`` when the time limit passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Protocol, Tuple

if TYPE_CHECKING:
    from fakeflux.broker.jobs.filemap import FileEntry
    from fakeflux.broker.jobs.model import Job


class ExecBackend(Protocol):
    def start(self, job: Job) -> None:
        """Resources are allocated: start the job's tasks."""

    def kill(self, job: Job, signum: int) -> None:
        """``flux job kill``: send ``signum`` to the running tasks."""

    def terminate(self, job: Job, signum: int) -> None:
        """A fatal exception hit the running job: end its tasks (``signum``
        first, escalating as job-exec does)."""

    def shutdown(self) -> None:
        """The instance stops: end every task and release what is held."""


# -- what the local back end needs of the IO layer --------------------------------------------
class TaskSpec:
    """One task to start: a process in a process group of its own.

    ``stdin``: a file path to read, or None for a pipe the back end writes
    with :meth:`ProcessHost.write_input`.  ``stdout``/``stderr``: a file path
    to append to (truncated first when ``truncate`` names that stream), or None
    for a pipe whose data comes back through ``on_output``.  ``pass_fds``
    stay open in the child (the PMI socket)."""

    __slots__ = ("argv", "env", "cwd", "stdin", "stdout", "stderr", "truncate", "pass_fds", "channel")

    def __init__(self, argv: List[str], env: Dict[str, str], cwd: Optional[str], *,
                 stdin: Optional[str] = None, stdout: Optional[str] = None, stderr: Optional[str] = None,
                 truncate: Tuple[str, ...] = (), pass_fds: Tuple[int, ...] = (),
                 channel: Optional[str] = None) -> None:
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.truncate = truncate
        self.pass_fds = pass_fds
        # flux_cmd_add_channel: a socketpair whose task end is open in the
        # task, its number in this environment variable ("PMI_FD")
        self.channel = channel


# on_output(stream, data): "stdout"/"stderr" bytes as they come, b"" once at EOF.
OutputCallback = Callable[[str, bytes], None]
# on_exit(wait_status): the raw wait status, once the process has exited and its pipes are at EOF.
ExitCallback = Callable[[int], None]
# on_channel(data): bytes the task wrote on its channel, b"" once at EOF.
ChannelCallback = Callable[[bytes], None]


class ProcessHost(Protocol):
    """Processes, pipes and directories for the local exec back end; the
    broker core calls it and never touches the operating system itself
    (``fakeflux.io.processes.LocalProcessHost`` is the implementation)."""

    def spawn(self, spec: TaskSpec, on_output: OutputCallback, on_exit: ExitCallback,
              on_channel: Optional[ChannelCallback] = None) -> int:
        """Start the task; its pid (also its process group id).  OSError, with
        errno as execvp(2) set it, when it cannot start."""

    def write_channel(self, pgid: int, data: bytes) -> None:
        """Write to a task's channel (gone already: nothing)."""

    def signal(self, pgid: int, signum: int) -> None:
        """Send ``signum`` to a task's process group (gone already: nothing)."""

    def write_input(self, pgid: int, data: bytes, eof: bool) -> None:
        """Feed a task's stdin pipe; close it at ``eof``."""

    def prepare_output(self, path: str, truncate: bool) -> None:
        """Create (and truncate) an output file as the shell opens it at
        init; OSError when it cannot be opened for writing."""

    def check_readable(self, path: str) -> None:
        """OSError when ``path`` cannot be opened for reading (an input file)."""

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a directory one can change into."""

    def make_dir(self, path: str) -> None:
        """mkdir -m 0700, an existing directory is fine."""

    def remove_tree(self, path: str) -> None:
        """Remove a directory and what is in it (gone already: nothing)."""

    def write_files(self, directory: str, entries: List[FileEntry]) -> None:
        """Write an RFC 37 archive's entries under ``directory`` (the shell's
        files plugin); OSError at the first that cannot be written."""

    def shutdown(self) -> None:
        """Kill every process group still alive, reap it, close every pipe."""
