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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import (
    QBrush,
    QFont,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import (
    AppointmentView,
    SearchKey,
    search_key,
)
from frontcounter.services.core.clock import hhmm, local
from frontcounter.ui.app_state import mask_name
from frontcounter.ui.kit.labels import _tr, need_badges, reason_label, status_label
from frontcounter.ui.kit.row_states import AT_RISK_GLYPH as AT_RISK_GLYPH
from frontcounter.ui.kit.row_states import (
    FINISHED_STATES,
    STATUS_SORT_ORDER,
    RowColours,
    at_risk_text,
    is_at_risk,
)
from frontcounter.ui.kit.row_states import GLYPHS as GLYPHS
from frontcounter.ui.kit.row_states import RowState as RowState

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


#: Reasons not shown while the screen mask is on: the public must not read why someone came.
SENSITIVE_REASONS = frozenset({"domestic_abuse", "sexual_offence", "hate_crime"})

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
        self._colours = RowColours()
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
        self._colours = RowColours()
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
            return at_risk_text()  # the status stays in the line below
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
            text = hhmm(view.start)
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


