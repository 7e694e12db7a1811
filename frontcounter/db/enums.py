"""The domain's fixed vocabularies: roles, visit statuses, channels, reasons, why a booking was cancelled.

Plain string enums with no database library behind them, so code that only needs a word (the
sign-in window, labels, the permission table) can name one without loading the models;
``frontcounter.db.models`` re-exports them where the columns use them.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    COUNTER = "counter"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    FCR = "fcr"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Status(enum.StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    LEFT_UNSEEN = "left_unseen"


#: Statuses whose appointment no longer holds its room and officer (the double-booking guard
#: ignores them). Kept in one place because the migration's constraints and triggers use it too.
RELEASED_STATUSES: tuple[str, ...] = (Status.CANCELLED.value, Status.RESCHEDULED.value)


class Channel(enum.StrEnum):
    CALL_101 = "101_call"
    ONLINE = "online"
    WALK_IN = "walk_in"
    COMMAND_AND_CONTROL = "command_and_control"
    #: A video appointment: the visitor joins by the meeting link on their slip, nobody walks in.
    VIDEO = "video"


class Reason(enum.StrEnum):
    REPORT_CRIME = "report_crime"
    VICTIM_UPDATE = "victim_update"
    WITNESS_STATEMENT = "witness_statement"
    DOMESTIC_ABUSE = "domestic_abuse"
    SEXUAL_OFFENCE = "sexual_offence"
    HATE_CRIME = "hate_crime"
    FRAUD = "fraud"
    PROPERTY = "property"
    FIREARMS_LICENSING = "firearms_licensing"
    OTHER = "other"


class CancelReason(enum.StrEnum):
    VISITOR_REQUEST = "visitor_request"
    OPERATIONAL_DEMAND = "operational_demand"
    DUPLICATE = "duplicate"
    OTHER = "other"
