"""The outbox: one row per message to send, its state the truth about whether it went out (decision 0032).

Planned sends that 0003 kept on `contact_decisions` (state, wamid) move into the outbox; those two columns go.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "state IN ('planned', 'queued', 'sending', 'unknown')"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=True),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("phone_number_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("template", sa.String(length=512), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wamid", sa.String(length=128), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["debtor_id", "creditor_id"],
            ["debtors.id", "debtors.creditor_id"],
            name="fk_outbox_debtor_creditor",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["contact_decisions.id"], name=op.f("fk_outbox_decision_id_contact_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        sa.UniqueConstraint("wamid", name=op.f("uq_outbox_wamid")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index("ix_outbox_debtor_created", ["debtor_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_open_state_due",
            ["state", "due_at"],
            unique=False,
            postgresql_where=sa.text(_OPEN),
            sqlite_where=sa.text(_OPEN),
        )
    # Sends planned before this revision become outbox rows, due when they were decided.
    op.execute(
        "INSERT INTO outbox (idempotency_key, decision_id, creditor_id, debtor_id, account_id, kind, stage, "
        "template, language, state, due_at, attempts, created_at, updated_at, wamid) "
        "SELECT idempotency_key, id, creditor_id, debtor_id, account_id, kind, stage, template, language, "
        "COALESCE(state, 'planned'), COALESCE(not_before, decided_at), 0, decided_at, decided_at, wamid "
        "FROM contact_decisions WHERE action = 'send'"
    )
    with op.batch_alter_table("contact_decisions", schema=None) as batch_op:
        batch_op.drop_column("wamid")
        batch_op.drop_column("state")


def downgrade() -> None:
    with op.batch_alter_table("contact_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("wamid", sa.String(length=128), nullable=True))
    op.execute(
        "UPDATE contact_decisions SET state = (SELECT o.state FROM outbox o WHERE o.decision_id = "
        "contact_decisions.id), wamid = (SELECT o.wamid FROM outbox o WHERE o.decision_id = contact_decisions.id)"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_open_state_due", postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN)
        )
        batch_op.drop_index("ix_outbox_debtor_created")
        batch_op.drop_index(batch_op.f("ix_outbox_decision_id"))
    op.drop_table("outbox")
