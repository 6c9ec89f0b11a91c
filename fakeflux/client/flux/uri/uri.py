"""URI parsing, ``local://``/``ssh://`` conversion and the plugin-based resolver."""

from __future__ import annotations

import os
import platform
import re
from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlparse

__all__ = ["URI", "JobURI", "URIResolverURI", "URIResolverPlugin", "FluxURIResolver"]

# resolver URIs are parsed with this text slipped in after the first colon, so that
# urlparse sees a path starting with a letter whatever follows (digits alone were
# once read as a port, "//" as a host); it is taken out of the path again after
_PATH_GUARD = "FXX"

# the schemes that already are instance URIs: the resolver returns them as they are
_INSTANCE_SCHEMES = ("ssh", "local")


class URI:
    """A parsed URI with mutable parts.

    Attributes: ``uri`` (as given), ``scheme``, ``netloc``, ``path``,
    ``params``, ``query``, ``fragment`` and ``query_dict`` (the query parsed,
    blank values kept).
    """

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.scheme, self.netloc, self.path, self.params, self.query, self.fragment = urlparse(uri)
        self.query_dict: Dict[str, List[str]] = parse_qs(self.query, keep_blank_values=True) if self.query else {}


def _local_to_remote(job_uri: JobURI) -> str:
    job_uri.remote_hostname = job_uri.remote_hostname or platform.uname()[1]
    return f"ssh://{job_uri.remote_hostname}{job_uri.path}"


def _ssh_to_local(job_uri: JobURI) -> str:
    return f"local://{job_uri.path}"


def _unchanged(job_uri: JobURI) -> str:
    return job_uri.uri


# how each form is reached from each scheme: {form: {scheme: converter}}
_CONVERSIONS: Dict[str, Dict[str, Callable[[JobURI], str]]] = {
    "remote": {"ssh": _unchanged, "local": _local_to_remote},
    "local": {"local": _unchanged, "ssh": _ssh_to_local},
}


class JobURI(URI):
    """The URI of a Flux instance, convertible between ``local://PATH`` and ``ssh://HOST/PATH``.

    ValueError if ``uri`` has no scheme, or (from ``remote``/``local``) if
    its scheme is neither ``local`` nor ``ssh``. ``str()`` gives the local
    form when ``FLUX_URI_RESOLVE_LOCAL`` was set at import.
    """

    force_local = os.environ.get("FLUX_URI_RESOLVE_LOCAL", False)

    def __init__(self, uri: str, remote_hostname: Optional[str] = None) -> None:
        super().__init__(uri)
        if not self.scheme:
            raise ValueError(f"JobURI '{uri}' does not have a valid scheme")
        self.path = re.sub("/+", "/", self.path)  # local:////tmp//x is /tmp/x
        self.remote_hostname = remote_hostname
        # each form is worked out once, on first use
        self.remote_uri: Optional[str] = None
        self.local_uri: Optional[str] = None

    def _converted(self, form: str) -> str:
        convert = _CONVERSIONS[form].get(self.scheme)
        if convert is None:
            raise ValueError(f"Cannot convert JobURI with scheme {self.scheme} to {form}")
        return convert(self)

    @property
    def remote(self) -> str:
        self.remote_uri = self.remote_uri or self._converted("remote")
        return self.remote_uri

    @property
    def local(self) -> str:
        self.local_uri = self.local_uri or self._converted("local")
        return self.local_uri

    def __str__(self) -> str:
        return self.local if self.force_local else self.uri


class URIResolverURI(URI):
    """A URI given to a resolver (``jobid:123/456``): all after the scheme is the path."""

    def __init__(self, uri: str) -> None:
        URI.__init__(self, uri.replace(":", ":" + _PATH_GUARD, 1))
        self.path = self.path.replace(_PATH_GUARD, "", 1)


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
        found = import_plugins(self.plugin_namespace, pluginpath or [])
        self.resolvers: Dict[str, URIResolverPlugin] = {name: module.URIResolver() for name, module in found.items()}

    def _plugin_for(self, scheme: str) -> URIResolverPlugin:
        try:
            return self.resolvers[scheme]
        except KeyError:
            raise NotImplementedError(f"No plugin for URI scheme {scheme}") from None

    def resolve(self, uri: str) -> JobURI:
        if not URIResolverURI(uri).scheme:  # a bare argument is a jobid
            uri = f"jobid:{uri}"
        target = URIResolverURI(uri)
        if target.scheme in _INSTANCE_SCHEMES:
            return JobURI(uri)
        plugin = self._plugin_for(target.scheme)
        forms = [form for form in ("local", "remote") if form in target.query_dict]
        if len(forms) > 1:
            raise ValueError("Only one of 'local' or 'remote' is allowed")
        answer = JobURI(plugin.resolve(target))
        return JobURI(getattr(answer, forms[0])) if forms else answer

    def plugins(self) -> Dict[str, str]:
        """{scheme: description} of the loaded plugins."""
        return {name: resolver.describe() for name, resolver in self.resolvers.items()}
