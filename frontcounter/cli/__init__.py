"""The command line: a thin front over the services (DESIGN.md section 6)."""
