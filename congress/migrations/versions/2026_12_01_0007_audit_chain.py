"""audit trail as hash chains: chain, seq, prev_hash, hash on audit_event; append-only on PostgreSQL

Existing events are chained in the order they were written (by id), one chain per township and the
global chain 0, before the columns become required.

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import congress.models._types

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The error text is what a person trying UPDATE/DELETE/TRUNCATE on the table reads (psql, a SQL client).
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计记录只能追加，不得修改或删除（拒绝 % 操作）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_event") as batch:
        for name, type_ in (("chain", sa.Integer()), ("seq", sa.Integer()), ("prev_hash", sa.String(length=64)),
                            ("hash", sa.String(length=64))):
            batch.alter_column(name, existing_type=type_, nullable=False)
        batch.create_unique_constraint(batch.f("uq_audit_event_chain_seq"), ["chain", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def _chain_existing_events() -> None:
    from congress.audit.chain import GENESIS, chain_key, content, content_hash

    events = sa.table(
        "audit_event", sa.column("id", sa.Integer()), sa.column("township_id", sa.Integer()),
        sa.column("session_id", sa.Integer()), sa.column("at", congress.models._types.UTCDateTime(timezone=True)),
        sa.column("actor", sa.String()), sa.column("action", sa.String()), sa.column("step", sa.String()),
        sa.column("detail", sa.JSON()), sa.column("note", sa.Text()), sa.column("chain", sa.Integer()),
        sa.column("seq", sa.Integer()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
    )
    sessions = sa.table("congress_session", sa.column("id", sa.Integer()), sa.column("key", sa.String()))
    bind = op.get_bind()
    keys = dict(bind.execute(sa.select(sessions.c.id, sessions.c.key)).all())
    heads: dict[int, tuple[int, str]] = {}
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        key = chain_key(row.township_id)
        seq, prev = heads.get(key, (0, GENESIS))
        digest = content_hash(content(
            chain=key, seq=seq + 1, prev_hash=prev, actor=row.actor, at=row.at, action=row.action,
            township_id=row.township_id, session_key=keys.get(row.session_id), step=row.step,
            detail=row.detail, note=row.note))
        bind.execute(events.update().where(events.c.id == row.id)
                     .values(chain=key, seq=seq + 1, prev_hash=prev, hash=digest))
        heads[key] = (seq + 1, digest)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint(batch.f("uq_audit_event_chain_seq"), type_="unique")
        for name in ("hash", "prev_hash", "seq", "chain"):
            batch.drop_column(name)
