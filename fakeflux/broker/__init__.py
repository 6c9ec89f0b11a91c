"""The broker core: the simulated instance as plain objects, no IO.

:class:`InstanceCore` holds the instance; each :class:`BrokerRank` routes
requests and responses and hosts the builtin services (``modules/``, one
per service as flux-core has broker modules); each rank's
:class:`Connector` plays connector-local for that rank's clients.
"""

from fakeflux.broker.client import Client
from fakeflux.broker.config import Config, ConfigError
from fakeflux.broker.connector import Connector
from fakeflux.broker.instance import InstanceCore
from fakeflux.broker.rank import BrokerRank
from fakeflux.broker.topology import Topology, TopologyError

__all__ = [
    "BrokerRank",
    "Client",
    "Config",
    "ConfigError",
    "Connector",
    "InstanceCore",
    "Topology",
    "TopologyError",
]
