"""The house rules (docs/LAYOUT.md): no import circles anywhere in frontcounter/, and each package
imports only what its line in the map allows. Imports inside functions count as much as those at
the top of a module; the graph comes from scripts/layout_report.py, so the report and this test
can never disagree."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _layout_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layout_report", REPO / "scripts" / "layout_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


layout = _layout_report()


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return layout.import_graph(REPO, "frontcounter")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _offences(graph: dict[str, set[str]], importer: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        name: sorted(t for t in targets if any(_within(t, f) for f in forbidden))
        for name, targets in sorted(graph.items())
        if _within(name, importer) and any(_within(t, f) for t in targets for f in forbidden)
    }


def test_the_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.sub import b\n    return b\n")
    (pkg / "sub" / "b.py").write_text("from ..a import f\n")
    (pkg / "c.py").write_text("from . import a\n")
    graph = layout.import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert layout.cycles(graph) == [["pkg.a", "pkg.sub.b"]]


def test_no_import_circles_in_frontcounter(graph: dict[str, set[str]]) -> None:
    circles = [" -> ".join(layout.cycle_path(graph, c)) for c in layout.cycles(graph)]
    assert circles == [], "import circles:\n" + "\n".join(circles)


def test_the_widget_kit_imports_no_view_dialog_or_shell(graph: dict[str, set[str]]) -> None:
    assert _offences(graph, "frontcounter.ui.kit", (
        "frontcounter.ui.views", "frontcounter.ui.dialogs", "frontcounter.ui.shell")) == {}


def test_dialogs_import_no_view_and_views_no_shell(graph: dict[str, set[str]]) -> None:
    assert _offences(graph, "frontcounter.ui.dialogs", ("frontcounter.ui.views", "frontcounter.ui.shell")) == {}
    assert _offences(graph, "frontcounter.ui.views", ("frontcounter.ui.shell",)) == {}


def test_ui_plumbing_imports_no_widgets_above_it(graph: dict[str, set[str]]) -> None:
    plumbing = ("frontcounter.ui.app_state", "frontcounter.ui.tasks", "frontcounter.ui.theme", "frontcounter.ui.crash")
    above = ("frontcounter.ui.kit", "frontcounter.ui.views", "frontcounter.ui.dialogs", "frontcounter.ui.shell")
    assert {m: t for p in plumbing for m, t in _offences(graph, p, above).items()} == {}


def test_services_and_db_import_no_ui_cli_or_startup(graph: dict[str, set[str]]) -> None:
    fronts = ("frontcounter.ui", "frontcounter.cli", "frontcounter.startup", "frontcounter.__main__")
    assert _offences(graph, "frontcounter.services", fronts) == {}
    assert _offences(graph, "frontcounter.db", (*fronts, "frontcounter.services")) == {}


def test_the_service_core_imports_no_capability_package(graph: dict[str, set[str]]) -> None:
    packages = tuple(
        f"frontcounter.services.{p.name}" for p in (REPO / "frontcounter" / "services").iterdir()
        if (p / "__init__.py").exists() and p.name != "core"
    )
    assert _offences(graph, "frontcounter.services.core", packages) == {}


def test_no_service_package_imports_the_demo(graph: dict[str, set[str]]) -> None:
    others = {m: t for m, t in graph.items() if not _within(m, "frontcounter.services.demo")}
    assert _offences(others, "frontcounter.services", ("frontcounter.services.demo",)) == {}


#: Alembic revisions are frozen once released: a migration is never edited or split.
FROZEN = {"frontcounter/db/migrations/versions/0001_initial_schema.py"}


def test_no_hand_written_module_is_over_500_lines() -> None:
    assert [path for _lines, path in layout.long_modules(REPO, "frontcounter") if path not in FROZEN] == []
