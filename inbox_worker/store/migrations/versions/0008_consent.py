"""consent before a match is final: each of the pair asked, the mentor's supervisor told, and
check-ins whose moment passed while the worker was not running marked skipped

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("relationship_id", sa.Integer(), sa.ForeignKey("relationships.id"), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("talk_requested_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=True),
        sa.Column("by_phone", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("incoming_message_id", sa.Integer(), sa.ForeignKey("incoming_messages.id"), nullable=True),
        sa.UniqueConstraint("relationship_id", "party", name="uq_consent_party"),
    )
    with op.batch_alter_table("consents") as batch:
        batch.create_index(batch.f("ix_consents_relationship_id"), ["relationship_id"], unique=False)
    with op.batch_alter_table("relationships") as batch:
        batch.add_column(sa.Column("mentor_supervisor_notified_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("skipped_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("skipped_at")
    with op.batch_alter_table("relationships") as batch:
        batch.drop_column("mentor_supervisor_notified_at")
    op.drop_table("consents")
