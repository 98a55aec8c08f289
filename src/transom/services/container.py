"""The set of use cases an adapter is handed, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from transom.services.audit import AuditTrail
from transom.services.authorization import Authorizer
from transom.services.calendar import CalendarService
from transom.services.calendar_feeds import CalendarFeeds
from transom.services.command_expiry import CommandExpiry
from transom.services.commands import CommandService
from transom.services.delivery import DeliveryService
from transom.services.dispatch import Dispatcher
from transom.services.documents import DocumentService
from transom.services.event_feed import EventFeed
from transom.services.history import HistoryService
from transom.services.keys import KeyService
from transom.services.nodes import NodeService
from transom.services.output_links import OutputLinks
from transom.services.overview import OverviewService
from transom.services.readiness import Readiness
from transom.services.result_intake import ResultIntake
from transom.services.roles import RoleService
from transom.services.rules import RuleService
from transom.services.scheduler import Scheduler
from transom.services.schedules import ScheduleService
from transom.services.store_counts import StoreCounts
from transom.services.tags import TagService
from transom.services.tasks import TaskService
from transom.services.topics import TopicService
from transom.services.window_runner import WindowRunner
from transom.services.window_targets import TargetService
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
    output_links: OutputLinks
    documents: DocumentService
    dispatch: Dispatcher
    results: ResultIntake
    expiry: CommandExpiry
    scheduler: Scheduler
    runner: WindowRunner
    history: HistoryService
    event_feed: EventFeed
    topics: TopicService
    rules: RuleService
    deliveries: DeliveryService
    counts: StoreCounts
    readiness: Readiness
    overview: OverviewService
    calendar: CalendarService
    calendar_feeds: CalendarFeeds
    audit: AuditTrail
    authorizer: Authorizer
    roles: RoleService
