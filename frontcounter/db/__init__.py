"""Persistence: SQLAlchemy models, engines and Alembic migrations. Never imports Qt."""
