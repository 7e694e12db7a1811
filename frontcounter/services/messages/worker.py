"""``frontcounter notify``: the one sender of visitor messages, at the centre (issue 16).

Each pass: recover what a killed worker left half-sent, schedule the reminders now owed, send
what is due, and ask Notify how the sent ones fared. Sent once, never twice:

- messages are *claimed* (state ``sending``, committed; a chunk of ``claim_batch`` per
  transaction) before their requests go out, each with its own id as Notify's ``reference``;
  the answers are committed after. A worker killed in between leaves ``sending`` rows, and the
  next worker (one at a time: a PostgreSQL advisory lock) asks Notify for each reference before
  anything is sent again. A retry after a timeout or a 5xx asks too;
- a message made stale by a later change (a reminder for a cancelled appointment) is marked so
  and not sent, judged against the appointment as it is at sending time;
- what may be sent, and where, is ``safe_contact.decide`` on the appointment's structured
  consent at sending time, so a visitor who withdraws consent gets nothing queued before.

429 is honoured (its Retry-After, else the back-off) and ends the pass's sending; 403 (a refused
key) ends it too and is reported, the messages untouched; 400 fails the message for the FCR;
timeouts and 5xx retry with back-off up to ``max_attempts``. Each message sent is a disclosure
in the audit log, naming the channel and a masked number, never the text.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from frontcounter.db.models import Appointment, Role, Station, Status, VisitorMessage
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.appointments import ContactConsent
from frontcounter.services.core.commands import append_audit
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import FrontCounterError
from frontcounter.services.messages.kinds import CONFIRMATION, RESCHEDULE, reminder_kind, stale_reason
from frontcounter.services.messages.notify import STATUS_WORDS, Answer, classify, mask
from frontcounter.services.messages.personalisation import fields
from frontcounter.services.messages.safe_contact import decide, reach_by_phone
from frontcounter.services.messages.settings import NotifySettings

logger = logging.getLogger(__name__)

#: Who the audit log names for a message sent: the worker itself, not a person.
WORKER_USER = "notify-worker"
_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext('frontcounter.notify.worker'))"


class Gateway(Protocol):
    def send(self, channel: str, to: str, template_id: str, fields: dict[str, str], reference: str) -> Answer: ...
    def find(self, reference: str) -> str | None: ...
    def status(self, notify_id: str) -> dict[str, object]: ...


class AnotherWorker(FrontCounterError):
    pass


@dataclass
class PassReport:
    recovered: int = 0
    scheduled: int = 0
    sent: int = 0
    not_sent: int = 0
    stale: int = 0
    failed: int = 0
    retry_later: int = 0
    delivered: int = 0
    #: Why sending stopped early this pass (a 429 or a refused key), in words.
    stopped: str | None = None

    def line(self) -> str:
        parts = [f"{self.sent} sent", f"{self.not_sent} not sent (safe contact)", f"{self.stale} stale",
                 f"{self.failed} failed", f"{self.retry_later} to retry", f"{self.delivered} delivered",
                 f"{self.scheduled} reminders scheduled", f"{self.recovered} recovered"]
        return ", ".join(parts) + (f"; stopped: {self.stopped}" if self.stopped else "")


@dataclass(frozen=True)
class _Plan:
    message_id: uuid.UUID
    channel: str
    to: str
    template_id: str
    fields: dict[str, str]
    retry: bool


class Worker:
    def __init__(self, ctx: ServiceContext, settings: NotifySettings, gateway: Gateway,
                 *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ctx, self.settings, self.gateway, self._sleep = ctx, settings, gateway, sleep
        self.actor = Actor(uuid.UUID(int=0), WORKER_USER, "GOV.UK Notify worker", Role.ADMIN, None, None,
                           ctx.workstation)

    @contextmanager
    def only_worker(self) -> Iterator[None]:
        """Hold the one-worker lock for the block (PostgreSQL; the embedded centre has one process)."""
        if self.ctx.engine.dialect.name != "postgresql":
            yield
            return
        with self.ctx.engine.connect() as conn:
            if not conn.execute(text(_LOCK_SQL)).scalar_one():
                raise AnotherWorker("Another 'frontcounter notify' is already sending for this centre; "
                                    "only one may run at a time.")
            conn.commit()
            yield  # the lock is the connection's: it goes when the connection (or the process) does

    def run_forever(self, interval: float, should_stop: Callable[[], bool] = lambda: False) -> None:
        with self.only_worker():
            while not should_stop():
                try:
                    report = self.run_once()
                    logger.info("notify pass: %s", report.line())
                except Exception:  # the database went away: log, wait, try again
                    logger.exception("notify pass failed; trying again in %.0f s", interval)
                self._sleep(interval)

    def run_once(self) -> PassReport:
        report = PassReport()
        self._recover(report)
        self._schedule_reminders(report)
        due = self._due()
        step = max(1, self.settings.claim_batch)
        for start in range(0, len(due), step):
            if report.stopped:
                break
            self._send_chunk(due[start:start + step], report)
        if report.stopped is None:
            self._poll_statuses(report)
        return report

    # --- the steps ---------------------------------------------------------------------------

    def _recover(self, report: PassReport) -> None:
        """Messages a killed worker claimed: sent if Notify has their reference, else due again."""
        with self.ctx.read() as session:
            ids = list(session.scalars(select(VisitorMessage.id).where(VisitorMessage.state == "sending")))
        for message_id in ids:
            try:
                found = self.gateway.find(str(message_id))
            except Exception as exc:
                logger.warning("could not ask Notify about message %s: %s", message_id, classify(exc).detail)
                continue
            if found:
                self._record(message_id, Answer("sent", found, "found at GOV.UK Notify after an interrupted send"),
                             report)
            else:
                with self.ctx.write.begin() as session:
                    m = session.get(VisitorMessage, message_id)
                    if m is not None and m.state == "sending":
                        m.state, m.next_attempt_at, m.updated_at = "queued", None, self.ctx.clock.now()
            report.recovered += 1

    def _schedule_reminders(self, report: PassReport) -> None:
        now = self.ctx.clock.now()
        with self.ctx.write.begin() as session:
            for hours in self.settings.reminder_hours:
                kind, offset = reminder_kind(hours), timedelta(hours=hours)
                already = exists().where(VisitorMessage.appointment_id == Appointment.id,
                                         VisitorMessage.kind == kind,
                                         VisitorMessage.for_start_at == Appointment.start_at)
                # Reminders follow a booking the centre queued a confirmation (or new time) for:
                # appointments made before messages existed are not suddenly texted.
                booked_here = exists().where(VisitorMessage.appointment_id == Appointment.id,
                                             VisitorMessage.kind.in_((CONFIRMATION, RESCHEDULE)))
                rows = session.execute(select(Appointment.id, Appointment.station_id, Appointment.start_at,
                                              Appointment.version, Appointment.created_at).where(
                    Appointment.status == Status.BOOKED.value, Appointment.deleted.is_(False),
                    Appointment.start_at > now, Appointment.start_at <= now + offset, ~already, booked_here)).all()
                for appointment_id, station_id, start, version, created in rows:
                    if created > start - offset:  # booked inside the window: the confirmation says it all
                        continue
                    session.add(VisitorMessage(
                        id=uuid.uuid4(), appointment_id=appointment_id, station_id=station_id, kind=kind,
                        appointment_version=version, for_start_at=start, due_at=start - offset, state="queued",
                        personalisation={}, attempts=0, phone_instead=False, created_at=now, updated_at=now))
                    report.scheduled += 1

    def _due(self) -> list[uuid.UUID]:
        now = self.ctx.clock.now()
        with self.ctx.read() as session:
            return list(session.scalars(
                select(VisitorMessage.id).where(
                    VisitorMessage.state == "queued", VisitorMessage.due_at <= now,
                    (VisitorMessage.next_attempt_at.is_(None)) | (VisitorMessage.next_attempt_at <= now))
                .order_by(VisitorMessage.due_at, VisitorMessage.created_at).limit(self.settings.batch)))

    def _load(self, session: Session, ids: list[uuid.UUID]) -> tuple[list[VisitorMessage], dict[uuid.UUID, Appointment]]:
        """The chunk's messages (locked) and their appointments, in two statements."""
        messages = list(session.scalars(select(VisitorMessage).where(VisitorMessage.id.in_(ids))
                                        .order_by(VisitorMessage.due_at, VisitorMessage.created_at).with_for_update()))
        appts = {a.id: a for a in session.scalars(select(Appointment).where(
            Appointment.id.in_({m.appointment_id for m in messages})))}
        return messages, appts

    def _claim(self, session: Session, m: VisitorMessage, appt: Appointment | None, report: PassReport) -> _Plan | None:
        now = self.ctx.clock.now()
        if m.state != "queued":
            return None
        m.updated_at = now
        why = stale_reason(m, appt, now)
        if why is not None or appt is None:
            m.state, m.detail = "stale", why
            report.stale += 1
            return None
        decision = decide(ContactConsent.of(appt), m.kind)
        if decision.channel is None or decision.to is None:
            m.state, m.phone_instead = "not_sent", decision.instead is not None
            m.detail = f"not sent: {decision.reason}" + (f"; {decision.instead}" if decision.instead else "")
            report.not_sent += 1
            return None
        station = session.get(Station, appt.station_id)
        assert station is not None
        m.channel, m.masked_to = decision.channel, mask(decision.channel, decision.to)
        m.template_id = self.settings.template(m.kind, decision.channel)
        m.personalisation = fields(appt, station, self.settings.how_to_rebook)
        retry = m.attempts > 0
        m.attempts += 1
        m.state = "sending"
        return _Plan(m.id, decision.channel, decision.to, m.template_id, dict(m.personalisation), retry)

    def _send_chunk(self, ids: list[uuid.UUID], report: PassReport) -> None:
        """Claim a few messages in one transaction, send them, record the answers in one more.

        Two commits per chunk rather than per message: a worker killed in between leaves the
        chunk ``sending``, and the next one asks Notify about each before sending anything again.
        """
        with self.ctx.write.begin() as session:
            messages, appts = self._load(session, ids)
            with session.no_autoflush:
                plans = [p for p in (self._claim(session, m, appts.get(m.appointment_id), report) for m in messages)
                         if p is not None]
        answers: list[tuple[_Plan, Answer | None]] = []
        stop = False
        for plan in plans:
            answer = None if stop else self._attempt(plan)
            stop = stop or (answer is not None and answer.verdict in ("refused_key", "rate_limited"))
            answers.append((plan, answer))
        by_id = {plan.message_id: answer for plan, answer in answers}
        with self.ctx.write.begin() as session:
            messages, appts = self._load(session, list(by_id))
            for m in messages:
                answer = by_id[m.id]
                if answer is None:  # never attempted (a 429 or 403 came first): as it was
                    if m.state == "sending":
                        m.state, m.attempts = "queued", max(0, m.attempts - 1)
                else:
                    self._record_in(session, m, appts.get(m.appointment_id), answer, report)

    def _attempt(self, plan: _Plan) -> Answer:
        if plan.retry:  # the last attempt may have reached Notify (a timeout, a 5xx): ask first
            try:
                found = self.gateway.find(str(plan.message_id))
            except Exception as exc:
                return classify(exc)
            if found:
                return Answer("sent", found, "found at GOV.UK Notify after an unanswered attempt")
        return self.gateway.send(plan.channel, plan.to, plan.template_id, plan.fields, str(plan.message_id))

    def _backoff(self, attempts: int) -> float:
        return float(min(self.settings.backoff_cap_seconds, self.settings.backoff_seconds * 2 ** max(0, attempts - 1)))

    def _record(self, message_id: uuid.UUID, answer: Answer, report: PassReport) -> None:
        with self.ctx.write.begin() as session:
            messages, appts = self._load(session, [message_id])
            for m in messages:
                self._record_in(session, m, appts.get(m.appointment_id), answer, report)

    def _record_in(self, session: Session, m: VisitorMessage, appt: Appointment | None, answer: Answer,
                   report: PassReport) -> None:
        now = self.ctx.clock.now()
        if m.state != "sending":
            return
        m.updated_at, m.detail = now, answer.detail
        if answer.verdict == "sent":
            m.state, m.notify_id, m.sent_at = "sent", answer.notify_id, now
            report.sent += 1
            append_audit(session, self.ctx, self.actor, category="disclosure", action="message.sent",
                         record=appt.reference if appt else str(m.appointment_id),
                         details={"kind": m.kind, "channel": m.channel, "to": m.masked_to,
                                  "template_id": m.template_id, "message_id": str(m.id),
                                  "notify_id": m.notify_id})
        elif answer.verdict == "rejected" or (answer.verdict == "retry" and m.attempts >= self.settings.max_attempts):
            self._fail(m, appt, answer.detail if answer.verdict == "rejected"
                       else f"gave up after {m.attempts} attempts: {answer.detail}")
            report.failed += 1
        elif answer.verdict == "refused_key":
            m.state, m.attempts = "queued", max(0, m.attempts - 1)  # not this message's fault
            report.stopped = answer.detail
        else:
            wait = self._backoff(m.attempts)
            if answer.verdict == "rate_limited":
                wait = max(wait, answer.retry_after or 0.0)
                report.stopped = f"{answer.detail}; next try in {wait:.0f} s"
            m.state, m.next_attempt_at = "queued", now + timedelta(seconds=wait)
            report.retry_later += 1

    def _fail(self, m: VisitorMessage, appt: Appointment | None, detail: str | None) -> None:
        instead = reach_by_phone(ContactConsent.of(appt)) if appt is not None else None
        m.state, m.phone_instead, m.next_attempt_at = "failed", instead is not None, None
        m.detail = (detail or "failed") + (f"; {instead}" if instead else "")

    def _poll_statuses(self, report: PassReport) -> None:
        now = self.ctx.clock.now()
        due = now - timedelta(seconds=self.settings.status_every_seconds)
        with self.ctx.read() as session:
            rows = session.execute(select(VisitorMessage.id, VisitorMessage.notify_id).where(
                VisitorMessage.state == "sent", VisitorMessage.notify_id.is_not(None), VisitorMessage.sent_at <= due,
                (VisitorMessage.status_checked_at.is_(None)) | (VisitorMessage.status_checked_at <= due))
                .limit(self.settings.batch)).all()
        for message_id, notify_id in rows:
            try:
                status = str(self.gateway.status(str(notify_id)).get("status") or "")
            except Exception as exc:
                logger.warning("could not ask Notify for the status of %s: %s", message_id, classify(exc).detail)
                return
            with self.ctx.write.begin() as session:
                m = session.get(VisitorMessage, message_id)
                if m is None or m.state != "sent":
                    continue
                m.status_checked_at = m.updated_at = now
                state, words = STATUS_WORDS.get(status, ("sent", f"GOV.UK Notify: {status or 'no status yet'}"))
                if state == "delivered":
                    m.state, m.detail = "delivered", words
                    report.delivered += 1
                elif state == "failed":
                    self._fail(m, session.get(Appointment, m.appointment_id), f"not delivered: {words}")
                    report.failed += 1
                else:
                    m.detail = words
