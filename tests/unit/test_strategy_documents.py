"""Strategy documents: the default parses, dumps and parses back the same; bad documents name each path."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from cobro.adapters.strategy_documents import (
    StrategyDocumentError,
    dump_strategy,
    parse_strategy_document,
    strategy_json_schema,
)
from cobro.domain.strategy import AfterAction, FallbackEnd, StateRule

DEFAULT_TEXT = (resources.files("cobro") / "strategies" / "default.yaml").read_text()
DEFAULT = parse_strategy_document(DEFAULT_TEXT)
DOCUMENT = dump_strategy(DEFAULT)


def problems_of(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(StrategyDocumentError) as caught:
        parse_strategy_document(document)
    return caught.value.problems


def changed(**paths: Any) -> dict[str, Any]:
    """The default document with values set at dotted paths ("ladder.1.days" sets ladder[1].days)."""
    document = copy.deepcopy(DOCUMENT)
    for dotted, value in paths.items():
        *parents, last = dotted.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return document


def test_the_default_strategy_has_the_four_stages_then_long_debt_check_ins():
    assert [s.id for s in DEFAULT.ladder] == ["reminder", "first_notice", "plan_offer", "final_notice"]
    assert [(s.start_day, s.end_day) for s in DEFAULT.ladder] == [(-5, -3), (1, 2), (7, 10), (20, 30)]
    assert DEFAULT.after is AfterAction.CADENCE
    assert DEFAULT.ladder[-1].template == "cobro_final_notice_checkins"
    assert dict(DEFAULT.ladder[-1].templates_by_after) == {
        AfterAction.CADENCE: "cobro_final_notice_checkins",
        AfterAction.HAND_TO_AGENT: "cobro_final_notice_agent",
        AfterAction.STOP: "cobro_final_notice_last_message",
    }
    assert DEFAULT.ladder[-1].fallback.then is FallbackEnd.HAND_TO_AGENT
    assert DEFAULT.cadence is not None
    assert (DEFAULT.cadence.id, DEFAULT.cadence.template) == ("long_debt", "cobro_long_debt_checkin")
    assert (DEFAULT.cadence.start_day, DEFAULT.cadence.end_day) == (31, None)
    assert DEFAULT.cadence.repeat_every_days == 14
    every = {r.name: [(o.stage, o.every_days) for o in r.overrides] for r in DEFAULT.segments}
    assert (every["age_30_90"], every["age_90_plus"]) == ([("long_debt", 14)], [("long_debt", 30)])
    assert DEFAULT.timing.read_no_reply_advance_days == 2
    assert DEFAULT.timing.undelivered_delay_days == 2
    assert DEFAULT.bands_for("MXN").high_from == Decimal("20000")


def test_a_dumped_strategy_parses_back_to_the_same_strategy_also_through_json():
    assert parse_strategy_document(DOCUMENT) == DEFAULT
    assert parse_strategy_document(json.dumps(DOCUMENT)) == DEFAULT
    assert dump_strategy(parse_strategy_document(DOCUMENT)) == DOCUMENT


def test_changing_after_changes_the_final_notice_template():
    stopping = parse_strategy_document(changed(**{"after.action": "stop"}))
    assert stopping.ladder[-1].template == "cobro_final_notice_last_message"
    handing = parse_strategy_document(changed(**{"after.action": "hand_to_agent"}))
    assert (handing.after, handing.ladder[-1].template) == (
        AfterAction.HAND_TO_AGENT,
        "cobro_final_notice_agent",
    )
    assert handing.cadence == DEFAULT.cadence  # kept ready, not in force
    assert [p.stage.id for p in handing.plan_for(("age_90_plus",))][-1] == "final_notice"


def test_a_minimal_document_gets_the_defaults():
    strategy = parse_strategy_document(
        "name: tiny\nladder:\n  - {id: only, days: [1, 3], template: cobro_overdue_notice, menu: [PAY_NOW]}\n"
    )
    assert strategy.states["paid"] is StateRule.LEAVE
    assert strategy.ladder[0].label == "Only"
    assert strategy.ladder[0].fallback.languages == ("creditor", "en")


def test_the_json_schema_describes_the_document():
    schema = strategy_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "ladder"}
    assert "ladder" in schema["properties"]
    json.dumps(schema)  # it is plain JSON


@pytest.mark.parametrize(
    ("document", "path", "fragment"),
    [
        (changed(colour="blue"), "colour", "unknown key"),
        (changed(**{"ladder.1.colour": "blue"}), "ladder[1].colour", "unknown key"),
        (changed(**{"ladder.1.menu": ["PAY_NOW", "PAY_LATER"]}), "ladder[1].menu[1]", "'PAY_NOW'"),
        (changed(**{"ladder.1.template": "Overdue Notice"}), "ladder[1].template", "not a template name"),
        (changed(**{"ladder.1.days": [2, 1]}), "ladder[1].days", "after its last day"),
        (
            changed(**{"ladder.2.days": [2, 9]}),
            "ladder[2].days",
            "overlaps or precedes ladder[1] (first_notice)",
        ),
        (changed(**{"ladder.1.days": ["1", 2]}), "ladder[1].days[0]", "integer"),
        (changed(**{"ladder.2.id": "first_notice"}), "ladder[2].id", "already the id of ladder[1]"),
        (changed(**{"timing.undelivered_delay_days": -1}), "timing.undelivered_delay_days", "greater than"),
        (changed(**{"states.paid": "ignore"}), "states.paid", "'leave' or 'pause'"),
        (changed(**{"after.action": "wait"}), "after.action", "'hand_to_agent'"),
        (changed(**{"amount_bands.MXN.mid_from": 1500.5}), "amount_bands.MXN.mid_from", "never as floats"),
        (changed(**{"amount_bands.MXN.mid_from": "30000"}), "amount_bands.MXN", "mid_from must be below"),
        (changed(**{"fallback.languages": ["fr"]}), "fallback.languages[0]", "'es'"),
        (changed(name=""), "name", "at least 1 character"),
    ],
)
def test_a_bad_document_names_the_path_of_the_problem(document, path, fragment):
    found = problems_of(document)
    assert any(where == path and fragment in message for where, message in found), found


def test_the_final_notice_must_state_the_next_step_truthfully():
    lying = changed(**{"ladder.3.template": "cobro_final_notice_last_message"})
    assert problems_of(lying) == [
        (
            "ladder[3].template",
            "cobro_final_notice_last_message tells the debtor the next step is 'stop', which is not true for "
            "after.action cadence",
        )
    ]
    handing_over = changed(
        **{"after.action": "hand_to_agent", "ladder.3.template": "cobro_final_notice_checkins"}
    )
    assert problems_of(handing_over) == [
        (
            "ladder[3].template",
            "cobro_final_notice_checkins tells the debtor the next step is 'cadence', which is not true for "
            "after.action hand_to_agent",
        )
    ]
    swapped = changed(**{"ladder.3.template.cadence": "cobro_final_notice_agent"})
    assert problems_of(swapped)[0] == (
        "ladder[3].template.cadence",
        "cobro_final_notice_agent tells the debtor the next step is 'hand to agent', which is not true for "
        "after.action cadence",
    )
    no_cadence_wording = copy.deepcopy(DOCUMENT)
    del no_cadence_wording["ladder"][3]["template"]["cadence"]
    assert problems_of(no_cadence_wording) == [
        (
            "ladder[3].template",
            "has no template for after.action cadence: the final notice must state the next step",
        )
    ]
    early = changed(**{"ladder.2.template": "cobro_final_notice_agent"})
    assert problems_of(early)[0][0] == "ladder[2].template"
    mapping_early = changed(**{"ladder.2.template": {"stop": "cobro_plan_options"}})
    assert problems_of(mapping_early)[0] == (
        "ladder[2].template",
        "only the last stage (the final notice) may choose its template by after.action",
    )


def test_segment_rules_must_name_stages_and_change_something():
    document = changed(
        segments=[
            {
                "segment": "habitual_late",
                "stages": {"second_notice": {"template": "cobro_overdue_notice_repeat"}},
            },
            {"segment": "disputed", "stages": {"first_notice": {}}},
            {"segment": "amount_high", "stages": {"plan_offer": {"shift_days": -6}}},
            {"segment": "habitual_late", "stages": {"first_notice": {"shift_days": -1}}},
            {"segment": "broken_promise", "stages": {"plan_offer": {"template": "cobro_final_notice_agent"}}},
        ]
    )
    found = dict(problems_of(document))
    assert "no stage 'second_notice'" in found["segments[0].stages.second_notice"]
    assert (
        found["segments[1].stages.first_notice"]
        == "changes nothing: set template, menu, shift_days or every_days"
    )
    assert (
        found["segments[2]"] == "its shifts make plan_offer (from day 1) overlap first_notice (until day 2)"
    )
    assert found["segments[3].stages.first_notice.shift_days"] == "would move the stage across the due date"
    assert "not true for stage plan_offer" in found["segments[4].stages.plan_offer.template"]
    unknown = changed(segments=[{"segment": "sleepy", "stages": {"first_notice": {"shift_days": 1}}}])
    assert problems_of(unknown)[0][0] == "segments[0].segment"


def test_amount_segments_need_amount_bands():
    document = changed(amount_bands={})
    assert ("segments[3].segment", "amount_high needs amount_bands for at least one currency") in problems_of(
        document
    )


def test_cadence_needs_its_block_and_must_start_after_the_ladder():
    without = changed(after={"action": "cadence"}, segments=DOCUMENT["segments"][:4])
    assert problems_of(without) == [("after.cadence", "required when after.action is cadence")]
    early = changed(**{"after.cadence.from_day": 25})
    assert problems_of(early) == [("after.cadence.from_day", "must come after the ladder's last day (30)")]


def test_every_days_is_for_the_cadence_stage_only_and_in_range():
    on_a_ladder_stage = changed(
        segments=[{"segment": "age_90_plus", "stages": {"final_notice": {"every_days": 30}}}]
    )
    assert problems_of(on_a_ladder_stage) == [
        (
            "segments[0].stages.final_notice.every_days",
            "only the repeating stage (after.cadence) has every_days; final_notice is a ladder stage, sent once",
        )
    ]
    out_of_range = changed(
        segments=[
            {"segment": "age_90_plus", "stages": {"long_debt": {"every_days": 0}}},
            {"segment": "age_30_90", "stages": {"long_debt": {"every_days": 366}}},
        ]
    )
    found = problems_of(out_of_range)
    assert any(p == "segments[0].stages.long_debt.every_days" and "greater than" in m for p, m in found)
    assert any(p == "segments[1].stages.long_debt.every_days" and "less than" in m for p, m in found)
    without_cadence = changed(after={"action": "stop"})
    assert problems_of(without_cadence) == [
        (
            "segments[4].stages.long_debt",
            "no stage 'long_debt' (stages: final_notice, first_notice, plan_offer, reminder)",
        ),
        (
            "segments[5].stages.long_debt",
            "no stage 'long_debt' (stages: final_notice, first_notice, plan_offer, reminder)",
        ),
    ]


def test_every_days_survives_dump_and_parse():
    rules = [r for r in DOCUMENT["segments"] if r["segment"].startswith("age_")]
    assert rules == [
        {
            "segment": "age_30_90",
            "note": "checks in every two weeks",
            "stages": {"long_debt": {"every_days": 14}},
        },
        {
            "segment": "age_90_plus",
            "note": "checks in every 30 days once the debt is 90 days old",
            "stages": {"long_debt": {"every_days": 30}},
        },
    ]
    schema = json.dumps(strategy_json_schema())
    assert "every_days" in schema


def test_yaml_and_shape_errors_are_problems_not_crashes():
    assert problems_of("name: [unclosed\n")[0][0] == "(document)"
    assert "line 2" in problems_of("name: [unclosed\n")[0][1]
    assert problems_of("- just\n- a list\n") == [("(document)", "must be a mapping of keys to values")]
    assert problems_of("{}") == [("name", "required"), ("ladder", "required")]


def test_the_error_message_lists_every_problem_on_its_own_line():
    document = changed(colour="blue", **{"ladder.0.menu": []})
    with pytest.raises(StrategyDocumentError) as caught:
        parse_strategy_document(document)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ladder[0].menu: ")
    assert lines[1] == "colour: unknown key (not part of the strategy format)"
