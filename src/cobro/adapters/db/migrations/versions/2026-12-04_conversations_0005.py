"""Debtor conversations: conversations, payment references, payment plans and instalments, the agent inbox;
bot replies in the outbox (a recipient address, a conversation, no debtor or creditor for an unknown number).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("creditor_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("debtor_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("to_address", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("debtors", schema=None) as batch_op:
        batch_op.create_index("ix_debtors_wa_user_id", ["wa_user_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=128), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("creditor_id", sa.Integer(), nullable=True),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("verified_debtor_id", sa.Integer(), nullable=True),
        sa.Column("verified_account_id", sa.Integer(), nullable=True),
        _when("verified_until"),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        _when("last_failure_at"),
        _when("locked_until"),
        sa.Column("flow", sa.String(length=32), nullable=True),
        sa.Column("step", sa.String(length=32), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        _when("expires_at"),
        _when("last_inbound_at"),
        _when("created_at", False),
        _when("updated_at", False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("phone_number_id", "contact", name="uq_conversations_number_contact"),
    )
    op.create_index("ix_conversations_expires_at", "conversations", ["expires_at"], unique=False)

    op.create_table(
        "payment_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("allow_partial", sa.Integer(), server_default="1", nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("valid_until", False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("checkout_id", sa.String(length=128), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("paid_minor", sa.BigInteger(), server_default="0", nullable=False),
        _when("paid_at"),
        _when("created_at", False),
        _when("updated_at", False),
        sa.ForeignKeyConstraint(
            ["account_id", "creditor_id"],
            ["accounts.id", "accounts.creditor_id"],
            name="fk_payment_references_account_creditor",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_references")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_references_reference")),
    )
    op.create_index(
        op.f("ix_payment_references_account_id"), "payment_references", ["account_id"], unique=False
    )

    op.create_table(
        "payment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("down_payment_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
        sa.ForeignKeyConstraint(
            ["account_id", "creditor_id"],
            ["accounts.id", "accounts.creditor_id"],
            name="fk_payment_plans_account_creditor",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plans")),
    )
    op.create_index(op.f("ix_payment_plans_account_id"), "payment_plans", ["account_id"], unique=False)

    op.create_table(
        "plan_instalments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["payment_plans.id"], name=op.f("fk_plan_instalments_plan_id_payment_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_instalments")),
        sa.UniqueConstraint("plan_id", "number", name="uq_plan_instalments_plan_number"),
    )
    op.create_index(
        "ix_plan_instalments_status_due", "plan_instalments", ["status", "due_date"], unique=False
    )

    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=True),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _when("claimed_at"),
        _when("resolved_at"),
        sa.Column("resolution", sa.Text(), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_inbox_items_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
    )
    op.create_index(op.f("ix_inbox_items_conversation_id"), "inbox_items", ["conversation_id"], unique=False)
    op.create_index("ix_inbox_items_status_created", "inbox_items", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("inbox_items")
    op.drop_table("plan_instalments")
    op.drop_table("payment_plans")
    op.drop_table("payment_references")
    op.drop_table("conversations")
    with op.batch_alter_table("debtors", schema=None) as batch_op:
        batch_op.drop_index("ix_debtors_wa_user_id")
    op.execute("DELETE FROM outbox WHERE debtor_id IS NULL OR creditor_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("conversation_id")
        batch_op.drop_column("to_address")
        batch_op.alter_column("debtor_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("creditor_id", existing_type=sa.Integer(), nullable=False)
