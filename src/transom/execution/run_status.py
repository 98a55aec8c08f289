"""Statuses of window runs: invocations from Run Command, tasks from their invocations,
window executions from their tasks (SPEC.md §d.5, §d.8)."""

from __future__ import annotations

from collections.abc import Collection

from transom.domain.commands import InvocationDetails as D
from transom.domain.executions import ERRORS
from transom.domain.executions import ExecutionStatus as S

_OF_DETAILS = {
    D.SUCCESS: S.SUCCESS,
    D.EXECUTION_TIMED_OUT: S.TIMED_OUT,
    D.DELIVERY_TIMED_OUT: S.TIMED_OUT,
    D.CANCELLED: S.CANCELLED,
    D.TERMINATED: S.CANCELLED,
}


def invocation_status(details: D) -> S:
    """The window invocation status for a final Run Command status detail."""
    return _OF_DETAILS.get(details, S.FAILED)


def task_status(invocations: Collection[S], *, cut_off: bool, past_end: bool) -> S:
    """A finished task: TIMED_OUT when CANCEL_TASK cut it off at the cutoff; FAILED when an
    invocation failed or timed out; TIMED_OUT when it ran past the window's end; else SUCCESS."""
    if cut_off:
        return S.TIMED_OUT
    if any(s in ERRORS for s in invocations):
        return S.FAILED
    return S.TIMED_OUT if past_end else S.SUCCESS


def window_status(tasks: Collection[S], *, cut_short: bool, cancelled: bool, past_end: bool) -> S:
    """A finished window execution: FAILED if a task failed; else TIMED_OUT if a task timed
    out, the cutoff kept tasks from starting (`cut_short`) or it ran past its end; else
    CANCELLED if cancelled; else SUCCESS."""
    if S.FAILED in tasks:
        return S.FAILED
    if S.TIMED_OUT in tasks or cut_short or past_end:
        return S.TIMED_OUT
    if cancelled:
        return S.CANCELLED
    return S.SUCCESS
