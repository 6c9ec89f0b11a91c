"""The handle and watchers (flux-core's ``flux.core``)."""
