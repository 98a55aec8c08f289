"""`--metrics open|key|off` (TRANSOM_METRICS) and `--metrics-token-file` on real servers: who
may read `GET /metrics`, and what a refused scrape gets (401 or 403, and no data)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.metrics import fetch, scrape
from tests.support.servers import Database, ServerProcess, database, install_test_key
from tests.support.signing import signed_get
from tests.support.watched import TOKEN, Watched


def test_key_refuses_a_scrape_without_the_token_or_a_signature(watched: Watched) -> None:
    bare = fetch(watched.endpoint)
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="transom"'
    assert "Bearer" in bare.text
    refused = [
        fetch(watched.endpoint, {"Authorization": "Bearer not-the-token"}),
        fetch(watched.endpoint, {"Authorization": f"Bearer {TOKEN}x"}),
        fetch(watched.endpoint, {"Authorization": f"Basic {TOKEN}"}),
        signed_get(f"{watched.endpoint}/metrics", access_key="AKIAUNKNOWN000000000"),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    for response in [bare, *refused]:
        assert "transom_" not in response.text
        assert response.headers["content-type"].startswith("text/plain")


def test_key_admits_the_token_and_a_request_signed_with_a_known_key(watched: Watched) -> None:
    assert scrape(watched.endpoint, TOKEN).value("transom_database_up") == 1
    signed = signed_get(f"{watched.endpoint}/metrics")
    assert signed.status_code == 200
    assert "transom_windows{" in signed.text


def test_by_default_a_token_is_made_in_the_data_dir_for_the_scraper_to_read(
    server: ServerProcess, backend_db: Database
) -> None:
    token_file = backend_db.data_dir / "metrics-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert fetch(server.endpoint).status_code == 401
    # What Prometheus sends with `authorization: {credentials_file: ...}`: the file, trimmed.
    assert scrape(server.endpoint, token_file.read_text().strip()).value("transom_database_up")


@pytest.mark.parametrize(
    ("setting", "status"), [(["env", "open"], 200), (["flag", "off"], 404)], ids=["open", "off"]
)
def test_open_admits_anyone_and_off_serves_no_metrics(
    tmp_path: Path, setting: list[str], status: int
) -> None:
    how, value = setting
    env = {**os.environ, "TRANSOM_METRICS": value} if how == "env" else None
    args = ["--metrics", value] if how == "flag" else []
    with database("sqlite", tmp_path) as db:
        install_test_key(db)
        server = ServerProcess(db, args, env=env).start()
        try:
            response = fetch(server.endpoint)
            assert response.status_code == status
            assert ("transom_windows{" in response.text) == (status == 200)
            assert httpx.get(f"{server.endpoint}/ready").status_code == 200
        finally:
            server.stop()
    assert not (tmp_path / "metrics-token").exists()


def test_a_bad_setting_or_token_file_is_refused_before_serving(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text(" \n")
    (tmp_path / "folder").mkdir()
    command = [sys.executable, "-m", "transom", "server", "--data-dir", str(tmp_path / "data")]
    for args, code, says in [
        (["--metrics", "closed"], 2, "Invalid value for '--metrics'"),
        (["--metrics-token-file", str(tmp_path / "folder")], 2, "is a directory"),
        (["--metrics-token-file", str(tmp_path / "empty")], 1, "is empty: put a token in it"),
    ]:
        done = subprocess.run(
            [*command, "--port", "0", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, says in done.stderr) == (code, True), done.stderr
        assert "listening" not in done.stderr
