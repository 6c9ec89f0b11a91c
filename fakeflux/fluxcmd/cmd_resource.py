"""`flux resource`: list/status/info/drain/undrain as flux-core's flux-resource prints them."""
