"""Use cases as plain Python (no Qt): every call takes the acting user and checks permission itself."""
