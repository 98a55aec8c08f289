"""EventBridge event patterns: validated once by `compile_pattern`, then matched in microseconds.

Semantics (the EventBridge User Guide's): the fields of an object must all match (AND); the
values of a leaf array are alternatives (OR); `"$or": [{...}, {...}]` needs any one of its
sub-patterns. A leaf value is an exact string, number, `true`, `false` or `null`, or one matcher
object: `prefix`, `suffix` (each optionally `{"equals-ignore-case": ...}`), `equals-ignore-case`,
`wildcard`, `anything-but`, `numeric`, `exists`, `cidr`. An event field holding an array matches
if any of its elements does; an object pattern over an array of objects needs one element to
match all of its fields. A field that is absent, an object, or an empty array has no value:
only `{"exists": false}` matches it. No Python library implements these semantics with
upkeep (AWS's event-ruler is Java), so this is a small matcher of our own.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from transom.domain.errors import InvalidEventPatternError

_OR: Final = "$or"
_NUMERIC_LIMIT: Final = 5.0e9
_LOWER: Final = (">", ">=")
_UPPER: Final = ("<", "<=")

Predicate = Callable[[Any], bool]


class _Absent:
    """The value of a field the event does not have."""


_ABSENT: Final = _Absent()
_NOTHING: Final[Mapping[str, Any]] = {}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _canon(value: object) -> object:
    """A hashable key under which equal JSON scalars meet: 1 and 1.0 do, `true` and 1 do not."""
    return ("bool", value) if isinstance(value, bool) else value


def _leaves(values: list[Any]) -> Iterator[Any]:
    """The scalar values of an event array, nested arrays flattened, objects left out."""
    for value in values:
        if isinstance(value, list):
            yield from _leaves(value)
        elif not isinstance(value, dict):
            yield value


class _Leaf:
    """The alternatives of one leaf array, split into a set of exact values and predicates."""

    __slots__ = ("exact", "if_absent", "if_present", "predicates")

    def __init__(
        self,
        exact: frozenset[object],
        predicates: tuple[Predicate, ...],
        if_absent: bool,
        if_present: bool,
    ) -> None:
        self.exact = exact
        self.predicates = predicates
        self.if_absent = if_absent
        self.if_present = if_present

    def matches(self, value: Any) -> bool:
        if value is _ABSENT or isinstance(value, dict):
            return self.if_absent
        if isinstance(value, list):
            seen = False
            for item in _leaves(value):
                seen = True
                if self._one(item):
                    return True
            return False if seen else self.if_absent
        return self._one(value)

    def _one(self, value: Any) -> bool:
        if self.if_present or (("bool", value) if value.__class__ is bool else value) in self.exact:
            return True
        return bool(self.predicates) and any(predicate(value) for predicate in self.predicates)


class _Object:
    """Every field matches, and one `$or` branch when there is an `$or`."""

    __slots__ = ("branches", "fields")

    def __init__(
        self, fields: tuple[tuple[str, _Leaf | _Object], ...], branches: tuple[_Object, ...]
    ) -> None:
        self.fields = fields
        self.branches = branches

    def matches(self, value: Any) -> bool:
        if isinstance(value, list):
            objects = [item for item in _leaves_and_objects(value) if isinstance(item, dict)]
            if objects:
                return any(self._matches_object(item) for item in objects)
            return self._matches_object(_NOTHING)
        return self._matches_object(value if isinstance(value, dict) else _NOTHING)

    def _matches_object(self, event: Mapping[str, Any]) -> bool:
        for key, node in self.fields:
            if not node.matches(event.get(key, _ABSENT)):
                return False
        if self.branches:
            return any(branch._matches_object(event) for branch in self.branches)
        return True


def _leaves_and_objects(values: list[Any]) -> Iterator[Any]:
    for value in values:
        if isinstance(value, list):
            yield from _leaves_and_objects(value)
        else:
            yield value


class EventPattern:
    """A compiled event pattern. `text` is the pattern as given; `matches` takes an envelope."""

    __slots__ = ("_root", "text")

    def __init__(self, text: str, root: _Object) -> None:
        self.text = text
        self._root = root

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event (an envelope as `transom.events.envelope.envelope` builds) matches."""
        return self._root._matches_object(event)

    def __repr__(self) -> str:
        return f"EventPattern({self.text!r})"


def compile_pattern(text: str) -> EventPattern:
    """Parse and validate a JSON event pattern; `InvalidEventPatternError` says what and where."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _invalid(f"it is not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise _invalid('the pattern must be a JSON object, such as {"source": ["aws.ssm"]}')
    return EventPattern(text, _compile_object(document, ()))


def _invalid(reason: str, path: tuple[str, ...] = ()) -> InvalidEventPatternError:
    where = f" at {'.'.join(json.dumps(key) for key in path)}" if path else ""
    return InvalidEventPatternError(f"Event pattern is not valid. Reason: {reason}{where}")


def _compile_object(document: dict[str, Any], path: tuple[str, ...]) -> _Object:
    if not document:
        raise _invalid("an object must name at least one field", path)
    fields: list[tuple[str, _Leaf | _Object]] = []
    branches: tuple[_Object, ...] = ()
    for key, value in document.items():
        here = (*path, key)
        if key == _OR:
            branches = _compile_or(value, here)
        elif isinstance(value, dict):
            fields.append((key, _compile_object(value, here)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, here)))
        else:
            raise _invalid(
                f"{json.dumps(key)} must be an object or an array, not {json.dumps(value)}", path
            )
    return _Object(tuple(fields), branches)


def _compile_or(value: Any, path: tuple[str, ...]) -> tuple[_Object, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise _invalid('"$or" must be an array of at least two objects', path)
    branches = []
    for index, branch in enumerate(value):
        if not isinstance(branch, dict):
            raise _invalid('each "$or" alternative must be an object', (*path, str(index)))
        branches.append(_compile_object(branch, (*path, str(index))))
    return tuple(branches)


def _compile_leaf(values: list[Any], path: tuple[str, ...]) -> _Leaf:
    if not values:
        raise _invalid("a value array must hold at least one value or matcher", path)
    exact: set[object] = set()
    predicates: list[Predicate] = []
    if_absent = if_present = False
    for value in values:
        if isinstance(value, dict):
            kind, argument = _single_matcher(value, path)
            if kind == "exists":
                if not isinstance(argument, bool):
                    raise _invalid('"exists" takes true or false', path)
                if_present |= argument
                if_absent |= not argument
            else:
                predicates.append(_MATCHERS[kind](argument, path))
        elif isinstance(value, list):
            raise _invalid("a value array cannot hold an array", path)
        else:
            exact.add(_canon(value))
    return _Leaf(frozenset(exact), tuple(predicates), if_absent, if_present)


def _single_matcher(value: dict[str, Any], path: tuple[str, ...]) -> tuple[str, Any]:
    if len(value) != 1:
        raise _invalid(
            f"a matcher object holds exactly one of {', '.join(_MATCHER_NAMES)}; "
            f"got {json.dumps(sorted(value))}",
            path,
        )
    ((kind, argument),) = value.items()
    if kind not in _MATCHER_NAMES:
        raise _invalid(
            f"unrecognized match type {json.dumps(kind)}; use one of {', '.join(_MATCHER_NAMES)}",
            path,
        )
    return kind, argument


def _string_argument(kind: str, argument: Any, path: tuple[str, ...]) -> tuple[str, bool]:
    """A `prefix`/`suffix` argument: a string, or `{"equals-ignore-case": string}`."""
    if isinstance(argument, str):
        return argument, False
    if (
        isinstance(argument, dict)
        and list(argument) == ["equals-ignore-case"]
        and isinstance(argument["equals-ignore-case"], str)
    ):
        return argument["equals-ignore-case"], True
    raise _invalid(
        f'"{kind}" takes a string or {{"equals-ignore-case": string}}, not {json.dumps(argument)}',
        path,
    )


def _prefix(argument: Any, path: tuple[str, ...]) -> Predicate:
    text, ignore_case = _string_argument("prefix", argument, path)
    if ignore_case:
        folded = text.casefold()
        return lambda value: isinstance(value, str) and value.casefold().startswith(folded)
    return lambda value: isinstance(value, str) and value.startswith(text)


def _suffix(argument: Any, path: tuple[str, ...]) -> Predicate:
    text, ignore_case = _string_argument("suffix", argument, path)
    if ignore_case:
        folded = text.casefold()
        return lambda value: isinstance(value, str) and value.casefold().endswith(folded)
    return lambda value: isinstance(value, str) and value.endswith(text)


def _strings(kind: str, argument: Any, path: tuple[str, ...]) -> list[str]:
    """One string or a non-empty array of strings."""
    items = argument if isinstance(argument, list) else [argument]
    if not items or not all(isinstance(item, str) for item in items):
        raise _invalid(f'"{kind}" takes a string or an array of strings', path)
    return items


def _equals_ignore_case(argument: Any, path: tuple[str, ...]) -> Predicate:
    if not isinstance(argument, str):
        raise _invalid('"equals-ignore-case" takes a string', path)
    folded = argument.casefold()
    return lambda value: isinstance(value, str) and value.casefold() == folded


def _wildcard_regex(argument: str, path: tuple[str, ...]) -> re.Pattern[str]:
    """`*` is any run of characters; `\\*` and `\\\\` are a literal star and backslash."""
    parts: list[str] = []
    index = 0
    while index < len(argument):
        char = argument[index]
        if char == "\\":
            following = argument[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise _invalid('in "wildcard", a backslash must be followed by * or \\', path)
            parts.append(re.escape(following))
            index += 2
            continue
        if char == "*":
            if argument[index + 1 : index + 2] == "*":
                raise _invalid('"wildcard" cannot hold consecutive * characters', path)
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _wildcard(argument: Any, path: tuple[str, ...]) -> Predicate:
    if not isinstance(argument, str):
        raise _invalid('"wildcard" takes a string', path)
    fullmatch = _wildcard_regex(argument, path).fullmatch
    return lambda value: isinstance(value, str) and fullmatch(value) is not None


def _anything_but(argument: Any, path: tuple[str, ...]) -> Predicate:
    if isinstance(argument, dict):
        if len(argument) != 1 or next(iter(argument)) not in _ANYTHING_BUT:
            raise _invalid(
                '"anything-but" takes a value, an array of values, or an object holding one '
                f"of {', '.join(_ANYTHING_BUT)}",
                path,
            )
        ((kind, inner),) = argument.items()
        if kind in ("equals-ignore-case", "wildcard"):
            excluded = [
                _MATCHERS[kind](item, path)
                for item in _strings(f"anything-but {kind}", inner, path)
            ]
        else:
            if not isinstance(inner, str):
                raise _invalid(f'"anything-but" "{kind}" takes a string', path)
            excluded = [_MATCHERS[kind](inner, path)]
        return lambda value: not any(test(value) for test in excluded)
    items = argument if isinstance(argument, list) else [argument]
    if not items:
        raise _invalid('"anything-but" needs at least one value', path)
    if not (
        all(isinstance(item, str) for item in items) or all(_is_number(item) for item in items)
    ):
        raise _invalid(
            '"anything-but" takes strings only or numbers only (one value or an array)', path
        )
    values = frozenset(_canon(item) for item in items)
    return lambda value: _canon(value) not in values


def _numeric(argument: Any, path: tuple[str, ...]) -> Predicate:
    """`[op, n]` or `[lower-op, n, upper-op, m]` with `lower < upper`; `=` stands alone."""
    shape = 'write "numeric" as [">", 0] or [">", 0, "<=", 5] (operators =, <, <=, >, >=)'
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise _invalid(shape, path)
    bounds: list[tuple[str, float]] = []
    for op, number in zip(argument[::2], argument[1::2], strict=True):
        if op not in ("=", *_LOWER, *_UPPER) or not _is_number(number):
            raise _invalid(shape, path)
        if not -_NUMERIC_LIMIT <= number <= _NUMERIC_LIMIT or not math.isfinite(number):
            raise _invalid(
                f'"numeric" values lie between -{_NUMERIC_LIMIT} and {_NUMERIC_LIMIT}', path
            )
        bounds.append((op, float(number)))
    if len(bounds) == 2:
        (low_op, low), (high_op, high) = bounds
        if low_op not in _LOWER or high_op not in _UPPER:
            raise _invalid(
                'a "numeric" range is a lower bound (> or >=) then an upper (< or <=)', path
            )
        if low >= high:
            raise _invalid('a "numeric" range needs its lower bound below its upper bound', path)
    tests = tuple(_COMPARE[op](bound) for op, bound in bounds)
    return lambda value: _is_number(value) and all(test(value) for test in tests)


_COMPARE: Final[dict[str, Callable[[float], Predicate]]] = {
    "=": lambda bound: lambda value: value == bound,
    "<": lambda bound: lambda value: value < bound,
    "<=": lambda bound: lambda value: value <= bound,
    ">": lambda bound: lambda value: value > bound,
    ">=": lambda bound: lambda value: value >= bound,
}


def _cidr(argument: Any, path: tuple[str, ...]) -> Predicate:
    try:
        network = (
            ipaddress.ip_network(argument, strict=False) if isinstance(argument, str) else None
        )
    except ValueError:
        network = None
    if network is None:
        raise _invalid(
            f'"cidr" takes a CIDR block such as "10.0.0.0/24", not {json.dumps(argument)}', path
        )

    def inside(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return inside


_MATCHERS: Final[dict[str, Callable[[Any, tuple[str, ...]], Predicate]]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "cidr": _cidr,
}
_MATCHER_NAMES: Final = (*_MATCHERS, "exists")
_ANYTHING_BUT: Final = ("prefix", "suffix", "equals-ignore-case", "wildcard")
