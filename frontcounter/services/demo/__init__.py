"""The embedded demo: seeds the 11 stations through the same models the services use."""
