"""`flux queue`: list/status/start/stop/enable/disable as flux-core's flux-queue does."""
