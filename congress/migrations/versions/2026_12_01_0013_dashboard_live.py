"""dashboard: what triggered a flow launch (a gate's input continues the session by itself), and a
password an administrator reset, to be changed at the next log-in

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flow_launch") as batch:
        batch.add_column(sa.Column("trigger", sa.String(length=32), nullable=False, server_default="button"))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("flow_launch") as batch:
        batch.drop_column("trigger")
