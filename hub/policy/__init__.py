"""The need-to-know policy engine: pure Python, no Flask, no database.

Load once, decide many::

    policy = PolicySet.load("policies")
    decision = policy.decide(request)          # request: Mapping[str, object]
    decision = enforce(decision, can_fulfil)   # the gate: unfulfillable obligation -> deny
    view = visible_fields(decision, fields)    # which fields go out, which are withheld

Tools (each returns a report with ``.lines()``): ``run_policy_tests``, ``unexercised_rules``,
``check`` (invariants over the whole request space), ``diff`` (two policy sets), and
``rule_catalogue`` / ``refresh_catalogue`` for docs/policies.md.
"""

from .catalogue import refresh_catalogue, rule_catalogue
from .check import CheckReport, Counterexample, Invariant, check
from .conditions import (
    ALWAYS,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Not,
    Operator,
    Scalar,
    Value,
    attributes_of,
    comparisons,
    parse_condition,
    requirement,
    to_data,
)
from .decision import (
    Decision,
    DenyReason,
    Effect,
    Explanation,
    FieldView,
    RuleNote,
    enforce,
    visible_fields,
)
from .diff import DecisionChange, DiffReport, diff
from .engine import PolicySet
from .errors import ConditionError, LoadProblem, PolicyLoadError
from .evaluate import MISSING, Failure, evaluate, first_failure, partial, satisfying_change
from .rules import (
    FlagForReview,
    NotifyOwner,
    Obligation,
    RecordBreakGlass,
    Redact,
    RedactAllExcept,
    RequireJustification,
    Rule,
    RuleEffect,
    Scope,
    merge_obligations,
)
from .schema import AttributeSpec, AttributeType, Kind, Schema
from .space import RequestSpace
from .testing import PolicyTestReport, run_policy_tests, unexercised_rules

__all__ = [
    "ALWAYS",
    "MISSING",
    "AllOf",
    "AnyOf",
    "AttributeSpec",
    "AttributeType",
    "CheckReport",
    "Comparison",
    "Condition",
    "ConditionError",
    "Counterexample",
    "Decision",
    "DecisionChange",
    "DenyReason",
    "DiffReport",
    "Effect",
    "Explanation",
    "Failure",
    "FieldView",
    "FlagForReview",
    "Invariant",
    "Kind",
    "LoadProblem",
    "Not",
    "NotifyOwner",
    "Obligation",
    "Operator",
    "PolicyLoadError",
    "PolicySet",
    "PolicyTestReport",
    "RecordBreakGlass",
    "Redact",
    "RedactAllExcept",
    "RequestSpace",
    "RequireJustification",
    "Rule",
    "RuleEffect",
    "RuleNote",
    "Scalar",
    "Schema",
    "Scope",
    "Value",
    "attributes_of",
    "check",
    "comparisons",
    "diff",
    "enforce",
    "evaluate",
    "first_failure",
    "merge_obligations",
    "parse_condition",
    "partial",
    "refresh_catalogue",
    "requirement",
    "rule_catalogue",
    "run_policy_tests",
    "satisfying_change",
    "to_data",
    "unexercised_rules",
    "visible_fields",
]
