"""What the widgets share: the service context, who is signed in, the task runner, and the few
app-wide signals (data changed, mask toggled, user changed). Passed to widgets explicitly; there
is no global lookup."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from frontcounter.config import Settings
from frontcounter.paths import Paths
from frontcounter.services.core.actor import Actor
from frontcounter.services.core.context import ServiceContext
from frontcounter.services.core.permissions import Action, allowed
from frontcounter.ui.tasks import TaskRunner


class AppState(QObject):
    #: Rows changed locally (a command committed) or arrived by sync; views reload.
    data_changed = Signal()
    mask_changed = Signal(bool)
    actor_changed = Signal(object)
    #: A one-line message for the banner: (text, kind) with kind "info", "warning" or "error".
    message = Signal(str, str)

    def __init__(self, ctx: ServiceContext, actor: Actor, settings: Settings, paths: Paths,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.actor = actor
        self.settings = settings
        self.paths = paths
        self.tasks = TaskRunner(self)
        self.masked = False
        # Commands may commit on worker threads; a queued signal brings the news to the GUI thread.
        ctx.on_committed.append(lambda _action: self.data_changed.emit())

    def can(self, action: Action) -> bool:
        return allowed(self.actor, action)

    def set_masked(self, masked: bool) -> None:
        if masked != self.masked:
            self.masked = masked
            self.mask_changed.emit(masked)

    def set_actor(self, actor: Actor) -> None:
        self.actor = actor
        self.actor_changed.emit(actor)
        self.data_changed.emit()


def mask_name(name: str | None, masked: bool) -> str:
    """Initials instead of a name when the screen mask is on (counters the public can see)."""
    if not name:
        return ""
    if not masked:
        return name
    # Initials of words only: "Sister (Anna)" is "S. A.", not "S. (."; a CJK name keeps its first
    # character per word, which says no more than a Latin initial does.
    words = ["".join(ch for ch in part if ch.isalpha()) for part in name.replace("-", " ").split()]
    return " ".join(f"{w[0].upper()}." for w in [w for w in words if w][:3])
