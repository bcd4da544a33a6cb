"""The floor plan of README.md holds: no package imports a higher layer (scripts/check_layers.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_checker():
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "scripts" / "check_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_package_imports_a_higher_layer():
    assert load_checker().violations() == []


def test_the_checker_sees_every_kind_of_import(tmp_path, monkeypatch):
    checker = load_checker()
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text(
        "import chat.models\n"
        "from workers.tasks import chat\n"
        "def later():\n"
        "    from presence import services\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from notifications.models import InAppNotification\n"
        "from core import errors\n"
    )
    monkeypatch.setattr(checker, "ROOT", tmp_path)
    found = checker.violations()
    assert [line.split(": ", 1)[1] for line in found] == [
        "core imports chat, a higher layer",
        "core imports workers, a higher layer",
        "core imports presence, a higher layer",
        "core imports notifications, a higher layer",
    ]
