"""Figures as the reports view and its drill-down show them, and how their exports are written."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QWidget,
)

from frontcounter.services.core.errors import FrontCounterError


@dataclass(frozen=True)
class Target:
    """What a bar, a point or a table row stands for: a figure key, its station and a title."""

    key: str
    station_code: str | None
    title: str


Row = tuple[Sequence[str], Target | None]



logger = logging.getLogger(__name__)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _percent_value(value: float | None) -> float:
    """A ratio as the whole percentage a chart bar shows (as the table beside it rounds it)."""
    return 0.0 if value is None else float(round(value * 100))


def _hours(value: float) -> str:
    return f"{value:.0f} h" if value >= 100 else f"{value:.1f} h"


def _collar(label: str, *, short: bool) -> str:
    """"PC 1234 Priya Patel" → "1234 Patel" (or "1234" when many bars share the axis)."""
    parts = label.split()
    if len(parts) < 3:
        return label
    return parts[1] if short else f"{parts[1]} {parts[-1]}"


def _two_lines(label: str) -> str:
    """An axis label as Qt Charts' rich text, a long one broken at its middle space so Qt does not
    elide it to "Left unse…" (room and station names are escaped: they are data, not markup)."""
    if len(label) <= 9 or " " not in label:
        return html.escape(label)
    middle = len(label) // 2
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{html.escape(label[:cut])}<br>{html.escape(label[cut + 1:])}"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _failure_text(widget: QWidget, exc: BaseException) -> str:
    if isinstance(exc, FrontCounterError):
        return exc.message
    if isinstance(exc, OSError):
        return widget.tr("Could not write the file: {0}").format(exc.strerror or exc)
    logger.error("reports task failed", exc_info=exc)
    return widget.tr("Something went wrong; the details are in the log.")
