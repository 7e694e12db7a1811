"""One table of role by action, checked inside every service call (DESIGN.md section 5).

The UI asks ``allowed()`` only to decide what to show; security lives in ``require()``, which the
services call. Least privilege: counter staff never get the confidential briefing notes, admin
sees no case content, the auditor reads the audit log and nothing else.
"""

from __future__ import annotations

import enum
import uuid

from frontcounter.db.models import Role
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.errors import PermissionDenied


class Action(enum.StrEnum):
    VIEW_APPOINTMENTS = "view_appointments"  # lists with visitor names and needs, no notes
    SEARCH = "search"
    CHECK_IN = "check_in"
    MARK_NO_SHOW = "mark_no_show"
    MARK_LEFT_UNSEEN = "mark_left_unseen"
    START_MEETING = "start_meeting"
    COMPLETE = "complete"
    BOOK = "book"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    READ_BRIEFING = "read_briefing"  # the confidential notes
    PRINT_BRIEFING = "print_briefing"
    PRINT_SLIP = "print_slip"
    PRINT_DAY_SHEET = "print_day_sheet"  # counter version, no confidential content
    PRINT_CONFIDENTIAL_DAY_SHEET = "print_confidential_day_sheet"
    RECORD_FEEDBACK = "record_feedback"
    MANAGE_FOLLOW_UPS = "manage_follow_ups"
    MANAGE_ROSTER = "manage_roster"
    MANAGE_ROOMS = "manage_rooms"
    MANAGE_SESSIONS = "manage_sessions"
    MANAGE_USERS = "manage_users"
    #: The PC's set-up in Settings: station code, workstation, centre connection, counter policy.
    CONFIGURE_STATION = "configure_station"
    SETTLE_ATTENTION = "settle_attention"
    #: Record a contact made with a visitor whose appointment is at risk (the FCR's follow-up).
    RECORD_CONTACT = "record_contact"
    #: Fix and send again a change of this cache that the centre refused.
    RESEND_REJECTED = "resend_rejected"
    IMPORT = "import"
    VIEW_REPORTS = "view_reports"
    EXPORT_REPORTS = "export_reports"
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    PURGE = "purge"
    SYNC = "sync"


A = Action
_COUNTER = {
    A.VIEW_APPOINTMENTS,
    A.SEARCH,
    A.CHECK_IN,
    A.MARK_NO_SHOW,
    A.MARK_LEFT_UNSEEN,
    # The clerk sees the officer collect the visitor and the visitor leave: the counter records both.
    A.START_MEETING,
    A.COMPLETE,
    A.BOOK,
    A.PRINT_SLIP,
    A.PRINT_DAY_SHEET,
    A.RECORD_FEEDBACK,
    A.SYNC,
    A.RESEND_REJECTED,
}
_OFFICER = {
    A.VIEW_APPOINTMENTS,
    A.SEARCH,
    A.CHECK_IN,
    A.MARK_NO_SHOW,
    A.MARK_LEFT_UNSEEN,
    A.START_MEETING,
    A.COMPLETE,
    A.READ_BRIEFING,
    A.PRINT_BRIEFING,
    A.PRINT_SLIP,
    A.PRINT_DAY_SHEET,
    A.PRINT_CONFIDENTIAL_DAY_SHEET,
    A.RECORD_FEEDBACK,
    A.MANAGE_FOLLOW_UPS,
    A.SYNC,
    A.RESEND_REJECTED,
}
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.COUNTER: frozenset(_COUNTER),
    Role.OFFICER: frozenset(_OFFICER),
    Role.SUPERVISOR: frozenset(
        _COUNTER
        | _OFFICER
        | {
            A.RESCHEDULE,
            A.CANCEL,
            A.REASSIGN,
            A.MANAGE_ROSTER,
            A.MANAGE_ROOMS,
            A.MANAGE_SESSIONS,
            A.SETTLE_ATTENTION,
            A.IMPORT,
            A.VIEW_REPORTS,
            A.EXPORT_REPORTS,
        }
    ),
    Role.FCR: frozenset(
        {
            A.VIEW_APPOINTMENTS,
            A.SEARCH,
            A.BOOK,
            A.RESCHEDULE,
            A.CANCEL,
            A.READ_BRIEFING,
            A.RECORD_CONTACT,
            A.PRINT_SLIP,
            A.IMPORT,
            A.VIEW_REPORTS,
            A.EXPORT_REPORTS,
            A.SYNC,
        }
    ),
    Role.AUDITOR: frozenset({A.VIEW_AUDIT, A.EXPORT_AUDIT, A.SYNC}),
    Role.ADMIN: frozenset({A.MANAGE_USERS, A.CONFIGURE_STATION, A.MANAGE_ROOMS, A.MANAGE_SESSIONS, A.PURGE, A.SYNC}),
}

#: Roles whose reach is every station; everyone else acts only at their own station.
FORCE_WIDE_ROLES = frozenset({Role.FCR, Role.AUDITOR})


def allowed(actor: Actor, action: Action, station_id: uuid.UUID | None = None) -> bool:
    if action not in ROLE_ACTIONS[actor.role]:
        return False
    if station_id is None or actor.role in FORCE_WIDE_ROLES:
        return True
    return actor.station_id == station_id


def require(actor: Actor, action: Action, station_id: uuid.UUID | None = None) -> None:
    """Raise ``PermissionDenied`` unless the actor may do ``action`` (at ``station_id``).

    Callers that must audit refused attempts use ``frontcounter.services.core.commands.guard``.
    """
    if action not in ROLE_ACTIONS[actor.role]:
        raise PermissionDenied(f"A {actor.role.value} user may not {action.value.replace('_', ' ')}.")
    if not allowed(actor, action, station_id):
        raise PermissionDenied("That appointment belongs to another station.")
