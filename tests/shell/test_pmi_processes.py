"""The PMI server with real processes: socketpairs, PMI_FD, the selector driver.

Two clients: tests/shell/pmi_client.py (plain Python speaking PMI-1) and an
mpi4py program on MPICH's own simple PMI client (mpich and mpi4py are test
extras).  Expectations were recorded from real Flux (flux-core 0.88, ``flux
start --test-size=2``, ``flux run -N2 -n4``).
"""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import sys
from pathlib import Path

import pytest

from fakeflux.io.pmi_driver import PmiDriver, spawn_tasks, task_socketpair
from fakeflux.shell import PmiAbort, PmiBarrierStranded, PmiFinalized, PmiProtocolError, PmiServer, TaskMap

HERE = Path(__file__).parent
CLIENT = str(HERE / "pmi_client.py")
KVS = "ƒWAasYT"  # the job id real Flux used for the recording


def two_node_server() -> PmiServer:
    # what `flux start --test-size=2` + `flux run -N2 -n4` gives the shells
    return PmiServer(4, KVS, taskmap=TaskMap.block([2, 2]), instance_level="0", tbon_interface_hint="default-route")


def run_client(tmp_path: Path, scenario: str, server: PmiServer) -> tuple[list[int], list[object], list[str]]:
    sync = tmp_path / "sync"
    sync.mkdir()
    out = tmp_path / "out"
    fds_before = sorted(os.listdir("/proc/self/fd"))
    with open(out, "ab") as stdout:
        codes, outcomes = spawn_tasks(server, [sys.executable, CLIENT, scenario, str(sync)], stdout=stdout)
    assert sorted(os.listdir("/proc/self/fd")) == fds_before  # sockets, pidfds, selector: all closed
    lines = out.read_text().splitlines()
    # each task's lines in its own order, tasks in rank order
    lines.sort(key=lambda line: int(line.split(":", 1)[0]))
    return codes, list(outcomes), lines


def test_plain_client_converses_as_with_real_flux(tmp_path: Path) -> None:
    codes, outcomes, lines = run_client(tmp_path, "basic", two_node_server())
    assert codes == [0, 0, 0, 0]
    expected = (HERE / "data" / "real_flux_basic.txt").read_text().splitlines()
    assert lines == expected
    assert sorted(o.task_rank for o in outcomes if isinstance(o, PmiFinalized)) == [0, 1, 2, 3]


def test_abort_kills_the_job(tmp_path: Path) -> None:
    codes, outcomes, lines = run_client(tmp_path, "abort", two_node_server())
    assert [o for o in outcomes if not isinstance(o, PmiFinalized)] == [PmiAbort(1, 7, "rank 1 gives up")]
    # real Flux: job.exception type=exec severity=0 "PMI_Abort: rank 1 gives up"
    assert PmiAbort(1, 7, "rank 1 gives up").note == "PMI_Abort: rank 1 gives up"
    assert "1: C: cmd=abort exitcode=7 error_msg=rank 1 gives up" in lines
    assert all(code in (0, -signal.SIGKILL) for code in codes)


def test_bad_request_kills_the_job(tmp_path: Path) -> None:
    codes, outcomes, lines = run_client(tmp_path, "bad-request", two_node_server())
    # nothing after the fatal error: the real shell is gone
    assert outcomes == [PmiProtocolError(1, b"cmd=frobnicate\n")]
    # the tasks waiting in the barrier were killed, none got barrier_out
    assert not any("barrier_out" in line for line in lines)
    assert sorted(codes) == [-signal.SIGKILL] * 3 + [codes[1]]


def test_task_exiting_early_does_not_hang_the_others(tmp_path: Path) -> None:
    codes, outcomes, lines = run_client(tmp_path, "exit-early", two_node_server())
    assert codes[1] == 5
    assert [codes[r] for r in (0, 2, 3)] == [-signal.SIGKILL] * 3
    (stranded,) = [o for o in outcomes if isinstance(o, PmiBarrierStranded)]
    assert stranded.missing == (1,)
    assert stranded.waiting and set(stranded.waiting) <= {0, 2, 3}


def run_mpi(tmp_path: Path, server: PmiServer) -> list[str]:
    assert importlib.util.find_spec("mpi4py") is not None, (
        "mpi4py is not importable: it is a test extra (pip install -e '.[test]' installs mpich and mpi4py)"
    )
    out = tmp_path / "out"
    with open(out, "ab") as stdout:
        codes, outcomes = spawn_tasks(server, [sys.executable, str(HERE / "mpi_allreduce.py")], stdout=stdout)
    assert codes == [0] * server.size, out.read_text()
    assert sorted(o.task_rank for o in outcomes if isinstance(o, PmiFinalized)) == list(range(server.size))
    return sorted(out.read_text().splitlines())


def test_mpi4py_on_one_node(tmp_path: Path) -> None:
    lines = run_mpi(tmp_path, PmiServer(4, "fakeJob1"))
    assert lines == [f"rank {r} of 4 sum 10 node-size 4" for r in range(4)]


def test_mpi4py_on_two_nodes(tmp_path: Path) -> None:
    # as real `flux run -N2 -n4` prints it: MPI sees 2 ranks per node
    lines = run_mpi(tmp_path, two_node_server())
    assert lines == [f"rank {r} of 4 sum 10 node-size 2" for r in range(4)]


def test_driver_writes_answers_a_slow_reader_has_not_taken_yet() -> None:
    # 2000 answers of ~1 KiB, far more than a socket buffer holds: the driver
    # must queue them and go on serving, not block
    server = PmiServer(1, KVS)
    server.receive(0, b"cmd=put kvsname=k key=big value=" + b"v" * 1023 + b"\n")
    shell_end, task_end = task_socketpair()
    with PmiDriver(server, {0: shell_end}) as driver, task_end:
        task_end.sendall(b"cmd=get kvsname=k key=big\n" * 2000)
        received = b""
        expected = (b"cmd=get_result rc=0 value=" + b"v" * 1023 + b"\n") * 2000
        while len(received) < len(expected):
            driver.pump(5.0)
            task_end.setblocking(False)
            try:
                received += task_end.recv(1 << 20)
            except BlockingIOError:
                pass
        assert received == expected


def test_driver_survives_a_task_closing_its_end() -> None:
    server = PmiServer(2, KVS)
    ends = [task_socketpair() for _ in range(2)]
    with PmiDriver(server, {r: ends[r][0] for r in range(2)}) as driver:
        ends[0][1].sendall(b"cmd=barrier_in\n")
        ends[0][1].close()  # gone before its barrier_out is written
        ends[1][1].sendall(b"cmd=barrier_in\n")
        for _ in range(100):
            if select.select([ends[1][1]], [], [], 0)[0]:
                break
            driver.pump(0.1)
        ends[1][1].settimeout(5)
        assert ends[1][1].recv(100) == b"cmd=barrier_out rc=0\n"
        ends[1][1].close()
    assert all(end.fileno() == -1 for end, _ in ends)


def test_spawn_tasks_reports_a_missing_program() -> None:
    with pytest.raises(FileNotFoundError):
        spawn_tasks(PmiServer(2, KVS), ["/nonexistent/mpi-program"])


def test_spawn_tasks_times_out_and_kills(tmp_path: Path) -> None:
    server = PmiServer(2, KVS)
    with pytest.raises(TimeoutError, match="PMI tasks still running after 0.5 s"):
        spawn_tasks(server, [sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    # nothing left behind: no child processes of ours
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _ppid(p) == os.getpid() and _is_sleeper(p)]


def _ppid(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def _is_sleeper(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"time.sleep(60)" in f.read()
    except OSError:
        return False
