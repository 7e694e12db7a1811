"""Where the caller is: a Hertfordshire town or postcode (district) to coordinates, from the table
shipped in ``frontcounter/assets/places/hertfordshire.json`` (no network geocoding), and the FCR's
slot search over every station, nearest the caller first.

A full postcode ("SG1 1HF") is reduced to its district ("SG1"): the table holds districts, which
rank stations a few kilometres apart well enough, and the caller's exact address is never needed
to choose a station.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources

from sqlalchemy import select

from frontcounter.db.models import Station
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.commands import audit
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.errors import ValidationError
from frontcounter.services.scheduling.slots import Slot, SlotNeeds, find_slots, haversine_km

#: A district ("SG1", "AL10", "WD17") and an optional inward code ("1HF").
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})?$")


@dataclass(frozen=True, slots=True)
class Place:
    """A caller's whereabouts as the finder uses them: what it was taken to be, and where that is."""

    label: str
    kind: str  # "district" or "town"
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Table:
    stations: dict[str, tuple[float, float]]
    towns: dict[str, tuple[str, float, float]]  # casefolded name -> (name, lat, lon)
    districts: dict[str, tuple[float, float]]


@cache
def _table() -> _Table:
    text = resources.files("frontcounter.assets").joinpath("places/hertfordshire.json").read_text("utf-8")
    raw = json.loads(text)
    return _Table(
        stations={code: (float(lat), float(lon)) for code, (lat, lon) in raw["stations"].items()},
        towns={name.casefold(): (name, float(lat), float(lon)) for name, (lat, lon) in raw["towns"].items()},
        districts={code: (float(lat), float(lon)) for code, (lat, lon) in raw["districts"].items()},
    )


def station_coordinates() -> dict[str, tuple[float, float]]:
    """The shipped coordinates of the 11 stations, by code."""
    return dict(_table().stations)


def towns() -> list[str]:
    """Every town the table knows, for the form's completer."""
    return sorted(name for name, _lat, _lon in _table().towns.values())


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def locate(text: str) -> Place:
    """The caller's town or postcode as a place; ``ValidationError`` says what to type instead."""
    typed = " ".join(text.split())
    if not typed:
        raise ValidationError("Type the caller's town or postcode (e.g. Ware, or SG12 9AB).")
    table = _table()
    match = _POSTCODE_RE.match(typed.upper())
    if match:
        district = match.group(1)
        if district in table.districts:
            lat, lon = table.districts[district]
            return Place(district, "district", lat, lon)
        raise ValidationError(
            f"{district} is not a Hertfordshire postcode district this desk knows; type the caller's town instead.")
    key = _fold(typed)
    found = table.towns.get(key)
    if found is None:
        starting = sorted({v for k, v in table.towns.items() if k.startswith(key)})
        if len(starting) == 1:
            found = starting[0]
        elif len(starting) > 1:
            names = ", ".join(n for n, _la, _lo in starting[:4])
            raise ValidationError(f"{typed!r} could be {names}: type more of the town's name.")
    if found is None:
        raise ValidationError(
            f"{typed!r} is not a Hertfordshire town this desk knows; type a town (e.g. Ware) or a postcode "
            "(e.g. SG12 9AB).")
    name, lat, lon = found
    return Place(name, "town", lat, lon)


def stations_nearest(ctx: ServiceContext, place: Place) -> list[tuple[str, str, float]]:
    """Every open station as (code, name, km from the place), nearest first."""
    with ctx.read() as session:
        rows = session.execute(select(Station.code, Station.name, Station.latitude, Station.longitude)
                               .where(Station.deleted.is_(False), Station.active.is_(True))).all()
    ranked = [(r.code, r.name, haversine_km(place.latitude, place.longitude, r.latitude, r.longitude))
              for r in rows]
    ranked.sort(key=lambda s: (s[2], s[0]))
    return ranked


def find_nearest_slots(
    ctx: ServiceContext,
    actor: Actor,
    place: Place,
    needs: SlotNeeds,
    *,
    station_codes: Sequence[str] | None = None,
    start_day: date | None = None,
    days: int = 14,
    limit: int = 40,
    not_before: datetime | None = None,
) -> list[Slot]:
    """The FCR's search: free slots at every station (or those named), nearest the caller first,
    each slot's ``distance_km`` from the caller. Audited as a search (the place, never the caller)."""
    codes = list(station_codes) if station_codes else [code for code, _n, _d in stations_nearest(ctx, place)]
    found = find_slots(ctx, actor, needs, station_codes=codes, start_day=start_day, days=days, limit=limit,
                       not_before=not_before, origin=(place.latitude, place.longitude))
    audit(ctx, actor, category="consultation", action="booking.find_slots", record=None,
          details={"place": place.label, "stations": len(codes), "needs": needs.describe()[:200],
                   "results": len(found)})
    return found
