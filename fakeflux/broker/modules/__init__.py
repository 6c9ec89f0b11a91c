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
