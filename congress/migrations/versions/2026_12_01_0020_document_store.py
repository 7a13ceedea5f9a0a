"""the shared document store: contents keyed by sha256 and a path index per session/township

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from congress.models._types import UTCDateTime

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_content",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_content")),
    )
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=160), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["stored_content.sha256"],
                                name=op.f("fk_stored_file_sha256_stored_content")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("scope", "path", name=op.f("uq_stored_file_scope_path")),
    )
    op.create_index(op.f("ix_stored_file_scope"), "stored_file", ["scope"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_file_scope"), table_name="stored_file")
    op.drop_table("stored_file")
    op.drop_table("stored_content")
