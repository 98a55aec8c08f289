"""The set of use cases an adapter is handed, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from transom.services.commands import CommandService
from transom.services.history import HistoryService
from transom.services.keys import KeyService
from transom.services.nodes import NodeService
from transom.services.runner import WindowRunner
from transom.services.scheduler import Scheduler
from transom.services.schedules import ScheduleService
from transom.services.tags import TagService
from transom.services.targets import TargetService
from transom.services.tasks import TaskService
from transom.services.windows import WindowService


@dataclass(frozen=True)
class Services:
    windows: WindowService
    targets: TargetService
    tasks: TaskService
    tags: TagService
    keys: KeyService
    schedules: ScheduleService
    nodes: NodeService
    commands: CommandService
    scheduler: Scheduler
    runner: WindowRunner
    history: HistoryService
