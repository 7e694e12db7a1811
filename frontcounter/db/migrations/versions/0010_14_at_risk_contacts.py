"""issue 14: the FCR desk's record of each contact with an at-risk visitor; video appointments

One row per call made (or tried): the appointment, when, who, how it went and a note. Written at
the centre by the FCR desk (which works on the centre directly, with no cache of its own); the
table exists in station caches too so one schema serves both, but no cache writes it.

Video appointments (channel ``video``): ``appointments.meeting_link`` holds the joining link the
booker typed, and ``stations.video_room_required`` says the station holds them only in rooms with
a video link (elsewhere any private room will do).

Revision ID: 0010
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "at_risk_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_at_risk_contacts_appointment_id_appointments")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_at_risk_contacts_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_at_risk_contacts")),
    )
    op.create_index(op.f("ix_at_risk_contacts_appointment_id"), "at_risk_contacts", ["appointment_id"])
    op.add_column("appointments", sa.Column("meeting_link", sa.String(length=500), nullable=True))
    op.add_column("stations", sa.Column("video_room_required", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("video_room_required")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("meeting_link")
    op.drop_index(op.f("ix_at_risk_contacts_appointment_id"), table_name="at_risk_contacts")
    op.drop_table("at_risk_contacts")
