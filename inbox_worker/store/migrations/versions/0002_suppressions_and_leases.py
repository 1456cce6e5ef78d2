"""suppressed addresses, leases, and which outgoing mail answers incoming mail

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressed_addresses",
        sa.Column("address", sa.String(length=320), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("incoming_message_id", sa.Integer(), sa.ForeignKey("incoming_messages.id"), nullable=True),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=300), primary_key=True),
        sa.Column("holder", sa.String(length=300), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )


    with op.batch_alter_table("outgoing_messages") as batch:
        batch.add_column(sa.Column("auto_reply", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("outgoing_messages") as batch:
        batch.drop_column("auto_reply")
    op.drop_table("leases")
    op.drop_table("suppressed_addresses")
