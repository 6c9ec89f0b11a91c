"""Starting and stopping instances for tests (pytest-postgresql's factory idea)."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Literal, Mapping, Optional

import pytest

from fakeflux import Instance
from fakeflux.io.server import MAX_SOCKET_PATH

Scope = Literal["session", "package", "module", "class", "function"]

# Room for "/local-NNNNN" after the rundir in a socket path.
_ROOM_FOR_SOCKET_NAME = len("/local-99999")


class InstanceFactory:
    """Makes started instances; :meth:`stop_all` stops every one it made.

    Each instance gets its own rundir below ``base`` (pytest's temporary
    folder), or below the system's temporary folder when ``base`` is too long
    for a Unix socket path; nothing is shared, so pytest-xdist workers never clash.
    """

    def __init__(self, base: Optional[str] = None, *, default_size: int = 4, trace: bool = True) -> None:
        self.base = base
        self.default_size = default_size
        self.trace = trace
        self.instances: List[Instance] = []

    def _rundir(self) -> Optional[str]:
        base = self.base
        if base is None or len(os.fsencode(base)) + 12 + _ROOM_FOR_SOCKET_NAME > MAX_SOCKET_PATH:
            return None  # Instance makes a short one in /tmp
        return tempfile.mkdtemp(prefix="flux-", dir=base)

    def __call__(
        self,
        size: Optional[int] = None,
        attrs: Optional[Mapping[str, str]] = None,
        config: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> Instance:
        """A started instance; arguments as :class:`fakeflux.Instance`."""
        kwargs.setdefault("trace", self.trace)
        inst = Instance(
            size=self.default_size if size is None else size,
            attrs=attrs,
            config=config,
            rundir=kwargs.pop("rundir", None) or self._rundir(),
            **kwargs,
        )
        inst.start()
        self.instances.append(inst)
        return inst

    def stop_all(self) -> None:
        """Stop every instance; fail with what leaked if one left something behind."""
        errors: List[BaseException] = []
        leaks: List[str] = []
        while self.instances:
            inst = self.instances.pop()
            try:
                inst.stop()
            except Exception as exc:  # stop the rest, then report
                errors.append(exc)
            leaks.extend(f"{inst!r}: {leak}" for leak in inst.leaks())
        if errors:
            raise errors[0]
        if leaks:
            pytest.fail("fakeflux instance leaked:\n" + "\n".join(leaks), pytrace=False)


def flux_instance_fixture(
    scope: Scope = "function",
    size: Optional[int] = None,
    attrs: Optional[Mapping[str, str]] = None,
    config: Optional[Dict[str, Any]] = None,
    **kwargs: Any,
) -> Callable[..., Iterator[Instance]]:
    """A fixture of any scope giving one started instance, for example::

        flux_cluster = flux_instance_fixture(scope="module", size=16)

        def test_a(flux_cluster): ...
    """

    @pytest.fixture(scope=scope)
    def _fixture(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Instance]:
        from .options import flux_size

        factory = InstanceFactory(str(tmp_path_factory.getbasetemp()), default_size=flux_size(request.config))
        try:
            yield factory(size, attrs, config, **kwargs)
        finally:
            factory.stop_all()

    return _fixture
