"""Words for codes: reasons, statuses and a visitor's needs, as the tables, the board and the dialogs
show them."""

from __future__ import annotations

import functools

from PySide6.QtCore import (
    QCoreApplication,
)

from frontcounter.db.models import Status
from frontcounter.services.core.appointments import (
    AppointmentView,
)


@functools.cache
def _tr(text: str) -> str:
    """Translated once per text: cells are built per row, and a translation lookup per call (ten
    of them per ``reason_label``) was a good part of a new row's cost. Translators are installed
    at start-up, before any view exists, so a cached answer never goes stale."""
    return QCoreApplication.translate("AppointmentModel", text)


@functools.cache
def reason_label(reason: str) -> str:
    labels = {
        "report_crime": _tr("Report a crime"),
        "victim_update": _tr("Victim update"),
        "witness_statement": _tr("Witness statement"),
        "domestic_abuse": _tr("Domestic abuse"),
        "sexual_offence": _tr("Sexual offence"),
        "hate_crime": _tr("Hate crime"),
        "fraud": _tr("Fraud"),
        "property": _tr("Lost or found property"),
        "firearms_licensing": _tr("Firearms licensing"),
        "other": _tr("Other"),
    }
    return labels.get(reason, reason.replace("_", " ").capitalize())


@functools.cache
def status_label(status: str) -> str:
    labels: dict[str, str] = {
        Status.BOOKED: _tr("Booked"),
        Status.ARRIVED: _tr("Waiting"),
        Status.IN_PROGRESS: _tr("With officer"),
        Status.COMPLETED: _tr("Seen"),
        Status.NO_SHOW: _tr("No-show"),
        Status.CANCELLED: _tr("Cancelled"),
        Status.RESCHEDULED: _tr("Rescheduled"),
        Status.LEFT_UNSEEN: _tr("Left unseen"),
    }
    return labels.get(status, status)


def need_badges(view: AppointmentView) -> list[str]:
    """The visitor's needs in a few words each (interpreter and language, access, companion)."""
    badges = []
    if view.interpreter_language:
        badges.append(_tr("{0} interpreter").format(view.interpreter_language))
    if view.needs_step_free:
        badges.append(_tr("Step-free"))
    if view.needs_hearing_loop:
        badges.append(_tr("Hearing loop"))
    if view.person_of_choice:
        badges.append(_tr("Person of choice"))
    return badges
