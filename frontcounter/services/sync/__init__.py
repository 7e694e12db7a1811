"""Offline-first sync (DESIGN.md section 4): the station's push and pull, and the centre's side."""
