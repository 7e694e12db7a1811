"""The admin's Users screen: create a user (who must choose a password at the first sign-in),
disable and enable, reset a password, unlock after a lockout, change role; each audited. Only an
admin has the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontcounter.db.models import AuditEvent, Role
from frontcounter.runtime import StationRuntime
from frontcounter.services.core.errors import AuthenticationError
from frontcounter.services.security import auth
from frontcounter.ui.app_state import AppState
from frontcounter.ui.dialogs.login import LoginDialog
from frontcounter.ui.shell.main_window import MainWindow
from frontcounter.ui.views.users import UsersView
from tests.conftest import actor_named

pytestmark = pytest.mark.wallclock
TEMP = "Temporary-Pass-1"


@pytest.fixture
def screen(qtbot: QtBot, station: StationRuntime) -> Iterator[UsersView]:
    state = AppState(station.ctx, actor_named(station, "admin.HH"), station.settings, station.paths)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    window.nav.setCurrentRow([window.nav.item(i).text() for i in range(window.nav.count())].index("Users"))
    view = window.stack.currentWidget()
    assert isinstance(view, UsersView)
    qtbot.waitUntil(lambda: bool(view.users), timeout=10000)
    yield view
    state.tasks.wait(5000)


def _done(qtbot: QtBot, view: UsersView, act) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.changed, timeout=15000):
        act()
    assert not view.banner.text().startswith("✗"), view.banner.text()
    qtbot.waitUntil(lambda: view.state.tasks.active == 0, timeout=15000)


def _actions(station: StationRuntime) -> list[str]:
    with station.ctx.read() as s:
        return [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.username == "admin.HH",
                                                                     AuditEvent.action.like("user.%")))]


def test_an_admin_manages_users_from_the_screen(qtbot: QtBot, screen: UsersView, station: StationRuntime) -> None:
    view = screen
    view.open_create()
    form = view.form_dialog
    assert form is not None
    form.username.setText("counter2.HH")
    form.display_name.setText("Sam Clerk")
    form.role.setCurrentIndex(form.role.findData(Role.COUNTER.value))
    form.password.setText(TEMP)
    _done(qtbot, view, form.accept)
    assert "Created counter2.HH" in view.banner.text()
    assert view.select("counter2.HH") and view.selected().must_change_password  # type: ignore[union-attr]

    _done(qtbot, view, view.disable_button.click)
    assert not view.selected().active and view.disable_button.text().replace("&", "") == "Enable"  # type: ignore[union-attr]
    with pytest.raises(AuthenticationError):
        auth.sign_in(station.ctx, "counter2.HH", TEMP)
    _done(qtbot, view, view.disable_button.click)
    assert view.selected().active  # type: ignore[union-attr]

    view.open_role()
    form = view.form_dialog
    assert form is not None
    form.role.setCurrentIndex(form.role.findData(Role.SUPERVISOR.value))
    _done(qtbot, view, form.accept)
    assert view.selected().role == Role.SUPERVISOR  # type: ignore[union-attr]

    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.sign_in(station.ctx, "officer.HH", "wrong")
    with qtbot.waitSignal(view.loaded, timeout=15000):
        view.reload()
    assert view.select("officer.HH") and view.unlock_button.isEnabled()
    _done(qtbot, view, view.unlock_button.click)
    assert not view.selected().locked_here  # type: ignore[union-attr]

    view.select("officer.HH")
    view.open_reset()
    form = view.form_dialog
    assert form is not None
    form.password.setText(TEMP)
    _done(qtbot, view, form.accept)
    assert view.selected().must_change_password  # type: ignore[union-attr]
    assert {"user.create", "user.disable", "user.enable", "user.change_role", "user.unlock",
            "user.reset_password"} <= set(_actions(station))


def test_a_temporary_password_is_changed_at_sign_in(qtbot: QtBot, screen: UsersView, station: StationRuntime) -> None:
    from frontcounter.services.security import users

    users.reset_password(station.ctx, actor_named(station, "admin.HH"), "counter.HH", TEMP)
    dialog = LoginDialog(station.ctx, username="counter.HH")
    qtbot.addWidget(dialog)
    dialog.password.setText(TEMP)
    dialog._on_buttons_accepted()
    assert dialog.changing and dialog.new_password.isVisible() is dialog.isVisible() and not dialog.result()
    dialog.new_password.setText("My-Own-Pass-9")
    dialog.repeat_password.setText("My-Own-Pass-9")
    dialog._on_buttons_accepted()
    assert dialog.result() == LoginDialog.DialogCode.Accepted and dialog.actor is not None
    assert auth.sign_in(station.ctx, "counter.HH", "My-Own-Pass-9")


def test_only_an_admin_has_the_users_screen(qtbot: QtBot, station: StationRuntime) -> None:
    for username, has in (("admin.HH", True), ("supervisor.HH", False), ("counter.HH", False)):
        state = AppState(station.ctx, actor_named(station, username), station.settings, station.paths)
        window = MainWindow(state)
        qtbot.addWidget(window)
        titles = [window.nav.item(i).text() for i in range(window.nav.count())]
        assert ("Users" in titles) == has, username
        state.tasks.wait(5000)
