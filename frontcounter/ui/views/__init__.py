"""The views the navigation shows (one per module); each may import ui.kit and open ui.dialogs."""
