"""The rule port: event rules and their targets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.rules import InputTransformer, Rule, RuleState, RuleTarget
from transom.store.ports.rules import RuleUpdate
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND

TOPIC = "arn:aws:sns:us-east-1:000000000000:alerts"


def _rule(name: str, n: int = 0, state: RuleState = RuleState.ENABLED) -> Rule:
    return Rule(
        name=name,
        event_pattern=f'{{"source": ["aws.ssm"], "n": [{n}]}}',
        state=state,
        description=f"rule {n}" if n % 2 else None,
        tags={"z": "last", "a": "first"} if n % 2 else {},
        created_date=NOW + timedelta(seconds=n),
    )


def _target(target_id: str, n: int = 0) -> RuleTarget:
    return RuleTarget(target_id, f"{TOPIC}-{n}")


@covers("insert_rule", "get_rule", "count_rules", "delete_rule")
def test_rules_round_trip_and_delete_with_their_targets(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_rule(_rule("one", 1))
        tx.insert_rule(_rule("two", 2))
        tx.put_rule_targets("one", [_target("t1")])
    with store.read() as tx:
        assert tx.get_rule("one") == _rule("one", 1)
        assert list(tx.get_rule("one").tags) == ["z", "a"]  # type: ignore[union-attr]
        assert tx.get_rule("two") == _rule("two", 2)
        assert tx.get_rule("One") is None
        assert tx.count_rules() == 2
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_rule(_rule("one", 3))
    with store.write() as tx:
        assert tx.delete_rule("one")
        assert not tx.delete_rule("one")
    with store.read() as tx:
        assert tx.get_rule("one") is None
        assert tx.get_rule_targets("one") == []
        assert tx.count_rules() == 1
    with store.write() as tx:  # a rule of the same name starts without the old targets
        tx.insert_rule(_rule("one", 1))
    with store.read() as tx:
        assert tx.get_rule_targets("one") == []


@covers("list_rules")
def test_rules_list_in_creation_order_by_exact_prefix_and_in_pages(store: SqlStore) -> None:
    names = ["web-b", "web-a", "Web-c", "db_1", "dbx1", "web-d"]
    with store.write() as tx:
        for n, name in enumerate(names):
            tx.insert_rule(_rule(name, n))
    with store.read() as tx:
        every = tx.list_rules(None, None, 100)
        assert [r.name for r in every.items] == names
        assert every.next_after is None
        web = ["web-b", "web-a", "web-d"]
        assert [r.name for r in tx.list_rules("web-", None, 100).items] == web
        assert [r.name for r in tx.list_rules("db_", None, 100).items] == ["db_1"]
        assert tx.list_rules("nothing", None, 100).items == []
        seen, after = [], None
        while True:
            page = tx.list_rules("web", after, 2)
            seen += [r.name for r in page.items]
            assert len(page.items) <= 2
            if page.next_after is None:
                break
            after = page.next_after
        assert seen == web


@covers("update_rule", "set_rule_state", "set_rule_tags")
def test_rule_updates_change_only_what_they_name(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_rule(_rule("r", 1))
        assert tx.update_rule("r", RuleUpdate('{"source": ["transom"]}', RuleState.DISABLED, None))
        assert not tx.update_rule("nope", RuleUpdate("{}", RuleState.ENABLED, None))
    with store.read() as tx:
        rule = tx.get_rule("r")
    assert rule is not None
    assert (rule.event_pattern, rule.state, rule.description) == (
        '{"source": ["transom"]}',
        RuleState.DISABLED,
        None,
    )
    assert (rule.tags, rule.created_date) == (_rule("r", 1).tags, NOW + timedelta(seconds=1))
    with store.write() as tx:
        assert tx.set_rule_state("r", RuleState.ENABLED)
        assert not tx.set_rule_state("nope", RuleState.ENABLED)
        assert tx.set_rule_tags("r", {"b": "2", "a": "1"})
        assert not tx.set_rule_tags("nope", {})
    with store.read() as tx:
        rule = tx.get_rule("r")
    assert rule is not None
    assert rule.state is RuleState.ENABLED
    assert list(rule.tags.items()) == [("b", "2"), ("a", "1")]


@covers("put_rule_targets", "get_rule_targets", "remove_rule_targets")
def test_targets_are_added_replaced_in_place_and_removed(store: SqlStore) -> None:
    shaped = RuleTarget(
        "t2",
        TOPIC,
        input_transformer=InputTransformer({"status": "$.detail.status"}, '"<status>"'),
    )
    with store.write() as tx:
        tx.insert_rule(_rule("r"))
        tx.insert_rule(_rule("other"))
        tx.put_rule_targets("r", [_target("t1"), shaped, RuleTarget("t3", TOPIC, input="{}")])
        tx.put_rule_targets("other", [_target("t1", 9)])
    with store.write() as tx:
        replaced = RuleTarget("t1", TOPIC, input_path="$.detail")
        tx.put_rule_targets("r", [_target("t4"), replaced])
    with store.read() as tx:
        assert tx.get_rule_targets("r") == [
            replaced,
            shaped,
            RuleTarget("t3", TOPIC, input="{}"),
            _target("t4"),
        ]
        assert tx.get_rule_targets("other") == [_target("t1", 9)]
        assert tx.get_rule_targets("nope") == []
    with store.write() as tx:
        assert tx.remove_rule_targets("r", ["t3", "missing", "t1"]) == ["t3", "t1"]
        assert tx.remove_rule_targets("r", ["t3"]) == []
    with store.read() as tx:
        assert [t.target_id for t in tx.get_rule_targets("r")] == ["t2", "t4"]
        assert tx.get_rule_targets("other") == [_target("t1", 9)]


@covers("enabled_rules_with_targets")
def test_enabled_rules_with_targets_leave_out_disabled_and_targetless_rules(
    store: SqlStore,
) -> None:
    with store.write() as tx:
        tx.insert_rule(_rule("b", 1))
        tx.insert_rule(_rule("off", 2, RuleState.DISABLED))
        tx.insert_rule(_rule("empty", 3))
        tx.insert_rule(_rule("a", 5))
        tx.put_rule_targets("a", [_target("x"), _target("y")])
        tx.put_rule_targets("off", [_target("x")])
        tx.put_rule_targets("b", [_target("z")])
    with store.read() as tx:
        assert tx.enabled_rules_with_targets() == [
            (_rule("b", 1), [_target("z")]),
            (_rule("a", 5), [_target("x"), _target("y")]),
        ]
