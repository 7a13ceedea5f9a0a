"""round_count: each candidate's 反对 and 弃权 marks, for the 计票报告

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # rounds recorded before have no such counts: NULL (not counted), never 0
    with op.batch_alter_table("round_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("against", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("abstain", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round_count", schema=None) as batch_op:
        batch_op.drop_column("abstain")
        batch_op.drop_column("against")
