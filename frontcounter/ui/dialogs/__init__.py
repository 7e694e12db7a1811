"""Dialogs; they may import ui.kit and each other, never a view."""
