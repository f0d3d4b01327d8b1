"""The compliance gate: contact rules per jurisdiction as versioned data, and the decision they imply."""

from cobro.domain.compliance.gate import SERVICE_WINDOW, ComplianceGate, HolidayCalendar
from cobro.domain.compliance.loader import PACKAGED_TABLE, RuleTableError, load_rule_book, parse_rule_table
from cobro.domain.compliance.rules import (
    DEFAULT_CODE,
    CapCounts,
    CapKind,
    Confidence,
    ContactHours,
    ContentMoment,
    ContentRule,
    DefaultRules,
    FrequencyCap,
    HolidayRule,
    JurisdictionRow,
    JurisdictionRules,
    LimitationRule,
    RightPartyRule,
    Rule,
    RuleBook,
    TimeBarredPolicy,
)
from cobro.domain.compliance.windows import HORIZON_DAYS, is_allowed, next_allowed

__all__ = [
    "DEFAULT_CODE",
    "HORIZON_DAYS",
    "PACKAGED_TABLE",
    "SERVICE_WINDOW",
    "CapCounts",
    "CapKind",
    "ComplianceGate",
    "Confidence",
    "ContactHours",
    "ContentMoment",
    "ContentRule",
    "DefaultRules",
    "FrequencyCap",
    "HolidayCalendar",
    "HolidayRule",
    "JurisdictionRow",
    "JurisdictionRules",
    "LimitationRule",
    "RightPartyRule",
    "Rule",
    "RuleBook",
    "RuleTableError",
    "TimeBarredPolicy",
    "is_allowed",
    "load_rule_book",
    "next_allowed",
    "parse_rule_table",
]
