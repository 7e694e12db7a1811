"""The two kinds of error (STYLE.md): expected ones the user can act on, and bugs.

Every expected error derives from ``FrontCounterError`` and carries a one-line message written for
the person at the counter; the UI shows it in a banner and the CLI prints it and exits 1.
"""

from __future__ import annotations


class FrontCounterError(Exception):
    """An expected failure with a message fit to show a user."""

    @property
    def message(self) -> str:
        return str(self)


class NotFound(FrontCounterError):
    pass


class PermissionDenied(FrontCounterError):
    pass


class IllegalTransition(FrontCounterError):
    """A status change the status machine does not allow."""


class DoubleBooking(FrontCounterError):
    """The database refused a booking because the room or the officer is already taken."""


class ValidationError(FrontCounterError):
    pass


class WrongPlaceOrTime(FrontCounterError):
    """A visitor at the counter whose appointment is at another station, day or time."""


class AuthenticationError(FrontCounterError):
    pass


class OfflineError(FrontCounterError):
    """The centre cannot be reached; the station carries on and syncs later."""


class SchemaMismatch(FrontCounterError):
    """The centre speaks another schema version; syncing would corrupt data, so it is refused."""
