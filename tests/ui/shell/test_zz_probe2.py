import pytest

from tests.ui.shell.test_sessions import counter  # noqa: F401

pytestmark = pytest.mark.wallclock

def test_probe(qtbot, counter):
    w = counter.window
    t = w.view("today")
    print("before", t.selected_view(), t.visit.take_in_button.isEnabled(), t.visit.take_in_action.isEnabled())
    counter.lock.switch_action.trigger()
    counter.sign_in_on_panel("supervisor.HH")
    w = counter.window
    t = w.view("today")
    print("after", t.selected_view(), t.visit.take_in_button.isEnabled(), t.visit.take_in_action.isEnabled(), t.visit.left_unseen_button.isEnabled())
