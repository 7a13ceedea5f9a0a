"""rules: candidates with their nominations, the term's election facts, the first session of a term

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server defaults fill the rows that exist; the models set the same values on insert
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.add_column(sa.Column("election_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("population", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deputy_quota", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quota_extra", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incumbents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("sitting_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("nominated_by", sa.String(length=16), nullable=False,
                                      server_default="presidium"))
        batch_op.add_column(sa.Column("nominators", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("congress_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nomination_deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("nomination_deadline_time", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("first_term", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("proposers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("executive_chairs", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("congress_session", schema=None) as batch_op:
        for name in ("executive_chairs", "proposers", "first_term", "nomination_deadline_time",
                     "nomination_deadline"):
            batch_op.drop_column(name)
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        for name in ("nominators", "nominated_by", "code"):
            batch_op.drop_column(name)
    with op.batch_alter_table("election", schema=None) as batch_op:
        for name in ("sitting_key", "incumbents"):
            batch_op.drop_column(name)
    with op.batch_alter_table("term", schema=None) as batch_op:
        for name in ("quota_extra", "deputy_quota", "population", "election_date"):
            batch_op.drop_column(name)
