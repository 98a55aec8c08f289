"""Every kind of record a server keeps: made through its APIs with a real agent, read back from
its database table by table, and looked up through the APIs of a server on a copy. For tests
that carry a database elsewhere (backup and restore, upgrades) and check that all of it came."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.agents import AgentProcess
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.receivers import Receiver
from tests.support.schedules import at_in
from tests.support.servers import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Database, boto3_client
from tests.support.shell_window import shell_window
from tests.support.signing import signed_get
from tests.support.waiting import wait_for
from transom.domain.commands import STATUS_OF_PLUGIN, PluginDetails
from transom.store import schema
from transom.store.engine import create_engine
from transom.store.migrate import upgrade

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
"""Table name -> primary key -> the row's columns."""

KNOWN_SECRETS = {ACCESS_KEY_ID: SECRET_ACCESS_KEY}
"""The secrets of the access keys records are made with (the database holds them sealed)."""
ENDED = ("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING")


@contextmanager
def every_record(endpoint: str, tmp: Path) -> Iterator[str]:
    """Give the server at `endpoint` at least one row in every table through its APIs, and
    wait until what it started has ended: a window (tagged, one target, one task) run on a
    real agent, a command, a topic with a confirmed HTTP subscription that a rule and a
    publish deliver to, a window made with a ClientToken, a tagged document of two versions
    and two steps (one skipped) that the command runs, and a calendar feed and a sign-out
    (through the console). Yields the tag value of the agent's node (`Fleet`), whose agent
    runs until the block ends."""
    ssm, sns, events = (boto3_client(endpoint, s) for s in ("ssm", "sns", "events"))
    marker = f"rec-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": marker}])
    agent = AgentProcess.register(endpoint, activation_id, code, tmp / f"agent-{marker}")
    receiver = Receiver().start()
    try:
        agent.start()
        topic = sns.create_topic(Name=marker)["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
        confirmation = json.loads(wait_for(receiver.bodies, what="a confirmation")[0])
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        events.put_rule(Name=marker, EventPattern=json.dumps({"source": ["aws.ssm"]}))
        events.put_targets(Rule=marker, Targets=[{"Id": "topic", "Arn": topic}])
        sns.publish(TopicArn=topic, Message="made by every_record")
        ssm.create_maintenance_window(
            Name=f"{marker}-token",
            Schedule="cron(0 4 ? * SUN *)",
            Duration=2,
            Cutoff=1,
            AllowUnassociatedTargets=True,
            ClientToken=marker,
        )
        _console(endpoint)
        window = shell_window(ssm, at_in(2), ("Fleet", marker), ["echo window"], name=marker)
        ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow", ResourceId=window, Tags=[{"Key": "k", "Value": "v"}]
        )
        document = _document(ssm, marker)
        command = ssm.send_command(
            Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
            DocumentName=document,
            DocumentVersion="1",
            Parameters={"words": ["command"]},
        )["Command"]["CommandId"]
        wait_for(lambda: command_done(ssm, command), what=f"command {command} to end")
        wait_for(lambda: _ended(ssm, window), what=f"window {window} to run and end")
        wait_for(lambda: len(receiver.bodies()) >= 3, what="deliveries of the rule's events")
        yield marker
    finally:
        agent.kill()
        receiver.stop()


def _document(ssm: Any, marker: str) -> str:
    """A document of two versions, tagged; its name."""
    steps = [
        {
            "action": "aws:runShellScript",
            "name": "say",
            "inputs": {"runCommand": ["echo {{ words }}"]},
        },
        {
            "action": "aws:runShellScript",
            "name": "elsewhere",
            "precondition": {"StringEquals": ["platformType", "Windows"]},
            "inputs": {"runCommand": ["echo never"]},
        },
    ]
    content = {
        "schemaVersion": "2.2",
        "parameters": {"words": {"type": "String", "default": "hello"}},
        "mainSteps": steps,
    }
    name = f"{marker}-doc"
    ssm.create_document(Name=name, Content=json.dumps(content), Tags=[{"Key": "k", "Value": "v"}])
    ssm.update_document(Name=name, Content=json.dumps({**content, "description": "second"}))
    return name


def _console(endpoint: str) -> None:
    """Make the test key a calendar feed URL through the console, then sign out, as a
    browser does."""
    with httpx.Client(base_url=endpoint) as browser:
        form = browser.get("/console/sign-in").text
        token = re.search(r'name="token" value="([^"]+)"', form)
        assert token is not None
        browser.post(
            "/console/sign-in",
            data={
                "token": token.group(1),
                "access_key_id": ACCESS_KEY_ID,
                "secret_access_key": SECRET_ACCESS_KEY,
            },
        )
        page = browser.get("/console/calendar/feed").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        made = browser.post("/console/calendar/feed", data={"csrf": csrf.group(1)})
        assert "/calendar.ics" in made.text
        gone = browser.post("/console/sign-out", data={"csrf": csrf.group(1)})
        assert gone.headers["location"] == "/console/sign-in"
        assert browser.get("/console/").headers["location"] == "/console/sign-in"


def _ended(ssm: Any, window_id: str) -> bool:
    found = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
    return bool(found) and found[0]["Status"] in ENDED


def rows(url: str) -> Rows:
    """Every row of every table of the newest schema, decoded as the store decodes them (so a
    row reads the same from SQLite and PostgreSQL), in one snapshot."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: {
                    tuple(row[c.name] for c in table.primary_key): dict(row)
                    for row in conn.execute(sa.select(table)).mappings()
                }
                for table in schema.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def ids(found: Rows, table: str, column: str) -> set[Any]:
    return {row[column] for row in found[table].values()}


def assert_served(endpoint: str, found: Rows) -> None:
    """Everything in `found` but the scheduler's cursors and the idempotency tokens (which no
    API shows) is there through the APIs of the server at `endpoint`: windows with their
    targets, tasks and executions (with their tasks and invocations), the tags of windows
    and nodes, commands with their invocations, activations, nodes, every access key (each
    signs a call with its secret in `KNOWN_SECRETS`), events,
    rules with their targets, topics, subscriptions, messages with their deliveries, and
    documents with their versions."""
    ssm = boto3_client(endpoint)
    served = _windows(ssm, ids(found, "windows", "window_id"))
    documents = ids(found, "documents", "name")
    tags = {  # a document's tags written to a revision before documents have no document
        key for key in found["tags"] if key[0] != "Document" or key[1] in documents
    }
    served["tags"] = {
        (kind, resource, tag["Key"])
        for kind, resource in {key[:2] for key in tags}
        for tag in ssm.list_tags_for_resource(ResourceType=kind, ResourceId=resource)["TagList"]
    }
    served["commands"] = {c["CommandId"] for c in _all(ssm.list_commands, "Commands")}
    listed = [
        i
        for command in served["commands"]
        for i in _all(
            ssm.list_command_invocations, "CommandInvocations", CommandId=command, Details=True
        )
    ]
    served["invocations"] = {(i["CommandId"], i["InstanceId"]) for i in listed}
    served["invocation_plugins"] = {
        (i["CommandId"], i["InstanceId"], p["Name"], p["Status"], p["Output"])
        for i in listed
        for p in i["CommandPlugins"]
    }
    served["activations"] = {
        a["ActivationId"] for a in _all(ssm.describe_activations, "ActivationList")
    }
    served["nodes"] = {
        n["InstanceId"] for n in _all(ssm.describe_instance_information, "InstanceInformationList")
    }
    served["access_keys"] = {
        key["access_key_id"]
        for key in found["access_keys"].values()
        if boto3_client(
            endpoint,
            aws_access_key_id=key["access_key_id"],
            aws_secret_access_key=KNOWN_SECRETS[key["access_key_id"]],
        ).describe_maintenance_windows(MaxResults=10)
    }
    served |= _events_and_topics(endpoint)
    served["documents"] = {
        d["Name"]
        for d in _all(
            ssm.list_documents,
            "DocumentIdentifiers",
            Filters=[{"Key": "Owner", "Values": ["Self"]}],
        )
    }
    served["document_versions"] = {
        (name, int(v["DocumentVersion"]))
        for name in served["documents"]
        for v in _all(ssm.list_document_versions, "DocumentVersions", Name=name)
    }
    expected = {
        "windows": ids(found, "windows", "window_id"),
        "window_targets": ids(found, "window_targets", "window_target_id"),
        "window_tasks": ids(found, "window_tasks", "window_task_id"),
        "tags": tags,
        "window_executions": ids(found, "window_executions", "window_execution_id"),
        "task_executions": ids(found, "task_executions", "task_execution_id"),
        "task_invocations": ids(found, "task_invocations", "invocation_id"),
        "commands": ids(found, "commands", "command_id"),
        "invocations": set(found["invocations"]),
        "invocation_plugins": {
            (
                p["command_id"],
                p["instance_id"],
                p["name"],
                STATUS_OF_PLUGIN[PluginDetails(p["details"])],
                p["stdout"] + p["stderr"],
            )
            for p in found["invocation_plugins"].values()
        },
        "activations": ids(found, "activations", "activation_id"),
        "nodes": {
            n["instance_id"] for n in found["nodes"].values() if n["deregistered_date"] is None
        },
        "access_keys": ids(found, "access_keys", "access_key_id"),
        "events": ids(found, "events", "event_id"),
        "rules": ids(found, "rules", "name"),
        "rule_targets": {(t["rule_name"], t["target_id"]) for t in found["rule_targets"].values()},
        "topics": ids(found, "topics", "name"),
        "subscriptions": ids(found, "subscriptions", "subscription_id"),
        "messages": ids(found, "messages", "message_id"),
        "deliveries": {
            (d["message_id"], d["subscription_id"]) for d in found["deliveries"].values()
        },
        "documents": documents,
        "document_versions": set(found["document_versions"]),
    }
    # the scheduler's cursors, the idempotency tokens, the calendar feeds (only their tokens'
    # hashes are kept), the roles (`transom roles list` shows them) and the console's
    # signed-out sessions no API shows, nor the change counts (a number per kind of record
    # that replicas compare); the audit trail is read by GET /v1/audit
    # (tests/api/test_audit.py)
    assert set(found) - set(expected) == {
        "window_cursors",
        "idempotency_tokens",
        "calendar_feeds",
        "audit_records",
        "audit_resources",
        "roles",
        "console_sign_outs",
        "change_counts",
    }
    missing = {name: want - served[name] for name, want in expected.items() if want - served[name]}
    assert missing == {}, "records the server does not show"


def _all(call: Any, key: str, **params: Any) -> list[Any]:
    """Every item of a paged SSM listing."""
    items: list[Any] = []
    while True:
        page = call(**params)
        items += page[key]
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


def _windows(ssm: Any, windows: set[str]) -> dict[str, set[Any]]:
    """The windows the server shows, with the targets, tasks and executions of those
    of `windows`."""
    served: dict[str, set[Any]] = {
        "windows": {
            w["WindowId"] for w in _all(ssm.describe_maintenance_windows, "WindowIdentities")
        }
    }
    for name in ("window_targets", "window_tasks", "window_executions"):
        served[name] = set()
    served["task_executions"], served["task_invocations"] = set(), set()
    for window in windows & served["windows"]:
        served["window_targets"] |= {
            t["WindowTargetId"]
            for t in _all(ssm.describe_maintenance_window_targets, "Targets", WindowId=window)
        }
        served["window_tasks"] |= {
            t["WindowTaskId"]
            for t in _all(ssm.describe_maintenance_window_tasks, "Tasks", WindowId=window)
        }
        for execution in _all(
            ssm.describe_maintenance_window_executions, "WindowExecutions", WindowId=window
        ):
            execution_id = execution["WindowExecutionId"]
            served["window_executions"].add(execution_id)
            for task in ssm.describe_maintenance_window_execution_tasks(
                WindowExecutionId=execution_id
            )["WindowExecutionTaskIdentities"]:
                served["task_executions"].add(task["TaskExecutionId"])
                served["task_invocations"] |= {
                    i["InvocationId"]
                    for i in _all(
                        ssm.describe_maintenance_window_execution_task_invocations,
                        "WindowExecutionTaskInvocationIdentities",
                        WindowExecutionId=execution_id,
                        TaskId=task["TaskExecutionId"],
                    )
                }
    return served


def _events_and_topics(endpoint: str) -> dict[str, set[Any]]:
    """The events, rules (with targets), topics, subscriptions, messages and deliveries the
    server shows."""
    sns, events = boto3_client(endpoint, "sns"), boto3_client(endpoint, "events")
    served: dict[str, set[Any]] = {"events": set()}
    after = "0"
    while True:
        response = signed_get(f"{endpoint}/v1/events?after={after}")
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["events"]:
            break
        served["events"] |= {e["id"] for e in page["events"]}
        after = str(page["next"])
    served["rules"] = {r["Name"] for r in events.list_rules()["Rules"]}
    served["rule_targets"] = {
        (rule, t["Id"])
        for rule in served["rules"]
        for t in events.list_targets_by_rule(Rule=rule)["Targets"]
    }
    served["topics"] = {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]}
    served["subscriptions"] = {
        s["SubscriptionArn"].rsplit(":", 1)[1] for s in sns.list_subscriptions()["Subscriptions"]
    }
    response = signed_get(f"{endpoint}/v1/deliveries?limit=1000")
    assert response.status_code == 200, response.text
    deliveries = response.json()["deliveries"]
    served["messages"] = {d["MessageId"] for d in deliveries}
    served["deliveries"] = {
        (d["MessageId"], d["SubscriptionArn"].rsplit(":", 1)[1]) for d in deliveries
    }
    return served


def write_rows(db: Database, found: Rows, revision: str = "head") -> dict[str, set[str]]:
    """Migrate the empty `db` to `revision` and give each of its tables the rows of `found`,
    with the columns the table has at that revision; those columns, by table."""
    engine = create_engine(db.store_url)
    try:
        upgrade(engine, revision)
        with engine.begin() as conn:
            inspector = sa.inspect(conn)
            columns = {
                name: {c["name"] for c in inspector.get_columns(name)}
                for name in inspector.get_table_names()
                if name != "alembic_version"
            }
            for table in schema.metadata.sorted_tables:  # parents before children
                if table.name in columns:
                    conn.execute(
                        table.insert(),
                        [only(row, columns[table.name]) for row in found[table.name].values()],
                    )
                    if conn.dialect.name == "postgresql" and "seq" in table.primary_key:
                        conn.execute(  # as if the rows had been inserted one by one
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'seq'), "
                                f"(SELECT max(seq) FROM {table.name}))"
                            )
                        )
    finally:
        engine.dispose()
    return columns


def only(row: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name in names}
