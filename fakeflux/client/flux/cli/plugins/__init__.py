"""Plugins every submission command loads (flux-core's ``flux.cli.plugins`` namespace)."""
