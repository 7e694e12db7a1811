"""issue 21: encrypt at rest what the counter may not read (docs/SECURITY.md section 6)

Adds each user's X25519 public key and password-wrapped private key, and each appointment's
sealed data keys. The confidential columns themselves keep their types: ``briefing_notes`` and
``safe_contact`` hold an ``fcenc1:`` token, ``vulnerability_flags`` a list of one token. Rows
stored before this revision stay as they are until a reader's session seals them (sign-in runs
the re-seal pass, services/core/sealing.py): the migration holds no user's key and no reader has
a key pair yet, so it cannot seal them itself.

Revision ID: 0007
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN on both databases: no table rebuild, so SQLite keeps the
    # appointments' double-booking triggers.
    op.add_column("users", sa.Column("public_key", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("wrapped_private_key", sa.String(length=300), nullable=True))
    op.add_column("appointments", sa.Column("sealed_keys", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("sealed_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("wrapped_private_key")
        batch_op.drop_column("public_key")
