"""issue 21: a station login cannot give a row a version past the central clock

A pull moves a table's cursor to the highest version it read. A station login applies its pushed
commands itself, so it could write ``version = 9223372036854775807`` on one of its own rooms —
rows every station pulls — and every station's rooms cursor would jump past every later change.
For members of the station and FCR groups a row's new version may not exceed the clock (a
legitimate write takes its version from ``next_central_version()`` in the same transaction, so it
is exactly the clock). The schema owner (demo seeding, repairs) is not checked.

Self-contained, and to be reconciled with issue 22, which replaces the one-row clock: the bound
must then be that scheme's highest issued version.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNCED_TABLES = ("stations", "opening_sessions", "rooms", "officers", "duties", "users", "appointments",
                 "follow_ups", "attention_items")
GROUPS = "('frontcounter_station', 'frontcounter_fcr')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Not SECURITY DEFINER: it must see the login that writes (current_user).
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.rows_keep_versions_within_clock() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF (TG_OP = 'INSERT' OR NEW.version IS DISTINCT FROM OLD.version)
               AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                           JOIN pg_roles u ON u.oid = m.member
                           WHERE u.rolname = current_user AND g.rolname IN {GROUPS})
               AND NEW.version > (SELECT value FROM public.sync_clock WHERE id = 1) THEN
                RAISE EXCEPTION 'ck_version_within_clock: version % is past the central clock', NEW.version
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$
    """)
    for table in SYNCED_TABLES:
        op.execute(f"CREATE TRIGGER trg_{table}_version_within_clock BEFORE INSERT OR UPDATE OF version "
                   f"ON {table} FOR EACH ROW EXECUTE FUNCTION public.rows_keep_versions_within_clock()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SYNCED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_version_within_clock ON {table}")
    op.execute("DROP FUNCTION IF EXISTS public.rows_keep_versions_within_clock()")
