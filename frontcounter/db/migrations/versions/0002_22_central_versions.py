"""central versions from transaction ids, no single clock row (issue 22)

On PostgreSQL a central write no longer takes the one-row ``sync_clock`` (every writer queued on
it, so one row lock held on one station's appointment stalled every station). A transaction's
version is its own transaction id (``pg_current_xact_id()``, xid8) plus a fixed offset that keeps
every new version above every version the old clock handed out; a trigger stamps it on every
insert and update of a synced row (never below the row's previous version + 1, so a row's
versions only grow). A pull is bounded by the watermark ``pg_snapshot_xmin(pg_current_snapshot())``
plus the offset: every transaction below it has finished, and every row a still-running
transaction writes will carry a version at or above it, so a cursor kept below the watermark
never passes a late commit.

Stations need no write grant for this (the functions are executable by PUBLIC; nothing to
``setval``). The embedded SQLite centre keeps its one-row counter (one writer at a time anyway).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from the models (a migration keeps meaning what it meant).
SYNCED_TABLES = ("stations", "opening_sessions", "rooms", "officers", "duties", "users", "appointments",
                 "follow_ups", "attention_items")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The offset: every version from now on is above every version handed out so far.
    highest = " UNION ALL ".join(f"SELECT max(version) AS v FROM {t}" for t in SYNCED_TABLES)
    op.execute(f"""
        DO $$
        DECLARE
            offset_value bigint;
        BEGIN
            SELECT GREATEST(0, GREATEST(
                       (SELECT coalesce(max(value), 0) FROM sync_clock),
                       (SELECT coalesce(max(v), 0) FROM ({highest}) AS versions),
                       (SELECT coalesce(max(version), 0) FROM applied_ops))
                   + 1 - pg_current_xact_id()::text::bigint)
              INTO offset_value;
            EXECUTE format(
                'CREATE OR REPLACE FUNCTION fc_tx_version() RETURNS bigint LANGUAGE sql VOLATILE '
                'AS %L', 'SELECT pg_current_xact_id()::text::bigint + ' || offset_value);
            EXECUTE format(
                'CREATE OR REPLACE FUNCTION fc_version_watermark() RETURNS bigint LANGUAGE sql STABLE '
                'AS %L', 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + ' || offset_value);
        END
        $$
    """)
    op.execute("""
        CREATE OR REPLACE FUNCTION fc_stamp_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v bigint := fc_tx_version();
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.version > v THEN
                NEW.version := OLD.version + 1;  -- a younger transaction wrote the row first
            ELSE
                NEW.version := v;
            END IF;
            RETURN NEW;
        END
        $$
    """)
    for table in SYNCED_TABLES:
        op.execute(f"CREATE TRIGGER trg_{table}_version BEFORE INSERT OR UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION fc_stamp_version()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SYNCED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS fc_stamp_version()")
    op.execute("DROP FUNCTION IF EXISTS fc_version_watermark()")
    op.execute("DROP FUNCTION IF EXISTS fc_tx_version()")
    # The old clock must be ahead of every version the transaction ids handed out.
    highest = " UNION ALL ".join(f"SELECT max(version) AS v FROM {t}" for t in SYNCED_TABLES)
    op.execute(f"UPDATE sync_clock SET value = GREATEST(value, (SELECT coalesce(max(v), 0) FROM ({highest}) AS x))")
