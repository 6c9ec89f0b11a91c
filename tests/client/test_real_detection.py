"""Which ``flux`` package ``auto`` picks: flux-core's is recognised by its C bindings,
``_flux/_core`` beside ``flux`` (the layout of flux-core 0.88's install), not by
anything inside ``flux/``.  A stand-in tree with that layout plays flux-core here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fakeflux.cli import real_flux_importable


def _site(tmp_path: Path, bindings: bool) -> Path:
    site = tmp_path / "site-packages"
    (site / "flux").mkdir(parents=True)
    (site / "flux" / "__init__.py").write_text("")
    if bindings:
        (site / "_flux").mkdir()
        (site / "_flux" / "__init__.py").write_text("")
        (site / "_flux" / "_core.py").write_text("ffi = lib = None\n")
    return site


@pytest.mark.parametrize("bindings", [True, False])
def test_cli_auto_detects_flux_core_layout(tmp_path: Path, bindings: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(_site(tmp_path, bindings))
    assert real_flux_importable(env) is bindings


@pytest.mark.parametrize("bindings", [True, False])
def test_plugin_auto_detects_flux_core_layout(
    tmp_path: Path, bindings: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakeflux_pytest.options import real_flux_installed

    monkeypatch.setattr(sys, "path", [str(_site(tmp_path, bindings))] + [p for p in sys.path if "client" not in p])
    for name in [m for m in sys.modules if m == "flux" or m.startswith("flux.")]:
        monkeypatch.delitem(sys.modules, name)
    assert real_flux_installed() is bindings
