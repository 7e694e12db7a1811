"""Times as people read them: October's repeated hour says which one it is (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime

from frontcounter.services.core.clock import hhmm


def test_the_repeated_october_hour_is_labelled_bst_or_gmt() -> None:
    assert hhmm(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "01:30 BST"  # the first 01:30
    assert hhmm(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "01:30 GMT"  # an hour later, 01:30 again
    assert hhmm(datetime(2026, 10, 25, 2, 30, tzinfo=UTC)) == "02:30"
    assert hhmm(datetime(2026, 11, 23, 18, 0, tzinfo=UTC)) == "18:00"
    assert hhmm(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "02:00"  # March: 01:00-02:00 never happens
