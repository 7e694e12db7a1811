"""issue 21: the centre stamps when an audit row arrived and which login sent it

A station can write its own audit rows under any of its user names and with any ``at``; what it
cannot choose is the moment the centre received the row and the database login that inserted
it. Both are filled by the server (``DEFAULT now()`` / ``DEFAULT current_user``) and the station
and FCR groups hold INSERT on every other column only (frontcounter/db/rls.py), so naming either
column in an INSERT is refused. In a station cache and an embedded SQLite centre they stay empty.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True,
                                      server_default=sa.text("now()") if postgres else None))
        batch_op.add_column(sa.Column("received_by", sa.String(length=80), nullable=True,
                                      server_default=sa.text("current_user") if postgres else None))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("received_by")
        batch_op.drop_column("received_at")
