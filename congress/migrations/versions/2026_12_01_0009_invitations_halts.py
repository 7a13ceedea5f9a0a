"""calendar: one invitation file per deputy and event; cancelled and postponed sessions

Revision ID: 0009
Revises: 0002
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import congress.models._types

revision: str = "0009"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_calendar_invitation_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_calendar_invitation_document_id_document")),
        sa.ForeignKeyConstraint(["entry_id"], ["calendar_entry.id"],
                                name=op.f("fk_calendar_invitation_entry_id_calendar_entry")),
        sa.ForeignKeyConstraint(["session_id"], ["congress_session.id"],
                                name=op.f("fk_calendar_invitation_session_id_congress_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_invitation")),
        sa.UniqueConstraint("entry_id", "deputy_id", name=op.f("uq_calendar_invitation_entry_id_deputy_id")),
    )
    with op.batch_alter_table("calendar_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_invitation_session_id"), ["session_id"], unique=False)
    op.create_table(
        "session_halt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_state", sa.String(length=16), nullable=False),
        sa.Column("previous_waiting_for", sa.String(length=32), nullable=True),
        sa.Column("previous_message", sa.Text(), nullable=True),
        sa.Column("uids", sa.JSON(), nullable=False),
        sa.Column("dates", sa.JSON(), nullable=False),
        sa.Column("halted_at", congress.models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("halted_by", sa.String(length=64), nullable=False),
        sa.Column("lifted_at", congress.models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_how", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["congress_session.id"],
                                name=op.f("fk_session_halt_session_id_congress_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_halt")),
    )
    with op.batch_alter_table("session_halt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_halt_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_halt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_halt_session_id"))
    op.drop_table("session_halt")
    with op.batch_alter_table("calendar_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_invitation_session_id"))
    op.drop_table("calendar_invitation")
