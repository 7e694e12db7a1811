"""Qt widgets over the services. Never builds SQL and never holds a Session."""
