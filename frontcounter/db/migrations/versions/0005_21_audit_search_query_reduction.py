"""issue 21: the audit log's one permitted change — reducing a search query to kind and length

Search queries are often a visitor's name or phone number, and the audit log is kept for six
years. Once the personal-data period has passed, the purge replaces a search event's ``query``
with its kind and length (services/retention_traces.py). The append-only guards of 0001 now let
exactly that through: an UPDATE of an ``appointments.search`` row that changes nothing but
``details``, leaves no ``query`` in it and marks it ``query_reduced``. Every other UPDATE, every
DELETE and TRUNCATE is still refused; station and FCR logins hold no UPDATE on the table at all.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH = "appointments.search"
_UNCHANGED = ("id", "local_seq", "at", "username", "role", "station_code", "workstation", "category",
              "action", "record", "outcome", "received_at", "received_by")


def _postgresql_function(allow_reduction: bool) -> str:
    reduction = f"""
            IF TG_OP = 'UPDATE' AND OLD.action = '{SEARCH}'
               AND (to_jsonb(NEW) - 'details') = (to_jsonb(OLD) - 'details')
               AND NEW.details::jsonb ->> 'query' IS NULL
               AND (NEW.details::jsonb ->> 'query_reduced') = 'true' THEN
                RETURN NEW;
            END IF;""" if allow_reduction else ""
    return f"""
        CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN{reduction}
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
    """


def _sqlite_update_trigger(allow_reduction: bool) -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_audit_events_no_update")
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _UNCHANGED)
    when = (f"WHEN NOT (OLD.action = '{SEARCH}' AND {same} AND json_extract(NEW.details, '$.query') IS NULL "
            "AND json_extract(NEW.details, '$.query_reduced') = 1) ") if allow_reduction else ""
    op.execute(f"CREATE TRIGGER trg_audit_events_no_update BEFORE UPDATE ON audit_events {when}"
               "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgresql_function(True))
    else:
        _sqlite_update_trigger(True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgresql_function(False))
    else:
        _sqlite_update_trigger(False)
