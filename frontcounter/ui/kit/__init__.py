"""The widget kit that views and dialogs share; it imports no view and no dialog."""
