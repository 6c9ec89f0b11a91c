"""Resource sets and the resource services (flux-core's ``flux.resource``).

Not imported by ``import flux``; as in flux-core, ``import flux.resource``
loads it.
"""

from .journal import ResourceJournalConsumer as ResourceJournalConsumer
from .list import SchedResourceList as SchedResourceList
from .list import resource_list as resource_list
from .ResourceCount import ResourceCount as ResourceCount
from .ResourcePool import ResourcePool as ResourcePool
from .ResourceSet import ResourceSet as ResourceSet
from .Rv1Pool import Rv1Pool as Rv1Pool
from .Rv1Set import Rv1Set as Rv1Set
from .status import ResourceStatus as ResourceStatus
from .status import resource_status as resource_status

InsufficientResources = ResourcePool.InsufficientResources
InfeasibleRequest = ResourcePool.InfeasibleRequest
