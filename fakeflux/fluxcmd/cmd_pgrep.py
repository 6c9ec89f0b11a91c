"""`flux pgrep` and `flux pkill`: find (and signal/cancel) jobs by name pattern as flux-core does."""
