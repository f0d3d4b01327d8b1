"""What a person asks of Cobro in an inbound message, honoured at once: an opt-out, or an answer to the
right-party check ("wrong number", "yes, it is me"), stored on the debtors it concerns.

Whose request it is: an opt-out concerns every debtor at the sender's phone, of every creditor. Cobro sends
for all its creditors and the person asked Cobro to stop; honouring it for one creditor only would keep
messaging someone who said stop (the safe error is to stop too much). A right-party answer concerns the debtor
of the message it answers (its context); without one, "wrong number" marks every debtor at the phone (it only
stops messages), while "yes, it is me" is recorded only when the phone has exactly one debtor (confirming the
wrong person would let a debt be disclosed to a third party).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from cobro.app.uow import UnitOfWork
from cobro.domain.compliance.opt_out import OptOutRequest, detect_opt_out, opt_out_from, phrases_version
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import DebtorLink, InboundMessage

ACTOR = "whatsapp"
# Button payloads (template quick replies) or interactive reply ids of Cobro's right-party check.
WRONG_NUMBER_PAYLOAD = "WRONG_NUMBER"
RIGHT_PARTY_PAYLOAD = "RIGHT_PARTY_YES"


InboundRequest: TypeAlias = OptOutRequest | str  # an opt-out, or a right-party check answer (its payload)


def inbound_request(message: InboundMessage) -> InboundRequest | None:
    """What the message asks of Cobro, if anything: an opt-out first, then a right-party check answer."""
    payload = message.payload or message.reply_id
    opt_out = detect_opt_out(message.text or message.caption, payload)
    if opt_out is not None:
        return opt_out
    answer = payload.strip().upper() if payload else None
    return answer if answer in (WRONG_NUMBER_PAYLOAD, RIGHT_PARTY_PAYLOAD) else None


def record_inbound_requests(
    uow: UnitOfWork,
    messages: Sequence[InboundMessage],
    requests: dict[str, InboundRequest | None],
    now: datetime,
) -> dict[str, list[AuditEvent]]:
    """Stores each message's request on the debtors it concerns, in the caller's transaction; returns the
    audit events by wamid. A sender who is no debtor (unknown phone, or a username only) changes nothing."""
    phones = {"+" + m.wa_id for m in messages if m.wa_id and m.wa_id.isdigit()}
    at_phone = uow.debtor_flags.debtors_by_phone(phones) if phones else {}
    contexts = [m.context_wamid for m in messages if m.context_wamid]
    answered = uow.messages.links(contexts) if contexts else {}
    events: dict[str, list[AuditEvent]] = {}
    for message in messages:
        request = requests[message.wamid]
        candidates = at_phone.get("+" + (message.wa_id or ""), [])
        if not candidates or request is None:
            continue
        if isinstance(request, OptOutRequest):
            found = _record_opt_out(uow, message, request, candidates, now)
        else:
            found = _record_answer(uow, message, request, candidates, answered, now)
        events[message.wamid] = found
    return events


def _record_opt_out(
    uow: UnitOfWork,
    message: InboundMessage,
    request: OptOutRequest,
    candidates: Sequence[DebtorLink],
    now: datetime,
) -> list[AuditEvent]:
    source = f"whatsapp:{message.wamid}"
    effects = uow.debtor_flags.record_opt_out(
        [c.debtor_id for c in candidates if c.debtor_id is not None],
        opt_out_from(request, message.timestamp, source),
        now,
    )
    data: dict[str, Any] = {
        "wamid": message.wamid,
        "scope": request.scope.value,
        "phrase": request.phrase,  # what matched, never the whole message
        "via": request.via,
        "source": source,
        "phrases_version": phrases_version(),
    }
    if request.language is not None:
        data["language"] = request.language
    return [
        _flag_event(
            EventKind.OPT_OUT_RECORDED,
            message.timestamp,
            link.debtor_id,
            link.creditor_id,
            {**data, "effect": effects[link.debtor_id].value},
        )
        for link in candidates
        if link.debtor_id in effects
    ]


def _record_answer(
    uow: UnitOfWork,
    message: InboundMessage,
    payload: str,
    candidates: Sequence[DebtorLink],
    answered: dict[str, DebtorLink],
    now: datetime,
) -> list[AuditEvent]:
    context = answered.get(message.context_wamid or "")
    addressed = [c for c in candidates if context is not None and c.debtor_id == context.debtor_id]
    if payload == WRONG_NUMBER_PAYLOAD:
        targets = addressed or list(candidates)
        changed = uow.debtor_flags.record_wrong_number(_ids(targets), message.timestamp, now)
        kind = EventKind.WRONG_NUMBER_RECORDED
    else:
        targets = addressed or (list(candidates) if len(candidates) == 1 else [])
        changed = uow.debtor_flags.confirm_right_party(_ids(targets), message.timestamp, now)
        kind = EventKind.RIGHT_PARTY_CONFIRMED
    data: dict[str, Any] = {"wamid": message.wamid, "payload": payload}
    if message.context_wamid is not None:
        data["context_wamid"] = message.context_wamid
    return [
        _flag_event(
            kind,
            message.timestamp,
            link.debtor_id,
            link.creditor_id,
            {**data, "effect": "recorded" if link.debtor_id in changed else "unchanged"},
        )
        for link in targets
    ]


def _ids(links: Sequence[DebtorLink]) -> list[int]:
    return [link.debtor_id for link in links if link.debtor_id is not None]


def _flag_event(
    kind: EventKind, at: datetime, debtor_id: int | None, creditor_id: int, data: dict[str, Any]
) -> AuditEvent:
    return AuditEvent(
        kind=kind, occurred_at=at, actor=ACTOR, creditor_id=creditor_id, debtor_id=debtor_id, data=data
    )
