"""erased applications marked as such, so they are never matched or written to again

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

applications = sa.table("applications", sa.column("email", sa.String()), sa.column("status", sa.String()))


def upgrade() -> None:
    # Before this version an erased application kept its status ("received"), so an erased
    # protégé still waited for a mentor and an erased mentor could still be suggested.
    op.get_bind().execute(applications.update()
                          .where(applications.c.email.like("erased-%@erased.invalid"))
                          .values(status="erased"))


def downgrade() -> None:
    op.get_bind().execute(applications.update()
                          .where(applications.c.status == "erased")
                          .values(status="received"))
