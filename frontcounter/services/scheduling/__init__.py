"""Booking and keeping appointments: slot finder, booking, reschedule, cancel, reassignment,
the duty roster and station set-up, import from command and control."""
