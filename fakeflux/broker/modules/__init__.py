"""The builtin services, one module each, as flux-core's broker has them."""
