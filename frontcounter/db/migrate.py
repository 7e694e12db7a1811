"""Run the Alembic chain that lives inside the package (upgrade to head at start-up).

The start-up check is cheap on purpose: the stored revision is one plain SELECT and the head is
read from the revision files' ``revision``/``down_revision`` lines, so a cache already at head
never imports Alembic (about 150 ms and 17 MB on a counter PC, see docs/PERFORMANCE.md). Alembic
is imported only to migrate, or when the revision files cannot be read that simply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not change it

_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"'\n]+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\s*(?::[^=\n]*)?=\s*(None|["']([^"'\n]+)["'])\s*$""",
                            re.MULTILINE)


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _heads_from_files() -> list[str] | None:
    """The chain's heads read from the revision files, or None if a file is not in the plain form
    (one quoted ``revision``, ``down_revision`` None or one quoted id) that Alembic writes."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        if path.name.startswith("__"):
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0][1]:
            parents.add(down[0][1])
    return sorted(revisions - parents) if revisions else None


def head_revision() -> str:
    """The schema version this build of the app speaks."""
    heads = _heads_from_files()
    if heads is None:
        from alembic.script import ScriptDirectory

        heads = list(ScriptDirectory.from_config(alembic_config()).get_heads())
    if len(heads) != 1:
        raise RuntimeError(f"the migration chain has {len(heads)} heads; it must be linear")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision stored in the database (None for a database never migrated), read as Alembic's
    ``MigrationContext.get_current_revision`` reads it, without importing Alembic."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = list(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    if len(rows) > 1:
        raise RuntimeError(f"the database records {len(rows)} schema heads; it must record one")
    return rows[0] if rows else None


def upgrade(engine: Engine) -> None:
    """Bring the database's schema to this build's head; a no-op when it is already there."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
