"""Use cases for event rules (the EventBridge API) and the routing table the delivery relay
reads.

Rules live on the one event bus, `default`. A rule's targets are topics of this server's
realm (`arn:aws:sns:REGION:ACCOUNT:NAME`); whether the topic exists is checked when an event
is delivered, not when the target is put. Quotas: `Quotas.rules` rules, `targets_per_rule`
targets each, `tags_per_resource` tags each (`LimitExceededError` beyond them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transom.domain.clock import Clock
from transom.domain.errors import (
    LimitExceededError,
    ResourceNotFoundError,
    ValidationError,
)
from transom.domain.events import Realm
from transom.domain.quotas import Quotas
from transom.domain.rules import (
    DEFAULT_BUS,
    Rule,
    RuleState,
    RuleTarget,
    TargetFailure,
)
from transom.events.patterns import EventPattern, compile_pattern
from transom.store.port import Store, Transaction
from transom.store.ports.paging import Page
from transom.store.ports.rules import RuleUpdate

RULES_LOCK = "rules"
"""Held by every write to rules, so quota checks and create-or-replace are race-free."""
ENVELOPE_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")
"""What an event given to `test_pattern` must hold, as EventBridge requires."""
NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"
"""What a rule name and a target id consist of (the model's pattern, which Coral would only
search for, applied to the whole name)."""
_NAME = re.compile(NAME_PATTERN, re.ASCII)
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}(\.fifo)?", re.ASCII)
_PATTERN_CACHE_SIZE = 1024


@dataclass(frozen=True)
class RoutedRule:
    """An enabled rule as the relay uses it: its compiled pattern and its targets."""

    rule: Rule
    pattern: EventPattern
    targets: tuple[RuleTarget, ...]


class RuleService:
    def __init__(self, store: Store, clock: Clock, quotas: Quotas, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._quotas = quotas
        self._realm = realm
        self._compiled: dict[str, EventPattern] = {}

    # names and ARNs
    @property
    def account_id(self) -> str:
        return self._realm.account_id

    def rule_arn(self, name: str) -> str:
        return self._realm.arn("events", f"rule/{name}")

    def bus_arn(self) -> str:
        return self._realm.arn("events", f"event-bus/{DEFAULT_BUS}")

    def require_default_bus(self, bus: str | None) -> None:
        """Accept no bus, `default` or its ARN; ResourceNotFoundError for any other bus."""
        if bus is not None and bus not in (DEFAULT_BUS, self.bus_arn()):
            raise ResourceNotFoundError(
                f"Event bus {bus} does not exist: Transom has only the event bus "
                f"'{DEFAULT_BUS}' ({self.bus_arn()})."
            )

    def rule_name_of(self, arn: str) -> str:
        """The rule name an ARN names; ValidationError unless it is a rule ARN of this realm."""
        prefix = self.rule_arn("")
        name = arn.removeprefix(prefix)
        if name == arn or not name or "/" in name:
            raise ValidationError(
                f"{arn} is not a rule ARN of this server: expected {prefix}RULE_NAME."
            )
        return name

    # rules
    def put(
        self,
        name: str,
        event_pattern: str,
        state: RuleState,
        description: str | None,
        tags: Mapping[str, str],
    ) -> str:
        """Create the rule, or replace the pattern, state and description of the rule of that
        name (its targets stay, and `tags` are added to its tags). Returns its ARN."""
        if _NAME.fullmatch(name) is None:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
            )
        self._compile(event_pattern)
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            existing = tx.get_rule(name)
            if existing is None:
                if tx.count_rules() >= self._quotas.rules:
                    raise LimitExceededError(
                        f"The event bus already has {self._quotas.rules} rules, the most it "
                        "may have: delete a rule first."
                    )
                self._check_tags({}, tags, name)
                rule = Rule(name, event_pattern, state, description, dict(tags), self._clock.now())
                tx.insert_rule(rule)
            else:
                tx.update_rule(name, RuleUpdate(event_pattern, state, description))
                if tags:
                    tx.set_rule_tags(name, self._check_tags(existing.tags, tags, name))
        return self.rule_arn(name)

    def describe(self, name: str) -> Rule:
        with self._store.read() as tx:
            return self._require(tx, name)

    def list_rules(self, name_prefix: str | None, after: int | None, limit: int) -> Page[Rule]:
        with self._store.read() as tx:
            return tx.list_rules(name_prefix, after, limit)

    def delete(self, name: str, force: bool) -> None:
        """Delete the rule; refused while it has targets unless `force`. Deleting a rule that
        does not exist succeeds, as on AWS."""
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            if tx.get_rule(name) is None:
                return
            if not force and tx.get_rule_targets(name):
                raise ValidationError(
                    f"Rule {name} can't be deleted since it has targets: remove them with "
                    "RemoveTargets first, or pass Force."
                )
            tx.delete_rule(name)

    def set_state(self, name: str, state: RuleState) -> None:
        with self._store.write() as tx:
            if not tx.set_rule_state(name, state):
                raise self._not_found(name)

    # targets
    def put_targets(self, rule_name: str, targets: Sequence[RuleTarget]) -> list[TargetFailure]:
        """Store the targets that are valid (replacing those of the same id); the others are
        returned as failures. LimitExceededError if the rule would have more targets than
        its quota, ValidationError if an id is given twice; then nothing is stored."""
        ids = [t.target_id for t in targets]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValidationError(
                f"Target Id {repeated[0]} appears more than once in Targets: give each target "
                "its own Id."
            )
        failures = [f for t in targets if (f := self._target_failure(t)) is not None]
        failed = {f.target_id for f in failures}
        good = [t for t in targets if t.target_id not in failed]
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            self._require(tx, rule_name)
            have = {t.target_id for t in tx.get_rule_targets(rule_name)}
            total = len(have | {t.target_id for t in good})
            if total > self._quotas.targets_per_rule:
                raise LimitExceededError(
                    f"Rule {rule_name} would have {total} targets; a rule may have at most "
                    f"{self._quotas.targets_per_rule}. Remove targets first."
                )
            if good:
                tx.put_rule_targets(rule_name, good)
        return failures

    def remove_targets(self, rule_name: str, target_ids: Sequence[str]) -> None:
        """Remove the rule's targets with these ids; ids it does not have are ignored, as on
        AWS."""
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            self._require(tx, rule_name)
            tx.remove_rule_targets(rule_name, target_ids)

    def targets(self, rule_name: str) -> list[RuleTarget]:
        with self._store.read() as tx:
            self._require(tx, rule_name)
            return tx.get_rule_targets(rule_name)

    # tags
    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        name = self.rule_name_of(arn)
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            rule = self._require(tx, name)
            tx.set_rule_tags(name, self._check_tags(rule.tags, tags, name))

    def untag(self, arn: str, keys: Sequence[str]) -> None:
        name = self.rule_name_of(arn)
        with self._store.write() as tx:
            tx.lock(RULES_LOCK)
            rule = self._require(tx, name)
            tx.set_rule_tags(name, {k: v for k, v in rule.tags.items() if k not in keys})

    def tags(self, arn: str) -> Mapping[str, str]:
        name = self.rule_name_of(arn)
        with self._store.read() as tx:
            return self._require(tx, name).tags

    # patterns
    def test_pattern(self, event_pattern: str, event: str) -> bool:
        """Whether the event (its envelope as JSON text) matches the pattern."""
        pattern = self._compile(event_pattern)
        try:
            envelope = json.loads(event)
        except ValueError:
            raise ValidationError("Parameter Event is not valid: it is not JSON.") from None
        if not isinstance(envelope, dict):
            raise ValidationError("Parameter Event is not valid: it must be a JSON object.")
        missing = [f for f in ENVELOPE_FIELDS if f not in envelope]
        if missing:
            raise ValidationError(
                f"Parameter Event is not valid: it lacks {', '.join(missing)}; an event holds "
                f"{', '.join(ENVELOPE_FIELDS)}."
            )
        return pattern.matches(envelope)

    def enabled_rules_with_targets(self) -> list[RoutedRule]:
        """Every enabled rule with targets, with its compiled pattern (compiled once per
        pattern text and kept), in creation order."""
        with self._store.read() as tx:
            found = tx.enabled_rules_with_targets()
        return [
            RoutedRule(rule, self._compile(rule.event_pattern), tuple(targets))
            for rule, targets in found
        ]

    # helpers
    def _compile(self, text: str) -> EventPattern:
        pattern = self._compiled.get(text)
        if pattern is None:
            pattern = compile_pattern(text)
            if len(self._compiled) >= _PATTERN_CACHE_SIZE:
                self._compiled.clear()
            self._compiled[text] = pattern
        return pattern

    def _require(self, tx: Transaction, name: str) -> Rule:
        rule = tx.get_rule(name)
        if rule is None:
            raise self._not_found(name)
        return rule

    @staticmethod
    def _not_found(name: str) -> ResourceNotFoundError:
        return ResourceNotFoundError(f"Rule {name} does not exist on EventBus {DEFAULT_BUS}.")

    def _check_tags(
        self, existing: Mapping[str, str], added: Mapping[str, str], name: str
    ) -> dict[str, str]:
        """The tags after adding `added`; refuse reserved `aws:` keys and too many tags."""
        reserved = [key for key in added if key.lower().startswith("aws:")]
        if reserved:
            raise ValidationError(
                f"Tag key {reserved[0]!r} uses the reserved prefix 'aws:'; choose another key."
            )
        merged = {**existing, **added}
        if len(merged) > self._quotas.tags_per_resource:
            raise LimitExceededError(
                f"Rule {name} would have {len(merged)} tags; the maximum is "
                f"{self._quotas.tags_per_resource}. Remove tags first."
            )
        return merged

    def _target_failure(self, target: RuleTarget) -> TargetFailure | None:
        """Why the target cannot be stored, or None."""
        problem = self._target_problem(target)
        return (
            None
            if problem is None
            else TargetFailure(target.target_id, "ValidationException", problem)
        )

    def _target_problem(self, target: RuleTarget) -> str | None:
        if _NAME.fullmatch(target.target_id) is None:
            return f"Target Id {target.target_id!r} must consist of {NAME_PATTERN}."
        topic_prefix = self._realm.arn("sns", "")
        name = target.arn.removeprefix(topic_prefix)
        if name == target.arn or _TOPIC_NAME.fullmatch(name) is None:
            return (
                f"Target Arn {target.arn} is not a topic of this server: Transom sends events to "
                f"topics, {topic_prefix}TOPIC_NAME."
            )
        given = [target.input, target.input_path, target.input_transformer]
        if sum(x is not None for x in given) > 1:
            return "Only one of Input, InputPath, or InputTransformer must be provided."
        if target.input is not None:
            try:
                json.loads(target.input)
            except ValueError:
                return "Input is not valid JSON text: give the JSON to send instead of the event."
        paths = [target.input_path] if target.input_path is not None else []
        if target.input_transformer is not None:
            paths.extend(target.input_transformer.paths.values())
        bad = [p for p in paths if not p.startswith("$")]
        if bad:
            return f"Input path {bad[0]!r} is not a JSON path: write it as $.detail.status."
        return None
