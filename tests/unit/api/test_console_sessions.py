"""Console sessions: signed with the key's secret, renewed by use, ended by idleness, age,
tampering or the key's deletion; CSRF tokens bound to the session."""

from __future__ import annotations

from transom.api.console.sessions import Sessions, csrf_holds

KEY, SECRET = "AKIATRANSOMTEST00001", "s" * 40
T0 = 1_700_000_000.0


def sessions(keys: dict[str, str]) -> Sessions:
    return Sessions(keys.get, idle=60, max_age=3600)


def test_a_session_holds_while_used_and_ends_when_idle_or_old() -> None:
    made = sessions({KEY: SECRET})
    started = made.sign_in(KEY, SECRET, T0)
    assert started is not None
    cookie = made.cookie_value(started)
    renewed = made.read(cookie, T0 + 59)
    assert renewed is not None
    assert renewed.seen == int(T0 + 59)
    assert made.read(cookie, T0 + 61) is None  # idle too long
    later = made.cookie_value(renewed)
    assert made.read(later, T0 + 100) is not None  # renewed by use
    assert made.read(made.cookie_value(renewed), T0 + 3601) is None  # too old


def test_a_wrong_secret_a_tampered_cookie_or_a_deleted_key_hold_nothing() -> None:
    keys = {KEY: SECRET}
    made = sessions(keys)
    assert made.sign_in(KEY, "x" * 40, T0) is None
    assert made.sign_in("AKIAUNKNOWNKEY000001", SECRET, T0) is None
    session = made.sign_in(KEY, SECRET, T0)
    assert session is not None
    cookie = made.cookie_value(session)
    key_id, issued, seen, mac = cookie.split(".")
    assert made.read(f"{key_id}.{issued}.{int(seen) + 30}.{mac}", T0 + 30) is None
    assert made.read(f"{key_id}.{issued}.{seen}.{mac[:-1]}é", T0) is None
    assert made.read("garbage", T0) is None
    del keys[KEY]
    assert made.read(cookie, T0) is None


def test_the_csrf_token_belongs_to_its_session() -> None:
    made = sessions({KEY: SECRET})
    first = made.sign_in(KEY, SECRET, T0)
    second = made.sign_in(KEY, SECRET, T0 + 5)
    assert first is not None
    assert second is not None
    assert csrf_holds(first, first.csrf_token)
    assert not csrf_holds(first, second.csrf_token)
    assert not csrf_holds(first, None)
    assert not csrf_holds(first, "ö")
