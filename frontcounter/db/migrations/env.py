"""Alembic environment: always runs on an engine handed in by frontcounter.db.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from frontcounter.db import models
from frontcounter.db.types import UTCDateTime

config = context.config
target_metadata = models.Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _compare_type(
    context_: object, inspected: object, metadata_col: object, inspected_type: object, metadata_type: object
) -> bool | None:
    # UTCDateTime is DateTime(timezone=True) underneath; let Alembic compare that.
    if isinstance(metadata_type, UTCDateTime):
        return type(inspected_type).__name__ not in {"DATETIME", "TIMESTAMP", "DateTime"}
    return None


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through frontcounter.db.migrate, which supplies the engine")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=_render_item,
            compare_type=_compare_type,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
