"""The small core every service package uses: actor, clock, context, errors, permissions,
the status machine, the single write path (commands) and reading appointments."""
