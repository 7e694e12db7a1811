"""The window around the views: main window, navigation, session lock, background sync."""
