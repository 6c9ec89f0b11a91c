"""The builtin services, one module each, as flux-core's broker has them.

To add a service: write ``modules/NAME.py`` with a :class:`BrokerModule`
subclass, list it in :data:`EXTRA_MODULES` below (with the ranks it runs
on), and take its name out of ``placeholder.NAMES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Tuple, Type

if TYPE_CHECKING:
    from fakeflux.broker.module import BrokerModule

# Services beyond the broker's own (attr, broker, config, event, log,
# state-machine), as (module class, predicate on rank or None for every rank).
# Real Flux loads e.g. kvs on every rank but job-manager on rank 0 only.
EXTRA_MODULES: List[Tuple[Type[BrokerModule], Optional[Callable[[int], bool]]]] = []


def _register() -> None:
    from fakeflux.broker.modules.content import ContentBackingModule, ContentModule
    from fakeflux.broker.modules.groups import GroupsModule
    from fakeflux.broker.modules.job_info import JobInfoModule
    from fakeflux.broker.modules.job_ingest import JobIngestModule
    from fakeflux.broker.modules.job_list import JobListModule
    from fakeflux.broker.modules.job_manager import JobManagerModule
    from fakeflux.broker.modules.kvs import KvsModule
    from fakeflux.broker.modules.kvs_watch import KvsWatchModule
    from fakeflux.broker.modules.resource import ResourceDownstream, ResourceModule
    from fakeflux.broker.modules.sched import FeasibilityModule, SchedModule

    def rank0(rank: int) -> bool:
        return rank == 0

    def not_rank0(rank: int) -> bool:
        return rank != 0

    EXTRA_MODULES.extend(
        [
            (ContentModule, None),  # every rank; the backing store (its checkpoints) on rank 0
            (ContentBackingModule, rank0),
            (KvsModule, None),  # every rank, as flux-core loads kvs and kvs-watch
            (KvsWatchModule, None),
            (JobIngestModule, None),  # every rank, as flux-core's; each submits to the one job manager
            (JobManagerModule, rank0),
            (JobInfoModule, None),  # every rank, as flux-core's: they all read the one KVS
            (JobListModule, rank0),
            (ResourceModule, rank0),
            (ResourceDownstream, not_rank0),  # resource's other ranks: rank 0's methods refused
            (SchedModule, rank0),  # sched-simple, rank 0 only: elsewhere these names are unknown
            (FeasibilityModule, rank0),
            (GroupsModule, None),  # every rank; groups.get answers on rank 0 only, as flux-core's
        ]
    )


_register()
