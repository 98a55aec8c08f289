"""The console's routes: server-rendered pages under `/console/`, and `GET /` redirecting there.

Every page but the sign-in page needs a session (`sessions`); without one a request is sent
to the sign-in page and reads nothing. A POST also needs the session's CSRF token in its form
and is answered with a redirect (post/redirect/get); when the service refuses it, the page it
came from is shown again with the service's message, the one the API would answer. What
pages show and forms change is `pages`, run as `calls` runs store calls. Every answer carries
a strict Content Security Policy (scripts and styles from `/console/static/` only) and
`Cache-Control: no-store`; templates escape every value (`rendering`). An unknown path
under `/console/` is an HTML page with a way back (signed out: the sign-in page), and failed
sign-ins are limited per address and per key id (`attempts`).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from transom.api.console import page_reads, pages, registrations, window_forms
from transom.api.console.attempts import FailedAttempts
from transom.api.console.authorized import NOTHING, Reads, checked
from transom.api.console.calendar import calendar
from transom.api.console.fleet_pages import FORM_PAGES
from transom.api.console.ical import FeedCache
from transom.api.console.pages import PREFIX, Act, Load
from transom.api.console.rendering import Templates
from transom.api.console.sessions import (
    COOKIE,
    SIGN_IN_COOKIE,
    Session,
    Sessions,
    csrf_holds,
    new_sign_in_token,
)
from transom.api.edge import StoreCalls, read_body
from transom.domain.clock import Clock
from transom.domain.errors import (
    AccessDeniedError,
    ApiError,
    DoesNotExistError,
    InvalidCommandIdError,
    InvalidInstanceIdError,
    InvocationDoesNotExistError,
    ValidationError,
)
from transom.protocol.edge import as_api_error
from transom.services.container import Services

MAX_FORM_BYTES = 16 * 1024
STATIC = Path(__file__).parent / "static"
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
WRONG_KEY = "The access key ID or the secret access key is not right."
TOO_MANY = (
    "Too many failed sign-ins from this address or for this access key ID: nothing was "
    "checked. Wait a minute, then try again."
)
STALE_SIGN_IN = "The sign-in form had expired. It has been renewed: sign in again."
STALE_FORM = (
    "The form was not sent from this console page (its CSRF token is missing or wrong), so "
    "nothing was changed. Reload the page and try again."
)
SIGNED_OUT = "You are signed out: reload the page to sign in."
NOT_FOUND = "There is no console page at this address."
NO_FEED = "No such calendar feed: its URL was revoked, or its access key deleted."

Endpoint = Callable[[Request], Awaitable[Response]]
_NOT_FOUND = (DoesNotExistError, InvalidCommandIdError, InvalidInstanceIdError)


def status_of(error: ApiError) -> int:
    """A refusal for the key's policy is 403 in the console (the API answers its
    AccessDeniedException 400, as AWS does)."""
    return 403 if isinstance(error, AccessDeniedError) else error.status


def error_heading(error: ApiError) -> dict[str, str]:
    """The error page's heading and the word before the message, for what went wrong."""
    status = status_of(error)
    if status in (401, 403):
        return {"heading": "Access denied", "label": "Refused"}
    if status == 404 or isinstance(error, (*_NOT_FOUND, InvocationDoesNotExistError)):
        return {"heading": "Not found", "label": "Not found"}
    if status < 500:
        return {"heading": "Invalid request", "label": "Invalid"}
    return {"heading": "That did not work", "label": "Error"}


def safe_next(target: str | None) -> str:
    """`target` when it is a console path, else the overview (no open redirect)."""
    if (
        target
        and target.startswith(PREFIX + "/")
        and "//" not in target
        and "\\" not in target
        and len(target) < 500
    ):
        return target
    return PREFIX + "/"


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form of a POST (the first value of each field); `ValidationError` when
    it is not UTF-8, `RequestTooLargeError` past MAX_FORM_BYTES."""
    body = await read_body(request.scope, request.receive, MAX_FORM_BYTES)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ValidationError("The form is not UTF-8 text.") from None
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


class _Console:
    def __init__(
        self, services: Services, clock: Clock, calls: StoreCalls, idle_seconds: float
    ) -> None:
        self.services = services
        self.clock = clock
        self.calls = calls
        self.idle_seconds = idle_seconds
        self.templates = Templates()
        self.sessions = Sessions(services.keys.secret_for, services.keys, idle_seconds)
        self.failures = FailedAttempts()
        self.feed_cache = FeedCache()

    # answers

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        session: Session | None,
        status: int = 200,
    ) -> Response:
        page = {**context, "session": session, "path": request.url.path}
        response = HTMLResponse(self.templates.render(template, page), status, headers=HEADERS)
        if session is not None:
            self.keep(request, response, session)
        return response

    def keep(self, request: Request, response: Response, session: Session) -> None:
        """Set the (renewed) session cookie."""
        response.set_cookie(
            COOKIE,
            self.sessions.cookie_value(session),
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    async def posted(self, request: Request, session: Session) -> dict[str, str] | Response:
        """The form of a signed-in POST, or the page that refuses it: the form unreadable, or
        its CSRF token not the session's (403)."""
        try:
            form = await read_form(request)
        except Exception as exc:
            return self.failed(request, exc, session)
        if not csrf_holds(session, form.get("csrf")):
            return self.render(request, "error.html", {"error": STALE_FORM}, session, 403)
        return form

    def failed(self, request: Request, exc: Exception, session: Session | None) -> Response:
        error = as_api_error(exc)
        context = {"error": error.message, **error_heading(error)}
        return self.render(request, "error.html", context, session, status_of(error))

    @staticmethod
    def to_sign_in(request: Request) -> Response:
        target = PREFIX + "/sign-in"
        if request.method == "GET" and request.url.path != PREFIX + "/":
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?next=" + quote(wanted, safe="")
        return RedirectResponse(target, 303, headers=HEADERS)

    async def session_of(self, request: Request) -> Session | None:
        now = self.clock.now().timestamp()
        return await self.calls(self.sessions.read, request.cookies.get(COOKIE), now)

    # pages and forms

    def page(self, template: str, load: Load, reads: Reads) -> Endpoint:
        """The page `template` shows `load`'s context in, as the key's policy allows `reads`."""
        load = checked(load, reads, page_reads.NAV)

        async def endpoint(request: Request) -> Response:
            session = await self.session_of(request)
            if session is None:
                return self.to_sign_in(request)
            request.state.session = session
            try:
                context = await self.calls(load, self.services, request)
            except Exception as exc:
                return self.failed(request, exc, session)
            return self.render(request, template, context, session)

        return endpoint

    def data(self, load: Load, reads: Reads) -> Endpoint:
        """A JSON answer for a page's script; 401 without a session."""
        load = checked(load, reads)

        async def endpoint(request: Request) -> Response:
            session = await self.session_of(request)
            if session is None:
                return JSONResponse({"error": SIGNED_OUT}, 401, headers=HEADERS)
            request.state.session = session
            try:
                answer = await self.calls(load, self.services, request)
            except Exception as exc:
                error = as_api_error(exc)
                return JSONResponse({"error": error.message}, status_of(error), headers=HEADERS)
            answer.pop("refused")  # a script's data has no sections
            return JSONResponse(answer, headers=HEADERS)

        return endpoint

    def action(self, act: Act, template: str, load: Load, reads: Reads) -> Endpoint:
        """A form's POST; when refused, `template` again with `load`'s context (as the key's
        policy allows `reads`), and when `act` answers a context, `template` with it."""
        load = checked(load, reads, page_reads.NAV)

        async def endpoint(request: Request) -> Response:
            session = await self.session_of(request)
            if session is None:
                return self.to_sign_in(request)
            form = await self.posted(request, session)
            if isinstance(form, Response):
                return form
            request.state.session = session
            try:
                target = await self.calls(act, self.services, request, form)
            except Exception as refused:
                error = as_api_error(refused)
                try:
                    context = await self.calls(load, self.services, request)
                except Exception as exc:
                    return self.failed(request, exc, session)
                context = {**context, "error": error.message, "form": form}
                return self.render(request, template, context, session, status_of(error))
            if isinstance(target, dict):
                return self.render(request, template, {**target, "refused": {}}, session)
            response = RedirectResponse(target, 303, headers=HEADERS)
            self.keep(request, response, session)
            return response

        return endpoint

    def form_page(
        self, path: str, template: str, load: Load, forms: Mapping[str, Act], reads: Reads
    ) -> list[BaseRoute]:
        """The page at `path` and its forms' POSTs, each at `path` + its suffix."""
        posts = [
            Route(path + suffix, self.action(act, template, load, reads), methods=["POST"])
            for suffix, act in forms.items()
        ]
        return [Route(path, self.page(template, load, reads), methods=["GET"]), *posts]

    async def not_found(self, request: Request) -> Response:
        """An unknown console path: a page saying so, with a way back (signed out: to the
        sign-in page, without saying whether the path exists)."""
        session = await self.session_of(request)
        if session is None:
            return RedirectResponse(PREFIX + "/sign-in", 303, headers=HEADERS)
        context = {"heading": "Page not found", "label": "Not found", "error": NOT_FOUND}
        return self.render(request, "error.html", context, session, 404)

    # the calendar feed

    async def new_feed(self, request: Request) -> Response:
        """Make the key a new feed token (revoking the old) and show it, this once: only its
        hash is kept, so this answer is not a redirect."""
        session = await self.session_of(request)
        if session is None:
            return self.to_sign_in(request)
        form = await self.posted(request, session)
        if isinstance(form, Response):
            return form
        request.state.session = session
        request.state.feed_token = await self.calls(
            self.services.calendar_feeds.issue, session.access_key_id
        )
        context = await self.calls(
            checked(pages.calendar_feed, NOTHING, page_reads.NAV), self.services, request
        )
        return self.render(request, "calendar_feed.html", context, session)

    async def feed(self, request: Request) -> Response:
        """The iCalendar feed: its token is its credential (calendar apps hold no session)."""
        request.state.feed_cache = self.feed_cache
        try:
            body = await self.calls(pages.calendar_ics, self.services, request)
        except Exception as exc:
            error = as_api_error(exc)
            return Response(error.message, status_of(error), media_type="text/plain")
        if body is None:
            return Response(NO_FEED, 404, media_type="text/plain")
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"cache-control": "no-store", "x-content-type-options": "nosniff"},
        )

    # signing in and out

    def sign_in_page(
        self, request: Request, message: str | None = None, status: int = 200, key_id: str = ""
    ) -> Response:
        token = new_sign_in_token()
        context = {
            "error": message,
            "token": token,
            "next": safe_next(request.query_params.get("next")),
            "access_key_id": key_id,
            "idle_minutes": max(1, round(self.idle_seconds / 60)),
        }
        response = self.render(request, "sign_in.html", context, None, status)
        response.set_cookie(
            SIGN_IN_COOKIE,
            token,
            max_age=3600,
            path=PREFIX + "/sign-in",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def sign_in_form(self, request: Request) -> Response:
        if await self.session_of(request) is not None:
            target = safe_next(request.query_params.get("next"))
            return RedirectResponse(target, 303, headers=HEADERS)
        return self.sign_in_page(request)

    async def sign_in(self, request: Request) -> Response:
        try:
            form = await read_form(request)
        except Exception as exc:
            return self.failed(request, exc, None)
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        given = form.get("token", "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return self.sign_in_page(request, STALE_SIGN_IN, 403)
        key_id = form.get("access_key_id", "").strip()
        secret = form.get("secret_access_key", "")
        who = ("address:" + (request.client.host if request.client else ""), "key:" + key_id[:128])
        if self.failures.refused(*who):
            return self.sign_in_page(request, TOO_MANY, 429, key_id[:128])
        now = self.clock.now().timestamp()
        session = await self.calls(self.sessions.sign_in, key_id, secret, now)
        if session is None:
            self.failures.failed(*who)
            return self.sign_in_page(request, WRONG_KEY, 401, key_id[:128])
        response = RedirectResponse(safe_next(form.get("next")), 303, headers=HEADERS)
        self.keep(request, response, session)
        response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX + "/sign-in")
        return response

    async def sign_out(self, request: Request) -> Response:
        session = await self.session_of(request)
        if session is not None:
            form = await self.posted(request, session)
            if isinstance(form, Response):
                return form
            await self.calls(self.sessions.sign_out, session)
        response = RedirectResponse(PREFIX + "/sign-in", 303, headers=HEADERS)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response


async def _to_console(_request: Request) -> Response:
    return RedirectResponse(PREFIX + "/", 302)


def console_routes(
    services: Services, clock: Clock, calls: StoreCalls, idle_seconds: float
) -> list[BaseRoute]:
    """The console's routes; a session ends after `idle_seconds` without a request."""
    console = _Console(services, clock, calls, idle_seconds)
    window = PREFIX + "/windows/{window_id}"
    execution = PREFIX + "/executions/{execution_id}"
    feed_page = PREFIX + "/calendar/feed"
    reads = page_reads
    new_window_page = console.page("window_form.html", window_forms.new_window, NOTHING)
    edit_page = console.page("window_form.html", window_forms.edit_window, reads.EDIT_WINDOW)
    on_new = functools.partial(
        console.action, template="window_form.html", load=window_forms.new_window, reads=NOTHING
    )
    on_edit = functools.partial(
        console.action,
        template="window_form.html",
        load=window_forms.edit_window,
        reads=reads.EDIT_WINDOW,
    )
    on_window = functools.partial(
        console.action, template="window.html", load=pages.window, reads=reads.WINDOW
    )
    on_execution = functools.partial(
        console.action, template="execution.html", load=pages.execution, reads=reads.EXECUTION
    )
    overview = console.page("overview.html", pages.overview, reads.OVERVIEW)
    preview = console.data(window_forms.preview, NOTHING)  # the form's fields and the clock
    return [
        Route("/", _to_console, methods=["GET"]),
        Route(PREFIX, _to_console, methods=["GET"]),
        Route(PREFIX + "/sign-in", console.sign_in_form, methods=["GET"]),
        Route(PREFIX + "/sign-in", console.sign_in, methods=["POST"]),
        Route(PREFIX + "/sign-out", console.sign_out, methods=["POST"]),
        Route(PREFIX + "/", overview, methods=["GET"]),
        Route(
            PREFIX + "/windows",
            console.page("windows.html", pages.windows, reads.WINDOWS),
            methods=["GET"],
        ),
        Route(PREFIX + "/windows/new", new_window_page, methods=["GET"]),
        Route(PREFIX + "/windows/new", on_new(window_forms.create), methods=["POST"]),
        Route(PREFIX + "/windows/preview", preview, methods=["GET"]),
        Route(window, console.page("window.html", pages.window, reads.WINDOW), methods=["GET"]),
        Route(window + "/edit", edit_page, methods=["GET"]),
        Route(window + "/edit", on_edit(window_forms.update), methods=["POST"]),
        Route(window + "/run", on_window(pages.run_now), methods=["POST"]),
        Route(window + "/enabled", on_window(pages.set_enabled), methods=["POST"]),
        Route(window + "/targets", on_window(registrations.register_target), methods=["POST"]),
        Route(
            window + "/targets/deregister",
            on_window(registrations.deregister_target),
            methods=["POST"],
        ),
        Route(window + "/tasks", on_window(registrations.register_task), methods=["POST"]),
        Route(
            window + "/tasks/deregister", on_window(registrations.deregister_task), methods=["POST"]
        ),
        Route(
            execution,
            console.page("execution.html", pages.execution, reads.EXECUTION),
            methods=["GET"],
        ),
        Route(execution + "/cancel", on_execution(pages.cancel), methods=["POST"]),
        Route(
            PREFIX + "/nodes", console.page("nodes.html", pages.nodes, reads.NODES), methods=["GET"]
        ),
        *(route for spec in FORM_PAGES for route in console.form_page(*spec)),
        Route(
            PREFIX + "/calendar",
            console.page("calendar.html", calendar, reads.CALENDAR),
            methods=["GET"],
        ),
        Route(
            feed_page,  # the signed-in key's own feed; the feed's reads are checked at each fetch
            console.page("calendar_feed.html", pages.calendar_feed, NOTHING),
            methods=["GET"],
        ),
        Route(feed_page, console.new_feed, methods=["POST"]),
        Route(PREFIX + "/feeds/{token}/calendar.ics", console.feed, methods=["GET"]),
        Mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="console-static"),
        Route(PREFIX + "/{path:path}", console.not_found, methods=["GET", "HEAD", "POST"]),
    ]
