"""Strategies, message templates and contact decisions; the collection state of accounts and debtors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:23:26.138731
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("waba_id", "name", "language", name="uq_message_templates_waba_name_language"),
    )
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_strategies_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("creditor_id", "version", name="uq_strategies_creditor_version"),
    )
    op.create_table(
        "contact_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("template", sa.String(length=512), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("wamid", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id", "creditor_id"],
            ["accounts.id", "accounts.creditor_id"],
            name="fk_contact_decisions_account_creditor",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_decisions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_contact_decisions_idempotency_key")),
    )
    with op.batch_alter_table("contact_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_decisions_account_decided", ["account_id", "decided_at"], unique=False
        )
        batch_op.create_index(
            "ix_contact_decisions_debtor_decided", ["debtor_id", "decided_at"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hardship_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("promise_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("promise_broken_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("plan_status", sa.String(length=16), server_default="none", nullable=False)
        )

    with op.batch_alter_table("debtors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("wrong_number_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("right_party_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("debtors", schema=None) as batch_op:
        batch_op.drop_column("right_party_confirmed_at")
        batch_op.drop_column("wrong_number_at")
        batch_op.drop_column("region")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("plan_status")
        batch_op.drop_column("promise_broken_at")
        batch_op.drop_column("promise_until")
        batch_op.drop_column("hardship_at")
        batch_op.drop_column("disputed_at")

    with op.batch_alter_table("contact_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_decisions_debtor_decided")
        batch_op.drop_index("ix_contact_decisions_account_decided")

    op.drop_table("contact_decisions")
    op.drop_table("strategies")
    op.drop_table("message_templates")
