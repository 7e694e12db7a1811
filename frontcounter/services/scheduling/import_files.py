"""Reading an export from command and control: CSV or JSON, any common encoding, into numbered
records of text fields with canonical column names (validation is in ``importer``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from frontcounter.services.core.errors import ValidationError

COLUMNS = (
    "external_id", "station", "start", "duration_minutes", "room", "officer", "reason", "channel",
    "crime_reference", "visitor_name", "phone", "email", "address", "safe_contact", "preferred_language",
    "interpreter_language", "needs_step_free", "needs_hearing_loop", "access_needs", "person_of_choice",
    "vulnerability_flags", "notes",
    # Safe contact, structured (issue 16).
    "may_text", "may_email", "may_phone", "may_voicemail", "only_via_person_of_choice", "text_number",
    "message_email",
)
REQUIRED = ("external_id", "station", "start", "reason", "visitor_name")
#: Other names command-and-control exports use for the same column.
ALIASES = {"officer_collar": "officer", "collar": "officer", "collar_number": "officer", "ref": "external_id",
           "duration": "duration_minutes", "visitor_phone": "phone", "visitor_email": "email",
           "visitor_address": "address", "briefing_notes": "notes"}
MAX_BYTES = 50 * 1024 * 1024


def _decode(raw: bytes, warnings: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append("The file is not UTF-8; read it as Windows-1252. Check accented names.")
        return raw.decode("cp1252", errors="replace")


def _canonical(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().casefold())
    return ALIASES.get(key, key)


def _as_text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, list) and key == "vulnerability_flags":
        return ";".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    raise ValueError(f"{key} must be text, not {type(value).__name__}")


def read_records(path: Path, warnings: list[str]) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line, {column: text}), or ``ValidationError`` when it cannot be read."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValidationError(f"{path.name} is larger than 50 MB; split it.")
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {path.name}: {exc.strerror or exc}.") from exc
    text = _decode(raw, warnings)
    stripped = text.lstrip()
    if path.suffix.casefold() == ".json" or stripped[:1] in ("[", "{"):
        records = _json_records(text, path.name)
    else:
        records = _csv_records(text, path.name)
    present = {k for _, r in records for k in r} if records else set()
    unknown = sorted(k for k in present if k not in COLUMNS and not k.startswith("__"))
    if unknown:
        warnings.append(f"Ignored unknown column(s): {', '.join(unknown)}.")
    return records


def _csv_records(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(f"{name} is empty.") from None
    columns = [_canonical(h) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValidationError(f"{name} has no column(s) {', '.join(missing)} (line 1 must name the columns).")
    records = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                row = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(columns)}
                if len(cells) > len(columns):
                    row["__extra__"] = str(len(cells) - len(columns))
                records.append((line, row))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(f"{name} line {reader.line_num}: not valid CSV ({exc}).") from exc
    return records


def _json_records(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{name} line {exc.lineno}: not valid JSON ({exc.msg}).") from exc
    except RecursionError:
        at_line, at_column = _too_deep(text) or (1, 1)
        raise ValidationError(f"{name} line {at_line} column {at_column}: nested more than {MAX_JSON_DEPTH} levels deep; "
                              "an appointments file is a list of flat objects.") from None
    items = doc.get("appointments") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ValidationError(f"{name} must hold a list of appointments (or {{\"appointments\": [...]}}).")
    lines = list(_json_item_lines(text))
    records = []
    for index, item in enumerate(items):
        line = lines[index] if index < len(lines) else index + 1
        if not isinstance(item, dict):
            records.append((line, {"__error__": "each appointment must be an object with named fields"}))
            continue
        row: dict[str, str] = {}
        for key, value in item.items():
            column = _canonical(str(key))
            try:
                row[column] = _as_text(value, column)
            except ValueError as exc:
                row["__error__"] = str(exc)
        records.append((line, row))
    if records:
        present = {k for _, r in records for k in r}
        missing = [c for c in REQUIRED if c not in present]
        if missing:
            raise ValidationError(f"{name} has no field(s) {', '.join(missing)} in any appointment.")
    return records


#: An appointments file needs three levels ({"appointments": [{...: [flags]}]}); a file deep enough
#: for Python's parser to give up is an attack or a broken export: say where it goes too deep.
MAX_JSON_DEPTH = 32


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) where ``text`` first nests deeper than MAX_JSON_DEPTH, outside strings."""
    depth, in_string, escaped = 0, False, False
    for pos, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line = text.count("\n", 0, pos) + 1
                return line, pos - (text.rfind("\n", 0, pos) + 1) + 1
        elif ch in "]}":
            depth -= 1
    return None


def _json_item_lines(text: str) -> Iterator[int]:
    """The line on which each element of the appointments array starts."""
    decoder = json.JSONDecoder()
    match = re.search(r'"appointments"\s*:\s*\[', text) if text.lstrip().startswith("{") else None
    pos = match.end() if match else text.index("[") + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        yield text.count("\n", 0, pos) + 1
        _, pos = decoder.raw_decode(text, pos)
