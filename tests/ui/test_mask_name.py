"""The screen mask's initials are letters only, whatever punctuation a name or relation holds."""

from __future__ import annotations

import pytest

from frontcounter.ui.app_state import mask_name


@pytest.mark.parametrize(("name", "masked"), [
    ("Sister (Anna)", "S. A."), ("Siobhan O'Brien", "S. O."), ("Jean-Luc Picard", "J. L. P."),
    ("Łukasz Wiśniewski", "Ł. W."), ("(none)", "N."), ("  ", ""), ("— —", ""),
])
def test_initials_are_letters_only(name: str, masked: str) -> None:
    assert mask_name(name, True) == masked
    assert mask_name(name, False) == name
