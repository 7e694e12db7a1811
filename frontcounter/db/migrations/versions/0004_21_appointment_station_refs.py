"""issue 21: an appointment's room belongs to its station; a station books only officers it may

Row-level security checked only ``appointments.station_id``, so a station's login could store an
appointment at its own station holding another station's room and officer: a row the other
station cannot see, which still blocks that room and officer force-wide through the
double-booking guard.

- **Rooms** are a station's own, for every writer (station logins, the FCR, the owner) and at
  both ends: on PostgreSQL a trigger, on SQLite the same check as triggers.
- **Officers** may visit another station (an officer on duty there: the reports count visiting
  officers), but a *station login* at the centre books only an officer of its own station or one
  on a duty at that station covering the appointment, and may roster only its own officers; so
  lending an officer is the FCR's (or the home station's) act, never the borrower's. The FCR and
  the owner are not limited: the FCR books at any station.

Why triggers and not composite foreign keys: a composite key on SQLite means rebuilding the
appointments table, which drops the double-booking triggers of 0001; and a composite key could
not express a visiting officer.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PULL_APPLYING = "pull_applying"
#: The current login is a station login (direct member of the station group). Not SECURITY
#: DEFINER, so current_user is the login; station logins read every room and officer and their
#: own station's duties, which is all these checks read.
STATION_LOGIN = ("EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                 "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = current_user "
                 "AND g.rolname = 'frontcounter_station')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION public.appointments_check_station_refs() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM public.rooms r WHERE r.id = NEW.room_id AND r.station_id <> NEW.station_id) THEN
                    RAISE EXCEPTION 'ck_appointments_room_station: the room belongs to another station'
                        USING ERRCODE = 'check_violation';
                END IF;
                IF NEW.officer_id IS NOT NULL
                   AND (TG_OP = 'INSERT' OR NEW.officer_id IS DISTINCT FROM OLD.officer_id
                        OR NEW.station_id IS DISTINCT FROM OLD.station_id)
                   AND {STATION_LOGIN}
                   AND NOT EXISTS (SELECT 1 FROM public.officers o
                                   WHERE o.id = NEW.officer_id AND o.station_id = NEW.station_id)
                   AND NOT EXISTS (SELECT 1 FROM public.duties d
                                   WHERE d.officer_id = NEW.officer_id AND d.station_id = NEW.station_id
                                   AND NOT d.deleted AND d.start_at <= NEW.start_at AND d.end_at >= NEW.end_at) THEN
                    RAISE EXCEPTION 'ck_appointments_officer_station: the officer belongs to another station'
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$
        """)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION public.duties_check_station_refs() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                IF (TG_OP = 'INSERT' OR NEW.officer_id IS DISTINCT FROM OLD.officer_id
                    OR NEW.station_id IS DISTINCT FROM OLD.station_id)
                   AND {STATION_LOGIN}
                   AND NOT EXISTS (SELECT 1 FROM public.officers o
                                   WHERE o.id = NEW.officer_id AND o.station_id = NEW.station_id) THEN
                    RAISE EXCEPTION 'ck_duties_officer_station: a station rosters only its own officers'
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$
        """)
        # AFTER, so that row-level security has its say first (and its message is the one seen).
        op.execute("CREATE TRIGGER trg_appointments_station_refs AFTER INSERT OR UPDATE OF station_id, room_id, "
                   "officer_id ON appointments FOR EACH ROW EXECUTE FUNCTION public.appointments_check_station_refs()")
        op.execute("CREATE TRIGGER trg_duties_station_refs AFTER INSERT OR UPDATE OF station_id, officer_id "
                   "ON duties FOR EACH ROW EXECUTE FUNCTION public.duties_check_station_refs()")
        return
    # A pull mirrors rows the centre has already checked (the flag of services/sync_pull.py).
    when = (f"WHEN NOT EXISTS (SELECT 1 FROM sync_meta WHERE key = '{PULL_APPLYING}') "
            "AND EXISTS (SELECT 1 FROM rooms t WHERE t.id = NEW.room_id AND t.station_id <> NEW.station_id)")
    body = "BEGIN SELECT RAISE(ABORT, 'ck_appointments_room_station: the room belongs to another station'); END"
    op.execute(f"CREATE TRIGGER trg_appointments_room_station_insert BEFORE INSERT ON appointments {when} {body}")
    op.execute("CREATE TRIGGER trg_appointments_room_station_update "
               f"BEFORE UPDATE OF station_id, room_id ON appointments {when} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_duties_station_refs ON duties")
        op.execute("DROP TRIGGER IF EXISTS trg_appointments_station_refs ON appointments")
        op.execute("DROP FUNCTION IF EXISTS public.duties_check_station_refs()")
        op.execute("DROP FUNCTION IF EXISTS public.appointments_check_station_refs()")
        return
    op.execute("DROP TRIGGER IF EXISTS trg_appointments_room_station_insert")
    op.execute("DROP TRIGGER IF EXISTS trg_appointments_room_station_update")
