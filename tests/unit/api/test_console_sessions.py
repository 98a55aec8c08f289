"""Console sessions: signed with the key's secret, renewed by use, ended by idleness, age,
tampering, the key's deletion or signing out; CSRF tokens bound to the session."""

from __future__ import annotations

from datetime import UTC, datetime

from transom.api.console.sessions import Sessions, csrf_holds

KEY, SECRET = "AKIATRANSOMTEST00001", "s" * 40
T0 = 1_700_000_000.0


class SignOuts:
    """The sessions signed out, in memory (the server keeps them in the database)."""

    def __init__(self) -> None:
        self.ended: dict[str, datetime] = {}

    def sign_out_console_session(self, session_id: str, expires: datetime) -> None:
        self.ended[session_id] = expires

    def console_session_signed_out(self, session_id: str) -> bool:
        return session_id in self.ended


def sessions(keys: dict[str, str], sign_outs: SignOuts | None = None) -> Sessions:
    return Sessions(keys.get, sign_outs or SignOuts(), idle=60, max_age=3600)


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
    key_id, issued, seen, sid, mac = cookie.split(".")
    assert made.read(f"{key_id}.{issued}.{int(seen) + 30}.{sid}.{mac}", T0 + 30) is None
    assert made.read(f"{key_id}.{issued}.{seen}.{sid}x.{mac}", T0) is None
    assert made.read(f"{key_id}.{issued}.{seen}.{sid}.{mac[:-1]}é", T0) is None
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


def test_a_signed_out_session_is_refused_with_every_copy_of_its_cookie() -> None:
    sign_outs = SignOuts()
    made = sessions({KEY: SECRET}, sign_outs)
    leaving = made.sign_in(KEY, SECRET, T0)
    staying = made.sign_in(KEY, SECRET, T0)
    assert leaving is not None
    assert staying is not None
    copied = made.cookie_value(leaving)
    renewed = made.read(copied, T0 + 10)
    assert renewed is not None
    made.sign_out(renewed)
    assert made.read(copied, T0 + 20) is None
    assert made.read(made.cookie_value(renewed), T0 + 20) is None
    assert made.read(made.cookie_value(staying), T0 + 20) is not None  # another sign-in holds
    assert sign_outs.ended == {leaving.session_id: datetime.fromtimestamp(T0 + 3600, UTC)}
