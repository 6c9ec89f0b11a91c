"""What flux-core's job shell provides to a job's tasks, as plain objects
without IO: the simple PMI-1 server (:mod:`fakeflux.shell.pmi`) and task
maps (:mod:`fakeflux.shell.taskmap`)."""

from fakeflux.shell.pmi import (
    PmiAbort,
    PmiBarrierStranded,
    PmiFinalized,
    PmiOutcome,
    PmiProtocolError,
    PmiServer,
    PmiSetupError,
    PmiSimpleOptions,
    PmiWarning,
    pmi_environment,
    pmi_simple_options,
    simple_pmi_enabled,
)
from fakeflux.shell.taskmap import TaskMap

__all__ = [
    "PmiAbort",
    "PmiBarrierStranded",
    "PmiFinalized",
    "PmiOutcome",
    "PmiProtocolError",
    "PmiServer",
    "PmiSetupError",
    "PmiSimpleOptions",
    "PmiWarning",
    "TaskMap",
    "pmi_environment",
    "pmi_simple_options",
    "simple_pmi_enabled",
]
