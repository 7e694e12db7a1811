"""Why the centre did not apply a station's change, in the words the station's user needs.

The centre's database has the last word on a push (its exclusion constraints, row-level
security, its lock and statement timeouts); these turn its refusals into a rejection a clerk
can act on, or into "try again later" when it only gave up waiting.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

from frontcounter.services.core.commands import translate_integrity_error

#: lock_not_available (lock_timeout), query_canceled (statement_timeout) and deadlock_detected
#: (two writers inserting clashing rows at once each wait on the other's exclusion-constraint
#: check; PostgreSQL ends one: applied again, it meets the winner's row and is refused in words).
_TIMED_OUT = frozenset({"55P03", "57014", "40P01"})


def timed_out(exc: BaseException | None) -> bool:
    """Did the centre give up waiting (a lock held elsewhere, a statement too slow, a deadlock)?"""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) in _TIMED_OUT


def collision(exc: IntegrityError, created: bool) -> str:
    """Why the database's own guard refused the op, in the words the station's user needs."""
    translated = translate_integrity_error(exc)
    if translated is None:
        return "the centre's data refused it"
    if created or "overlap" not in str(exc.orig):
        return translated.message
    return "its room or officer is now booked for someone else at that time"


def refusal(exc: DBAPIError) -> str:
    if getattr(exc.orig, "sqlstate", None) == "42501" or "row-level security" in str(exc.orig):
        return "this station may not change that record at the centre"
    return "the centre's database refused it"


def unknown_station(code: str) -> Exception:
    from frontcounter.services.core.errors import NotFound

    return NotFound(f"The centre has no station {code!r}; check this station's code in Settings.")
