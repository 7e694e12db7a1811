"""The day's appointments as a Qt table model, and the filter the one search box drives.

The model holds the frozen ``AppointmentView`` rows a service returned (never ORM rows) plus the
time it was last told, from which it works out what a clerk must see at a glance: which visitors
are next, who is late, who is waiting and for how long. Status is always text and a shape glyph;
colour only repeats it. With the screen mask on, visitors' names become initials.

The filter matches with ``appointments.matches_key`` on keys the model prepares once per row, so
the service search and the live filter agree, and a keystroke costs one pass over prepared strings.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QPainter,
    QPalette,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from frontcounter.db.models import Status
from frontcounter.services.appointments import (
    AppointmentView,
    SearchKey,
    SearchQuery,
    matches_key,
    prepare_query,
    search_key,
)
from frontcounter.services.clock import local
from frontcounter.ui.app_state import mask_name

_Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    """Each cell has a main line and a quieter second line, so nine facts fit a counter's screen."""

    TIME = 0  # time / reference
    VISITOR = 1  # name / reason
    ROOM = 2  # room / officer
    STATUS = 3  # status / minutes waited or late
    NEEDS = 4  # need badges


COLUMNS = len(Column)
_COLUMN = tuple(Column)  # by number, without constructing an enum member per call


class RowState(enum.StrEnum):
    """What a row means to the clerk right now (derived from status and the time)."""

    NEXT = "next"  # booked, and the earliest start still to come
    UPCOMING = "upcoming"
    LATE = "late"  # booked, start passed, not yet arrived
    WAITING = "waiting"  # arrived, waiting for the officer
    WITH_OFFICER = "with_officer"
    DONE = "done"  # completed, no-show, left unseen
    RELEASED = "released"  # cancelled or rescheduled: the slot no longer holds


#: Reasons not shown while the screen mask is on: the public must not read why someone came.
SENSITIVE_REASONS = frozenset({"domestic_abuse", "sexual_offence", "hate_crime"})

#: Rows below Today's divider: nothing is left to do for them today.
FINISHED_STATES = frozenset({RowState.DONE, RowState.RELEASED})

#: Sorting by status puts who needs attention first.
STATUS_SORT_ORDER = (RowState.LATE, RowState.WAITING, RowState.NEXT, RowState.UPCOMING, RowState.WITH_OFFICER,
                     RowState.DONE, RowState.RELEASED)

#: Extra roles: the row's view, its sort key, its state.
VIEW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
#: The cell's second line (reference, reason, officer, minutes); the NEEDS cell's badges as a list.
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 4
BADGES_ROLE = Qt.ItemDataRole.UserRole + 5
_CELL_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.DisplayRole, DETAIL_ROLE, BADGES_ROLE, Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.AccessibleTextRole))

#: Shapes that carry the status without colour (all in DejaVu Sans, the fallback on every desktop).
GLYPHS: dict[str, str] = {
    RowState.NEXT: "▶",
    RowState.UPCOMING: "○",
    RowState.LATE: "⚠",
    RowState.WAITING: "●",
    RowState.WITH_OFFICER: "◐",
    Status.COMPLETED: "✓",
    Status.NO_SHOW: "✗",
    Status.LEFT_UNSEEN: "↩",
    Status.CANCELLED: "⊘",
    Status.RESCHEDULED: "↷",
}


#: The at-risk mark: a shape of its own (a solid diamond, not the late ⚠), with the word AT RISK and a red row.
AT_RISK_GLYPH = "◆"


def is_at_risk(view: AppointmentView) -> bool:
    """Booked or waiting, and the officer was pulled away with no one assigned yet."""
    return view.at_risk and view.status in (Status.BOOKED, Status.ARRIVED)


@functools.cache
def _tr(text: str) -> str:
    """Translated once per text: cells are built per row, and a translation lookup per call (ten
    of them per ``reason_label``) was a good part of a new row's cost. Translators are installed
    at start-up, before any view exists, so a cached answer never goes stale."""
    return QCoreApplication.translate("AppointmentModel", text)


@functools.cache
def reason_label(reason: str) -> str:
    labels = {
        "report_crime": _tr("Report a crime"),
        "victim_update": _tr("Victim update"),
        "witness_statement": _tr("Witness statement"),
        "domestic_abuse": _tr("Domestic abuse"),
        "sexual_offence": _tr("Sexual offence"),
        "hate_crime": _tr("Hate crime"),
        "fraud": _tr("Fraud"),
        "property": _tr("Lost or found property"),
        "firearms_licensing": _tr("Firearms licensing"),
        "other": _tr("Other"),
    }
    return labels.get(reason, reason.replace("_", " ").capitalize())


@functools.cache
def status_label(status: str) -> str:
    labels: dict[str, str] = {
        Status.BOOKED: _tr("Booked"),
        Status.ARRIVED: _tr("Waiting"),
        Status.IN_PROGRESS: _tr("With officer"),
        Status.COMPLETED: _tr("Seen"),
        Status.NO_SHOW: _tr("No-show"),
        Status.CANCELLED: _tr("Cancelled"),
        Status.RESCHEDULED: _tr("Rescheduled"),
        Status.LEFT_UNSEEN: _tr("Left unseen"),
    }
    return labels.get(status, status)


def need_badges(view: AppointmentView) -> list[str]:
    """The visitor's needs in a few words each (interpreter and language, access, companion)."""
    badges = []
    if view.interpreter_language:
        badges.append(_tr("{0} interpreter").format(view.interpreter_language))
    if view.needs_step_free:
        badges.append(_tr("Step-free"))
    if view.needs_hearing_loop:
        badges.append(_tr("Hearing loop"))
    if view.person_of_choice:
        badges.append(_tr("Person of choice"))
    return badges


def minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


@dataclass(frozen=True, slots=True)
class Cell:
    """What one cell shows, worked out once per change rather than once per paint."""

    main: str
    detail: str
    badges: tuple[str, ...]
    font: str  # "", "bold" or "struck"
    foreground: QBrush | None
    background: QBrush | None


class _Colours:
    """Row tints for the light theme; on a dark (high-contrast) palette, text colours instead."""

    def __init__(self) -> None:
        dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.dark = dark
        if dark:
            self.background: dict[str, QBrush | None] = {s: None for s in RowState}
            self.at_risk: tuple[QBrush | None, QBrush | None] = (QBrush(QColor("#ff6b6b")), None)
            self.foreground = {
                RowState.NEXT: QBrush(QColor("#ffffff")),
                RowState.LATE: QBrush(QColor("#ffff00")),
                RowState.WAITING: QBrush(QColor("#7fffd4")),
                RowState.RELEASED: QBrush(QColor("#c0c0c0")),
                RowState.DONE: QBrush(QColor("#c0c0c0")),
            }
        else:
            #: (text, fill) of an at-risk row: a red the status colours use nowhere else.
            self.at_risk = (QBrush(QColor("#8a1020")), QBrush(QColor("#fbdadd")))
            self.background = {
                RowState.NEXT: QBrush(QColor("#e3ebf6")),
                RowState.LATE: QBrush(QColor("#fff0bf")),
                RowState.WAITING: QBrush(QColor("#d5efeb")),
                RowState.WITH_OFFICER: None,
                RowState.UPCOMING: None,
                RowState.DONE: None,
                RowState.RELEASED: None,
            }
            self.foreground = {
                RowState.LATE: QBrush(QColor("#5c4300")),
                RowState.WAITING: QBrush(QColor("#0d5249")),
                RowState.DONE: QBrush(QColor("#52606d")),
                RowState.RELEASED: QBrush(QColor("#616e7c")),
            }


class AppointmentTableModel(QAbstractTableModel):
    """One row per appointment of the day, in the order the service returned them (by time)."""

    HEADERS = ("Time", "Visitor · Reason", "Room · Officer", "Status", "Needs")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AppointmentView] = []
        #: Where the finished rows start in time order (Today's divider), None when there are none.
        self.first_finished: int | None = None
        self._keys: list[SearchKey] = []
        self._states: list[RowState] = []
        self._now = datetime.min
        self._masked = False
        self._grace = timedelta(minutes=15)
        self._by_id: dict[object, int] = {}
        self._by_reference: dict[str, int] = {}
        self._sort: tuple[Column, Qt.SortOrder] = (Column.TIME, Qt.SortOrder.AscendingOrder)
        self._cells: dict[int, Cell] = {}
        #: Bumped whenever rows or their order change, so the filter knows its answers are stale.
        self.generation = 0
        self._colours = _Colours()
        self._bold = QFont()
        self._bold.setBold(True)
        self._struck = QFont()
        self._struck.setStrikeOut(True)

    # -- feeding ------------------------------------------------------------------------------

    def set_rows(self, rows: list[AppointmentView], now: datetime) -> None:
        self.beginResetModel()
        self._cells.clear()
        self._rows = list(rows)
        self._now = now
        self._states = self._derive_states()
        self.first_finished = None
        if self._sort != (Column.TIME, Qt.SortOrder.AscendingOrder):
            self._reorder(*self._sort)
        else:
            self._finished_last()
        self._reindex()
        self.endResetModel()

    def _finished_last(self) -> None:
        """In time order, who is still to come or here stays on top and the finished (seen,
        no-show, left unseen, cancelled, moved) go below, each part in time order: the clerk opens
        on now, not on the morning's closed rows. One stable pass, no sort."""
        finished = [i for i, s in enumerate(self._states) if s in FINISHED_STATES]
        self.first_finished = len(self._rows) - len(finished) if finished else None
        if not finished or finished[0] == self.first_finished:
            return  # already in that order
        done = set(finished)
        order = [i for i in range(len(self._rows)) if i not in done] + finished
        self._rows = [self._rows[i] for i in order]
        self._states = [self._states[i] for i in order]

    def _reindex(self) -> None:
        self.generation += 1
        self._keys = [search_key(v) for v in self._rows]
        self._by_id = {v.id: i for i, v in enumerate(self._rows)}
        self._by_reference = {v.reference: i for i, v in enumerate(self._rows)}

    def _reorder(self, column: int, order: Qt.SortOrder) -> None:
        keys = [self._sort_key(_COLUMN[column], v, i) for i, v in enumerate(self._rows)]
        positions = sorted(range(len(self._rows)), key=keys.__getitem__,
                           reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [self._rows[i] for i in positions]
        self._states = [self._states[i] for i in positions]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted here, once, rather than by the proxy on every keystroke (a Python comparison per pair)."""
        if column < 0:
            return
        self._sort = (_COLUMN[column], order)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[p.row()].id if p.isValid() else None for p in persistent]
        self._reorder(column, order)
        self.first_finished = None
        if self._sort == (Column.TIME, Qt.SortOrder.AscendingOrder):
            self._finished_last()
        self._reindex()
        self._cells.clear()
        self.changePersistentIndexList(persistent, [
            self.index(self._by_id[i], p.column()) if i is not None else QModelIndex()
            for p, i in zip(persistent, ids, strict=True)])
        self.layoutChanged.emit()

    def set_now(self, now: datetime) -> None:
        """The clock moved: late, next and minutes waited change, nothing else does."""
        self._now = now
        self._states = self._derive_states()
        self._cells.clear()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COLUMNS - 1))

    def set_masked(self, masked: bool) -> None:
        if masked == self._masked:
            return
        self._masked = masked
        self._cells.clear()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COLUMNS - 1))

    def set_grace(self, grace: timedelta) -> None:
        self._grace = grace

    def refresh_palette(self) -> None:
        """After a theme change: pick row colours for the new palette."""
        self._colours = _Colours()
        self._cells.clear()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COLUMNS - 1))

    # -- reading ------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def masked(self) -> bool:
        return self._masked

    def views(self) -> list[AppointmentView]:
        return list(self._rows)

    def view_at(self, row: int) -> AppointmentView:
        return self._rows[row]

    def key_at(self, row: int) -> SearchKey:
        return self._keys[row]

    def search_keys(self) -> list[SearchKey]:
        return self._keys

    def state_at(self, row: int) -> RowState:
        return self._states[row]

    def row_of(self, appointment_id: object) -> int | None:
        return self._by_id.get(appointment_id)

    def row_of_reference(self, reference: str) -> int | None:
        return self._by_reference.get(reference)

    def counts(self) -> dict[RowState, int]:
        out = dict.fromkeys(RowState, 0)
        for state in self._states:
            out[state] += 1
        return out

    def visitor_label(self, view: AppointmentView) -> str:
        return mask_name(view.visitor_name, self._masked) or _tr("(name erased)")

    def reason_text(self, view: AppointmentView) -> str:
        """The reason, except a sensitive one while the public can see the screen."""
        if self._masked and view.reason in SENSITIVE_REASONS:
            return _tr("Confidential")
        return reason_label(view.reason)

    def late_minutes(self, view: AppointmentView) -> int:
        return minutes(self._now - view.start)

    def waited_minutes(self, view: AppointmentView) -> int | None:
        if view.arrived_at is None:
            return None
        until = view.seen_at if view.seen_at is not None else self._now
        return minutes(until - view.arrived_at)

    def status_text(self, row: int) -> str:
        """The status in words with its shape glyph: "⚠ Late 12 min", "● Waiting", "▶ Next"."""
        view, state = self._rows[row], self._states[row]
        if state == RowState.LATE:
            text = _tr("Late {0} min").format(self.late_minutes(view))
        elif state == RowState.NEXT:
            text = _tr("Next")
        else:
            text = status_label(view.status)
        if is_at_risk(view):
            return _tr("{0} AT RISK").format(AT_RISK_GLYPH)  # the status stays in the line below
        glyph = GLYPHS.get(state) or GLYPHS.get(view.status, "")
        return f"{glyph} {text}".strip()

    def status_detail(self, row: int) -> str:
        """The status's second line: minutes waited, or what a late visitor's row allows."""
        view, state = self._rows[row], self._states[row]
        if is_at_risk(view) and state in (RowState.NEXT, RowState.UPCOMING):
            return _tr("▶ Next · booked") if state == RowState.NEXT else status_label(view.status)
        if state == RowState.WAITING:
            return _tr("waiting {0} min").format(self.waited_minutes(view) or 0)
        if state == RowState.WITH_OFFICER:
            waited = self.waited_minutes(view)
            return _tr("waited {0} min").format(waited) if waited is not None else ""
        if state == RowState.LATE:
            if self._now - view.start >= self._grace:
                return _tr("no-show can be marked")
            return _tr("no-show from {0}").format(f"{local(view.start + self._grace):%H:%M}")
        if state == RowState.NEXT:
            return status_label(view.status)
        return ""

    def officer_short(self, view: AppointmentView) -> str:
        """"PC 1169 Okafor": rank, collar number and surname, so the column stays narrow."""
        if view.officer_id is None or view.officer_name is None:
            return _tr("Unassigned")
        surname = view.officer_name.split()[-1] if view.officer_name.split() else view.officer_name
        return f"{view.officer_collar} {surname}"

    # -- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt signature)
        return 0 if parent.isValid() else COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.HEADERS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), _COLUMN[index.column()]
        if role in _CELL_ROLES:
            cell = self.cell(row, column)
            if role == Qt.ItemDataRole.DisplayRole:
                return cell.main
            if role == DETAIL_ROLE:
                return cell.detail
            if role == BADGES_ROLE:
                return list(cell.badges)
            if role == Qt.ItemDataRole.BackgroundRole:
                return cell.background
            if role == Qt.ItemDataRole.ForegroundRole:
                return cell.foreground
            if role == Qt.ItemDataRole.FontRole:
                return self._bold if cell.font == "bold" else self._struck if cell.font == "struck" else None
            return ", ".join(t for t in (cell.main, cell.detail) if t)  # AccessibleTextRole
        view, state = self._rows[row], self._states[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, view)
        if role == VIEW_ROLE:
            return view
        if role == SORT_ROLE:
            return self._sort_key(column, view, row)
        if role == STATE_ROLE:
            return state.value
        return None

    _FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return self._FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def cell(self, row: int, column: int) -> Cell:
        """The cell's text, badges, font and colours (cached until rows, time, mask or sort change)."""
        key = row * COLUMNS + column
        cell = self._cells.get(key)
        if cell is None:
            view, state, col = self._rows[row], self._states[row], _COLUMN[column]
            font = ""
            foreground, background = self._colours.foreground.get(state), self._colours.background.get(state)
            if state == RowState.RELEASED and col in (Column.VISITOR, Column.TIME):
                font = "struck"
            elif state in (RowState.NEXT, RowState.LATE, RowState.WAITING) and col in (Column.TIME, Column.STATUS):
                font = "bold"
            if is_at_risk(view):
                # Loud on every cell: the word and the glyph in the status, a red tint on the row.
                foreground, background = self._colours.at_risk
                font = "bold" if col in (Column.TIME, Column.STATUS) else font
            cell = Cell(self._main(row, col, view, state), self._detail(row, col, view),
                        tuple(need_badges(view)) if col == Column.NEEDS else (), font, foreground, background)
            self._cells[key] = cell
        return cell

    # -- internals ----------------------------------------------------------------------------

    def _main(self, row: int, column: Column, view: AppointmentView, state: RowState) -> str:
        if column == Column.TIME:
            text = f"{local(view.start):%H:%M}"
            return f"▶ {text}" if state == RowState.NEXT else text
        if column == Column.VISITOR:
            return self.visitor_label(view)
        if column == Column.ROOM:
            return view.room_name
        if column == Column.STATUS:
            return self.status_text(row)
        if column == Column.NEEDS:
            return " · ".join(need_badges(view))
        return ""

    def _detail(self, row: int, column: Column, view: AppointmentView) -> str:
        if column == Column.TIME:
            return view.reference
        if column == Column.VISITOR:
            return self.reason_text(view)
        if column == Column.ROOM:
            if is_at_risk(view):  # the officer on the row was pulled away: say so where they are named
                return _tr("officer pulled away") if view.officer_id else _tr("no officer")
            return self.officer_short(view)
        if column == Column.STATUS:
            return self.status_detail(row)
        return ""

    def _tooltip(self, row: int, column: Column, view: AppointmentView) -> str | None:
        if column == Column.NEEDS:
            parts = []
            if view.interpreter_language:
                parts.append(_tr("Interpreter: {0}").format(view.interpreter_language))
            if view.needs_step_free:
                parts.append(_tr("Needs step-free access"))
            if view.needs_hearing_loop:
                parts.append(_tr("Needs a hearing loop"))
            if view.access_needs and not self._masked:
                parts.append(view.access_needs)
            if view.person_of_choice:
                parts.append(_tr("Attending with: {0}").format(mask_name(view.person_of_choice, self._masked)))
            return "\n".join(parts) or None
        if column == Column.ROOM:
            return f"{view.room_name}\n{view.officer_label if view.officer_id else _tr('Unassigned')}"
        if column == Column.STATUS:
            if view.at_risk and view.at_risk_reason:
                return _tr("At risk: {0}").format(view.at_risk_reason)
            return f"{self.status_text(row)}\n{self.status_detail(row)}".strip()
        return None

    def _sort_key(self, column: Column, view: AppointmentView, row: int) -> Any:
        if column == Column.TIME:
            return f"{view.start.isoformat()} {view.reference}"
        if column == Column.STATUS:
            order = STATUS_SORT_ORDER.index(self._states[row])
            return f"{order} {view.start.isoformat()} {view.reference}"
        return f"{self._main(row, column, view, self._states[row]).casefold()} {view.start.isoformat()}"

    def _derive_states(self) -> list[RowState]:
        now = self._now
        upcoming = [v.start for v in self._rows if v.status == Status.BOOKED and v.start > now]
        next_start = min(upcoming) if upcoming else None
        states = []
        for v in self._rows:
            if v.status in (Status.CANCELLED, Status.RESCHEDULED):
                states.append(RowState.RELEASED)
            elif v.status == Status.ARRIVED:
                states.append(RowState.WAITING)
            elif v.status == Status.IN_PROGRESS:
                states.append(RowState.WITH_OFFICER)
            elif v.status == Status.BOOKED:
                if v.start <= now:
                    states.append(RowState.LATE)
                elif v.start == next_start:
                    states.append(RowState.NEXT)
                else:
                    states.append(RowState.UPCOMING)
            else:
                states.append(RowState.DONE)
        return states


class AppointmentFilterProxy(QSortFilterProxyModel):
    """Filters on the search box text (reference, name, phone, crime reference) and sorts by time.

    Qt asks ``filterAcceptsRow`` once per row, and each call crosses from C++ into Python, so a
    keystroke works out every row's answer in one Python pass first and each call only looks its
    row up (about half the cost of a keystroke's filtering on a day of a thousand visitors).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._query: SearchQuery = prepare_query("")
        self._text = ""
        self._model: AppointmentTableModel | None = None
        #: Every row's answer for the current query (None: no query, every row shows), for the
        #: model generation it was made for.
        self._accepted: list[bool] | None = None
        self._generation = -1
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def setSourceModel(self, model: QAbstractItemModel) -> None:  # noqa: N802 (Qt override)
        self._model = model if isinstance(model, AppointmentTableModel) else None
        self._generation = -1
        super().setSourceModel(model)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts; the proxy keeps its order, so filtering never re-sorts."""
        if self._model is not None:
            self._model.sort(column, order)

    @property
    def text(self) -> str:
        return self._text

    def set_query(self, text: str) -> None:
        if text == self._text:
            return
        self.beginFilterChange()
        self._text = text
        self._query = prepare_query(text)
        self._answers()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _answers(self) -> list[bool] | None:
        """Every row's answer for the current query and the model's current rows."""
        model = self._model
        if not self._query.needle or model is None:
            self._accepted = None
        else:
            query = self._query
            self._accepted = [matches_key(key, query) for key in model.search_keys()]
        self._generation = model.generation if model is not None else -1
        return self._accepted

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802 (Qt override)
        accepted = self._accepted
        model = self._model
        if model is not None and self._generation != model.generation:  # new rows since the query
            accepted = self._answers()
        return True if accepted is None else accepted[source_row]


class AppointmentDelegate(QStyledItemDelegate):
    """Draws each cell as a main line and a quieter second line, and the needs as badges.

    The panel (selection, hover) comes from the style and so from the theme; the text and badges
    are drawn here from the model's cached ``Cell``, without a round of ``data()`` calls per paint.

    Shaping text is most of a paint's cost, and ``elidedText`` then ``drawText`` shaped every line
    twice per paint. Each line is instead elided once for its column width and kept as a
    ``QStaticText``, laid out on first draw and only blitted after that: a keystroke that brings
    back rows already seen, a selection move or a minute's tick repaints without shaping anything.
    """

    PADDING = 8
    _SELECTED = QStyle.StateFlag.State_Selected
    _PLAIN = Qt.TextFormat.PlainText
    _ELIDE = Qt.TextElideMode.ElideRight
    _IDENTITY = QTransform()
    #: Prepared lines kept; past this the cache starts again (a day's rows need a few thousand).
    CACHE_LIMIT = 8192

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fonts: dict[tuple[str, str], tuple[QFont, QFontMetrics]] = {}
        self._lines: dict[tuple[str, int, str, str], QStaticText] = {}
        self._badge_widths: dict[tuple[str, str], int] = {}
        self._base: QFont | None = None
        self._base_key = ""

    def _base_key_of(self, base: QFont) -> str:
        """The view's font's key, worked out again only when the font changes (``key()`` builds a
        string; comparing two fonts does not)."""
        if self._base is None or base != self._base:
            self._base, self._base_key = QFont(base), base.key()
        return self._base_key

    def _font(self, base: QFont, base_key: str, kind: str) -> tuple[QFont, QFontMetrics]:
        key = (base_key, kind)
        found = self._fonts.get(key)
        if found is None:
            font = QFont(base)
            if kind == "bold":
                font.setBold(True)
            elif kind == "struck":
                font.setStrikeOut(True)
            elif kind == "small":
                size = base.pointSizeF()
                if size > 0:
                    font.setPointSizeF(max(7.0, size * 0.9))
            found = (font, QFontMetrics(font))
            self._fonts[key] = found
        return found

    def _line(self, text: str, width: int, font_key: str, kind: str, font: QFont,
              metrics: QFontMetrics) -> QStaticText:
        """``text`` laid out once in ``font`` (the painter's font when it is drawn), elided to
        ``width`` when it does not fit: most lines fit, and are then shaped only once."""
        key = (text, width, font_key, kind)
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) >= self.CACHE_LIMIT:
                self._lines.clear()
            line = self._prepared(text, font)
            if line.size().width() > width:
                line = self._prepared(metrics.elidedText(text, self._ELIDE, width), font)
            self._lines[key] = line
        return line

    @classmethod
    def _prepared(cls, text: str, font: QFont) -> QStaticText:
        line = QStaticText(text)
        line.setTextFormat(cls._PLAIN)
        line.prepare(cls._IDENTITY, font)
        return line

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        model = index.model()
        source = model.mapToSource(index) if isinstance(model, QSortFilterProxyModel) else index
        table = source.model()
        if not isinstance(table, AppointmentTableModel):
            super().paint(painter, option, index)
            return
        cell = table.cell(source.row(), source.column())
        opt = option
        if cell.background is not None:
            opt = QStyleOptionViewItem(option)  # the view's option is reused for the next cell
            opt.backgroundBrush = cell.background
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)

        selected = bool(opt.state & self._SELECTED)
        palette = opt.palette
        if selected:
            colour = palette.color(QPalette.ColorRole.HighlightedText)
            quiet = colour
        else:
            colour = cell.foreground.color() if cell.foreground is not None else palette.color(QPalette.ColorRole.Text)
            quiet = palette.color(QPalette.ColorRole.PlaceholderText)
        rect = opt.rect.adjusted(self.PADDING, 3, -self.PADDING, -3)
        base = option.font
        base_key = self._base_key_of(base)
        painter.save()
        if cell.badges:
            self._paint_badges(painter, rect, cell.badges, base, base_key, colour, selected, palette)
        else:
            font, metrics = self._font(base, base_key, cell.font)
            painter.setFont(font)
            painter.setPen(colour)
            width, left, top = rect.width(), rect.left(), rect.top()
            main = self._line(cell.main, width, base_key, cell.font, font, metrics)
            if cell.detail:
                # The main line sits on the middle of the cell, the detail line hangs below it.
                half = rect.height() // 2
                painter.drawStaticText(left, top + half - metrics.height(), main)
                small, small_metrics = self._font(base, base_key, "small")
                painter.setFont(small)
                painter.setPen(quiet)
                painter.drawStaticText(left, top + half,
                                       self._line(cell.detail, width, base_key, "small", small, small_metrics))
            else:
                painter.drawStaticText(left, top + (rect.height() - metrics.height()) // 2, main)
        if source.row() == table.first_finished and source.row() > 0:
            # The divider between who is still to come and who is finished: a firm rule across.
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 3))
            painter.drawLine(opt.rect.left(), opt.rect.top() + 1, opt.rect.right(), opt.rect.top() + 1)
        painter.restore()

    def _paint_badges(self, painter: QPainter, rect: Any, badges: tuple[str, ...], base: QFont, base_key: str,
                      colour: QColor, selected: bool, palette: QPalette) -> None:
        small, metrics = self._font(base, base_key, "small")
        height, gap = metrics.height() + 4, 3
        max_lines = max(1, min(2, (rect.height() + gap) // (height + gap)))
        # Lay the badges out in lines first, so the block can be centred vertically.
        lines: list[list[tuple[str, int]]] = [[]]
        used = 0
        overflow = 0
        for n, badge in enumerate(badges):
            natural = self._badge_widths.get((base_key, badge))
            if natural is None:
                natural = self._badge_widths[(base_key, badge)] = metrics.horizontalAdvance(badge) + 14
            width = min(natural, rect.width())
            if lines[-1] and used + width > rect.width():
                if len(lines) == max_lines:
                    overflow = len(badges) - n
                    break
                lines.append([])
                used = 0
            lines[-1].append((badge, width))
            used += width + 4
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        painter.setFont(small)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        block = len(lines) * height + (len(lines) - 1) * gap
        y = rect.top() + max(0, (rect.height() - block) // 2)
        text_top = (height - metrics.height()) // 2
        for number, line in enumerate(lines):
            x = rect.left()
            for badge, width in line:
                if selected or dark:
                    painter.setPen(colour)
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                else:
                    painter.setPen(QColor("#7b93b8"))
                    painter.setBrush(QColor("#eef3fa"))
                painter.drawRoundedRect(x, y, width, height, 7, 7)
                painter.setPen(colour if (selected or dark) else QColor("#1d3557"))
                text = self._line(badge, width - 10, base_key, "small", small, metrics)
                painter.drawStaticText(QPointF(x + (width - text.size().width()) / 2, y + text_top), text)
                x += width + 4
            if overflow and number == len(lines) - 1:
                painter.setPen(colour)
                painter.drawText(x, y, max(0, rect.right() - x), height, int(Qt.AlignmentFlag.AlignVCenter),
                                 f"+{overflow}")
            y += height + gap

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> Any:  # noqa: N802 (Qt override)
        size = super().sizeHint(option, index)
        size.setHeight(QFontMetrics(option.font).height() * 2 + 14)
        return size
