"""IAM-style policy documents: parsing with clear errors, and the evaluation of one request.

The rule, as IAM evaluates identity-based policies:

- A statement *matches* a request when its Action (or NotAction) matches the request's action,
  its Resource matches the request's resource ARN, and every condition of its Condition holds.
- Actions are `service:Operation`, compared without regard to case; a pattern may use `*` (any
  run of characters) and `?` (one character), so `ssm:Describe*` matches
  `ssm:DescribeMaintenanceWindows`. NotAction matches every action none of its patterns match.
- Resources are ARNs, compared with regard to case, with the same wildcards; `*` is every
  resource. An operation on no particular resource (List*, Describe* of everything) is asked
  for on the resource `*`, which only a Resource pattern matching the text `*` matches.
- A Condition maps operators to `{key: value or [values]}`: every operator, and every key
  under it, must hold (AND); a key holds when any of its values does (OR). The keys are the
  resource's tags, `ssm:resourceTag/KEY` or `aws:ResourceTag/KEY` (the prefix without regard
  to case, KEY exactly). `StringEquals` holds when the tag is present with one of the values;
  `StringLike` likewise with wildcard values; `StringNotEquals` when the tag is absent or has
  none of the values (as IAM, for which an absent key makes a negated operator hold).
- An explicit Deny, a matching Deny statement, wins over everything. Otherwise a matching
  Allow allows. Otherwise the request is denied implicitly: what is not allowed is denied.

A resource's tags are asked for (`tags()`) only when a statement whose action and resource
match has a condition, so a policy without conditions never reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn

from transom.domain.errors import MalformedPolicyDocumentError

MAX_POLICY_CHARACTERS = 6144
"""A policy document's size limit, not counting whitespace (IAM's for managed policies)."""
VERSIONS = ("2012-10-17", "2008-10-17")
_TAG_KEY = re.compile(r"(?i:ssm:resourceTag|aws:ResourceTag)/(.+)")
_OPERATORS = ("StringEquals", "StringLike", "StringNotEquals")
_STATEMENT_MEMBERS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "Condition"})
_ACTION = re.compile(r"\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+")

Tags = Callable[[], Mapping[str, str]]
"""The tags of the resource asked about, read when a condition needs them."""


class Decision(StrEnum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"


def _pattern(texts: list[str] | tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    """One regular expression matching any of `texts`, in which `*` and `?` are wildcards."""
    alternatives = (
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        for text in texts
    )
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.compile("|".join(f"(?:{a})" for a in alternatives), flags)


@dataclass(frozen=True)
class Condition:
    operator: str
    tag_key: str
    values: tuple[str, ...]
    pattern: re.Pattern[str]

    def holds(self, tags: Mapping[str, str]) -> bool:
        value = tags.get(self.tag_key)
        if self.operator == "StringNotEquals":
            return value is None or value not in self.values
        if value is None:
            return False
        if self.operator == "StringEquals":
            return value in self.values
        return self.pattern.fullmatch(value) is not None


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: re.Pattern[str]
    not_action: bool
    """True when `actions` are NotAction's: the statement matches the actions they do not."""
    resources: re.Pattern[str]
    conditions: tuple[Condition, ...]

    def applies_to(self, action: str, resource: str) -> bool:
        """Whether action and resource match, conditions aside."""
        named = self.actions.fullmatch(action) is not None
        return named != self.not_action and self.resources.fullmatch(resource) is not None


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    text: str
    """The document as given, for storing and showing."""

    def decide(self, action: str, resource: str, tags: Tags) -> Decision:
        """The decision on `action` on `resource` (see the module docstring); `tags` is
        called at most once, and only when a matching statement has a condition."""
        known: Mapping[str, str] | None = None
        allowed = False
        for statement in self.statements:
            if not statement.applies_to(action, resource):
                continue
            if statement.conditions:
                if known is None:
                    known = tags()
                if not all(c.holds(known) for c in statement.conditions):
                    continue
            if not statement.allow:
                return Decision.EXPLICIT_DENY
            allowed = True
        return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def parse_policy(text: str) -> Policy:
    """The policy `text` holds; `MalformedPolicyDocumentError` saying what is wrong."""
    size = sum(1 for c in text if not c.isspace())
    if size > MAX_POLICY_CHARACTERS:
        _fail(f"it has {size} characters besides whitespace; at most {MAX_POLICY_CHARACTERS}")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedPolicyDocumentError(f"The policy document is not JSON: {exc}.") from None
    if not isinstance(document, dict):
        _fail("it must be a JSON object with Version and Statement")
    unknown = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown:
        _fail(f"unknown member {unknown[0]!r} (a policy has Version, Id and Statement)")
    version = document.get("Version", VERSIONS[0])
    if version not in VERSIONS:
        _fail(f"Version {version!r} is not one of {', '.join(VERSIONS)}")
    if "Statement" not in document:
        _fail("it has no Statement")
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        _fail("Statement is empty")
    return Policy(tuple(_statement(s, n) for n, s in enumerate(statements, 1)), text)


def _fail(reason: str) -> NoReturn:
    raise MalformedPolicyDocumentError(f"The policy document is malformed: {reason}.")


def _statement(raw: Any, number: int) -> Statement:
    where = f"statement {number}"
    if not isinstance(raw, dict):
        _fail(f"{where} is not a JSON object")
    unknown = sorted(set(raw) - _STATEMENT_MEMBERS)
    if unknown:
        _fail(
            f"{where} has {unknown[0]!r}, which Transom does not take (a statement has "
            "Sid, Effect, Action or NotAction, Resource, Condition)"
        )
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        _fail(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        _fail(f"{where} needs exactly one of Action and NotAction")
    action_member = "Action" if "Action" in raw else "NotAction"
    actions = _strings(raw[action_member], f"{where}: {action_member}")
    for action in actions:
        if not _ACTION.fullmatch(action):
            _fail(f"{where}: {action!r} is not an action like ssm:GetMaintenanceWindow or ssm:*")
    if "Resource" not in raw:
        _fail(f'{where} has no Resource (use "*" for every resource)')
    resources = _strings(raw["Resource"], f"{where}: Resource")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            _fail(f'{where}: Resource {resource!r} is neither "*" nor an ARN')
    return Statement(
        allow=effect == "Allow",
        actions=_pattern(actions, ignore_case=True),
        not_action=action_member == "NotAction",
        resources=_pattern(resources, ignore_case=False),
        conditions=_conditions(raw.get("Condition", {}), where),
    )


def _strings(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        _fail(f"{where} must be a non-empty string or a non-empty list of them")
    return list(items)


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        _fail(f"{where}: Condition must be an object of operators")
    conditions = []
    for operator, block in raw.items():
        if operator not in _OPERATORS:
            _fail(f"{where}: condition operator {operator!r} is not one of {', '.join(_OPERATORS)}")
        if not isinstance(block, dict) or not block:
            _fail(f"{where}: {operator} must be an object of condition keys")
        for key, value in block.items():
            match = _TAG_KEY.fullmatch(key)
            if match is None:
                _fail(
                    f"{where}: condition key {key!r} is not one Transom knows "
                    "(ssm:resourceTag/KEY or aws:ResourceTag/KEY)"
                )
            values = tuple(_strings(value, f"{where}: {operator} {key}"))
            conditions.append(
                Condition(
                    operator,
                    match.group(1),
                    values,
                    _pattern(values, ignore_case=False),
                )
            )
    return tuple(conditions)


def denial(who: str, action: str, resource: str, decision: Decision) -> str:
    """IAM's message for a refused request: `who` is the caller's ARN."""
    why = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"
