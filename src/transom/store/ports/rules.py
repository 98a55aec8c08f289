"""Event rules: the patterns that pick events and the targets they send them to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from transom.domain.rules import Rule, RuleState, RuleTarget
from transom.store.ports.paging import Page


@dataclass(frozen=True)
class RuleUpdate:
    """What replacing a rule changes: everything but its name, tags and creation date."""

    event_pattern: str
    state: RuleState
    description: str | None


class RulePort(Protocol):
    def insert_rule(self, rule: Rule) -> None:
        """Add the rule, with no targets; its name must be new."""

    def get_rule(self, name: str) -> Rule | None:
        """The rule of that name, or None."""

    def list_rules(self, name_prefix: str | None, after: int | None, limit: int) -> Page[Rule]:
        """Rules in creation order whose name starts with `name_prefix` (case-sensitive;
        None: every rule), up to `limit` after position `after`."""

    def count_rules(self) -> int:
        """How many rules there are."""

    def update_rule(self, name: str, update: RuleUpdate) -> bool:
        """Replace the rule's pattern, state and description; False if there is no such rule."""

    def set_rule_state(self, name: str, state: RuleState) -> bool:
        """Enable or disable the rule; False if there is no such rule."""

    def set_rule_tags(self, name: str, tags: Mapping[str, str]) -> bool:
        """Replace the rule's tags with `tags`, in their order; False if there is no such
        rule."""

    def delete_rule(self, name: str) -> bool:
        """Delete the rule and its targets; False if there was no such rule."""

    def put_rule_targets(self, rule_name: str, targets: Sequence[RuleTarget]) -> None:
        """Add the targets to the rule (which must exist), replacing any of the same id in
        place; new ones come after the rule's other targets, in the order given. Ids in
        `targets` must be distinct."""

    def remove_rule_targets(self, rule_name: str, target_ids: Sequence[str]) -> list[str]:
        """Remove the rule's targets with these ids; the ids that were there."""

    def get_rule_targets(self, rule_name: str) -> list[RuleTarget]:
        """The rule's targets in the order they were added; [] for an unknown rule."""

    def enabled_rules_with_targets(self) -> list[tuple[Rule, list[RuleTarget]]]:
        """Every enabled rule that has targets, with its targets, rules in creation order
        and targets in the order they were added."""
