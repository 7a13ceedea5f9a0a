"""Merge the branches of the presidium lists, the vote method, the deputies' page and the per-candidate against/abstain counts.

Revision ID: 0019
Revises: 0015, 0016, 0017, 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0019"
down_revision: str | Sequence[str] | None = ("0015", "0016", "0017", "0018")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
