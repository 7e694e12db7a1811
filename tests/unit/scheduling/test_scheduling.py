"""Reschedule, cancel, the officer pulled away and what is at risk (issue #4, services/scheduling/changes.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontcounter.db.models import Appointment, Duty, Status
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock, local
from frontcounter.services.core.errors import (
    DoubleBooking,
    IllegalTransition,
    PermissionDenied,
    ValidationError,
)
from frontcounter.services.counter import checkin
from frontcounter.services.scheduling import changes as scheduling
from frontcounter.services.scheduling.agenda import (
    count_outcomes,
    linked,
    my_appointments,
    my_officer_id,
    week_counts,
)
from frontcounter.services.scheduling.changes import ChosenSlot
from frontcounter.services.scheduling.reassignment import (
    assign_officer,
    list_at_risk,
    reassign_officer,
    suitable_officers,
)
from tests.conftest import DEMO_NOW, actor_named
from tests.unit.roster_fixtures import (
    QUIET_DAY,
    add_appointment,
    add_duty,
    at,
    counts,
    get,
    last_audit,
    last_outbox,
    officer_where,
    officers,
    rooms,
)


def _future_booked(runtime: StationRuntime) -> Appointment:
    with runtime.ctx.read() as s:
        return s.scalars(
            select(Appointment).where(Appointment.status == Status.BOOKED.value,
                                      Appointment.start_at > DEMO_NOW, Appointment.at_risk.is_(False))
            .order_by(Appointment.start_at)
        ).first()


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_records_reason_note_who_and_when_in_one_command(station: StationRuntime, supervisor: Actor) -> None:
    appt = _future_booked(station)
    before = counts(station)
    view = scheduling.cancel(station.ctx, supervisor, appt.reference, "visitor_request", "Rang 101 to cancel")
    assert counts(station) == (before[0] + 1, before[1] + 1)
    row = get(station, appt.id)
    assert (row.status, row.cancel_reason, row.cancel_note, row.cancelled_by, row.cancelled_at) == (
        "cancelled", "visitor_request", "Rang 101 to cancel", "supervisor.HH", DEMO_NOW)
    assert view.status == "cancelled" and view.cancel_reason == "visitor_request"
    entry = last_outbox(station)[0]
    assert entry.op_type == "appointment.cancel" and entry.entity_id == appt.id
    assert entry.payload["row"]["cancel_reason"] == "visitor_request"
    assert entry.payload["row"]["cancelled_by"] == "supervisor.HH"
    event = last_audit(station)[0]
    assert (event.action, event.record, event.outcome) == ("appointment.cancel", f"appointment:{appt.reference}",
                                                           "success")


@pytest.mark.parametrize(("reason", "note", "message"), [
    ("other", None, "note"),
    ("other", "   ", "note"),
    ("because", "x", "Choose a reason"),
])
def test_cancel_needs_a_known_reason_and_a_note_for_other(
    station: StationRuntime, supervisor: Actor, reason: str, note: str | None, message: str
) -> None:
    appt = _future_booked(station)
    before = counts(station)
    with pytest.raises(ValidationError, match=message):
        scheduling.cancel(station.ctx, supervisor, appt.reference, reason, note)
    assert counts(station) == before
    assert get(station, appt.id).status == "booked"


def test_counter_may_not_cancel_and_the_refusal_is_audited(station: StationRuntime, counter: Actor) -> None:
    appt = _future_booked(station)
    with pytest.raises(PermissionDenied):
        scheduling.cancel(station.ctx, counter, appt.reference, "duplicate")
    event = last_audit(station)[0]
    assert (event.action, event.outcome, event.username) == ("appointment.cancel", "denied", "counter.HH")
    assert get(station, appt.id).status == "booked"


def test_fcr_cancels_and_a_completed_appointment_cannot_be_cancelled(station: StationRuntime) -> None:
    fcr = actor_named(station, "fcr.HH")
    appt = _future_booked(station)
    assert scheduling.cancel(station.ctx, fcr, appt.id, "duplicate").status == "cancelled"
    with station.ctx.read() as s:
        done = s.scalars(select(Appointment).where(Appointment.status == "completed")).first()
    with pytest.raises(IllegalTransition, match="completed"):
        scheduling.cancel(station.ctx, fcr, done.reference, "duplicate")


# --- reschedule -------------------------------------------------------------------------------------


def test_reschedule_links_old_and_new_in_one_command(station: StationRuntime, supervisor: Actor) -> None:
    room1, room2 = rooms(station)[:2]
    officer = officers(station)[0]
    add_duty(station, officer, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    old = add_appointment(station, room1, officer, at(QUIET_DAY, 17), visitor_name="Ann Example",
                          safe_contact="No voicemail", interpreter_language="Polish",
                          vulnerability_flags=["repeat victim"], briefing_notes="Confidential notes",
                          external_id="CAD-1")
    before = counts(station)
    new_view = scheduling.reschedule(
        station.ctx, supervisor, old.reference,
        ChosenSlot(room2.id, officer.id, at(QUIET_DAY, 18), at(QUIET_DAY, 19)),
        "operational_demand", "Officer needed at court")
    assert counts(station) == (before[0] + 1, before[1] + 1), "one audit event and one outbox entry"
    was, now = get(station, old.id), get(station, new_view.id)
    assert (was.status, was.cancel_reason, was.cancel_note, was.cancelled_by, was.cancelled_at) == (
        "rescheduled", "operational_demand", "Officer needed at court", "supervisor.HH", DEMO_NOW)
    assert was.rescheduled_to_id == now.id and now.rescheduled_from_id == was.id
    assert now.status == "booked" and now.reference != was.reference and now.reference.startswith("HH-")
    assert (now.room_id, now.officer_id, now.start_at) == (room2.id, officer.id, at(QUIET_DAY, 18))
    assert (now.visitor_name, now.safe_contact, now.interpreter_language, now.vulnerability_flags,
            now.briefing_notes) == ("Ann Example", "No voicemail", "Polish", ["repeat victim"], "Confidential notes")
    assert now.external_id is None and was.external_id == "CAD-1"
    assert now.created_by == "supervisor.HH"
    entry = last_outbox(station)[0]
    assert entry.op_type == "appointment.reschedule" and entry.entity_id == old.id
    assert entry.payload["row"]["rescheduled_to_id"] == str(now.id)
    assert [c["row"]["id"] for c in entry.payload["also_created"]] == [str(now.id)]
    event = last_audit(station)[0]
    assert event.record == f"appointment:{old.reference}"
    assert event.details == {"reason": "operational_demand", "new_reference": now.reference}
    assert linked(station.ctx, supervisor, now.id) == (was.reference, None)
    assert linked(station.ctx, supervisor, was.id) == (None, now.reference)


def test_reschedule_may_reuse_its_own_room_and_time_with_another_officer(
    station: StationRuntime, supervisor: Actor
) -> None:
    room = rooms(station)[0]
    first, second = officers(station)[:2]
    old = add_appointment(station, room, first, at(QUIET_DAY, 17))
    new = scheduling.reschedule(station.ctx, supervisor, old.id,
                                ChosenSlot(room.id, second.id, at(QUIET_DAY, 17), at(QUIET_DAY, 18)), "other",
                                "Officer change")
    assert get(station, new.id).officer_id == second.id


def test_reschedule_into_a_taken_slot_is_refused_and_changes_nothing(
    station: StationRuntime, supervisor: Actor
) -> None:
    room = rooms(station)[0]
    first, second = officers(station)[:2]
    old = add_appointment(station, room, first, at(QUIET_DAY, 17))
    add_appointment(station, room, second, at(QUIET_DAY, 18))
    before = counts(station)
    with pytest.raises(DoubleBooking, match="room is already booked"):
        scheduling.reschedule(station.ctx, supervisor, old.id,
                              ChosenSlot(room.id, first.id, at(QUIET_DAY, 18, 30), at(QUIET_DAY, 19, 30)),
                              "visitor_request")
    assert get(station, old.id).status == "booked"
    assert counts(station)[1] == before[1], "no outbox entry for a refused reschedule"
    assert last_audit(station)[0].outcome == "failed"


def test_reschedule_into_the_past_or_by_the_counter_is_refused(station: StationRuntime, counter: Actor,
                                                                supervisor: Actor) -> None:
    room = rooms(station)[0]
    officer = officers(station)[0]
    old = add_appointment(station, room, officer, at(QUIET_DAY, 17))
    past = ChosenSlot(room.id, officer.id, DEMO_NOW - timedelta(hours=1), DEMO_NOW)
    with pytest.raises(ValidationError, match="already started"):
        scheduling.reschedule(station.ctx, supervisor, old.id, past, "visitor_request")
    later = ChosenSlot(room.id, officer.id, at(QUIET_DAY, 19), at(QUIET_DAY, 20))
    with pytest.raises(PermissionDenied):
        scheduling.reschedule(station.ctx, counter, old.id, later, "visitor_request")
    assert get(station, old.id).status == "booked"


def test_kept_postponed_and_cancelled_are_countable_afterwards(
    station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    room1, room2 = rooms(station)[:2]
    a, b = officers(station)[:2]
    kept = add_appointment(station, room1, a, at(QUIET_DAY, 17))
    moved = add_appointment(station, room2, b, at(QUIET_DAY, 17))
    dropped = add_appointment(station, room1, a, at(QUIET_DAY, 18))
    scheduling.reschedule(station.ctx, supervisor, moved.id,
                          ChosenSlot(room2.id, b.id, at(QUIET_DAY, 19), at(QUIET_DAY, 20)), "operational_demand")
    scheduling.cancel(station.ctx, supervisor, dropped.id, "visitor_request")
    clock.set(at(QUIET_DAY, 16, 55))
    checkin.check_in(station.ctx, supervisor, kept.reference)
    result = count_outcomes(station.ctx, supervisor, QUIET_DAY, QUIET_DAY)
    assert (result.kept, result.postponed, result.cancelled, result.pending) == (1, 1, 1, 1)
    assert result.postponed_by_reason == {"operational_demand": 1}
    assert result.cancelled_by_reason == {"visitor_request": 1}
    assert result.total == 4
    week = count_outcomes(station.ctx, supervisor, local(DEMO_NOW).date() - timedelta(days=3),
                                     local(DEMO_NOW).date() + timedelta(days=3))
    assert week.kept > 0 and week.postponed > 0 and week.cancelled > 0, "the demo week is countable too"


# --- the officer pulled away ------------------------------------------------------------------------


def _evening_duty(runtime: StationRuntime, *officer_list) -> None:  # type: ignore[no-untyped-def]
    for o in officer_list:
        add_duty(runtime, o, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))


def test_reassignment_moves_every_remaining_appointment_when_others_are_free(
    station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    clock.set(at(QUIET_DAY, 16, 45))
    room1, room2 = rooms(station)[:2]
    pulled, helper_a, helper_b = officers(station)[3:6]
    _evening_duty(station, pulled, helper_a, helper_b)
    mine = [add_appointment(station, room1, pulled, at(QUIET_DAY, h)) for h in (17, 18, 19)]
    add_appointment(station, room2, helper_a, at(QUIET_DAY, 17))  # helper_a is busy at 17:00
    past = add_appointment(station, room2, pulled, at(QUIET_DAY, 10), status="completed")
    before = counts(station)
    summary = reassign_officer(station.ctx, supervisor, pulled.id, QUIET_DAY, "Called to a major incident")
    assert summary.all_covered and len(summary.moved) == 3 and summary.duties_withdrawn == 1
    assert counts(station) == (before[0] + 4, before[1] + 4), "one command per duty and per appointment"
    new_officers = {get(station, a.id).officer_id for a in mine}
    assert pulled.id not in new_officers and new_officers <= {helper_a.id, helper_b.id}
    assert get(station, mine[0].id).officer_id == helper_b.id, "helper_a was busy at 17:00"
    assert not any(get(station, a.id).at_risk for a in mine)
    assert get(station, past.id).officer_id == pulled.id, "finished appointments keep their officer"
    with station.ctx.read() as s:
        duty = s.scalars(select(Duty).where(Duty.officer_id == pulled.id, Duty.start_at == at(QUIET_DAY, 16, 30))).one()
    assert duty.withdrawn_at == at(QUIET_DAY, 16, 45) and duty.withdrawn_reason == "Called to a major incident"
    ops = [e.op_type for e in last_outbox(station, 4)]
    assert ops == ["duty.withdraw", "appointment.reassign", "appointment.reassign", "appointment.reassign"]
    assert list_at_risk(station.ctx, supervisor) == [] or all(
        v.start < at(QUIET_DAY, 0) for v in list_at_risk(station.ctx, supervisor))
    assert "3 appointment(s) moved" in summary.describe()


def test_reassignment_flags_the_rest_at_risk_and_the_counter_and_fcr_see_them(
    station: StationRuntime, supervisor: Actor, counter: Actor, clock: FixedClock
) -> None:
    clock.set(at(QUIET_DAY, 16, 45))
    room = rooms(station)[0]
    pulled, helper = officers(station)[3:5]
    add_duty(station, pulled, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    add_duty(station, helper, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 18, 30))  # leaves at 18:30
    mine = [add_appointment(station, room, pulled, at(QUIET_DAY, h)) for h in (17, 18, 19)]
    summary = reassign_officer(station.ctx, supervisor, pulled.id, QUIET_DAY, "Pulled to a firearms incident")
    assert [m.reference for m in summary.moved] == [mine[0].reference]
    assert [u.reference for u in summary.at_risk] == [mine[1].reference, mine[2].reference]
    assert all("no other officer on duty" in u.reason for u in summary.at_risk)
    for a in mine[1:]:
        row = get(station, a.id)
        assert row.at_risk and row.officer_id == pulled.id and row.status == "booked"
        assert row.at_risk_reason.startswith("Officer pulled away")
    assert last_outbox(station)[0].op_type == "appointment.at_risk"
    assert "2 at risk" in summary.describe()
    fcr = actor_named(station, "fcr.HH")
    for who in (counter, fcr):
        listed = {v.reference for v in list_at_risk(station.ctx, who, days=30)}
        assert {mine[1].reference, mine[2].reference} <= listed
        assert mine[0].reference not in listed


def test_reassignment_respects_language_and_specialism(
    station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    clock.set(at(QUIET_DAY, 16, 45))
    room1, room2, room3 = rooms(station)[:3]
    arabic = officer_where(station, language="Arabic")
    plain = officer_where(station, without_language="Arabic", without_specialism="sexual offences (SOIT)")
    pulled = officer_where(station, exclude=(arabic.id, plain.id))
    _evening_duty(station, pulled, arabic, plain)
    needs_arabic = add_appointment(station, room1, pulled, at(QUIET_DAY, 17), interpreter_language="Arabic")
    soit = add_appointment(station, room2, pulled, at(QUIET_DAY, 18), reason="sexual_offence")
    add_appointment(station, room3, arabic, at(QUIET_DAY, 18))  # any SOIT officer among them is busy then
    summary = reassign_officer(station.ctx, supervisor, pulled.id, QUIET_DAY, "Court")
    assert get(station, needs_arabic.id).officer_id == arabic.id, "only the Arabic speaker will do"
    soit_row = get(station, soit.id)
    assert soit_row.at_risk and soit_row.officer_id == pulled.id, "the free officer is not SOIT trained"
    assert soit_row.at_risk_reason == "Officer pulled away; needs an officer trained in sexual offences (SOIT)"
    assert [u.reference for u in summary.at_risk] == [soit.reference]


def test_language_need_makes_an_uncovered_appointment_say_why(
    station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    clock.set(at(QUIET_DAY, 16, 45))
    room = rooms(station)[0]
    plain = officer_where(station, without_language="Somali")
    pulled = officer_where(station, exclude=(plain.id,))
    _evening_duty(station, pulled, plain)
    a = add_appointment(station, room, pulled, at(QUIET_DAY, 17), interpreter_language="Somali")
    summary = reassign_officer(station.ctx, supervisor, pulled.id, QUIET_DAY, "Court")
    assert summary.at_risk[0].reason == "Officer pulled away; needs an officer who speaks Somali"
    assert get(station, a.id).at_risk


def test_only_a_supervisor_of_the_station_reassigns(station: StationRuntime, counter: Actor) -> None:
    pulled = officers(station)[0]
    with pytest.raises(PermissionDenied):
        reassign_officer(station.ctx, counter, pulled.id, QUIET_DAY, "x")
    other = actor_named_or_skip(station, "supervisor.SG")
    with pytest.raises(PermissionDenied):
        reassign_officer(station.ctx, other, pulled.id, QUIET_DAY, "x", station_code="HH")
    with pytest.raises(ValidationError, match="Say why"):
        reassign_officer(station.ctx, actor_named(station, "supervisor.HH"), pulled.id, QUIET_DAY, " ")


def actor_named_or_skip(runtime: StationRuntime, username: str) -> Actor:
    """Users of other stations are not in this station's cache: build one from the centre's view."""
    from frontcounter.db.models import Role
    from frontcounter.services.core.actor import Actor as _Actor
    from tests.unit.roster_fixtures import station_row

    sg = station_row(runtime, "SG")
    return _Actor(user_id=sg.id, username=username, display_name=username, role=Role.SUPERVISOR,
                  station_id=sg.id, station_code="SG", workstation="test")


def test_assign_officer_clears_at_risk_and_checks_suitability(
    station: StationRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    clock.set(at(QUIET_DAY, 16, 45))
    room = rooms(station)[0]
    pulled, later = officers(station)[3:5]
    add_duty(station, pulled, at(QUIET_DAY, 16, 30), at(QUIET_DAY, 20, 30))
    a = add_appointment(station, room, pulled, at(QUIET_DAY, 19))
    reassign_officer(station.ctx, supervisor, pulled.id, QUIET_DAY, "Incident")
    assert get(station, a.id).at_risk
    with pytest.raises(ValidationError, match="not on appointment duty"):
        assign_officer(station.ctx, supervisor, a.id, later.id)
    add_duty(station, later, at(QUIET_DAY, 18, 30), at(QUIET_DAY, 21))
    assert suitable_officers(station.ctx, supervisor, a.id) == [
        (later.id, f"{later.rank} {later.collar_number} {later.name}")]
    view = assign_officer(station.ctx, supervisor, a.id, later.id)
    assert view.officer_id == later.id and not view.at_risk
    assert last_outbox(station)[0].op_type == "appointment.assign_officer"


# --- reading ------------------------------------------------------------------------------------------


def test_week_counts_give_one_entry_per_day(station: StationRuntime, counter: Actor) -> None:
    first = local(DEMO_NOW).date() - timedelta(days=3)
    week = week_counts(station.ctx, counter, first)
    assert [d.day for d in week] == [first + timedelta(days=i) for i in range(7)]
    assert all(d.total > 0 for d in week), "the demo books every day of its week"
    today = next(d for d in week if d.day == local(DEMO_NOW).date())
    from frontcounter.services.core.appointments import list_day

    listed = list_day(station.ctx, counter, today.day)
    assert today.total == sum(v.status not in ("cancelled", "rescheduled") for v in listed)


def test_my_appointments_and_arrivals_are_the_officers_own(
    station: StationRuntime, officer: Actor, counter: Actor, clock: FixedClock
) -> None:
    start = at(local(DEMO_NOW).date(), 0)
    mine = my_appointments(station.ctx, officer, start, start + timedelta(days=7))
    me = my_officer_id(station.ctx, officer)
    assert mine and all(v.officer_id == me for v in mine)
    assert my_appointments(station.ctx, counter, start, start + timedelta(days=1)) == []
    upcoming = next(v for v in mine if v.status == "booked" and v.start > DEMO_NOW
                    and local(v.start).date() == local(DEMO_NOW).date())
    since = DEMO_NOW
    clock.set(upcoming.start - timedelta(minutes=10))
    checkin.check_in(station.ctx, counter, upcoming.reference)
    arrived = checkin.arrivals_for_officer(station.ctx, officer, since)
    assert [v.reference for v in arrived] == [upcoming.reference]
    assert checkin.arrivals_for_officer(station.ctx, officer, clock.now()) == []
