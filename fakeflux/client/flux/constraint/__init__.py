"""RFC 35 constraint query syntax (flux-core's ``flux.constraint``)."""
