"""calendar: entry details (audience, description) and feed tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import congress.models._types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_detail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("updated_at", congress.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["calendar_entry.id"],
                                name=op.f("fk_calendar_detail_entry_id_calendar_entry")),
        sa.ForeignKeyConstraint(["sitting_id"], ["sitting.id"], name=op.f("fk_calendar_detail_sitting_id_sitting"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["term_id"], ["term.id"], name=op.f("fk_calendar_detail_term_id_term")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_calendar_detail_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_detail")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_calendar_detail_entry_id")),
    )
    with op.batch_alter_table("calendar_detail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_detail_township_id"), ["township_id"], unique=False)
    op.create_table(
        "feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("handler", sa.String(length=128), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=8), nullable=False),
        sa.Column("issued_at", congress.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", congress.models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_feed_token_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"], name=op.f("fk_feed_token_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_feed_token_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("feed_token")
    with op.batch_alter_table("calendar_detail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_detail_township_id"))
    op.drop_table("calendar_detail")
