"""the daily cap counted by an index, and outgoing mail found by its Message-ID

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auto_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("outgoing_message_id", sa.Integer(), sa.ForeignKey("outgoing_messages.id"), nullable=True),
    )
    op.create_index("ix_auto_replies_address_at", "auto_replies", ["address", "at"], unique=False)
    op.create_index("ix_outgoing_messages_message_id", "outgoing_messages", ["message_id"], unique=False)
    # The answers already sent count against the cap as before.
    conn = op.get_bind()
    outgoing = sa.table("outgoing_messages", sa.column("id", sa.Integer()), sa.column("recipients", sa.JSON()),
                        sa.column("created_at", sa.DateTime()), sa.column("auto_reply", sa.Boolean()))
    auto_replies = sa.table("auto_replies", sa.column("address", sa.String()), sa.column("at", sa.DateTime()),
                            sa.column("outgoing_message_id", sa.Integer()))
    rows = [{"address": address.lower(), "at": created_at, "outgoing_message_id": id_}
            for id_, recipients, created_at in conn.execute(
                sa.select(outgoing.c.id, outgoing.c.recipients, outgoing.c.created_at)
                .where(outgoing.c.auto_reply.is_(True)))
            for address in recipients or []]
    if rows:
        conn.execute(auto_replies.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_outgoing_messages_message_id", table_name="outgoing_messages")
    op.drop_index("ix_auto_replies_address_at", table_name="auto_replies")
    op.drop_table("auto_replies")
