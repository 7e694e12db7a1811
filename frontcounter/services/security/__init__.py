"""Sign-in, the audit log, secrets in the keyring, retention (DESIGN.md section 5)."""
