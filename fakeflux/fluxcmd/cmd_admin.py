"""`flux overlay status`, `flux module list` and `flux uptime` as flux-core prints them."""
