"""The domain as typed SQLAlchemy 2.0 models (DESIGN.md section 3).

The station cache and the central database share this one schema and one migration chain, so a
row means the same thing everywhere. Tables that sync carry a client-generated UUID key, a
``version`` assigned by the centre's clock and a ``deleted`` tombstone. Tables that only make
sense on one side (the outbox and cursors at a station; the clock and applied operations at the
centre) are simply empty on the other side.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from frontcounter.db.enums import RELEASED_STATUSES as RELEASED_STATUSES
from frontcounter.db.enums import CancelReason as CancelReason
from frontcounter.db.enums import Channel as Channel
from frontcounter.db.enums import Reason as Reason
from frontcounter.db.enums import Role as Role
from frontcounter.db.enums import Status as Status
from frontcounter.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class SyncedMixin:
    """Columns every synced row carries: a client-made UUID, the centre's version, a tombstone."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None]


class Station(SyncedMixin, Base):
    __tablename__ = "stations"

    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(40), default="101")
    latitude: Mapped[float]
    longitude: Mapped[float]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Video appointments here take a room with a video link (elsewhere any private room will do).
    video_room_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OpeningSession(SyncedMixin, Base):
    """A weekly window in which a station takes appointments, in Europe/London wall-clock time."""

    __tablename__ = "opening_sessions"

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class Room(SyncedMixin, Base):
    __tablename__ = "rooms"

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    video_link: Mapped[bool] = mapped_column(Boolean, default=False)
    soundproofed: Mapped[bool] = mapped_column(Boolean, default=False)
    child_friendly: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Officer(SyncedMixin, Base):
    __tablename__ = "officers"

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"), index=True)
    collar_number: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rank: Mapped[str] = mapped_column(String(40), default="PC")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    specialisms: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The officer's own sign-in, when they have one (officers read their briefings).
    username: Mapped[str | None] = mapped_column(String(80))


class Duty(SyncedMixin, Base):
    """An officer on appointment duty at a station for one shift (UTC bounds, may cross midnight)."""

    __tablename__ = "duties"

    officer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officers.id"), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    #: Set when the officer is pulled away; the duty no longer counts as available from then.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_duties_station_start", "station_id", "start_at"),
        # Reports: duty hours per station and officer read in this order, from the index alone.
        Index("ix_duties_report", "station_id", "officer_id", "start_at", "deleted", "end_at", "withdrawn_at"),
    )


class User(SyncedMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    #: X25519 public key (base64): rows this user may read have their data key sealed to it
    #: (services/core/sealing.py). None for roles that never read the confidential fields.
    public_key: Mapped[str | None] = mapped_column(String(64))
    #: The private key, wrapped by a key derived from the password (argon2id); opened only in the
    #: user's signed-in session.
    wrapped_private_key: Mapped[str | None] = mapped_column(String(300))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Lockout state is per workstation: it is never pushed, and a pull keeps the local values.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]


class Appointment(SyncedMixin, Base):
    """A visitor's face-to-face appointment, with everything the officer needs to arrive briefed."""

    __tablename__ = "appointments"

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"))
    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rooms.id"))
    officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("officers.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(32))
    crime_reference: Mapped[str | None] = mapped_column(String(40))
    #: The command-and-control system's own id, so re-importing a file creates no duplicates.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    # Visitor (personal data: erased by retention, see services/security/retention.py).
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    visitor_preferred_name: Mapped[str | None] = mapped_column(String(200))
    visitor_dob: Mapped[date | None] = mapped_column(Date)
    visitor_phone: Mapped[str | None] = mapped_column(String(40))
    visitor_email: Mapped[str | None] = mapped_column(String(200))
    visitor_address: Mapped[str | None] = mapped_column(Text)
    safe_contact: Mapped[str | None] = mapped_column(Text)
    preferred_language: Mapped[str | None] = mapped_column(String(40))
    interpreter_language: Mapped[str | None] = mapped_column(String(40))
    needs_step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    access_needs: Mapped[str | None] = mapped_column(Text)
    person_of_choice: Mapped[str | None] = mapped_column(String(200))
    # Safe contact as structured consent (migration 0009, issue 16): what the visitor agreed to be
    # contacted by, and on which number or address. Everything defaults to "no": an appointment
    # booked before these fields existed is never messaged.
    contact_may_text: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_may_email: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_may_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_may_voicemail: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "Only contact via the person of choice": nothing is sent to the visitor at all.
    contact_via_person_only: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_text_number: Mapped[str | None] = mapped_column(String(40))
    contact_email_address: Mapped[str | None] = mapped_column(String(200))
    vulnerability_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Confidential: only roles with the ``read_briefing`` permission ever receive it.
    briefing_notes: Mapped[str | None] = mapped_column(Text)
    #: The row's data key sealed to each reader (user id -> sealed copy); briefing_notes,
    #: safe_contact and vulnerability_flags hold ciphertext (services/core/sealing.py).
    sealed_keys: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    # Links between appointments are plain UUIDs, not foreign keys: the linked appointment may
    # belong to another station and so be absent from this station's cache.
    previous_appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    # Status machine (services/core/status.py is the only place that changes these).
    status: Mapped[str] = mapped_column(String(20), default=Status.BOOKED.value)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    at_risk_reason: Mapped[str | None] = mapped_column(String(200))
    arrived_at: Mapped[datetime | None]
    checked_in_by: Mapped[str | None] = mapped_column(String(80))
    seen_at: Mapped[datetime | None]
    seen_by: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[datetime | None]
    no_show_at: Mapped[datetime | None]
    left_unseen_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(80))
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    cancel_note: Mapped[str | None] = mapped_column(Text)
    rescheduled_to_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    # Satisfaction, recorded at departure with the visitor's consent.
    feedback_rating: Mapped[int | None] = mapped_column(Integer)
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None]

    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    purged_at: Mapped[datetime | None]
    #: A video appointment's joining link, typed by whoever booked it (never generated here).
    meeting_link: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_appointments_station_start", "station_id", "start_at"),
        Index("ix_appointments_station_version", "station_id", "version"),
        Index("ix_appointments_room_start", "room_id", "start_at"),
        Index("ix_appointments_officer_start", "officer_id", "start_at"),
        # Reports (services/reports/figures.py): the grouping columns first, then every column a report
        # reads, so a year's figures come from one walk of this index, in group order.
        Index("ix_appointments_report", "station_id", "room_id", "officer_id", "status", "at_risk", "cancel_reason",
              "start_at", "deleted", "end_at", "arrived_at", "seen_at", "feedback_rating", "id"),
        CheckConstraint("end_at > start_at", name="time_order"),
        # The no-double-booking guard (an exclusion constraint on PostgreSQL, triggers on SQLite)
        # is written in the migration, since SQLAlchemy metadata cannot express it portably.
    )


#: The structured safe-contact fields, in the order the forms and the import file show them.
CONTACT_FIELDS: tuple[str, ...] = (
    "contact_may_text", "contact_may_email", "contact_may_phone", "contact_may_voicemail",
    "contact_via_person_only", "contact_text_number", "contact_email_address",
)


class FollowUp(SyncedMixin, Base):
    """Opened by a no-show: the officer recontacts the visitor or checks on their welfare."""

    __tablename__ = "follow_ups"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"), index=True)
    officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("officers.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "recontact" or "welfare_check"
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, done, cancelled
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(80))


class AtRiskContact(Base):
    """One contact the FCR made (or tried) with a visitor whose appointment is at risk (its officer
    was pulled away): who, when, how it went. Written at the centre only (the FCR desk works on the
    centre directly), so it is not a synced table; append-only like the audit trail it sits beside."""

    __tablename__ = "at_risk_contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"))
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(80))
    #: reached, message_left, no_answer, wrong_number (services/scheduling/contacts.py).
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class AttentionItem(SyncedMixin, Base):
    """A change a supervisor must look at: a rejected push or a change a sync rule flagged."""

    __tablename__ = "attention_items"

    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    op_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))  # "rejected" or "flagged"
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[str | None] = mapped_column(String(80))
    settlement: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """DPA 2018 s.62 log entry. Append-only: no code path updates or deletes one.

    Audit rows travel to the centre on their own channel (by ``local_seq``), not through the
    outbox, so each command still leaves exactly one audit event and one outbox entry.
    """

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    local_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    station_code: Mapped[str | None] = mapped_column(String(8))
    workstation: Mapped[str] = mapped_column(String(120))
    #: collection, alteration, consultation, disclosure, erasure, authentication.
    category: Mapped[str] = mapped_column(String(20))
    #: What was done, e.g. "appointment.check_in", "briefing.open", "briefing.print".
    action: Mapped[str] = mapped_column(String(60))
    record: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(20))  # success, denied, failed
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Set by the centre's server when the row arrives (migration 0003), never by a station.
    received_at: Mapped[datetime | None] = mapped_column(server_default=FetchedValue())
    received_by: Mapped[str | None] = mapped_column(String(80), server_default=FetchedValue())


class OutboxEntry(Base):
    """A station's command waiting for (or answered by) the centre. Station side only."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    station_code: Mapped[str] = mapped_column(String(8))
    op_type: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    base_version: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    #: pending, applied, resolved or rejected.
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    result_message: Mapped[str | None] = mapped_column(Text)
    acked_at: Mapped[datetime | None]


class VisitorMessage(Base):
    """A message to a visitor, queued at the centre with the change that causes it (issue 16).

    Centre side only; never synced, never written by a station's own cache. At most one row per
    (appointment, kind, appointment version): queuing the same change twice does nothing. No
    message body is kept: only the template id and the personalisation fields sent.
    """

    __tablename__ = "visitor_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: confirmation, reminder_24h (one per configured offset), reschedule, cancellation, at_risk.
    kind: Mapped[str] = mapped_column(String(24))
    appointment_version: Mapped[int] = mapped_column(BigInteger)
    #: The slot the message is about: a reminder for a slot since moved is stale.
    for_start_at: Mapped[datetime]
    due_at: Mapped[datetime]
    #: queued, sending, sent, delivered, failed, not_sent, stale.
    state: Mapped[str] = mapped_column(String(12), default="queued")
    channel: Mapped[str | None] = mapped_column(String(8))  # sms or email, decided when sent
    masked_to: Mapped[str | None] = mapped_column(String(80))
    template_id: Mapped[str | None] = mapped_column(String(64))
    personalisation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    notify_id: Mapped[str | None] = mapped_column(String(64))
    #: Why it was not sent, or failed, in words (for the FCR), or Notify's status.
    detail: Mapped[str | None] = mapped_column(Text)
    #: The FCR should phone instead (it failed or could not be sent, and phoning is allowed).
    phone_instead: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status_checked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("appointment_id", "kind", "appointment_version", name="uq_visitor_messages_once"),
        Index("ix_visitor_messages_due", "state", "due_at"),
    )


class AppliedOp(Base):
    """The centre's record of every operation it has answered, so a retried push is idempotent."""

    __tablename__ = "applied_ops"

    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    station_code: Mapped[str] = mapped_column(String(8))
    station_seq: Mapped[int] = mapped_column(Integer)
    #: The row the operation touched, so a later op from the same station on the same row can be
    #: told apart from someone else's change since its base_version.
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    applied_at: Mapped[datetime]
    result: Mapped[str] = mapped_column(String(12))  # applied, resolved, rejected
    message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("station_code", "station_seq"),)


class SyncClock(Base):
    """The centre's one-row version clock: ``UPDATE … SET value = value + 1 RETURNING value``."""

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncCursor(Base):
    """How far a station has pulled each table, committed with the rows it pulled."""

    __tablename__ = "sync_cursors"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncMeta(Base):
    """Small key/value facts about this database: its role (station or central), station code…"""

    __tablename__ = "sync_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


#: Synced tables in dependency order (parents before children), the order a pull applies them.
SYNCED_MODELS: tuple[type[SyncedMixin], ...] = (
    Station,
    OpeningSession,
    Room,
    Officer,
    Duty,
    User,
    Appointment,
    FollowUp,
    AttentionItem,
)
