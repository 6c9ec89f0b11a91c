"""Flux URIs and their resolution (flux-core's ``flux.uri``, what ``flux uri`` runs)."""

from .uri import URI as URI
from .uri import FluxURIResolver as FluxURIResolver
from .uri import JobURI as JobURI
from .uri import URIResolverPlugin as URIResolverPlugin
from .uri import URIResolverURI as URIResolverURI
