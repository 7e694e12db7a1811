"""The start-up schema check (frontcounter/db/migrate.py) answers as Alembic would, without
importing Alembic when the cache is already at head (it costs a counter PC ~150 ms and ~17 MB)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from frontcounter.db import migrate
from frontcounter.db.engine import make_engine, sqlite_url

REPO_ROOT = Path(__file__).resolve().parents[3]


def _alembic_current(engine) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_head_from_the_revision_files_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert migrate._heads_from_files() == list(heads)
    assert migrate.head_revision() == heads[0]


def test_current_revision_matches_alembic_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "cache.sqlite"))
    assert migrate.current_revision(engine) is None
    assert _alembic_current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == _alembic_current(engine) == migrate.head_revision()
    migrate.upgrade(engine)  # at head: a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


@pytest.mark.postgres
def test_current_revision_matches_alembic_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == _alembic_current(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_a_file_the_fast_reader_cannot_follow_falls_back_to_alembic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrate, "_heads_from_files", lambda: None)
    assert migrate.head_revision() == ScriptDirectory.from_config(migrate.alembic_config()).get_heads()[0]


def test_opening_a_cache_at_head_does_not_import_alembic(demo_dir: Path) -> None:
    code = (
        "import sys\n"
        "from frontcounter.paths import Paths\n"
        "from frontcounter.runtime import open_station\n"
        "open_station(Paths.resolve(sys.argv[1]))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako', 'reportlab', 'psycopg')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(demo_dir)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
