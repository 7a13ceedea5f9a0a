"""follow-up supervision: handling rounds, reminder ledger, resolution items, presidium meetings,
supervision activities, letters and visits, training, reports to voters; suggestion source and dates

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import congress.models._types

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('followup_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('created_at', congress.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_followup_document_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_document')),
    sa.UniqueConstraint('township_id', 'path', name=op.f('uq_followup_document_township_id_path'))
    )
    op.create_table('petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=256), nullable=False),
    sa.Column('forwarded_to', sa.String(length=128), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_petition_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition')),
    sa.UniqueConstraint('township_id', 'code', name=op.f('uq_petition_township_id_code'))
    )
    op.create_table('presidium_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=8), nullable=False),
    sa.Column('end', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=256), nullable=False),
    sa.Column('notice_on', sa.Date(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('recorder', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_presidium_meeting_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presidium_meeting')),
    sa.UniqueConstraint('township_id', 'code', name=op.f('uq_presidium_meeting_township_id_code'))
    )
    op.create_table('supervision_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('subject_office', sa.String(length=128), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=8), nullable=False),
    sa.Column('end', sa.String(length=8), nullable=False),
    sa.Column('place', sa.String(length=256), nullable=False),
    sa.Column('notice_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('opinions', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_supervision_activity_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_activity')),
    sa.UniqueConstraint('township_id', 'code', name=op.f('uq_supervision_activity_township_id_code'))
    )
    op.create_table('training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('organizer', sa.String(length=128), nullable=False),
    sa.Column('place', sa.String(length=256), nullable=False),
    sa.Column('hours', sa.String(length=16), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_training_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training')),
    sa.UniqueConstraint('township_id', 'code', name=op.f('uq_training_township_id_code'))
    )
    op.create_table('voter_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('deputy_code', sa.String(length=32), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=256), nullable=False),
    sa.Column('voters', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('evaluation', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_voter_report_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voter_report')),
    sa.UniqueConstraint('township_id', 'code', name=op.f('uq_voter_report_township_id_code'))
    )
    op.create_table('resolution_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('office', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('handed_over_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolution.id'], name=op.f('fk_resolution_item_resolution_id_resolution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_item')),
    sa.UniqueConstraint('resolution_id', 'code', name=op.f('uq_resolution_item_resolution_id_code'))
    )
    op.create_table('handling_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('resolution_item_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('office', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('handed_over_on', sa.Date(), nullable=False),
    sa.Column('handed_over_by', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_note', sa.Text(), nullable=False),
    sa.Column('citation', sa.String(length=64), nullable=False),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=False),
    sa.Column('replied_by', sa.String(length=64), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('rated_on', sa.Date(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=False),
    sa.Column('overdue_on', sa.Date(), nullable=True),
    sa.Column('escalated_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['resolution_item_id'], ['resolution_item.id'], name=op.f('fk_handling_round_resolution_item_id_resolution_item')),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_handling_round_suggestion_id_suggestion')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_handling_round_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handling_round')),
    sa.UniqueConstraint('resolution_item_id', 'number', name=op.f('uq_handling_round_resolution_item_id_number')),
    sa.UniqueConstraint('suggestion_id', 'number', name=op.f('uq_handling_round_suggestion_id_number'))
    )
    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('lead', sa.String(length=16), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('document_path', sa.String(length=512), nullable=False),
    sa.Column('recorded_at', congress.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['handling_round.id'], name=op.f('fk_reminder_round_id_handling_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('round_id', 'kind', 'lead', name=op.f('uq_reminder_round_id_kind_lead'))
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='session'))
        batch_op.add_column(sa.Column('raised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
        batch_op.drop_column('raised_on')
        batch_op.drop_column('source')

    op.drop_table('reminder')
    op.drop_table('handling_round')
    op.drop_table('resolution_item')
    op.drop_table('voter_report')
    op.drop_table('training')
    op.drop_table('supervision_activity')
    op.drop_table('presidium_meeting')
    op.drop_table('petition')
    op.drop_table('followup_document')
