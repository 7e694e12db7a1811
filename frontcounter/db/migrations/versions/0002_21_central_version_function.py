"""issue 21: central versions come from a function that only increments

A station's database role used to hold UPDATE on ``sync_clock`` so that it could take central
versions while its pushed commands were applied; with it, a stolen station password could set the
force-wide clock to the bigint maximum (every later central write fails) or back (every station's
cursor skips rows). ``next_central_version()`` is ``SECURITY DEFINER``: it runs as the schema's
owner and can do one thing, add one. ``frontcounter/db/rls.py`` grants EXECUTE on it to the
station and FCR groups and revokes UPDATE on the table.

Self-contained on purpose: issue 22 replaces how versions are generated; whatever it builds, the
station roles must keep reaching it only through an increment-only entry point.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # an embedded (SQLite) centre has no database roles
    op.execute(
        """
        CREATE OR REPLACE FUNCTION public.next_central_version() RETURNS bigint
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            UPDATE public.sync_clock SET value = value + 1 WHERE id = 1 RETURNING value
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION public.next_central_version() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS public.next_central_version()")
