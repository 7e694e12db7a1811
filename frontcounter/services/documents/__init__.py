"""The printed documents (briefing, day sheet, slip) and the PDF plumbing they share (fonts, pages)."""
