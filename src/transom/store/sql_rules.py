"""Event rules on SQLAlchemy Core (`transom.store.ports.rules.RulePort`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from transom.domain.rules import InputTransformer, Rule, RuleState, RuleTarget
from transom.store import schema as t
from transom.store.ports.paging import Page
from transom.store.ports.rules import RuleUpdate

_r = t.rules
_rt = t.rule_targets
_TARGET_COLUMNS = ("target_id", "arn", "input", "input_path", "input_transformer")


def _rule(m: RowMapping) -> Rule:
    return Rule(
        name=m["name"],
        event_pattern=m["event_pattern"],
        state=RuleState(m["state"]),
        description=m["description"],
        tags=dict(m["tags"]),
        created_date=m["created_date"],
    )


def _target(m: RowMapping) -> RuleTarget:
    transformer = m["input_transformer"]
    return RuleTarget(
        target_id=m["target_id"],
        arn=m["arn"],
        input=m["input"],
        input_path=m["input_path"],
        input_transformer=None
        if transformer is None
        else InputTransformer(dict(transformer["paths"]), transformer["template"]),
    )


def _target_values(target: RuleTarget) -> dict[str, Any]:
    transformer = target.input_transformer
    return {
        "arn": target.arn,
        "input": target.input,
        "input_path": target.input_path,
        "input_transformer": None
        if transformer is None
        else {"paths": dict(transformer.paths), "template": transformer.template},
    }


# Tags are kept as a list of pairs: a JSON object's key order does not survive PostgreSQL.
def _tag_pairs(tags: Mapping[str, str]) -> list[list[str]]:
    return [[key, value] for key, value in tags.items()]


class RuleQueries:
    _conn: Connection

    def insert_rule(self, rule: Rule) -> None:
        self._conn.execute(
            _r.insert().values(
                name=rule.name,
                event_pattern=rule.event_pattern,
                state=rule.state.value,
                description=rule.description,
                tags=_tag_pairs(rule.tags),
                created_date=rule.created_date,
            )
        )

    def get_rule(self, name: str) -> Rule | None:
        row = self._conn.execute(sa.select(_r).where(_r.c.name == name)).first()
        return None if row is None else _rule(row._mapping)

    def list_rules(self, name_prefix: str | None, after: int | None, limit: int) -> Page[Rule]:
        query = sa.select(_r).order_by(_r.c.seq).limit(limit + 1)
        if after is not None:
            query = query.where(_r.c.seq > after)
        if name_prefix:
            # substr, not LIKE: SQLite's LIKE ignores case.
            query = query.where(sa.func.substr(_r.c.name, 1, len(name_prefix)) == name_prefix)
        rows = self._conn.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_rule(r._mapping) for r in rows], rows[-1].seq if more else None)

    def count_rules(self) -> int:
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(_r)).scalar_one())

    def update_rule(self, name: str, update: RuleUpdate) -> bool:
        statement = (
            _r.update()
            .where(_r.c.name == name)
            .values(
                event_pattern=update.event_pattern,
                state=update.state.value,
                description=update.description,
            )
        )
        return bool(self._conn.execute(statement).rowcount)

    def set_rule_state(self, name: str, state: RuleState) -> bool:
        statement = _r.update().where(_r.c.name == name).values(state=state.value)
        return bool(self._conn.execute(statement).rowcount)

    def set_rule_tags(self, name: str, tags: Mapping[str, str]) -> bool:
        statement = _r.update().where(_r.c.name == name).values(tags=_tag_pairs(tags))
        return bool(self._conn.execute(statement).rowcount)

    def delete_rule(self, name: str) -> bool:
        self._conn.execute(_rt.delete().where(_rt.c.rule_name == name))
        return bool(self._conn.execute(_r.delete().where(_r.c.name == name)).rowcount)

    def put_rule_targets(self, rule_name: str, targets: Sequence[RuleTarget]) -> None:
        existing = set(
            self._conn.execute(
                sa.select(_rt.c.target_id).where(_rt.c.rule_name == rule_name)
            ).scalars()
        )
        for target in targets:
            values = _target_values(target)
            if target.target_id in existing:
                self._conn.execute(
                    _rt.update()
                    .where(_rt.c.rule_name == rule_name, _rt.c.target_id == target.target_id)
                    .values(values)
                )
            else:
                self._conn.execute(
                    _rt.insert().values(rule_name=rule_name, target_id=target.target_id, **values)
                )

    def remove_rule_targets(self, rule_name: str, target_ids: Sequence[str]) -> list[str]:
        where = (_rt.c.rule_name == rule_name, _rt.c.target_id.in_(list(target_ids)))
        found = set(self._conn.execute(sa.select(_rt.c.target_id).where(*where)).scalars())
        if found:
            self._conn.execute(_rt.delete().where(*where))
        return [i for i in target_ids if i in found]

    def get_rule_targets(self, rule_name: str) -> list[RuleTarget]:
        query = sa.select(_rt).where(_rt.c.rule_name == rule_name).order_by(_rt.c.seq)
        return [_target(r._mapping) for r in self._conn.execute(query)]

    def enabled_rules_with_targets(self) -> list[tuple[Rule, list[RuleTarget]]]:
        query = (
            sa.select(
                _r,
                _rt.c.target_id,
                _rt.c.arn,
                _rt.c.input,
                _rt.c.input_path,
                _rt.c.input_transformer,
            )
            .join(_rt, _rt.c.rule_name == _r.c.name)
            .where(_r.c.state == RuleState.ENABLED.value)
            .order_by(_r.c.seq, _rt.c.seq)
        )
        rows = [r._mapping for r in self._conn.execute(query)]
        return [
            (_rule(group[0]), [_target(m) for m in group])
            for group in (list(g) for _, g in groupby(rows, key=lambda m: m["seq"]))
        ]
