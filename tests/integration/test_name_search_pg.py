"""Name search at the centre (PostgreSQL) folds names as the station does (tests/unit/test_name_search.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from frontcounter.db.engine import make_engine
from frontcounter.db.models import Station, User
from frontcounter.paths import Paths
from frontcounter.runtime import create_demo
from frontcounter.services.core.clock import FixedClock
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.security.auth import actor_for
from tests.conftest import DEMO_NOW
from tests.demo_keys import with_demo_key
from tests.unit.core.test_name_search import _rename_two, _search_all

pytestmark = pytest.mark.postgres


@pytest.fixture
def centre(pg_url: str, tmp_path: Path) -> Iterator[ServiceContext]:
    create_demo(Paths.resolve(tmp_path / "hh"), clock=FixedClock(DEMO_NOW), central_url=pg_url, station_code="HH")
    engine = make_engine(pg_url)
    yield ServiceContext(engine=engine, clock=FixedClock(DEMO_NOW), mode="central", workstation="test")
    engine.dispose()


def test_the_centre_search_folds_names_on_postgresql(centre: ServiceContext) -> None:
    _rename_two(centre, "HH")
    with centre.read() as s:
        user = s.scalars(select(User).where(User.username == "fcr.HH")).one()
        fcr = with_demo_key(actor_for(user, s.get(Station, user.station_id), "test"), user.wrapped_private_key)
    assert "Priya D'Souza" in _search_all(centre, fcr, "d souza")
    assert "Zoë Brennan-Hughes" in _search_all(centre, fcr, "ZOE")
