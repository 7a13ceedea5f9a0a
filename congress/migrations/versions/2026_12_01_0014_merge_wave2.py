"""Merge the branches of the rules audit (nominations), the document-number register and the live dashboard.

Revision ID: 0014
Revises: 0011, 0012, 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | Sequence[str] | None = ("0011", "0012", "0013")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
