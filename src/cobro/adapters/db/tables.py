"""The tables. Uniqueness that protects correctness lives here, in the database, not in code."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from cobro.adapters.db.types import UTCDateTime

# Named constraints so Alembic migrations are the same on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

creditors = Table(
    "creditors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("language", String(2), nullable=False),
    Column("whatsapp_phone_number_id", String(64)),
    Column("strategy", JSON),
    Column("created_at", UTCDateTime, nullable=False),
)

debtors = Table(
    "debtors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("language", String(2), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("time_zone_source", String(16), nullable=False),
    Column("time_zone_candidates", Text, nullable=False),
    Column("email", String(254)),
    Column("national_id", String(64)),
    Column("birth_date", Date),
    Column("consent_method", String(32)),
    Column("consent_at", UTCDateTime),
    Column("consent_source", String(200)),
    Column("consent_scope", String(64)),
    Column("opted_out_at", UTCDateTime),
    Column("opt_out_scope", String(32)),
    Column("opt_out_source", String(200)),
    Column("wa_user_id", String(128)),
    Column("region", String(8)),  # ISO 3166-2 subdivision without the country ("MA" for US-MA)
    Column("wrong_number_at", UTCDateTime),  # someone at this phone said it is not the debtor
    Column("right_party_confirmed_at", UTCDateTime),  # the debtor confirmed being the person addressed
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("creditor_id", "phone", name="uq_debtors_creditor_phone"),
    UniqueConstraint("id", "creditor_id", name="uq_debtors_id_creditor"),
    # Inbound messages are linked to a debtor by phone across creditors: the unique key leads with creditor_id.
    Index("ix_debtors_phone", "phone"),
    Index("ix_debtors_wa_user_id", "wa_user_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", Integer, nullable=False),
    Column("debtor_id", Integer, nullable=False, index=True),
    Column("reference", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    # The state of collection: set by conversations and agents, read by the planner and the gate.
    Column("disputed_at", UTCDateTime),
    Column("hardship_at", UTCDateTime),
    Column("promise_until", Date),
    Column("promise_broken_at", UTCDateTime),
    Column("plan_status", String(16), nullable=False, server_default="none"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("creditor_id", "reference", name="uq_accounts_creditor_reference"),
    UniqueConstraint("id", "creditor_id", name="uq_accounts_id_creditor"),
    # One check gives both: the debtor exists and belongs to the same creditor (tenants never mix).
    ForeignKeyConstraint(
        ["debtor_id", "creditor_id"],
        ["debtors.id", "debtors.creditor_id"],
        name="fk_accounts_debtor_creditor",
    ),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False, index=True),
    Column("reference", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("outstanding_minor", BigInteger, nullable=False),
    Column("issued_on", Date),
    Column("due_date", Date, nullable=False),
    Column("payment_link", Text),
    Column("status", String(16), nullable=False),
    Column("settled_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("creditor_id", "reference", name="uq_invoices_creditor_reference"),
    ForeignKeyConstraint(
        ["account_id", "creditor_id"],
        ["accounts.id", "accounts.creditor_id"],
        name="fk_invoices_account_creditor",
    ),
    Index("ix_invoices_status_due_date", "status", "due_date"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False, index=True),
    Column("invoice_id", ForeignKey("invoices.id")),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid_at", UTCDateTime, nullable=False),
    Column("source", String(64), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("creditor_id", "source", "external_id", name="uq_payments_creditor_source_external_id"),
    ForeignKeyConstraint(
        ["account_id", "creditor_id"],
        ["accounts.id", "accounts.creditor_id"],
        name="fk_payments_account_creditor",
    ),
)

# Append-only: triggers created by the migration refuse UPDATE and DELETE on this table.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("creditor_id", ForeignKey("creditors.id")),
    Column("account_id", ForeignKey("accounts.id")),
    Column("debtor_id", ForeignKey("debtors.id")),
    Column("data", JSON, nullable=False),
    Index("ix_audit_events_account_occurred", "account_id", "occurred_at"),
    Index("ix_audit_events_kind_occurred", "kind", "occurred_at"),
)

# Webhook deliveries exactly as Meta posted them: stored before anything is applied, so nothing is lost
# when applying fails; processed_at stays NULL until every message and status in the body is applied.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_until", UTCDateTime),  # a worker's lease, and the backoff after a failed attempt
    Column("last_error", Text),
    Index(
        "ix_webhook_deliveries_pending",
        "id",
        sqlite_where=text("processed_at IS NULL"),
        postgresql_where=text("processed_at IS NULL"),
    ),
)

# One row per wamid, whichever way it travelled; statuses only ever move it forward.
whatsapp_messages = Table(
    "whatsapp_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("wamid", String(128), nullable=False, unique=True),
    Column("direction", String(3), nullable=False),
    Column("phone_number_id", String(64), nullable=False),
    Column("wa_id", String(32), index=True),
    Column("user_id", String(160)),
    Column("parent_user_id", String(160)),
    Column("type", String(32), nullable=False),
    Column("content", JSON, nullable=False),
    Column("context_wamid", String(128)),
    Column("biz_opaque_callback_data", String(512)),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("status", String(16)),
    Column("status_at", UTCDateTime),
    Column("error_code", Integer),
    Column("error_title", String(200)),
    Column("creditor_id", Integer),
    Column("debtor_id", Integer, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["debtor_id", "creditor_id"],
        ["debtors.id", "debtors.creditor_id"],
        name="fk_whatsapp_messages_debtor_creditor",
    ),
)

# Every status ever reported, once per (wamid, status): a redelivered status is dropped by the key. A status
# whose wamid is unknown creates a status-only placeholder in whatsapp_messages at once; recording the send
# later fills that row in and keeps the status it reached.
whatsapp_statuses = Table(
    "whatsapp_statuses",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("wamid", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recipient_id", String(32)),
    Column("recipient_user_id", String(160)),
    Column("biz_opaque_callback_data", String(512)),
    Column("error_code", Integer),
    Column("error_title", String(200)),
    Column("error_details", Text),
    Column("pricing", JSON),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("wamid", "status", name="uq_whatsapp_statuses_wamid_status"),
)

# Template review results, once per (template, event, time): the key makes a redelivery harmless.
whatsapp_template_events = Table(
    "whatsapp_template_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("waba_id", String(64), nullable=False),
    Column("template_id", String(64), nullable=False),
    Column("name", String(512), nullable=False),
    Column("language", String(16), nullable=False),
    Column("event", String(32), nullable=False),
    Column("reason", Text),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "template_id", "event", "occurred_at", name="uq_whatsapp_template_events_template_event_at"
    ),
)

# Collection strategies as documents, one row per version; the newest version of a creditor is in force.
strategies = Table(
    "strategies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("document", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    UniqueConstraint("creditor_id", "version", name="uq_strategies_creditor_version"),
)

# What Cobro knows of each catalogue template on a WhatsApp Business Account: submitted, approved, rejected
# (with Meta's reason) or stopped by the wording linter before submission.
message_templates = Table(
    "message_templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("waba_id", String(64), nullable=False),
    Column("name", String(512), nullable=False),
    Column("language", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("template_id", String(64)),
    Column("reason", Text),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("waba_id", "name", "language", name="uq_message_templates_waba_name_language"),
)

# Every contact decision the planner made: send (planned, the outbox row), defer or skip, with its rules and
# inputs. The idempotency key (account, stage, local date, and for defer/skip the action and rules) makes
# planning the same instant twice store nothing new.
contact_decisions = Table(
    "contact_decisions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("creditor_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("debtor_id", Integer, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("local_date", Date, nullable=False),
    Column("action", String(8), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("stage", String(64)),
    Column("segments", JSON, nullable=False),
    Column("template", String(512)),
    Column("language", String(16)),
    Column("not_before", UTCDateTime),
    Column("rules", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("rules_version", String(64), nullable=False),
    Column("inputs", JSON, nullable=False),
    ForeignKeyConstraint(
        ["account_id", "creditor_id"],
        ["accounts.id", "accounts.creditor_id"],
        name="fk_contact_decisions_account_creditor",
    ),
    Index("ix_contact_decisions_debtor_decided", "debtor_id", "decided_at"),
    Index("ix_contact_decisions_account_decided", "account_id", "decided_at"),
)


# The outbox (domain/outbox.py, decision 0032): one row per message Cobro means to send, written in the same
# transaction as the decision that made it; its state, not the broker, says whether the message went out.
_OPEN_OUTBOX = "state IN ('planned', 'queued', 'sending', 'unknown')"
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("decision_id", BigInteger, ForeignKey("contact_decisions.id"), index=True),
    Column("creditor_id", Integer),  # NULL only for a bot reply to a number no creditor knows
    Column("debtor_id", Integer),  # NULL only for a bot reply to a number that is no debtor's
    Column("account_id", Integer),
    Column("phone_number_id", String(64)),  # the sending number; NULL: the configured default
    Column("to_address", String(128)),  # the recipient of a bot reply (wa_id or user id); NULL: the debtor
    Column("conversation_id", Integer),  # the conversation a bot reply belongs to
    Column("kind", String(32), nullable=False),
    Column("stage", String(64)),
    Column("template", String(512)),
    Column("language", String(16)),
    Column("state", String(16), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("queued_at", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("wamid", String(128), unique=True),
    Column("error_code", Integer),
    Column("reason", Text),
    Column("payload", JSON),
    ForeignKeyConstraint(
        ["debtor_id", "creditor_id"], ["debtors.id", "debtors.creditor_id"], name="fk_outbox_debtor_creditor"
    ),
    # Only open rows are indexed by state: millions of sent rows never bloat the dispatcher's index.
    Index(
        "ix_outbox_open_state_due",
        "state",
        "due_at",
        postgresql_where=text(_OPEN_OUTBOX),
        sqlite_where=text(_OPEN_OUTBOX),
    ),
    Index("ix_outbox_debtor_created", "debtor_id", "created_at"),
)


# Debtor conversations (domain/conversation/, decision 0036): one row per business number and contact (a wa_id,
# or the business-scoped user id when WhatsApp sends no phone), with the flow it is in and who it proved to be.
conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone_number_id", String(64), nullable=False),
    Column("contact", String(128), nullable=False),  # the wa_id, or "user:<user_id>"
    Column("wa_id", String(32)),
    Column("user_id", String(128)),
    Column("language", String(8)),
    Column("creditor_id", Integer),  # of the debtor linked by phone or by verification
    Column("debtor_id", Integer),
    Column("verified_debtor_id", Integer),
    Column("verified_account_id", Integer),
    Column("verified_until", UTCDateTime),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", UTCDateTime),
    Column("locked_until", UTCDateTime),
    Column("flow", String(32)),
    Column("step", String(32)),
    Column("slots", JSON, nullable=False),
    Column("tries", Integer, nullable=False, server_default="0"),  # unresolved or unclear turns in a row
    Column("expires_at", UTCDateTime),  # the flow's step times out here
    Column("last_inbound_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("phone_number_id", "contact", name="uq_conversations_number_contact"),
    Index("ix_conversations_expires_at", "expires_at"),
)

# Payment references and links (decision 0037): one per amount offered on one account, with a check digit,
# valid until a date; the provider's checkout is created when the debtor opens the link.
payment_references = Table(
    "payment_references",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("creditor_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("allow_partial", Integer, nullable=False, server_default="1"),
    Column("purpose", String(32), nullable=False),  # balance, instalment, down_payment
    Column("plan_id", Integer),
    Column("status", String(16), nullable=False),  # open, paid, expired, cancelled
    Column("valid_until", UTCDateTime, nullable=False),
    Column("provider", String(32)),
    Column("checkout_id", String(128)),
    Column("checkout_url", Text),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("paid_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["account_id", "creditor_id"],
        ["accounts.id", "accounts.creditor_id"],
        name="fk_payment_references_account_creditor",
    ),
)

# Payment plans agreed in a conversation, and their instalments.
payment_plans = Table(
    "payment_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("creditor_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False, index=True),
    Column("status", String(16), nullable=False),  # current, completed, broken, cancelled
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("down_payment_minor", BigInteger, nullable=False, server_default="0"),
    Column("instalments", Integer, nullable=False),
    Column("conversation_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["account_id", "creditor_id"],
        ["accounts.id", "accounts.creditor_id"],
        name="fk_payment_plans_account_creditor",
    ),
)

plan_instalments = Table(
    "plan_instalments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", ForeignKey("payment_plans.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 0 is the down payment
    Column("due_date", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),  # due, paid, missed
    Column("reminded_on", Date),
    UniqueConstraint("plan_id", "number", name="uq_plan_instalments_plan_number"),
    Index("ix_plan_instalments_status_due", "status", "due_date"),
)

# The agent inbox: what the bot hands to a person, with the reason; `cobro inbox` works it.
inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", ForeignKey("conversations.id"), nullable=False, index=True),
    Column("creditor_id", Integer),
    Column("debtor_id", Integer),
    Column("account_id", Integer),
    Column("reason", String(64), nullable=False),
    Column("detail", Text),
    Column("status", String(16), nullable=False),  # open, claimed, resolved
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("resolution", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_inbox_items_status_created", "status", "created_at"),
)
