"""The account and region a server reports in its ARNs and events are its settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.servers import ServerProcess, boto3_client, database, install_test_key


def test_the_server_reports_the_account_and_region_it_is_given(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as db:
        install_test_key(db)
        server = ServerProcess(db, ["--account-id", "123456789012", "--region", "eu-west-1"])
        server.start()
        try:
            arn = boto3_client(server.endpoint, "sns").create_topic(Name="ops")["TopicArn"]
            assert arn == "arn:aws:sns:eu-west-1:123456789012:ops"
        finally:
            server.stop()


def test_a_malformed_account_or_region_is_refused_before_starting(tmp_path: Path) -> None:
    for args, says in [
        (["--account-id", "12345"], "is not an account id"),
        (["--region", "Mars"], "is not a region name"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "transom", "server", "--data-dir", str(tmp_path), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert says in done.stderr
