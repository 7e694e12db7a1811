"""The navigation: which views exist, who may see each, and how to build it.

The main window shows only the views the signed-in role may use (DESIGN.md section 6); the
services check permission again on every call.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from frontcounter.services.core.permissions import Action
from frontcounter.ui.app_state import AppState


@dataclass(frozen=True)
class ViewSpec:
    key: str
    title: str
    icon: str
    permission: Action
    #: "module:ClassName" under frontcounter.ui (e.g. views.today), imported when first shown (fast start-up).
    target: str
    shortcut: str
    #: Further permissions any one of which also shows the view (admin manages rooms, not rosters).
    or_permissions: tuple[Action, ...] = ()

    def visible_to(self, state: AppState) -> bool:
        return any(state.can(p) for p in (self.permission, *self.or_permissions))

    def build(self, state: AppState) -> QWidget:
        module_name, class_name = self.target.split(":")
        module = importlib.import_module(f"frontcounter.ui.{module_name}")
        factory: Callable[[AppState], QWidget] = getattr(module, class_name)
        return factory(state)


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("today", "Today", "today", Action.VIEW_APPOINTMENTS, "views.today:TodayView", "Ctrl+1"),
    ViewSpec("board", "Day board", "day-board", Action.VIEW_APPOINTMENTS, "views.day_board:DayBoardView", "Ctrl+2"),
    ViewSpec("mine", "My appointments", "my-appointments", Action.READ_BRIEFING,
             "views.my_appointments:MyAppointmentsView", "Ctrl+3"),
    ViewSpec("book", "Book", "book", Action.BOOK, "views.booking:BookingView", "Ctrl+4"),
    ViewSpec("attention", "Needs attention", "needs-attention", Action.SETTLE_ATTENTION, "views.attention:AttentionView",
             "Ctrl+5"),
    ViewSpec("not_accepted", "Not accepted", "needs-attention", Action.RESEND_REJECTED,
             "views.not_accepted:NotAcceptedView", "Ctrl+9"),
    ViewSpec("roster", "Roster & rooms", "settings", Action.MANAGE_ROSTER, "views.roster_admin:RosterAdminView", "Ctrl+7",
             or_permissions=(Action.MANAGE_ROOMS, Action.MANAGE_SESSIONS)),
    ViewSpec("reports", "Reports", "reports", Action.VIEW_REPORTS, "views.reports:ReportsView", "Ctrl+6"),
    ViewSpec("audit", "Audit log", "reports", Action.VIEW_AUDIT, "views.audit:AuditView", "Ctrl+8"),
    ViewSpec("users", "Users", "user-switch", Action.MANAGE_USERS, "views.users:UsersView", "Ctrl+9"),
)


#: The FCR desk (``ctx.mode == "central"``: the centre itself, no station cache): booking for a
#: caller at any station, the force-wide at-risk list, the messages that did not reach a visitor
#: (to phone instead), any station's day board, force-wide reports.
FCR_DESK_VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("fcr", "FCR desk", "book", Action.BOOK, "views.fcr_desk:FcrDeskView", "Ctrl+1"),
    ViewSpec("at_risk", "At risk (force)", "needs-attention", Action.VIEW_APPOINTMENTS,
             "views.fcr_at_risk:AtRiskView", "Ctrl+2"),
    ViewSpec("messages", "Messages to phone", "needs-attention", Action.VIEW_APPOINTMENTS,
             "views.fcr_messages:MessagesToPhoneView", "Ctrl+4"),
    ViewSpec("board", "Day board", "day-board", Action.VIEW_APPOINTMENTS, "views.day_board:DayBoardView", "Ctrl+3"),
    ViewSpec("reports", "Reports", "reports", Action.VIEW_REPORTS, "views.reports:ReportsView", "Ctrl+6"),
)


def views_for(state: AppState) -> list[ViewSpec]:
    views = FCR_DESK_VIEWS if state.ctx.mode == "central" else VIEWS
    return [v for v in views if v.visible_to(state)]
