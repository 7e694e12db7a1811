"""PostgreSQL row-level security at the centre (DESIGN.md section 5).

Each station connects to the centre with a database role of its own. Whatever the app does or
fails to do, the server itself confines that role to its own station's appointments, follow-ups,
attention items, duties and users; the FCR's role sees every station. Application code checks
permissions too (services/core/permissions.py): this is the second wall, for a stolen station password
or a bug.

How a role is tied to a station: the table ``frontcounter_security.station_roles`` maps a login
role to a station, and the policies compare each row's ``station_id`` with
``frontcounter_security.station_of(current_user)``. The schema is not the app's (the Alembic chain
and its drift test ignore it) and station roles cannot read or change the mapping; the lookup
functions are ``SECURITY DEFINER`` with a pinned ``search_path``.

Two group roles carry the grants: ``frontcounter_station`` and ``frontcounter_fcr``; a login role
is a member of one of them. Group roles are cluster-wide, so one server may host several
FrontCounter databases; a station role's mapping exists only in the database it was made for.

Everything here is idempotent: ``frontcounter --central URL db upgrade`` runs
``install_row_level_security`` after every migration, and re-creating a role only resets its
password and mapping. The passwords never reach the server in clear text (nor its statement log):
libpq turns them into a SCRAM verifier on the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, text

SCHEMA = "frontcounter_security"
STATION_GROUP = "frontcounter_station"
FCR_GROUP = "frontcounter_fcr"

#: Tables whose every row belongs to one station: a station role reads and writes only its own.
STATION_TABLES = ("appointments", "follow_ups", "attention_items", "duties", "users")
#: Reference data every station reads (a visitor may be sent to another station's rooms), and
#: writes only for itself (a supervisor manages their own station's rooms and sessions).
SHARED_STATION_TABLES = ("rooms", "officers", "opening_sessions")
#: Read-only for stations; the centre's own administration writes these.
READ_ONLY_TABLES = ("stations", "sync_meta", "alembic_version")

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RowSecurityError(Exception):
    """Bad input to the role helpers (a DBA's tool, so a plain exception with a clear message)."""


def _quote(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise RowSecurityError(f"{name!r} is not a valid role name (lower-case letters, digits, _).")
    return f'"{name}"'


def _ensure_group(conn: Connection, name: str, *, login: bool = False) -> None:
    # Concurrent installs on one cluster race on CREATE ROLE; losing that race is fine.
    conn.execute(text(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
                CREATE ROLE {_quote(name)} {'LOGIN' if login else 'NOLOGIN'};
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
    """))


def _policy(conn: Connection, table: str, name: str, sql: str) -> None:
    conn.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
    conn.execute(text(f"CREATE POLICY {name} ON {table} {sql}"))


def _grant(conn: Connection, privileges: str, tables: Iterable[str], role: str) -> None:
    conn.execute(text(f"GRANT {privileges} ON {', '.join(tables)} TO {_quote(role)}"))


def install_row_level_security(engine: Engine) -> None:
    """Create the groups, the mapping and the policies on a migrated central PostgreSQL database."""
    if engine.dialect.name != "postgresql":
        return
    # A sub-select is evaluated once per statement, not once per row.
    own = f"(SELECT {SCHEMA}.station_of(current_user))"
    own_code = f"(SELECT {SCHEMA}.station_code_of(current_user))"
    with engine.begin() as conn:
        # One install at a time per database: policies are dropped and re-created.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('frontcounter_row_level_security'))"))
        _ensure_group(conn, STATION_GROUP)
        _ensure_group(conn, FCR_GROUP)
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        conn.execute(text(f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC"))
        conn.execute(text(f"""
            CREATE TABLE IF NOT EXISTS {SCHEMA}.station_roles (
                role_name name PRIMARY KEY,
                station_id uuid NOT NULL REFERENCES public.stations (id)
            )
        """))
        conn.execute(text(f"REVOKE ALL ON {SCHEMA}.station_roles FROM PUBLIC"))
        conn.execute(text(f"""
            CREATE OR REPLACE FUNCTION {SCHEMA}.station_of(role_name name) RETURNS uuid
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
                SELECT station_id FROM {SCHEMA}.station_roles WHERE role_name = $1
            $$
        """))
        conn.execute(text(f"""
            CREATE OR REPLACE FUNCTION {SCHEMA}.station_code_of(role_name name) RETURNS text
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
                SELECT s.code FROM {SCHEMA}.station_roles r JOIN public.stations s ON s.id = r.station_id
                WHERE r.role_name = $1
            $$
        """))
        # Where a visitor at the wrong counter should go: the station and time of a reference,
        # and nothing else about it, for a role that may not read other stations' appointments.
        conn.execute(text(f"""
            CREATE OR REPLACE FUNCTION {SCHEMA}.locate_appointment(ref text)
            RETURNS TABLE (reference text, station_code text, station_name text, start_at timestamptz)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
                SELECT a.reference::text, s.code::text, s.name::text, a.start_at
                FROM public.appointments a JOIN public.stations s ON s.id = a.station_id
                WHERE a.reference = $1 AND NOT a.deleted
            $$
        """))
        # The public keys of force-wide readers (issue 21): a station seals rows to them, and may
        # not read other stations' users (nor anyone's password hash or wrapped private key).
        conn.execute(text(f"""
            CREATE OR REPLACE FUNCTION {SCHEMA}.reader_keys()
            RETURNS TABLE (id uuid, username text, display_name text, role text, station_id uuid,
                           active boolean, deleted boolean, public_key text, version bigint)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
                SELECT u.id, u.username::text, u.display_name::text, u.role::text, u.station_id, u.active,
                       u.deleted, u.public_key::text, u.version
                FROM public.users u WHERE u.role = 'fcr' AND u.public_key IS NOT NULL
            $$
        """))
        functions = (f"{SCHEMA}.station_of(name)", f"{SCHEMA}.station_code_of(name)",
                     f"{SCHEMA}.locate_appointment(text)", f"{SCHEMA}.reader_keys()")
        for function in functions:
            conn.execute(text(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC"))
            conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {STATION_GROUP}, {FCR_GROUP}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {STATION_GROUP}, {FCR_GROUP}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {STATION_GROUP}, {FCR_GROUP}"))

        _install_grants(conn)

        for table in STATION_TABLES:
            conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
            _policy(conn, table, "station_own_rows",
                    f"FOR ALL TO {STATION_GROUP} USING (station_id = {own}) WITH CHECK (station_id = {own})")
            _policy(conn, table, "fcr_all_rows", f"FOR ALL TO {FCR_GROUP} USING (true) WITH CHECK (true)")
        for table in SHARED_STATION_TABLES:
            conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
            _policy(conn, table, "station_read_all", f"FOR SELECT TO {STATION_GROUP} USING (true)")
            _policy(conn, table, "station_insert_own", f"FOR INSERT TO {STATION_GROUP} WITH CHECK (station_id = {own})")
            _policy(conn, table, "station_update_own",
                    f"FOR UPDATE TO {STATION_GROUP} USING (station_id = {own}) WITH CHECK (station_id = {own})")
            _policy(conn, table, "fcr_all_rows", f"FOR ALL TO {FCR_GROUP} USING (true) WITH CHECK (true)")
        # The centre's visitor-message outbox (issue 16): a push or an FCR booking queues messages
        # in its own transaction, so those logins insert (their own station's, for a station) and
        # read what is queued; only the notify worker (the owner's login) updates a message.
        conn.execute(text("ALTER TABLE visitor_messages ENABLE ROW LEVEL SECURITY"))
        _policy(conn, "visitor_messages", "station_own_read", f"FOR SELECT TO {STATION_GROUP} USING (station_id = {own})")
        _policy(conn, "visitor_messages", "station_own_insert",
                f"FOR INSERT TO {STATION_GROUP} WITH CHECK (station_id = {own})")
        _policy(conn, "visitor_messages", "fcr_read", f"FOR SELECT TO {FCR_GROUP} USING (true)")
        _policy(conn, "visitor_messages", "fcr_insert", f"FOR INSERT TO {FCR_GROUP} WITH CHECK (true)")
        # applied_ops names the pushing cache ("node": the station code's first two letters and a
        # suffix, services/sync/station.py node_id), so it is matched by that prefix.
        own_node = f"(station_code LIKE left({own_code}, 2) || '%')"
        for table, mine in (("audit_events", f"station_code = {own_code}"), ("applied_ops", own_node)):
            conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
            _policy(conn, table, "station_own_read", f"FOR SELECT TO {STATION_GROUP} USING ({mine})")
            _policy(conn, table, "station_own_insert", f"FOR INSERT TO {STATION_GROUP} WITH CHECK ({mine})")
            _policy(conn, table, "fcr_read", f"FOR SELECT TO {FCR_GROUP} USING (true)")
            _policy(conn, table, "fcr_insert", f"FOR INSERT TO {FCR_GROUP} WITH CHECK (true)")


#: Columns the centre fills itself when an audit row arrives; no station can write them (issue 21).
CENTRE_STAMPED_AUDIT_COLUMNS = ("received_at", "received_by")


def _install_grants(conn: Connection) -> None:
    """Grant the two groups exactly what docs/SECURITY.md lists, and nothing an older build gave.

    Every privilege is revoked first, so a grant dropped from this list (UPDATE on ``sync_clock``
    before issue 21) does not survive on a centre installed by an older build.
    """
    groups = f"{STATION_GROUP}, {FCR_GROUP}"
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {groups}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {groups}"))
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    for group in (STATION_GROUP, FCR_GROUP):
        # Row-scoped by the policies below. No DELETE anywhere: rows are tombstoned, never removed.
        _grant(conn, "SELECT, INSERT, UPDATE", (*STATION_TABLES, *SHARED_STATION_TABLES), group)
        _grant(conn, "SELECT", (*READ_ONLY_TABLES, "sync_clock"), group)
        _grant(conn, "SELECT, INSERT", ("applied_ops", "visitor_messages"), group)
        # Append-only by privilege as well as by trigger, and without the centre's own stamps.
        insertable = [c for c in _columns(conn, "audit_events") if c not in CENTRE_STAMPED_AUDIT_COLUMNS]
        conn.execute(text(f"GRANT SELECT, INSERT ({', '.join(insertable)}) ON audit_events TO {_quote(group)}"))
    # The FCR's record of each contact with an at-risk visitor (issue 14): written at the centre
    # by the FCR desk only, append-only like the audit log.
    _grant(conn, "SELECT, INSERT", ("at_risk_contacts",), FCR_GROUP)
    # Central versions need no grant: a trigger stamps every synced row with the writing
    # transaction's id (fc_tx_version(), migration 0002), whatever version a login writes.


def _columns(conn: Connection, table: str) -> list[str]:
    rows = conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": table}).scalars()
    return [str(name) for name in rows]


def _set_password(conn: Connection, role: str, password: str | None) -> None:
    if password is None:
        conn.execute(text(f"ALTER ROLE {_quote(role)} LOGIN PASSWORD NULL"))
        return
    if "\x00" in password:
        raise RowSecurityError("A password cannot contain a NUL character.")
    pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    verifier = pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    if not re.fullmatch(r"[A-Za-z0-9+/=:$-]+", verifier):  # it is quoted as a literal below
        raise RowSecurityError("Unexpected password verifier from libpq.")
    # Sent as is: the verifier's colons must not be read as bind parameters.
    conn.exec_driver_sql(f"ALTER ROLE {_quote(role)} LOGIN PASSWORD '{verifier}'")


def _login_role(conn: Connection, role: str, password: str | None, group: str, other_group: str) -> None:
    _ensure_group(conn, role, login=True)
    _set_password(conn, role, password)
    conn.execute(text(f"REVOKE {_quote(other_group)} FROM {_quote(role)}"))
    conn.execute(text(f"GRANT {_quote(group)} TO {_quote(role)}"))


def station_role_name(code: str) -> str:
    return f"frontcounter_station_{code.lower()}"


def create_station_role(engine: Engine, code: str, password: str | None, *, role: str | None = None) -> str:
    """Create (or reset) the login role of station ``code``; returns its name.

    ``password=None`` makes a role without a password, for certificate or peer authentication.
    """
    role = role or station_role_name(code)
    _quote(role)
    install_row_level_security(engine)
    with engine.begin() as conn:
        station_id = conn.execute(text("SELECT id FROM stations WHERE code = :c AND NOT deleted"),
                                  {"c": code}).scalar_one_or_none()
        if station_id is None:
            raise RowSecurityError(f"The centre has no station {code!r}.")
        _login_role(conn, role, password, STATION_GROUP, FCR_GROUP)
        conn.execute(text(f"""
            INSERT INTO {SCHEMA}.station_roles (role_name, station_id) VALUES (:r, :s)
            ON CONFLICT (role_name) DO UPDATE SET station_id = EXCLUDED.station_id
        """), {"r": role, "s": station_id})
    return role


def create_fcr_role(engine: Engine, role: str, password: str | None) -> str:
    """Create (or reset) a login role for the Force Communications Room, which sees all stations."""
    _quote(role)
    install_row_level_security(engine)
    with engine.begin() as conn:
        _login_role(conn, role, password, FCR_GROUP, STATION_GROUP)
        conn.execute(text(f"DELETE FROM {SCHEMA}.station_roles WHERE role_name = :r"), {"r": role})
    return role
