"""URI parsing, ``local://``/``ssh://`` conversion and the plugin-based resolver."""

from __future__ import annotations

import os
import platform
import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlparse

__all__ = ["URI", "JobURI", "URIResolverURI", "URIResolverPlugin", "FluxURIResolver"]


class URI:
    """A parsed URI with mutable parts.

    Attributes: ``uri`` (as given), ``scheme``, ``netloc``, ``path``,
    ``params``, ``query``, ``fragment`` and ``query_dict`` (the query parsed,
    blank values kept).
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.query_dict: Dict[str, List[str]] = {}
        parts = urlparse(self.uri)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.path = parts.path
        self.params = parts.params
        self.query = parts.query
        self.fragment = parts.fragment
        if self.query:
            self.query_dict = parse_qs(self.query, keep_blank_values=True)


class JobURI(URI):
    """The URI of a Flux instance, convertible between ``local://PATH`` and ``ssh://HOST/PATH``.

    ValueError if ``uri`` has no scheme, or (from ``remote``/``local``) if
    its scheme is neither ``local`` nor ``ssh``.  ``str()`` gives the local
    form when ``FLUX_URI_RESOLVE_LOCAL`` was set at import.
    """

    force_local = os.environ.get("FLUX_URI_RESOLVE_LOCAL", False)

    def __init__(self, uri: str, remote_hostname: Optional[str] = None) -> None:
        super().__init__(uri)
        if self.scheme == "":
            raise ValueError(f"JobURI '{uri}' does not have a valid scheme")
        self.path = re.sub("/+", "/", self.path)
        self.remote_uri: Optional[str] = None
        self.local_uri: Optional[str] = None
        self.remote_hostname = remote_hostname

    @property
    def remote(self) -> str:
        if not self.remote_uri:
            if self.scheme == "ssh":
                self.remote_uri = self.uri
            elif self.scheme == "local":
                if not self.remote_hostname:
                    self.remote_hostname = platform.uname()[1]
                self.remote_uri = f"ssh://{self.remote_hostname}{self.path}"
            else:
                raise ValueError(f"Cannot convert JobURI with scheme {self.scheme} to remote")
        return self.remote_uri

    @property
    def local(self) -> str:
        if not self.local_uri:
            if self.scheme == "local":
                self.local_uri = self.uri
            elif self.scheme == "ssh":
                self.local_uri = f"local://{self.path}"
            else:
                raise ValueError(f"Cannot convert JobURI with scheme {self.scheme} to local")
        return self.local_uri

    def __str__(self) -> str:
        return self.local if self.force_local else self.uri


class URIResolverURI(URI):
    """A URI given to a resolver (``jobid:123/456``); an all-digit path stays the path."""

    def __init__(self, uri: str) -> None:
        # urlparse reads "scheme:123" as a port number unless the path starts with a letter
        super().__init__(uri.replace(":", ":FXX", 1))
        self.path = self.path.replace("FXX", "", 1)


class URIResolverPlugin(ABC):
    """Base of the plugins in ``flux.uri.resolvers``: a module's ``URIResolver`` class."""

    def __init__(self, *args: Any) -> None:  # noqa: B027 - plugins may take no arguments
        pass

    @abstractmethod
    def describe(self) -> str:
        """A short description of the URI scheme."""

    @abstractmethod
    def resolve(self, uri: URIResolverURI) -> str:
        """The job URI for ``uri``."""


class FluxURIResolver:
    """Resolves ``SCHEME:ARG`` (default scheme ``jobid``) to a job URI with the loaded plugins.

    ``?local`` or ``?remote`` in the query force the form of the result.
    NotImplementedError for a scheme without a plugin; ValueError when the
    plugin cannot resolve the argument.
    """

    def __init__(self, pluginpath: Optional[List[str]] = None) -> None:
        from ..importer import import_plugins

        self.plugin_namespace = "flux.uri.resolvers"
        self.resolvers: Dict[str, URIResolverPlugin] = {}
        plugins = import_plugins(self.plugin_namespace, pluginpath or [])
        for scheme, plugin in plugins.items():
            self.resolvers[scheme] = plugin.URIResolver()

    def resolve(self, uri: str) -> JobURI:
        scheme = URIResolverURI(uri).scheme
        if str(scheme) == "":
            scheme = "jobid"
            uri = f"jobid:{uri}"
        if scheme in ("ssh", "local"):
            return JobURI(uri)
        if scheme not in self.resolvers:
            raise NotImplementedError(f"No plugin for URI scheme {scheme}")
        resolver_uri = URIResolverURI(uri)
        query = resolver_uri.query_dict
        if "local" in query and "remote" in query:
            raise ValueError("Only one of 'local' or 'remote' is allowed")
        result = JobURI(self.resolvers[scheme].resolve(resolver_uri))
        if "local" in query:
            result = JobURI(result.local)
        elif "remote" in query:
            result = JobURI(result.remote)
        return result

    def plugins(self) -> Dict[str, str]:
        """{scheme: description} of the loaded plugins."""
        return {name: resolver.describe() for name, resolver in self.resolvers.items()}
