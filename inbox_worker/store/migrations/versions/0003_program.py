"""the program year: relationships, assessments, command tokens, digests

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relationships",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("protege_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("mentor_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("suggested_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("supervisor_notified_at", sa.DateTime(), nullable=True),
        sa.Column("introduced_at", sa.DateTime(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("relationships") as batch:
        batch.create_index(batch.f("ix_relationships_protege_id"), ["protege_id"], unique=False)
        batch.create_index(batch.f("ix_relationships_mentor_id"), ["mentor_id"], unique=False)
        batch.create_index(batch.f("ix_relationships_state"), ["state"], unique=False)
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("relationship_id", sa.Integer(), sa.ForeignKey("relationships.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("relationship_id", "number", name="uq_assessment_number"),
    )
    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assessment_id", sa.Integer(), sa.ForeignKey("assessments.id"), nullable=False),
        sa.Column("participant", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("incoming_message_id", sa.Integer(), sa.ForeignKey("incoming_messages.id"), nullable=True),
    )
    op.create_table(
        "command_tokens",
        sa.Column("token_id", sa.String(length=64), primary_key=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("issued_to", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.String(length=320), nullable=True),
    )
    op.create_table(
        "digests_sent",
        sa.Column("period", sa.String(length=40), primary_key=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("outgoing_message_id", sa.Integer(), sa.ForeignKey("outgoing_messages.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("digests_sent")
    op.drop_table("command_tokens")
    op.drop_table("assessment_answers")
    op.drop_table("assessments")
    op.drop_table("relationships")
