"""Text a database can hold: the one check every entry point shares.

PostgreSQL refuses U+0000 in text and in JSON, and neither PostgreSQL nor a UTF-8 file can hold a
lone surrogate (U+D800-U+DFFF). The other C0 control characters would be stored, but they print
as nothing, break PDFs and CSV exports, and are never typed on purpose, so they are refused too;
tab and newline are ordinary text. A station that accepted such text would have it refused by
the centre later, far from the clerk who typed it: checking here, with the field named, means the
person who can fix it sees the message.

``check`` is for one field (forms, services, the importer, the CLI); ``check_row`` is the
command path's safety net (every row a command writes), and ``clean`` is for rows pulled from a
centre that already stored them (the pull cannot refuse the authority's data).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import inspect as sa_inspect

from frontcounter.services.core.errors import ValidationError

#: U+0000-U+001F except tab (U+0009) and newline (U+000A); also carriage return is allowed,
#: since Windows line ends come with pasted notes. DEL (U+007F) is refused with the C0 set.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

#: Column names as the clerk knows them (the form's labels), for the message.
FIELD_LABELS: dict[str, str] = {
    "visitor_name": "Visitor's name",
    "visitor_preferred_name": "Preferred name",
    "visitor_phone": "Phone",
    "visitor_email": "Email",
    "visitor_address": "Address",
    "safe_contact": "Safe-contact instructions",
    "preferred_language": "Preferred language",
    "interpreter_language": "Interpreter language",
    "access_needs": "Access needs",
    "person_of_choice": "Person of choice",
    "vulnerability_flags": "Vulnerability flags",
    "briefing_notes": "Briefing notes",
    "crime_reference": "Crime reference",
    "external_id": "Command-and-control id",
    "cancel_note": "Cancellation note",
    "feedback_comment": "Feedback comment",
    "at_risk_reason": "At-risk reason",
    "withdrawn_reason": "Reason for withdrawal",
    "note": "Note",
    "settlement": "What was done",
    "name": "Name",
    "address": "Address",
    "display_name": "Display name",
    "message": "Message",
}


def label(column: str) -> str:
    """The field's name as a person reads it (the column name with spaces when unlisted)."""
    return FIELD_LABELS.get(column, column.replace("_", " ").capitalize())


def describe(char: str) -> str:
    """A refused character in words: 'a NUL character (U+0000)'."""
    code = ord(char)
    if code == 0:
        return "a NUL character (U+0000)"
    if 0xD800 <= code <= 0xDFFF:
        return f"a broken character (lone surrogate U+{code:04X})"
    return f"an invisible control character (U+{code:04X})"


def problem(value: str) -> str | None:
    """What in ``value`` cannot be stored, in words, or None when it is all storable."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return f"{describe(found.group(0))} at character {found.start() + 1}"


def storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def check(field: str, value: Any) -> Any:
    """``value`` unchanged, or ValidationError naming ``field`` (a label or a column name).

    Lists (vulnerability flags, languages) and dicts are checked item by item.
    """
    for text in _strings(value):
        why = problem(text)
        if why is not None:
            name = FIELD_LABELS.get(field, field)
            raise ValidationError(f"{name}: contains {why}, which cannot be stored; delete it and type the text again.")
    return value


def check_fields(values: dict[str, Any]) -> None:
    """``check`` every entry of a column-name → value mapping."""
    for key, value in values.items():
        check(key, value)


def check_row(row: object) -> None:
    """``check`` the string columns a command wrote on a mapped row (the command path's last word).

    A new row is checked whole; a changed row only in the columns that changed, so a booking
    stored before this check existed can still be checked in.
    """
    state = sa_inspect(row)
    for attr in state.mapper.column_attrs:
        if state.pending or state.transient:
            check_column(attr, getattr(row, attr.key, None))
        else:
            for value in state.attrs[attr.key].history.added:
                check_column(attr, value)


def check_values(model: type, values: dict[str, Any]) -> None:
    """``check`` a column-name → value mapping for ``model``, lengths included (the centre's check)."""
    mapper: Any = sa_inspect(model)
    attrs: dict[str, Any] = {a.key: a for a in mapper.column_attrs}
    for key, value in values.items():
        if key in attrs:
            check_column(attrs[key], value)
        else:
            check(key, value)


def check_column(attr: Any, value: Any) -> None:
    """``check`` plus the column's length: PostgreSQL refuses a varchar(40) of 41 characters."""
    check(attr.key, value)
    limit = getattr(attr.columns[0].type, "length", None)
    if isinstance(value, str) and limit is not None and len(value) > limit:
        raise ValidationError(f"{label(attr.key)}: {len(value)} characters is too long ({limit} at most); shorten it.")


def clean(value: Any) -> Any:
    """``value`` with every unstorable character replaced by U+FFFD (lists and dicts too)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + [k for k in value if isinstance(k, str)]
    return []


def clean_rows(rows: list[dict[str, Any]]) -> list[str]:
    """Clean pulled rows in place; the labels of the fields that needed it (for the log).

    The centre is the authority, so its rows are never refused; a character this cache could
    store but that a clerk could never have typed (a control character a direct central write let
    in) is shown as U+FFFD instead.
    """
    fields: list[str] = []
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str | list | dict) and _strings(value) and not all(map(storable, _strings(value))):
                row[key] = clean(value)
                if label(key) not in fields:
                    fields.append(label(key))
    return fields
