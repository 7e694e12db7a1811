"""Video appointments (issue 14): channel ``video``, booked with an officer on duty and, where the
station requires it, a room with a video link; the meeting link on the slip in place of the
address; carried by a reschedule; refused in words when something is missing."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from frontcounter.db.models import Channel, Room, Station
from frontcounter.paths import Paths
from frontcounter.runtime import open_centre
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.documents.slip import slip_pdf
from frontcounter.services.scheduling import changes
from frontcounter.services.scheduling.booking import BookingRequest, book
from frontcounter.services.scheduling.slots import SlotNeeds, find_slots
from tests.sync_support import actor_in

LINK = "https://video.herts.police.example/join/4KQ7-77"


@pytest.fixture
def centre(demo_dir: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    runtime = open_centre(Paths.resolve(demo_dir), clock=clock)
    yield runtime.ctx
    runtime.engine.dispose()


@pytest.fixture
def fcr(centre: ServiceContext) -> Actor:
    return actor_in(centre, "fcr.HH")


def _video_rule(centre: ServiceContext) -> dict[str, bool]:
    with centre.read() as s:
        return {code: bool(required) for code, required in s.execute(select(Station.code, Station.video_room_required))}


def _has_video_link(centre: ServiceContext, room_id: object) -> bool:
    with centre.read() as s:
        return s.get_one(Room, room_id).video_link


def test_where_the_station_requires_it_a_video_appointment_takes_a_video_room(
        centre: ServiceContext, fcr: Actor) -> None:
    rule = _video_rule(centre)
    required = [c for c, r in rule.items() if r]
    relaxed = [c for c, r in rule.items() if not r]
    assert required and relaxed  # the demo has both kinds
    video = find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=required, days=7, limit=60)
    assert video and all(_has_video_link(centre, s.room_id) for s in video)
    anywhere = find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=relaxed, days=7, limit=60)
    assert any(not _has_video_link(centre, s.room_id) for s in anywhere), "any private room will do there"
    assert SlotNeeds(video_call=True).describe() == "a video appointment"
    # The booking checks it again: a plain room at a station that requires a video room is refused.
    plain = find_slots(centre, fcr, SlotNeeds(), station_codes=required, days=7, limit=200)
    slot = next(s for s in plain if not _has_video_link(centre, s.room_id))
    with pytest.raises(ValidationError, match="has no video link"):
        book(centre, fcr, BookingRequest.for_slot(slot, "Vera Video", channel=Channel.VIDEO.value, meeting_link=LINK))


@pytest.mark.parametrize(("channel", "link", "words"), [
    ("video", None, "needs its meeting link"),
    ("video", "http://insecure.example/x", "starting https://"),
    ("video", "https://no spaces.example/x", "starting https://"),
    ("101_call", LINK, "only for video appointments"),
])
def test_a_wrong_or_missing_link_is_said_in_words(centre: ServiceContext, fcr: Actor, channel: str,
                                                   link: str | None, words: str) -> None:
    slot = find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=["SG"], days=7, limit=1)[0]
    with pytest.raises(ValidationError, match=words):
        book(centre, fcr, BookingRequest.for_slot(slot, "Vera Video", channel=channel, meeting_link=link))


def test_the_slip_says_how_to_join_and_a_reschedule_keeps_the_link(centre: ServiceContext, fcr: Actor) -> None:
    slot = find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=["SG"], days=7, limit=1)[0]
    view = book(centre, fcr, BookingRequest.for_slot(slot, "Vera Video", channel=Channel.VIDEO.value,
                                                     meeting_link=f"  {LINK} "))
    assert view.is_video and view.meeting_link == LINK and view.officer_id is not None
    pdf = slip_pdf(centre, fcr, view.reference)
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages))
    flat = " ".join(text.split())
    assert "HOW TO JOIN (VIDEO APPOINTMENT)" in flat and "do not need to come to the station" in flat
    assert LINK in flat.replace(" ", "") or LINK in text.replace("\n", "")
    assert "Lytton Way" not in flat  # no station address: nobody is to walk in
    later = find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=["SG"], days=7, limit=5)[-1]
    moved = changes.reschedule(centre, actor_in(centre, "fcr.HH"), view.reference,
                               changes.ChosenSlot(room_id=later.room_id, officer_id=later.officer_id,
                                                  start=later.start, end=later.end), "visitor_request")
    assert moved.meeting_link == LINK and moved.is_video


def test_a_station_that_requires_video_rooms_and_has_none_offers_no_video_slot(
        centre: ServiceContext, fcr: Actor) -> None:
    with centre.write.begin() as s:
        sg = s.scalars(select(Station).where(Station.code == "SG")).one()
        sg.video_room_required = True
        s.execute(update(Room).where(Room.station_id == sg.id).values(video_link=False))
    assert find_slots(centre, fcr, SlotNeeds(video_call=True), station_codes=["SG"], days=7, limit=5) == []
    assert find_slots(centre, fcr, SlotNeeds(), station_codes=["SG"], days=7, limit=5)
