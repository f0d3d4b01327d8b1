"""How sure the bot is, and what it does when a message answers nothing: ask again, or hand over after two
tries. Intents that cannot be undone by the bot need more certainty from free text than the policy's
threshold (their buttons need none)."""

from __future__ import annotations

from cobro.app.conversation.turn import Turn
from cobro.domain.conversation.intents import Intent

MAX_TRIES = 2
# Intents that leave whatever step the conversation waits on.
ESCAPES = frozenset(
    {Intent.TALK_TO_AGENT, Intent.WRONG_NUMBER, Intent.OPT_OUT, Intent.DISPUTE, Intent.HARDSHIP}
)
# The bot stops writing, or collection pauses: more certainty before free text triggers them.
GRAVE = frozenset({Intent.WRONG_NUMBER, Intent.OPT_OUT, Intent.DISPUTE})
GRAVE_CONFIDENCE = 0.85


def confident(t: Turn) -> bool:
    """True when the reading is sure enough to act on."""
    reading = t.reading
    if reading is None:
        return False
    threshold = t.policy().confidence_threshold
    if reading.intent in GRAVE:
        threshold = max(threshold, GRAVE_CONFIDENCE)
    return reading.confidence >= threshold


def escaping(t: Turn) -> bool:
    """True when a message that does not answer the step asks, with confidence, to leave it (a person, a
    dispute, hardship, wrong number, stop)."""
    return t.reading is not None and t.reading.intent in ESCAPES and confident(t)


def asks_something_else(t: Turn, *also: Intent) -> bool:
    """True when a message that does not answer the step is, with confidence, another request."""
    reading = t.reading
    return (
        reading is not None
        and reading.intent is not Intent.OTHER
        and reading.intent not in also
        and confident(t)
    )


def clarify(t: Turn) -> None:
    """Asks what the person wants; twice unclear in a row goes to a person."""
    tries = t.conversation.tries + 1
    if tries >= MAX_TRIES:
        t.handoff("not_understood", key="handoff_unresolved")
        return
    t.update(tries=tries)
    t.say("clarify")
    t.offer_menu()


def unresolved(t: Turn, key: str, **values: object) -> None:
    """The step's answer did not fit: say why and wait again, or hand over after two tries."""
    tries = t.conversation.tries + 1
    if tries >= MAX_TRIES:
        t.handoff(f"unresolved_{t.conversation.flow.value}", key="handoff_unresolved")
        return
    t.update(tries=tries)
    t.say(key, **values)
