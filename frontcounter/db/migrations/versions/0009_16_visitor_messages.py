"""issue 16: structured safe-contact consent on appointments, and the centre's visitor-message outbox

- ``appointments`` gains what the visitor consented to be contacted by (text, email, phone,
  voicemail, or only via their person of choice) and the number and address to use. They are
  plain columns that sync like every other field; all default to "no", so an appointment made
  before this migration is never messaged.
- ``visitor_messages`` is the centre's outbox of confirmations, reminders, reschedule,
  cancellation and at-risk notices, written in the same transaction as the change that causes
  them, sent by ``frontcounter notify``. Unique per (appointment, kind, appointment version).

Revision ID: 0009
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = ("contact_may_text", "contact_may_email", "contact_may_phone", "contact_may_voicemail",
          "contact_via_person_only")


def upgrade() -> None:
    # Plain ADD COLUMN on both databases (no SQLite table rebuild, which would drop the
    # double-booking triggers of 0001).
    for name in _FLAGS:
        op.add_column("appointments", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("appointments", sa.Column("contact_text_number", sa.String(40), nullable=True))
    op.add_column("appointments", sa.Column("contact_email_address", sa.String(200), nullable=True))
    op.create_table(
        "visitor_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("appointment_version", sa.BigInteger(), nullable=False),
        sa.Column("for_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(8), nullable=True),
        sa.Column("masked_to", sa.String(80), nullable=True),
        sa.Column("template_id", sa.String(64), nullable=True),
        sa.Column("personalisation", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notify_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("phone_instead", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_messages")),
        sa.UniqueConstraint("appointment_id", "kind", "appointment_version", name="uq_visitor_messages_once"),
    )
    op.create_index(op.f("ix_visitor_messages_appointment_id"), "visitor_messages", ["appointment_id"])
    op.create_index("ix_visitor_messages_due", "visitor_messages", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_visitor_messages_due", table_name="visitor_messages")
    op.drop_index(op.f("ix_visitor_messages_appointment_id"), table_name="visitor_messages")
    op.drop_table("visitor_messages")
    # DROP COLUMN (SQLite 3.35+), again without rebuilding the table.
    for name in (*_FLAGS, "contact_text_number", "contact_email_address"):
        op.drop_column("appointments", name)
