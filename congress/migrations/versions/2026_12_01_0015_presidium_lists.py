"""presidium: 秘书长, 监票人/计票人, 列席人员, group 召集人, the presidium's meetings, each sitting's 执行主席;
the deputies' and candidates' 民族 and 出生年月

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server defaults fill the rows that exist; the models set the same values on insert
    with op.batch_alter_table("congress_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secretary_general", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("scrutineers", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("attendees", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("group_convenors", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("presidium_meetings", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("sitting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair_code", sa.String(length=32), nullable=True))
    with op.batch_alter_table("deputy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ethnicity", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("born", sa.String(length=16), nullable=False, server_default=""))
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ethnicity", sa.String(length=16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("ethnicity")
    with op.batch_alter_table("deputy", schema=None) as batch_op:
        for name in ("born", "ethnicity"):
            batch_op.drop_column(name)
    with op.batch_alter_table("sitting", schema=None) as batch_op:
        batch_op.drop_column("chair_code")
    with op.batch_alter_table("congress_session", schema=None) as batch_op:
        for name in ("presidium_meetings", "group_convenors", "attendees", "scrutineers", "secretary_general"):
            batch_op.drop_column(name)
