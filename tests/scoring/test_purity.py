"""awards.scoring imports only the standard library and numpy (SPEC 7 verifier, STYLE)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import awards.scoring

PACKAGE = Path(awards.scoring.__file__).parent
ALLOWED_THIRD_PARTY = {"numpy"}
FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "flask_sqlalchemy", "flask_login"}
SOURCES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names.append("<dynamic __import__>")
    return names


def test_sources_found():
    assert {p.name for p in SOURCES} >= {"__init__.py", "public.py", "judges.py", "bootstrap.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_only_stdlib_and_numpy(path):
    for name in imported_modules(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {name}"
        allowed = (
            top in sys.stdlib_module_names
            or top in ALLOWED_THIRD_PARTY
            or name == "awards.scoring"
            or name.startswith("awards.scoring.")
        )
        assert allowed, f"{path.name} imports {name}, outside the standard library and numpy"
