"""An MPI program for the PMI tests: allreduce of rank+1 over COMM_WORLD.

Run as N tasks with PMI_FD/PMI_RANK/PMI_SIZE set (fakeflux's PMI driver, or
``flux run -n N``); each prints ``rank R of N sum S host-ranks H``.
"""

from __future__ import annotations

import os

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
total = comm.allreduce(rank + 1, op=MPI.SUM)
# ranks sharing this "node" as MPI sees it (from PMI_process_mapping)
local = comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
assert rank == int(os.environ["PMI_RANK"]) and size == int(os.environ["PMI_SIZE"])
# one write per line: the tasks may share one O_APPEND file
os.write(1, f"rank {rank} of {size} sum {total} node-size {local}\n".encode())
