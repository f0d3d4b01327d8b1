"""The advice Cobro follows for each WhatsApp error code, from a send response or a failed-status webhook."""

from __future__ import annotations

import pytest

from cobro.domain.send_failures import FAILURE_RULES, FailureAdvice, advice_for, meaning_of

A = FailureAdvice


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (131000, A.RETRY),
        (131016, A.RETRY),
        (130429, A.BACK_OFF),
        (4, A.BACK_OFF),
        (80007, A.BACK_OFF),
        (131056, A.DEFER_RECIPIENT),
        (131049, A.DEFER_RECIPIENT),
        (131047, A.NEEDS_TEMPLATE),
        (131026, A.UNREACHABLE),
        (132000, A.FIX_TEMPLATE),
        (132001, A.FIX_TEMPLATE),
        (132005, A.FIX_TEMPLATE),
        (132007, A.FIX_TEMPLATE),
        (132012, A.FIX_TEMPLATE),
        (132015, A.PAUSED_TEMPLATE),
        (132016, A.PAUSED_TEMPLATE),
        (190, A.STOP_SENDER),
        (368, A.STOP_SENDER),
        (131031, A.STOP_SENDER),
        (100, A.NEVER),
        (131051, A.NEVER),
    ],
)
def test_each_documented_code_gets_its_advice(code: int, advice: FailureAdvice) -> None:
    assert advice_for(code) is advice


def test_the_advice_does_not_depend_on_the_http_status_for_a_known_code() -> None:
    assert advice_for(131047, 400) is advice_for(131047, 500) is A.NEEDS_TEMPLATE


def test_an_unknown_template_error_is_fixed_never_retried() -> None:
    assert advice_for(132999) is A.FIX_TEMPLATE


def test_an_unknown_code_after_a_server_error_is_retried() -> None:
    assert advice_for(999_001, 503) is A.RETRY


def test_an_unknown_code_after_a_client_error_is_never_retried() -> None:
    assert advice_for(999_001, 400) is A.NEVER


def test_an_unknown_code_from_a_webhook_without_a_status_is_never_retried() -> None:
    assert advice_for(999_001) is A.NEVER


def test_every_rule_has_a_one_line_meaning() -> None:
    for code, rule in FAILURE_RULES.items():
        assert rule.meaning.strip(), code
        assert "\n" not in rule.meaning, code


def test_no_code_is_advised_to_reconcile_because_that_is_for_unanswered_requests_only() -> None:
    assert all(rule.advice is not A.RECONCILE for rule in FAILURE_RULES.values())


def test_the_meaning_of_a_code_is_there_for_the_agent_inbox() -> None:
    assert meaning_of(131026) is not None
    assert "Undeliverable" in meaning_of(131026)  # type: ignore[operator]
    assert meaning_of(999_001) is None


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        FAILURE_RULES[131026] = FAILURE_RULES[131000]  # type: ignore[index]
