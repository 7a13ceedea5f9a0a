"""deputies' own page: personal links, released materials, motions co-signed from the phone, deputies' entries

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from congress.models._types import UTCDateTime

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deputy_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=8), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_deputy_link_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["term_id"], ["term.id"], name=op.f("fk_deputy_link_term_id_term")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"], name=op.f("fk_deputy_link_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputy_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_deputy_link_token_sha256")),
    )
    op.create_index(op.f("ix_deputy_link_township_id"), "deputy_link", ["township_id"])
    op.create_index(op.f("ix_deputy_link_deputy_id"), "deputy_link", ["deputy_id"])
    op.create_table(
        "deputy_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["congress_session.id"],
                                name=op.f("fk_deputy_material_session_id_congress_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputy_material")),
        sa.UniqueConstraint("session_id", "position", name=op.f("uq_deputy_material_session_id_position")),
    )
    op.create_index(op.f("ix_deputy_material_session_id"), "deputy_material", ["session_id"])
    op.create_table(
        "motion_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("starter_id", sa.Integer(), nullable=False),
        sa.Column("sponsors", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["congress_session.id"],
                                name=op.f("fk_motion_draft_session_id_congress_session")),
        sa.ForeignKeyConstraint(["starter_id"], ["deputy.id"], name=op.f("fk_motion_draft_starter_id_deputy")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"], name=op.f("fk_motion_draft_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_motion_draft")),
    )
    op.create_index(op.f("ix_motion_draft_township_id"), "motion_draft", ["township_id"])
    op.create_table(
        "deputy_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("motion_id", sa.Integer(), nullable=True),
        sa.Column("photo_path", sa.String(length=512), nullable=False),
        sa.Column("photo_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_deputy_entry_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["link_id"], ["deputy_link.id"], name=op.f("fk_deputy_entry_link_id_deputy_link")),
        sa.ForeignKeyConstraint(["motion_id"], ["motion_draft.id"],
                                name=op.f("fk_deputy_entry_motion_id_motion_draft")),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestion.id"],
                                name=op.f("fk_deputy_entry_suggestion_id_suggestion")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputy_entry")),
    )
    op.create_index(op.f("ix_deputy_entry_link_id"), "deputy_entry", ["link_id"])
    op.create_index(op.f("ix_deputy_entry_created_at"), "deputy_entry", ["created_at"])


def downgrade() -> None:
    op.drop_table("deputy_entry")
    op.drop_table("motion_draft")
    op.drop_table("deputy_material")
    op.drop_table("deputy_link")
