"""Reading an export from command and control: CSV or JSON, any common encoding, into numbered
records of text fields with canonical column names (validation is in ``importer``).

The file is streamed, never read whole: ``open_records`` returns a ``RecordSource`` that yields
one record at a time (a 250,000-row export stays a few megabytes in memory) and says how far
through the file it is, for the progress line. CSV goes through ``csv.reader``; JSON through a
small scanner of our own that finds each element of the appointments array, bounds how deeply
it may nest, and hands each element (a flat object) to ``json.loads`` -- so a malformed or
hostile file is one line naming where it goes wrong, never a RecursionError.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

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
#: An appointments file needs three levels ({"appointments": [{...: [flags]}]}); a file deeper
#: than this is an attack or a broken export: say where it goes too deep.
MAX_JSON_DEPTH = 32
_CHUNK = 1 << 20

Record = tuple[int, dict[str, str]]


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


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read through it (how far the import has got)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def _encoding(path: Path, warnings: list[str]) -> str:
    """UTF-8 (with or without a BOM) if every byte of the file decodes as it, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            warnings.append("The file is not UTF-8; read it as Windows-1252. Check accented names.")
            return "cp1252"
    return "utf-8-sig"


class RecordSource:
    """The records of one file, streamed; ``fraction`` is how much of the file has been read."""

    def __init__(self, path: Path, warnings: list[str]) -> None:
        self.path, self.name, self.warnings = path, path.name, warnings
        try:
            self.size = path.stat().st_size
            encoding = _encoding(path, warnings)
            self._counter = _Counting(path.open("rb"))
        except OSError as exc:
            raise ValidationError(f"Cannot read {path.name}: {exc.strerror or exc}.") from exc
        self._text = io.TextIOWrapper(io.BufferedReader(self._counter, _CHUNK), encoding=encoding,
                                      errors="replace", newline="")
        self.seen_columns: set[str] = set()
        first = self._text.read(1)
        while first and first.isspace():
            first = self._text.read(1)
        self._first = first
        if path.suffix.casefold() == ".json" or first in ("[", "{"):
            self.kind = "json"
            self._records: Iterator[Record] = self._json_records()
        else:
            self.kind = "csv"
            self._records = self._csv_records()

    @property
    def fraction(self) -> float:
        return min(1.0, self._counter.count / self.size) if self.size else 1.0

    def __iter__(self) -> Iterator[Record]:
        return self._records

    def close(self) -> None:
        self._text.close()

    def unknown_columns_warning(self) -> None:
        unknown = sorted(k for k in self.seen_columns if k not in COLUMNS and not k.startswith("__"))
        if unknown:
            self.warnings.append(f"Ignored unknown column(s): {', '.join(unknown)}.")

    # --- CSV ---------------------------------------------------------------------------------

    def _csv_records(self) -> Iterator[Record]:
        name = self.name
        first_line = self._first + self._text.readline() if self._first else ""
        if not first_line.strip():
            raise ValidationError(f"{name} is empty.")
        delimiter = max((",", ";", "\t"), key=first_line.count)
        reader = csv.reader(itertools.chain([first_line], self._text), delimiter=delimiter)
        header = next(reader)
        columns = [_canonical(h) for h in header]
        self.seen_columns.update(columns)
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ValidationError(f"{name} has no column(s) {', '.join(missing)} (line 1 must name the columns).")
        line = reader.line_num + 1
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    row = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(columns)}
                    if len(cells) > len(columns):
                        row["__extra__"] = str(len(cells) - len(columns))
                    yield line, row
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ValidationError(f"{name} line {reader.line_num}: not valid CSV ({exc}).") from exc

    # --- JSON --------------------------------------------------------------------------------

    def _json_records(self) -> Iterator[Record]:
        scanner = _JsonScanner(self._text, self.name, self._first)
        for line, item in scanner.items():
            if not isinstance(item, dict):
                yield line, {"__error__": "each appointment must be an object with named fields"}
                continue
            row: dict[str, str] = {}
            for key, value in item.items():
                column = _canonical(str(key))
                self.seen_columns.add(column)
                try:
                    row[column] = _as_text(value, column)
                except ValueError as exc:
                    row["__error__"] = str(exc)
            yield line, row


_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:(?P<close>")|\\?\Z)', re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:(?P<close>")|\\?\Z)|[\[\]{}]', re.S)
_SCALAR = re.compile(r'[^\s,\]\}\[\{"]+')
_SPACE = re.compile(r"[ \t\r\n]*")


class _JsonScanner:
    """The elements of a JSON file's appointments array, one at a time, each with its line.

    It keeps a window of the file (a megabyte or so) and tracks the line and column of the
    window's start, so every error names where it is. Nesting is counted, never recursed.
    """

    def __init__(self, text: io.TextIOBase, name: str, first: str) -> None:
        self._fh, self.name = text, name
        self.buf, self.pos, self.eof = first, 0, False
        self._line, self._line_at, self._col0 = 1, 0, 0
        #: How deep the appointments array itself sits (1 in a bare list, 2 in {"appointments": [...]}).
        self._base = 0

    # position bookkeeping
    def _where(self, offset: int) -> tuple[int, int]:
        line = self._line + self.buf.count("\n", self._line_at, offset)
        newline = self.buf.rfind("\n", 0, offset)
        column = offset - newline if newline >= 0 else self._col0 + offset + 1
        return line, column

    def _fail(self, offset: int, what: str) -> ValidationError:
        line, column = self._where(min(offset, len(self.buf)))
        return ValidationError(f"{self.name} line {line} column {column}: not valid JSON ({what}).")

    def _fill(self) -> bool:
        """Read more of the file, dropping what lies before ``pos``; False at the end of it."""
        if self.eof:
            return False
        chunk = self._fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos:
            line, column = self._where(self.pos)
            self._line, self._col0 = line, column - 1
            self.buf = self.buf[self.pos:]
            self.pos, self._line_at = 0, 0
        self.buf += chunk
        return True

    def _peek(self) -> str:
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def _string(self) -> str:
        while True:
            match = _STRING.match(self.buf, self.pos)
            if match is not None and match.group("close") is not None:
                text = match.group()
                self.pos = match.end()
                try:
                    return str(json.loads(text))
                except json.JSONDecodeError as exc:
                    raise self._fail(match.start() + exc.pos, exc.msg) from None
            if not self._fill():
                raise self._fail(self.pos, "a text value is never closed")

    def _value(self) -> tuple[int, Any]:
        """The value at ``pos`` (parsed), with the line it starts on; ``pos`` moves past it."""
        start_char = self._peek()
        if start_char == "":
            raise self._fail(self.pos, "the file ends where a value should be")
        line, _ = self._where(self.pos)
        if start_char == '"':
            return line, self._string()
        if start_char in "[{":
            depth, scan = self._base, self.pos
            while True:
                end = None
                for match in _TOKEN.finditer(self.buf, scan):
                    token = match.group()
                    if token[0] == '"':
                        if match.group("close") is None:
                            scan = match.start()
                            break
                        continue
                    if token in "[{":
                        depth += 1
                        if depth > MAX_JSON_DEPTH:
                            line, column = self._where(match.start())
                            raise ValidationError(
                                f"{self.name} line {line} column {column}: nested more than {MAX_JSON_DEPTH} "
                                "levels deep; an appointments file is a list of flat objects.")
                    else:
                        depth -= 1
                        if depth == self._base:
                            end = match.end()
                            break
                else:
                    scan = len(self.buf)
                if end is not None:
                    break
                shift = self.pos
                if not self._fill():
                    raise self._fail(self.pos, "the file ends before this value is closed")
                scan -= shift
        else:
            while True:
                scalar = _SCALAR.match(self.buf, self.pos)
                if scalar is None:
                    raise self._fail(self.pos, f"unexpected {start_char!r}")
                if scalar.end() < len(self.buf) or not self._fill():
                    break
            end = scalar.end()
        text, start = self.buf[self.pos:end], self.pos
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._fail(start + exc.pos, exc.msg) from None
        except RecursionError:  # cannot happen below MAX_JSON_DEPTH, but never a traceback
            raise self._fail(start, "nested too deeply") from None
        self.pos = end
        return line, value

    def _expect(self, chars: str, what: str) -> str:
        char = self._peek()
        if char == "" or char not in chars:
            raise self._fail(self.pos, f"expected {what}" + (f", found {char!r}" if char else ", found the end"))
        self.pos += 1
        return char

    def _array(self) -> Iterator[tuple[int, Any]]:
        self._expect("[", "[")
        self._base += 1
        if self._peek() == "]":
            self.pos += 1
            self._base -= 1
            return
        while True:
            yield self._value()
            if self._expect(",]", "',' or ']' after an appointment") == "]":
                self._base -= 1
                return

    def items(self) -> Iterator[tuple[int, Any]]:
        first = self._peek()
        if first == "":
            raise ValidationError(f"{self.name} is empty.")
        shape = ValidationError(f"{self.name} must hold a list of appointments (or {{\"appointments\": [...]}}).")
        if first == "[":
            yield from self._array()
        elif first == "{":
            self.pos += 1
            self._base += 1
            found = False
            if self._peek() == "}":
                self.pos += 1
            else:
                while True:
                    if self._peek() != '"':
                        raise self._fail(self.pos, "expected a field name in double quotes")
                    key = self._string()
                    self._expect(":", "':' after a field name")
                    if key == "appointments" and not found:
                        if self._peek() != "[":
                            raise shape
                        found = True
                        yield from self._array()
                    else:
                        self._value()
                    if self._expect(",}", "',' or '}'") == "}":
                        break
            if not found:
                raise shape
        else:
            raise shape
        if self._peek() != "":
            raise self._fail(self.pos, "extra data after the appointments")


def open_records(path: Path, warnings: list[str]) -> RecordSource:
    """The file's rows, streamed as (line, {column: text}); ``ValidationError`` when it cannot be read."""
    return RecordSource(path, warnings)


def read_records(path: Path, warnings: list[str]) -> list[Record]:
    """Every row of a (small) file at once: what tests and the property checks use."""
    source = open_records(path, warnings)
    try:
        records = list(source)
    finally:
        source.close()
    source.unknown_columns_warning()
    return records
