"""Every state change of a window run and of Run Command is an event in the outbox, appended
in the transaction of the change (fake clock, real store, both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.engine.world import START, World
from tests.support.events import expected, instance_arn, last_seq, outbox, window_arn
from tests.support.servers import BACKEND_PARAMS
from transom.domain.commands import InvocationDetails, Outcome

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)

WX = "Maintenance Window Execution State-change Notification"
TX = "Maintenance Window Task Execution State-change Notification"
IX = "Maintenance Window Task Target Invocation State-change Notification"
CMD = "EC2 Command Status-change Notification"
INV = "EC2 Command Invocation Status-change Notification"


def _at(delta: timedelta, millis: bool = False) -> str:
    instant = START + delta
    return instant.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if millis else "Z")


def test_a_window_run_reports_each_status_of_every_level_once(world: World) -> None:
    node = world.node("web", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web", owner="team-web")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], ["echo hi"])
    before = last_seq(world.store)

    world.run_until(START + timedelta(hours=1, minutes=5))

    [wx] = world.executions(window)
    _, [task] = world.services.history.execution(wx.window_execution_id)
    [invocation] = world.services.history.invocations(
        wx.window_execution_id, task.task_execution_id
    )
    command = world.services.commands.view(invocation.execution_id or "").command
    one, ten = timedelta(hours=1), timedelta(hours=1, seconds=10)
    ids = {
        "window-id": window,
        "window-execution-id": wx.window_execution_id,
    }
    task_ids = {**ids, "task-execution-id": task.task_execution_id}
    target_ids = {**task_ids, "window-target-id": target}

    def window_event(detail_type: str, detail: dict[str, Any], at: timedelta) -> dict[str, Any]:
        return expected(detail_type, [window_arn(window)], detail, _at(at))

    def command_event(status: str, at: timedelta) -> dict[str, Any]:
        detail = {
            "command-id": command.command_id,
            "document-name": "AWS-RunShellScript",
            "expire-after": _at(one + timedelta(seconds=600), millis=True),
            "parameters": command.parameters,
            "requested-date-time": _at(one, millis=True),
            "status": status,
        }
        return expected(CMD, [instance_arn(node)], detail, _at(at))

    def invocation_event(status: str, at: timedelta) -> dict[str, Any]:
        detail = {
            "command-id": command.command_id,
            "document-name": "AWS-RunShellScript",
            "instance-id": node,
            "requested-date-time": _at(one, millis=True),
            "status": status,
        }
        return expected(INV, [instance_arn(node)], detail, _at(at))

    started = {"start-time": _at(one, millis=True)}
    ended = {**started, "end-time": _at(ten, millis=True)}
    assert command.parameters["commands"] == ["echo hi"]
    assert outbox(world.store, before) == [
        window_event(WX, {**started, **ids, "status": "PENDING"}, one),
        window_event(WX, {**started, **ids, "status": "IN_PROGRESS"}, one),
        window_event(
            TX,
            {
                "start-time": _at(one, millis=True),
                "task-execution-id": task.task_execution_id,
                **ids,
                "status": "IN_PROGRESS",
            },
            one,
        ),
        window_event(IX, {**target_ids, "status": "PENDING", "owner-information": "team-web"}, one),
        command_event("Pending", one),
        invocation_event("Pending", one),
        window_event(
            IX,
            {**started, **target_ids, "status": "IN_PROGRESS", "owner-information": "team-web"},
            one,
        ),
        invocation_event("InProgress", one),  # handed to the agent
        command_event("InProgress", one),
        invocation_event("Success", ten),
        command_event("Success", ten),
        window_event(
            IX, {**ended, **target_ids, "status": "SUCCESS", "owner-information": "team-web"}, ten
        ),
        window_event(
            TX,
            {
                "start-time": _at(one, millis=True),
                "task-execution-id": task.task_execution_id,
                "end-time": _at(ten, millis=True),
                **ids,
                "status": "SUCCESS",
            },
            ten,
        ),
        window_event(WX, {**ended, **ids, "status": "SUCCESS"}, ten),
    ]


def test_a_missed_occurrence_is_reported_as_timed_out_and_as_missed(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)", duration=2, cutoff=1)
    world.services.scheduler.sync()
    before = last_seq(world.store)
    world.clock.set(START + timedelta(hours=3))  # the server was down from 01:00 past 02:00

    world.services.scheduler.tick()

    [wx] = world.executions(window)
    ids = {"window-id": window, "window-execution-id": wx.window_execution_id}
    assert outbox(world.store, before) == [
        expected(
            WX,
            [window_arn(window)],
            {
                "start-time": _at(timedelta(hours=1), millis=True),
                "end-time": _at(timedelta(hours=3), millis=True),
                **ids,
                "status": "TIMED_OUT",
            },
            _at(timedelta(hours=3)),
        ),
        expected(
            "Maintenance Window Occurrence Missed",
            [window_arn(window)],
            {
                **ids,
                "scheduled-time": _at(timedelta(hours=1), millis=True),
                "cutoff-time": _at(timedelta(hours=2), millis=True),
            },
            _at(timedelta(hours=3)),
            source="transom",
        ),
    ]


def test_cancelling_a_window_execution_is_reported_once(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")
    execution_id = world.services.scheduler.run_now(window)
    before = last_seq(world.store)

    world.services.history.cancel(execution_id)
    world.services.history.cancel(execution_id)  # no change: no event

    assert [(e["detail-type"], e["detail"]["status"]) for e in outbox(world.store, before)] == [
        (WX, "CANCELLING")
    ]
    world.services.runner.advance_due()
    assert [e["detail"]["status"] for e in outbox(world.store, before)] == [
        "CANCELLING",
        "CANCELLED",
    ]


def _statuses(world: World, after: int) -> list[tuple[str, str, str]]:
    """(detail type, instance id or '', status) of the Run Command events after `after`."""
    return [
        (e["detail-type"], e["detail"].get("instance-id", ""), e["detail"]["status"])
        for e in outbox(world.store, after)
    ]


def test_cancelling_a_command_reports_each_invocation_and_the_command(world: World) -> None:
    a, b = world.node("a"), world.node("b")
    sent_after = last_seq(world.store)
    command = world.services.commands.send(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["sleep 100"]},
        instance_ids=[a, b],
        targets=[],
    )
    assert _statuses(world, sent_after) == [
        (CMD, "", "Pending"),
        (INV, a, "Pending"),
        (INV, b, "Pending"),
    ]
    ((work, _),) = world.services.dispatch.work_for_all([a])  # a runs it, b not yet
    assert work
    before = last_seq(world.store)

    world.services.commands.cancel(command.command_id, [])
    world.services.commands.cancel(command.command_id, [])  # nothing changes: no event

    statuses = _statuses(world, before)
    assert sorted(statuses[:2]) == sorted([(INV, a, "Cancelling"), (INV, b, "Cancelled")])
    assert statuses[2:] == [(CMD, "", "Cancelling")]


def test_undelivered_invocations_time_out_with_their_events(world: World) -> None:
    a = world.node("a")
    command = world.services.commands.send(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["true"]},
        instance_ids=[a],
        targets=[],
        timeout_seconds=30,
    )
    before = last_seq(world.store)
    world.clock.advance(timedelta(seconds=31))

    assert world.services.expiry.expire() == 1
    assert world.services.expiry.expire() == 0

    assert _statuses(world, before) == [(INV, a, "TimedOut"), (CMD, "", "TimedOut")]
    assert outbox(world.store, before)[0]["detail"]["command-id"] == command.command_id


def test_a_command_past_its_error_budget_reports_its_terminated_invocations(
    world: World,
) -> None:
    a, b, c = world.node("a"), world.node("b"), world.node("c")
    command = world.services.commands.send(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["false"]},
        instance_ids=[a, b, c],
        targets=[],
        max_concurrency="1",
        max_errors="0",
    )
    ((work, _),) = world.services.dispatch.work_for_all([a])
    [item] = work
    before = last_seq(world.store)
    now = world.clock.now()
    lease = item.invocation.lease or ""
    failed = Outcome(command.command_id, lease, InvocationDetails.FAILED, 1, "", "", now, now)
    world.services.results.report_all([(a, [failed])])

    statuses = _statuses(world, before)
    assert statuses[0] == (INV, a, "Failed")
    assert sorted(statuses[1:3]) == sorted([(INV, b, "Cancelled"), (INV, c, "Cancelled")])
    assert statuses[3:] == [(CMD, "", "Failed")]


PING = "Managed Node Ping Status-change Notification"


def test_a_node_is_reported_online_lost_and_back_once_each(world: World) -> None:
    nodes = world.services.nodes
    before = last_seq(world.store)
    node = world.node("web")
    arn = f"arn:aws:ssm:us-east-1:000000000000:managed-instance/{node}"

    def ping() -> None:
        """A poll: the node as authentication read it, then its heartbeat."""
        with world.store.read() as tx:
            current = tx.get_node(node)
        assert current is not None
        nodes.heartbeat([(current, None)])

    def event(status: str, at: timedelta) -> dict[str, Any]:
        detail = {"instance-id": node, "ping-status": status}
        return expected(PING, [arn], detail, _at(at), source="transom")

    assert outbox(world.store, before) == [event("Online", timedelta())]
    world.clock.advance(timedelta(minutes=4))
    assert nodes.report_lost() == 0  # heard from 4 minutes ago: still Online
    world.clock.advance(timedelta(minutes=2))
    assert nodes.report_lost() == 1
    assert nodes.report_lost() == 0  # reported once
    ping()
    ping()  # stays Online: nothing to report
    world.clock.advance(timedelta(seconds=30))
    ping()
    assert outbox(world.store, before) == [
        event("Online", timedelta()),
        event("ConnectionLost", timedelta(minutes=6)),
        event("Online", timedelta(minutes=6)),
    ]
    [view] = nodes.describe({})
    assert (view.ping_status, view.node.reported_ping_status) == ("Online", "Online")
