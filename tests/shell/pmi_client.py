"""A PMI-1 client in plain Python, speaking the wire protocol over PMI_FD.

Run as a job task (fakeflux's PMI driver or real ``flux run``); prints every
request and answer as ``R: C: ...`` / ``R: S: ...`` lines (R = PMI_RANK), so
that the conversation can be compared with real Flux's.

    python pmi_client.py SCENARIO SYNCDIR

SYNCDIR is a directory shared by the tasks, used to order them without PMI.
"""

from __future__ import annotations

import os
import socket
import sys
import time


class Client:
    def __init__(self) -> None:
        self.rank = int(os.environ["PMI_RANK"])
        self.size = int(os.environ["PMI_SIZE"])
        self.sock = socket.socket(fileno=int(os.environ["PMI_FD"]))
        self.pending = b""

    def log(self, line: str) -> None:
        # one write per line: the tasks may share one O_APPEND file
        os.write(1, line.encode() + b"\n")

    def send(self, line: str) -> None:
        self.log(f"{self.rank}: C: {line}")
        self.sock.sendall(line.encode() + b"\n")

    def recv(self) -> str:
        while b"\n" not in self.pending:
            data = self.sock.recv(4096)
            if not data:
                self.log(f"{self.rank}: S: EOF")
                sys.exit(3)
            self.pending += data
        line, _, self.pending = self.pending.partition(b"\n")
        text = line.decode()
        self.log(f"{self.rank}: S: {text}")
        return text

    def call(self, line: str) -> dict[str, str]:
        self.send(line)
        return dict(word.split("=", 1) for word in self.recv().split(" ", 3) if "=" in word)


def wait_for(path: str) -> None:
    while not os.path.exists(path):
        time.sleep(0.01)


def touch(path: str) -> None:
    with open(path, "w"):
        pass


def basic(c: Client, sync: str) -> None:
    c.call("cmd=init pmi_version=1 pmi_subversion=1")
    c.call("cmd=get_maxes")
    c.call("cmd=get_appnum")
    c.call("cmd=get_universe_size")
    kvs = c.call("cmd=get_my_kvsname")["kvsname"]
    for key in ("PMI_process_mapping", "flux.taskmap", "flux.instance-level", "flux.tbon-interface-hint"):
        c.call(f"cmd=get kvsname={kvs} key={key}")
    c.call(f"cmd=put kvsname={kvs} key=rank-{c.rank} value=value of {c.rank}")
    c.call(f"cmd=put kvsname={kvs} key=local::r{c.rank} value=local")
    c.call("cmd=barrier_in")
    for peer in range(c.size):
        c.call(f"cmd=get kvsname={kvs} key=rank-{peer}")
        c.call(f"cmd=get kvsname={kvs} key=local::r{peer}")
    # a put is seen at once on its own shell, elsewhere after a barrier
    if c.rank == 0:
        c.call(f"cmd=put kvsname={kvs} key=early value=1")
        touch(os.path.join(sync, "early"))
    else:
        wait_for(os.path.join(sync, "early"))
        c.call(f"cmd=get kvsname={kvs} key=early")
    c.call("cmd=barrier_in")
    c.call(f"cmd=get kvsname={kvs} key=early")
    if c.rank == 0:
        # errors and refusals
        c.call(f"cmd=get kvsname={kvs} key=missing")
        c.call(f"cmd=put kvsname={kvs} key={'k' * 64} value=v")
        c.call(f"cmd=put kvsname={kvs} key={'k' * 63} value=v")
        c.call(f"cmd=put kvsname={kvs} key=big value={'v' * 1024}")
        c.call(f"cmd=put kvsname={kvs} key=big value={'v' * 1023}")
        c.call(f"cmd=get kvsname={'n' * 64} key=big")
        c.call(f"cmd=get kvsname={kvs} key={'k' * 64}")
        c.call("cmd=publish_name service=s port=p")
        c.call("cmd=unpublish_name service=s")
        c.call("cmd=lookup_name service=s")
        c.send("mcmd=spawn")
        c.send("nprocs=1")
        c.send("execname=/bin/true")
        c.call("endcmd")
        c.call("cmd=init pmi_version=1 pmi_subversion=0")
        c.call("cmd=init pmi_version=2 pmi_subversion=0")
        c.call("cmd=init pmi_version=3 pmi_subversion=0")
        c.call("cmd=getxyz kvsname=x key=early")
        c.call("cmd=get_my_kvsname_please")
    c.call("cmd=finalize")


def abort(c: Client, sync: str) -> None:
    c.call("cmd=init pmi_version=1 pmi_subversion=1")
    if c.rank == 1:
        c.send("cmd=abort exitcode=7 error_msg=rank 1 gives up")
    c.call("cmd=barrier_in")


def bad_request(c: Client, sync: str) -> None:
    c.call("cmd=init pmi_version=1 pmi_subversion=1")
    if c.rank == 1:
        c.send("cmd=frobnicate")
    c.call("cmd=barrier_in")


def exit_early(c: Client, sync: str) -> None:
    c.call("cmd=init pmi_version=1 pmi_subversion=1")
    if c.rank == 1:
        sys.exit(5)
    c.call("cmd=barrier_in")


SCENARIOS = {"basic": basic, "abort": abort, "bad-request": bad_request, "exit-early": exit_early}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]](Client(), sys.argv[2])
