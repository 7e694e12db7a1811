"""Name search folds apostrophes, hyphens, spaces and accents on both sides: D'Souza = dsouza =
d souza; Zoë = Zoe; Łukasz = lukasz. The same on a station cache (SQLite) and at the centre
(PostgreSQL: tests/integration/test_name_search_pg.py), the match being made in Python on folded keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from frontcounter.db.models import Appointment, Station
from frontcounter.runtime import StationRuntime
from frontcounter.services.core import appointments
from frontcounter.services.core.appointments import fold, matches
from frontcounter.services.core.context import ServiceContext
from tests.conftest import actor_named

NAMES = {"Priya D'Souza": ("dsouza", "d souza", "D'SOUZA", "d’souza", "priya d-souza"),
         "Zoë Brennan-Hughes": ("zoe", "Zoë", "ZOE BRENNAN", "brennan hughes", "brennanhughes"),
         "Łukasz Wiśniewski": ("lukasz", "wisniewski", "Łukasz"),
         "Seán O'Neill": ("sean oneill", "o neill", "o'neill", "SEAN")}


@pytest.mark.parametrize(("name", "typed"), [(n, t) for n, ts in NAMES.items() for t in ts])
def test_folding_finds_the_name_however_it_is_typed(name: str, typed: str) -> None:
    assert fold(typed) in fold(name)


def test_folding_keeps_different_names_apart() -> None:
    assert fold("zoe") not in fold("Priya D'Souza")
    assert fold("dsouza") not in fold("Zoë Brennan-Hughes")


def _rename_two(engine_ctx: ServiceContext, station_code: str) -> list[str]:
    """Give two of today's visitors the names under test; their references."""
    with engine_ctx.write.begin() as s:
        station = s.scalars(select(Station).where(Station.code == station_code)).one()
        rows = s.scalars(select(Appointment).where(Appointment.station_id == station.id)
                         .order_by(Appointment.start_at.desc()).limit(2)).all()
        for row, name in zip(rows, ("Priya D'Souza", "Zoë Brennan-Hughes"), strict=True):
            s.execute(update(Appointment).where(Appointment.id == row.id).values(visitor_name=name))
        return [r.reference for r in rows]


def _search_all(ctx: ServiceContext, actor: object, query: str) -> set[str]:
    return {v.visitor_name or "" for v in appointments.search(ctx, actor, query)}  # type: ignore[arg-type]


def test_the_station_search_folds_names(station: StationRuntime) -> None:
    _rename_two(station.ctx, "HH")
    counter = actor_named(station, "counter.HH")
    for query in ("dsouza", "d souza", "D'Souza"):
        assert "Priya D'Souza" in _search_all(station.ctx, counter, query), query
    for query in ("zoe", "Zoë", "brennan hughes"):
        assert "Zoë Brennan-Hughes" in _search_all(station.ctx, counter, query), query
    everyone = appointments.search(station.ctx, counter, "")
    souzas = {v.visitor_name for v in everyone if v.visitor_name and "D'Souza" in v.visitor_name}
    assert souzas >= {"Priya D'Souza", "Mary-Ann D'Souza"}  # the demo's own D'Souza is found too
    assert {v.visitor_name for v in everyone if matches(v, "dsouza")} == souzas
    assert {v.visitor_name for v in everyone if matches(v, "mary ann")} == {"Mary-Ann D'Souza"}
