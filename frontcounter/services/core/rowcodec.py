"""Rows to JSON and back, by column type: the outbox payload and the sync wire format."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

#: Columns that never travel: per-workstation state.
LOCAL_ONLY_COLUMNS = frozenset({"failed_attempts", "locked_until"})


def encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def decode_value(python_type: type | None, value: Any) -> Any:
    if value is None or python_type is None:
        return value
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is time:
        return time.fromisoformat(value)
    return value


def _python_type(model: type[DeclarativeBase], key: str) -> type | None:
    column = sa_inspect(model).columns[key]
    # A TypeDecorator (UTCDateTime) reports ``object``; what travels is its underlying type.
    column_type = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def row_to_dict(row: object) -> dict[str, Any]:
    """Every syncable column of ``row`` as JSON-ready values."""
    mapper = sa_inspect(type(row))
    return {
        c.key: encode_value(getattr(row, c.key))
        for c in mapper.column_attrs
        if c.key not in LOCAL_ONLY_COLUMNS
    }


def encode_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: encode_value(v) for k, v in changes.items()}


def decode_changes(model: type[DeclarativeBase], data: dict[str, Any]) -> dict[str, Any]:
    columns = sa_inspect(model).columns
    return {k: decode_value(_python_type(model, k), v) for k, v in data.items() if k in columns}
