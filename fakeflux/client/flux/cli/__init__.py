"""Parts of flux-core's ``flux.cli`` that library code reaches: the CLI plugin interface."""
