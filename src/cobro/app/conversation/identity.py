"""Identity before disclosure: the account number in the creditor's format, then its second factor; three
failures lock disclosure and hand the conversation to a person."""

from __future__ import annotations

from cobro.app.conversation.debts import run_verified
from cobro.app.conversation.guards import escaping, unresolved
from cobro.app.conversation.turn import Turn
from cobro.domain.conversation.identity import (
    HolderFacts,
    SecondFactor,
    account_shape_ok,
    normalise_reference,
    second_factor_matches,
)
from cobro.domain.conversation.intents import Intent
from cobro.domain.conversation.ledger import AccountCard
from cobro.domain.conversation.state import Flow, Step
from cobro.domain.events import EventKind


def verify_step(t: Turn) -> bool:
    """The account number, then the second factor; False when the message is no answer but a way out."""
    c = t.conversation
    if c.is_locked(t.now):
        t.idle()
        t.say("verify_locked")
        return True
    policy = t.policy()
    if c.step is Step.ACCOUNT:
        numbers = (
            list(t.bot.reader.entities(t.text, t.language, t.zone(), t.today()).numbers) if t.text else []
        )
        # The whole message counts as the number only when it is one word ("A0000001-1"): a sentence
        # squeezed into letters and digits would fit almost any pattern ("quiero hablar con una persona").
        single = len(t.text.split()) == 1 and any(c.isdigit() for c in t.text)
        whole = normalise_reference(t.text) if single else ""
        candidates = [n for n in [*numbers, whole] if n and account_shape_ok(n, policy.account_pattern)]
        if not candidates:
            if escaping(t):
                t.idle()
                return False
            unresolved(t, "account_format", example=policy.account_example)
            return True
        creditor_ids = t.uow.conversations.creditors_of_number(t.message.phone_number_id)
        found: list[AccountCard] = []
        for number in dict.fromkeys(candidates):
            found = t.uow.conversations.accounts_by_reference(number, creditor_ids or None)
            if found:
                break
        if not found:
            failed(t, "account_not_found")
            return True
        t.move(
            Flow.VERIFY,
            Step.SECOND_FACTOR,
            pending=c.slots.get("pending"),
            said=c.slots.get("said"),
            accounts=[a.id for a in found],
        )
        factor = t.policy_of(found[0].creditor_id).second_factor
        if factor is SecondFactor.NAME:
            t.say("ask_name")
        elif factor is SecondFactor.BIRTH_DATE:
            t.say("ask_birth_date")
        else:
            t.say("ask_national_id", digits=t.policy_of(found[0].creditor_id).national_id_digits)
        return True
    for account_id in c.slots.get("accounts", []):
        account = t.uow.conversations.account(int(account_id))
        debtor = t.uow.conversations.debtor(account.debtor_id) if account else None
        if account is None or debtor is None:
            continue
        creditor_policy = t.policy_of(account.creditor_id)
        birth = None
        if creditor_policy.second_factor is SecondFactor.BIRTH_DATE:
            birth = t.bot.reader.birth_date(t.text, t.language)
        facts = HolderFacts(debtor.name, debtor.birth_date, debtor.national_id)
        if second_factor_matches(
            creditor_policy.second_factor,
            t.text,
            facts,
            birth_date=birth,
            digits=creditor_policy.national_id_digits,
        ):
            verified(t, account, debtor.id, debtor.name, c.slots.get("pending"), c.slots.get("said"))
            return True
    # A name that does not match is still an answer to the question (a classifier reads some names as
    # "wrong number"), and so is any message carrying digits when digits or a date are asked for ("perdí mi
    # trabajo 1500" is a guess, whatever else it says): only a message plainly no answer may leave the step.
    if escaping(t) and not _answers_the_factor(t):
        t.idle()
        return False
    failed(t, "verify_failed")
    return True


def _answers_the_factor(t: Turn) -> bool:
    accounts = t.conversation.slots.get("accounts", [])
    account = t.uow.conversations.account(int(accounts[0])) if accounts else None
    factor = t.policy_of(account.creditor_id if account else None).second_factor
    if factor is SecondFactor.NAME:
        return _looks_like_a_name(t.text)
    return any(c.isdigit() for c in t.text)


def _looks_like_a_name(text: str) -> bool:
    """Two to six words of letters (apostrophes, dots and hyphens allowed), nothing else."""
    words = text.split()
    return 1 <= len(words) <= 6 and all(
        w.replace("'", "").replace("-", "").replace(".", "").isalpha() for w in words
    )


def failed(t: Turn, key: str) -> None:
    """A failed proof: counted; the policy's maximum locks disclosure and hands over to a person."""
    policy = t.policy()
    last = t.conversation.last_failure_at
    # The count starts again only after a quiet spell as long as the lock; a success does not reset it (a
    # person proving their own account must not earn fresh guesses at someone else's).
    earlier = t.conversation.failures if last is not None and t.now - last < policy.lock else 0
    failures = earlier + 1
    t.update(last_failure_at=t.now)
    t.record(EventKind.IDENTITY_FAILED, failures=failures, step=t.conversation.step.value)
    if failures >= policy.max_failures:
        t.update(failures=0, locked_until=t.now + policy.lock)
        t.record(EventKind.IDENTITY_LOCKED, until=(t.now + policy.lock).isoformat())
        t.handoff("verification_locked", key="verify_locked")
        return
    t.update(failures=failures)
    if key == "verify_failed":
        t.say(key, remaining=policy.max_failures - failures)
    else:
        t.say(key)
        t.say("verify_failed", remaining=policy.max_failures - failures)


def verified(
    t: Turn, account: AccountCard, debtor_id: int, name: str, pending: object, said: object = None
) -> None:
    """The person proved who they are: linked, confirmed as the right party, then what they asked for."""
    policy = t.policy_of(account.creditor_id)
    t.update(
        verified_debtor_id=debtor_id,
        verified_account_id=account.id,
        verified_until=t.now + policy.verified_for,
        creditor_id=account.creditor_id,
        debtor_id=debtor_id,
    )
    t.idle()
    debtor = t.uow.conversations.debtor(debtor_id)
    at_phone = debtor is not None and t.message.wa_id is not None and debtor.phone == "+" + t.message.wa_id
    if t.message.user_id and (t.message.wa_id is None or at_phone):
        # A username-only contact is recognised by its user id from now on; one from another phone is not
        # linked (its user id belongs to that phone's person).
        t.uow.conversations.link_user_id(debtor_id, t.message.user_id, t.now)
    if at_phone:
        # The right person answers at the number on record: messages about the debt may go there. Proof
        # given from another number or a username says nothing about who holds the phone on record.
        t.uow.debtor_flags.confirm_right_party([debtor_id], t.now, t.now)
    t.record(EventKind.IDENTITY_VERIFIED, account_id=account.id)
    t.say("verified", name=name.split()[0] if name.split() else name)
    intent = Intent(str(pending)) if pending else Intent.CHECK_BALANCE
    run_verified(t, intent, said if isinstance(said, str) else None)
