"""A console session over plain HTTP, as a browser holds one: for tests and benches that
read pages without a browser."""

from __future__ import annotations

import re

import httpx

from tests.support.servers import ACCESS_KEY_ID, SECRET_ACCESS_KEY


def sign_in(client: httpx.Client) -> None:
    """Sign `client` (of a server, by its base URL) in to the console with the test key."""
    form = client.get("/console/sign-in").text
    token = re.search(r'name="token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/console/sign-in",
        data={
            "token": token.group(1),
            "next": "/console/",
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/"
