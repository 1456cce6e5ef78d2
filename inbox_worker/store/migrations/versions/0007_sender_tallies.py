"""a tally per sender and day, for the daily caps and the recognition of machines that answer our mail

Revision ID: 0007
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sender_tallies",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", "day", "kind"),
    )
    op.create_index("ix_sender_tallies_day", "sender_tallies", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sender_tallies_day", table_name="sender_tallies")
    op.drop_table("sender_tallies")
