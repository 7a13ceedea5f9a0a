"""township template folder chosen by an administrator: forget the folders session files set

Until now a session file (or an upload) named `township.templates_dir`, a path stored as given, so
whoever uploaded a session file chose which files became templates. The column now holds the NAME of
a folder under CONGRESS_TEMPLATE_OVERRIDES_DIR that an administrator set (`congress townships
templates`); no stored value was set that way, so every township starts again from the default
templates until an administrator gives it a folder. The schema itself is unchanged.

Revision ID: 0006
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE township SET templates_dir = NULL WHERE templates_dir IS NOT NULL"))


def downgrade() -> None:
    # The paths cleared were never an administrator's choice; there is nothing to restore.
    pass
