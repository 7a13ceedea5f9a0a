"""documents: the 发文字号 register and each township's document settings

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import congress.models._types

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "doc_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("organ", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("allocated_at", congress.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"], name=op.f("fk_doc_number_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_number")),
        sa.UniqueConstraint("township_id", "prefix", "year", "serial",
                            name=op.f("uq_doc_number_township_id_prefix_year_serial")),
        sa.UniqueConstraint("township_id", "subject", name=op.f("uq_doc_number_township_id_subject")),
    )
    op.create_table(
        "document_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("government_prefix", sa.String(length=16), nullable=False),
        sa.Column("party_prefix", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("letterhead", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"],
                                name=op.f("fk_document_settings_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_settings")),
        sa.UniqueConstraint("township_id", name=op.f("uq_document_settings_township_id")),
    )


def downgrade() -> None:
    op.drop_table("document_settings")
    op.drop_table("doc_number")
