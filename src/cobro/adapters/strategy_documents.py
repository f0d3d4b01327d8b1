"""Strategy documents (YAML or JSON): their schema, their checks, and the frozen Strategy they become.

The pydantic models check the shape (unknown keys are refused, values are not coerced); the checks after
them are the ones across fields: stages in order without overlap, segment rules naming real stages, and a
final notice whose template states truthfully what happens after it. Every problem names its path, e.g.
`ladder[2].days: overlaps ladder[1] (first_notice), which ends on day 2`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from cobro.adapters.conversation_documents import ConversationDocument, conversation_policy, dump_conversation
from cobro.domain.errors import InvalidInput
from cobro.domain.strategy import (
    ANNOUNCED_NEXT_STEP,
    DEFAULT_STATES,
    SEGMENT_NAMES,
    AccountState,
    AfterAction,
    AmountBands,
    Fallback,
    FallbackEnd,
    Segment,
    Stage,
    StageOverride,
    StateRule,
    Strategy,
    Timing,
)

MAX_DOCUMENT_CHARS = 200_000

TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
TemplateName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,512}$")]
StageId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
MenuOption = Literal["PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT"]
SegmentName = Literal[SEGMENT_NAMES]  # type: ignore[valid-type]
LanguageName = Literal["es", "en", "pt_BR", "it", "creditor"]
AfterName = Literal["hand_to_agent", "stop", "cadence"]
AFTER_ACTIONS = ("hand_to_agent", "stop", "cadence")
RuleName = Literal["leave", "pause"]
Menu = Annotated[list[MenuOption], Field(min_length=1, max_length=5)]
Days = Annotated[list[Annotated[int, Field(ge=-60, le=3650)]], Field(min_length=2, max_length=2)]


def _decimal(value: Any) -> Any:
    if isinstance(value, (bool, float)):
        raise ValueError("write amounts as integers or quoted decimals (e.g. '1500.00'), never as floats")
    if isinstance(value, int | str):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None
    return value


Amount = Annotated[Decimal, BeforeValidator(_decimal), Field(gt=0)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TimingDocument(_Document):
    """How read receipts move the next stage."""

    read_no_reply_advance_days: int = Field(2, ge=0, le=30)
    undelivered_delay_days: int = Field(2, ge=0, le=30)


class FallbackDocument(_Document):
    """Other languages, then other templates, then skip or hand to an agent."""

    languages: list[LanguageName] = Field(default_factory=lambda: ["creditor", "en"], max_length=5)
    templates: list[TemplateName] = Field(default_factory=list, max_length=5)
    then: Literal["skip", "hand_to_agent"] = "skip"


_TEMPLATE_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": "^[a-z0-9_]{1,512}$"},
        {
            "type": "object",
            "description": "final notice only: the template for each after.action",
            "propertyNames": {"enum": ["hand_to_agent", "stop", "cadence"]},
            "additionalProperties": {"type": "string", "pattern": "^[a-z0-9_]{1,512}$"},
            "minProperties": 1,
        },
    ]
}


class StageDocument(_Document):
    """One rung of the ladder: its window in days from the due date, template, menu and fallback."""

    id: StageId
    label: str = Field("", max_length=80)
    days: Days = Field(
        description="[first, last] day of the window, relative to the due date (negative before)"
    )
    template: Any = Field(json_schema_extra=_TEMPLATE_SCHEMA)
    menu: Menu
    fallback: FallbackDocument | None = None

    @field_validator("template", mode="plain")
    @classmethod
    def _template_shape(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not TEMPLATE_NAME.fullmatch(value):
                raise ValueError(f"{value!r} is not a template name (lowercase letters, digits and '_')")
            return value
        if isinstance(value, dict) and value:
            for key, name in value.items():
                if key not in AFTER_ACTIONS:
                    raise ValueError(f"{key!r} is not an after.action (hand_to_agent, stop or cadence)")
                if not isinstance(name, str) or not TEMPLATE_NAME.fullmatch(name):
                    raise ValueError(
                        f"{key}: {name!r} is not a template name (lowercase letters, digits and '_')"
                    )
            return dict(value)
        raise ValueError(
            "must be a template name, or for the last stage a mapping of after.action to template"
        )


class CadenceDocument(_Document):
    """The long-debt stage repeated after the ladder when after.action is cadence."""

    id: StageId = "long_debt"
    label: str = Field("Long-debt check-in", max_length=80)
    from_day: int | None = Field(None, ge=1, le=3650, description="default: the day after the last stage")
    until_day: int | None = Field(None, ge=1, le=3650)
    every_days: int = Field(14, ge=1, le=365)
    template: TemplateName = "cobro_long_debt_checkin"
    menu: Menu = Field(default_factory=lambda: ["PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT"])
    fallback: FallbackDocument | None = None


class AfterDocument(_Document):
    """What happens once the ladder is over."""

    action: AfterName = "hand_to_agent"
    cadence: CadenceDocument | None = None


class StatesDocument(_Document):
    """For each state: leave the ladder for good, or pause while it holds."""

    paid: RuleName = "leave"
    opted_out: RuleName = "leave"
    wrong_number: RuleName = "pause"
    disputed: RuleName = "pause"
    hardship: RuleName = "pause"
    plan_current: RuleName = "pause"
    promise_pending: RuleName = "pause"


class AmountBandsDocument(_Document):
    """Thresholds of one currency: below mid_from is amount_low, from high_from on amount_high."""

    mid_from: Amount
    high_from: Amount


class OverrideDocument(_Document):
    """What a segment changes in one stage."""

    template: TemplateName | None = None
    menu: Menu | None = None
    shift_days: int = Field(0, ge=-30, le=30, description="negative moves the stage earlier")
    every_days: int | None = Field(
        None, ge=1, le=365, description="the after.cadence stage only: repeat it every N days instead"
    )


class SegmentDocument(_Document):
    """A segment rule; for each field, the first matching rule in document order wins."""

    segment: SegmentName
    note: str = Field("", max_length=200, description="why, said in the plan's reasons")
    stages: dict[StageId, OverrideDocument] = Field(min_length=1)


class StrategyDocument(_Document):
    """A collection strategy document, format 1."""

    format: Literal[1] = 1
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    timing: TimingDocument = Field(default_factory=TimingDocument)
    fallback: FallbackDocument = Field(default_factory=FallbackDocument)
    ladder: list[StageDocument] = Field(min_length=1, max_length=12)
    after: AfterDocument = Field(default_factory=AfterDocument)
    states: StatesDocument = Field(default_factory=StatesDocument)
    amount_bands: dict[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")], AmountBandsDocument] = Field(
        default_factory=dict
    )
    segments: list[SegmentDocument] = Field(default_factory=list, max_length=50)
    conversation: ConversationDocument = Field(default_factory=ConversationDocument)


class StrategyDocumentError(InvalidInput):
    """A strategy document that cannot be used, with every problem and its path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {message}" for path, message in problems))


def parse_strategy_document(text_or_mapping: str | Mapping[str, Any]) -> Strategy:
    """Reads a YAML/JSON text or an already loaded mapping into a Strategy; raises StrategyDocumentError."""
    raw = _load(text_or_mapping) if isinstance(text_or_mapping, str) else text_or_mapping
    if not isinstance(raw, Mapping):
        raise StrategyDocumentError([("(document)", "must be a mapping of keys to values")])
    try:
        document = StrategyDocument.model_validate(dict(raw))
    except ValidationError as exc:
        raise StrategyDocumentError(
            [(_path(error["loc"]), _message(error)) for error in exc.errors(include_url=False)]
        ) from None
    problems = _problems(document)
    if problems:
        raise StrategyDocumentError(problems)
    return _strategy(document)


def strategy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a strategy document (shape only; the cross-field checks are in the descriptions)."""
    schema = StrategyDocument.model_json_schema()
    schema["$comment"] = (
        "Also checked: stages in order without overlap; only the last stage's template may depend on "
        "after.action and it must state the next step truthfully; segment rules name existing stages, and "
        "only the after.cadence stage may take every_days."
    )
    return schema


def dump_strategy(strategy: Strategy) -> dict[str, Any]:
    """The document for a Strategy, every default written out; parsing it gives the same Strategy."""
    return {
        "format": 1,
        "name": strategy.name,
        "description": strategy.description,
        "timing": {
            "read_no_reply_advance_days": strategy.timing.read_no_reply_advance_days,
            "undelivered_delay_days": strategy.timing.undelivered_delay_days,
        },
        "fallback": _dump_fallback(strategy.fallback),
        "ladder": [_dump_stage(stage) for stage in strategy.ladder],
        "after": {
            "action": strategy.after.value,
            **({"cadence": _dump_cadence(strategy.cadence)} if strategy.cadence is not None else {}),
        },
        "states": {
            state.value: strategy.states.get(state, DEFAULT_STATES[state]).value for state in AccountState
        },
        "amount_bands": {
            b.currency: {"mid_from": str(b.mid_from), "high_from": str(b.high_from)}
            for b in strategy.amount_bands
        },
        "segments": [
            {
                "segment": rule.name,
                "note": rule.note,
                "stages": {o.stage: _dump_override(o) for o in rule.overrides},
            }
            for rule in strategy.segments
        ],
        "conversation": dump_conversation(strategy.conversation),
    }


def _load(text: str) -> Any:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise StrategyDocumentError([("(document)", f"longer than {MAX_DOCUMENT_CHARS} characters")])
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # YAML's flow style also starts with "{"; let the YAML parser say what is wrong
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StrategyDocumentError([("(document)", f"not valid YAML{where}: {problem}")]) from None


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def _message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown key (not part of the strategy format)"
    if error["type"] == "missing":
        return "required"
    return message.removeprefix("Value error, ")


# --- checks across fields -------------------------------------------------------------------------------


def _problems(doc: StrategyDocument) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    after = doc.after.action
    last = len(doc.ladder) - 1
    ids: dict[str, int] = {}
    for i, stage in enumerate(doc.ladder):
        path = f"ladder[{i}]"
        if stage.id in ids:
            problems.append((f"{path}.id", f"{stage.id!r} is already the id of ladder[{ids[stage.id]}]"))
        ids.setdefault(stage.id, i)
        first, final = stage.days
        if first > final:
            problems.append((f"{path}.days", f"starts on day {first}, after its last day {final}"))
        if i > 0:
            before = doc.ladder[i - 1]
            if first <= before.days[1]:
                problems.append(
                    (
                        f"{path}.days",
                        f"overlaps or precedes ladder[{i - 1}] ({before.id}), which ends on day {before.days[1]}: "
                        "stages must be in order without overlap",
                    )
                )
        problems.extend(_template_problems(f"{path}.template", stage.template, i == last, after))
    cadence = doc.after.cadence
    if after == "cadence" and cadence is None:
        problems.append(("after.cadence", "required when after.action is cadence"))
    if cadence is not None:
        if cadence.id in ids:
            problems.append(
                ("after.cadence.id", f"{cadence.id!r} is already the id of ladder[{ids[cadence.id]}]")
            )
        ladder_end = max(stage.days[1] for stage in doc.ladder)
        if cadence.from_day is not None and cadence.from_day <= ladder_end:
            problems.append(
                ("after.cadence.from_day", f"must come after the ladder's last day ({ladder_end})")
            )
        start = cadence.from_day if cadence.from_day is not None else ladder_end + 1
        if cadence.until_day is not None and cadence.until_day < start:
            problems.append(("after.cadence.until_day", f"is before its first day ({start})"))
        if ANNOUNCED_NEXT_STEP.get(cadence.template) is not None:
            problems.append(
                ("after.cadence.template", _announce_message(cadence.template, "a long-debt check-in"))
            )
    for currency, bands in doc.amount_bands.items():
        if bands.mid_from >= bands.high_from:
            problems.append((f"amount_bands.{currency}", "mid_from must be below high_from"))
    problems.extend(_segment_problems(doc, ids, cadence))
    return problems


def _template_problems(
    path: str, template: str | dict[str, str], final: bool, after: str
) -> list[tuple[str, str]]:
    if isinstance(template, dict) and not final:
        return [(path, "only the last stage (the final notice) may choose its template by after.action")]
    entries = template if isinstance(template, dict) else {"": template}
    problems = []
    for key, name in entries.items():
        announced = ANNOUNCED_NEXT_STEP.get(name)
        step = key or (after if final else "")
        if announced is not None and announced.value != step:
            context = f"after.action {step}" if step else "a stage that is not the last"
            problems.append((f"{path}.{key}" if key else path, _announce_message(name, context)))
    if isinstance(template, dict) and after not in template:
        problems.append(
            (path, f"has no template for after.action {after}: the final notice must state the next step")
        )
    return problems


def _announce_message(template: str, context: str) -> str:
    step = ANNOUNCED_NEXT_STEP[template].value.replace("_", " ")
    return f"{template} tells the debtor the next step is '{step}', which is not true for {context}"


def _segment_problems(
    doc: StrategyDocument, ids: dict[str, int], cadence: CadenceDocument | None
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    known = set(ids) | ({cadence.id} if cadence is not None else set())
    last = len(doc.ladder) - 1
    for r, rule in enumerate(doc.segments):
        path = f"segments[{r}]"
        if rule.segment.startswith("amount_") and not doc.amount_bands:
            problems.append(
                (f"{path}.segment", f"{rule.segment} needs amount_bands for at least one currency")
            )
        shifted = {i: tuple(stage.days) for i, stage in enumerate(doc.ladder)}
        for stage_id, override in rule.stages.items():
            where = f"{path}.stages.{stage_id}"
            if stage_id not in known:
                problems.append((where, f"no stage {stage_id!r} (stages: {', '.join(sorted(known))})"))
                continue
            if (
                override.template is None
                and override.menu is None
                and not override.shift_days
                and override.every_days is None
            ):
                problems.append((where, "changes nothing: set template, menu, shift_days or every_days"))
            if override.every_days is not None and (cadence is None or stage_id != cadence.id):
                problems.append(
                    (
                        f"{where}.every_days",
                        "only the repeating stage (after.cadence) has every_days; "
                        f"{stage_id} is a ladder stage, sent once",
                    )
                )
            if override.template is not None and ANNOUNCED_NEXT_STEP.get(override.template) is not None:
                index = ids.get(stage_id)
                if index != last or ANNOUNCED_NEXT_STEP[override.template].value != doc.after.action:
                    context = f"after.action {doc.after.action}" if index == last else f"stage {stage_id}"
                    problems.append((f"{where}.template", _announce_message(override.template, context)))
            if stage_id in ids and override.shift_days:
                first, final = doc.ladder[ids[stage_id]].days
                moved = (first + override.shift_days, final + override.shift_days)
                if (first >= 1) != (moved[0] >= 1) or (final <= 0) != (moved[1] <= 0):
                    problems.append((f"{where}.shift_days", "would move the stage across the due date"))
                shifted[ids[stage_id]] = moved
        order = sorted(shifted)
        for a, b in itertools.pairwise(order):
            if shifted[b][0] <= shifted[a][1]:
                problems.append(
                    (
                        path,
                        f"its shifts make {doc.ladder[b].id} (from day {shifted[b][0]}) overlap "
                        f"{doc.ladder[a].id} (until day {shifted[a][1]})",
                    )
                )
    return problems


# --- document -> domain ---------------------------------------------------------------------------------


def _strategy(doc: StrategyDocument) -> Strategy:
    after = AfterAction(doc.after.action)
    default = _fallback(doc.fallback, Fallback())
    ladder = tuple(_stage(stage, after, default) for stage in doc.ladder)
    cadence = None
    if doc.after.cadence is not None:
        c = doc.after.cadence
        cadence = Stage(
            id=c.id,
            label=c.label,
            start_day=c.from_day if c.from_day is not None else max(s.days[1] for s in doc.ladder) + 1,
            end_day=c.until_day,
            template=c.template,
            menu=tuple(c.menu),
            fallback=_fallback(c.fallback, default),
            repeat_every_days=c.every_days,
        )
    return Strategy(
        name=doc.name,
        description=doc.description,
        ladder=ladder,
        after=after,
        cadence=cadence,
        timing=Timing(doc.timing.read_no_reply_advance_days, doc.timing.undelivered_delay_days),
        states={AccountState(k): StateRule(v) for k, v in doc.states.model_dump().items()},
        amount_bands=tuple(AmountBands(k, v.mid_from, v.high_from) for k, v in doc.amount_bands.items()),
        segments=tuple(
            Segment(
                name=rule.segment,
                note=rule.note,
                overrides=tuple(
                    StageOverride(
                        stage=stage_id,
                        template=o.template,
                        menu=tuple(o.menu) if o.menu is not None else None,
                        shift_days=o.shift_days,
                        every_days=o.every_days,
                    )
                    for stage_id, o in rule.stages.items()
                ),
            )
            for rule in doc.segments
        ),
        fallback=default,
        conversation=conversation_policy(doc.conversation),
    )


def _stage(doc: StageDocument, after: AfterAction, default: Fallback) -> Stage:
    by_after: tuple[tuple[AfterAction, str], ...] = ()
    if isinstance(doc.template, dict):
        by_after = tuple((AfterAction(k), v) for k, v in doc.template.items())
        template = doc.template[after.value]
    else:
        template = doc.template
    return Stage(
        id=doc.id,
        label=doc.label or doc.id.replace("_", " ").capitalize(),
        start_day=doc.days[0],
        end_day=doc.days[1],
        template=template,
        menu=tuple(doc.menu),
        fallback=_fallback(doc.fallback, default),
        templates_by_after=by_after,
    )


def _fallback(doc: FallbackDocument | None, default: Fallback) -> Fallback:
    if doc is None:
        return default
    return Fallback(
        languages=tuple(doc.languages), templates=tuple(doc.templates), then=FallbackEnd(doc.then)
    )


def _dump_fallback(fallback: Fallback) -> dict[str, Any]:
    return {
        "languages": list(fallback.languages),
        "templates": list(fallback.templates),
        "then": fallback.then.value,
    }


def _dump_stage(stage: Stage) -> dict[str, Any]:
    template: Any = (
        {k.value: v for k, v in stage.templates_by_after} if stage.templates_by_after else stage.template
    )
    return {
        "id": stage.id,
        "label": stage.label,
        "days": [stage.start_day, stage.end_day],
        "template": template,
        "menu": list(stage.menu),
        "fallback": _dump_fallback(stage.fallback),
    }


def _dump_cadence(stage: Stage) -> dict[str, Any]:
    return {
        "id": stage.id,
        "label": stage.label,
        "from_day": stage.start_day,
        "until_day": stage.end_day,
        "every_days": stage.repeat_every_days,
        "template": stage.template,
        "menu": list(stage.menu),
        "fallback": _dump_fallback(stage.fallback),
    }


def _dump_override(override: StageOverride) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if override.template is not None:
        found["template"] = override.template
    if override.menu is not None:
        found["menu"] = list(override.menu)
    if override.shift_days:
        found["shift_days"] = override.shift_days
    if override.every_days is not None:
        found["every_days"] = override.every_days
    return found
