"""DESIGN.md section 2: services/ and db/ never import Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import frontcounter

PACKAGE = Path(frontcounter.__file__).parent


def _qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in {"PySide6", "shiboken6"}]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {"PySide6", "shiboken6"}:
            found.append(node.module)
    return found


def test_services_and_db_source_names_no_qt() -> None:
    offenders = {
        str(p.relative_to(PACKAGE)): _qt_imports(p)
        for layer in ("services", "db")
        for p in (PACKAGE / layer).rglob("*.py")
        if _qt_imports(p)
    }
    assert offenders == {}


def test_importing_every_service_loads_no_qt() -> None:
    modules = sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        for layer in ("services", "db")
        for p in (PACKAGE / layer).rglob("*.py")
        if "migrations" not in p.parts
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_service_package_is_checked() -> None:
    """The two checks above walk services/ and db/ recursively: every package in them is covered."""
    packages = {
        str(p.parent.relative_to(PACKAGE))
        for layer in ("services", "db")
        for p in (PACKAGE / layer).rglob("__init__.py")
    }
    expected = {f"services/{name}" for name in
                ("core", "counter", "scheduling", "documents", "reports", "sync", "security", "demo",
                                                     "messages")}
    assert expected <= packages
    # A package added later is covered too; this says which ones there are, so none is a surprise.
    assert packages - expected == {"services", "db", "db/migrations", "db/migrations/versions"}

