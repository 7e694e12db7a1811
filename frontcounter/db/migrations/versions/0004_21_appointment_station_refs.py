"""issue 21: an appointment's room and officer belong to its station

Row-level security checked only ``appointments.station_id``, so a station's role could store an
appointment at its own station holding another station's room and officer: a row the other
station cannot see, which still blocks that room and officer force-wide through the
double-booking guard. The database now refuses such a row for every writer (station roles, the
FCR, the owner): on PostgreSQL a trigger (``SECURITY DEFINER``, so row-level security cannot hide
the room it checks), on SQLite the same check as triggers. The FCR still books for any station:
with that station's rooms and officers.

Why triggers and not composite foreign keys: a composite key on SQLite means rebuilding the
appointments table, which drops the double-booking triggers of 0001; triggers keep both ends
alike and the model free of dialect-only constraints.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (column, referenced table, constraint-like name the error carries)
REFERENCES = (("room_id", "rooms", "ck_appointments_room_station"),
              ("officer_id", "officers", "ck_appointments_officer_station"))
PULL_APPLYING = "pull_applying"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        checks = "\n".join(
            f"""
            IF NEW.{column} IS NOT NULL AND EXISTS (
                SELECT 1 FROM public.{table} t WHERE t.id = NEW.{column} AND t.station_id <> NEW.station_id
            ) THEN
                RAISE EXCEPTION '{name}: the {table[:-1]} belongs to another station'
                    USING ERRCODE = 'check_violation';
            END IF;"""
            for column, table, name in REFERENCES
        )
        op.execute(f"""
            CREATE OR REPLACE FUNCTION public.appointments_check_station_refs() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            BEGIN {checks}
                RETURN NEW;
            END $$
        """)
        op.execute("REVOKE ALL ON FUNCTION public.appointments_check_station_refs() FROM PUBLIC")
        op.execute(
            # AFTER, so that row-level security has its say first (and its message is the one seen).
            "CREATE TRIGGER trg_appointments_station_refs AFTER INSERT OR UPDATE OF station_id, room_id, officer_id "
            "ON appointments FOR EACH ROW EXECUTE FUNCTION public.appointments_check_station_refs()"
        )
        return
    for column, table, name in REFERENCES:
        # A pull mirrors rows the centre has already checked (the flag of services/sync_pull.py).
        when = (f"WHEN NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync_meta WHERE key = '{PULL_APPLYING}') "
                f"AND EXISTS (SELECT 1 FROM {table} t WHERE t.id = NEW.{column} AND t.station_id <> NEW.station_id)")
        body = f"BEGIN SELECT RAISE(ABORT, '{name}: the {table[:-1]} belongs to another station'); END"
        op.execute(f"CREATE TRIGGER trg_appointments_{table[:-1]}_station_insert BEFORE INSERT ON appointments {when} {body}")
        op.execute(f"CREATE TRIGGER trg_appointments_{table[:-1]}_station_update "
                   f"BEFORE UPDATE OF station_id, {column} ON appointments {when} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_appointments_station_refs ON appointments")
        op.execute("DROP FUNCTION IF EXISTS public.appointments_check_station_refs()")
        return
    for _column, table, _name in REFERENCES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_appointments_{table[:-1]}_station_insert")
        op.execute(f"DROP TRIGGER IF EXISTS trg_appointments_{table[:-1]}_station_update")
