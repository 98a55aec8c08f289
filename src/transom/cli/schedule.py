"""`transom schedule`: schedule expressions explained, with their next runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo


@click.group()
def schedule() -> None:
    """Work with cron(...), rate(...) and at(...) schedule expressions."""


@schedule.command()
@click.argument("expression")
@click.option("--tz", "zone_name", metavar="ZONE", help="IANA time zone (ScheduleTimezone).")
@click.option("--offset", type=int, help="Days each cron run is shifted later (ScheduleOffset).")
@click.option(
    "-n", "--count", type=click.IntRange(min=1), default=5, show_default=True, help="Runs to list."
)
@click.option(
    "--duration", type=click.IntRange(1, 24), help="Window length in hours: show each run's end."
)
@click.option(
    "--cutoff",
    type=click.IntRange(0, 23),
    help="Hours before the end when no new task starts: show each run's cutoff.",
)
def explain(
    expression: str,
    zone_name: str | None,
    offset: int | None,
    count: int,
    duration: int | None,
    cutoff: int | None,
) -> None:
    """Describe EXPRESSION in plain English and list its next runs from now, in the zone and
    in UTC. A bad expression prints the message the API would answer and exits with 1."""
    from itertools import islice

    from transom.domain.clock import SystemClock
    from transom.domain.errors import ValidationError
    from transom.schedule import Timetable, cutoff_at, load_zone, parse_schedule, window_end
    from transom.schedule.explain import describe_schedule

    if cutoff is not None and duration is None:
        raise click.UsageError("--cutoff needs --duration.")
    if cutoff is not None and duration is not None and cutoff >= duration:
        raise click.UsageError(f"--cutoff {cutoff} must be smaller than --duration {duration}.")
    try:
        table = Timetable(
            parse_schedule(expression),
            changed_at=SystemClock().now(),
            zone=load_zone(zone_name),
            offset_days=offset,
        )
    except ValidationError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(describe_schedule(table.schedule, zone_name, offset))
    runs = list(islice(table.occurrences(table.changed_at), count))
    if not runs:
        click.echo("No upcoming runs.")
        return
    click.echo(f"Next {len(runs)} run{'s' if len(runs) > 1 else ''}:")
    for number, run in enumerate(runs, 1):
        click.echo(f"{number:>3}. starts  {_both(run, table.zone)}")
        if duration is not None:
            click.echo(f"     ends    {_both(window_end(run, duration), table.zone)}")
            at = cutoff_at(run, duration, cutoff or 0)
            click.echo(f"     cutoff  {_both(at, table.zone)}")


def _both(instant: datetime, zone: ZoneInfo) -> str:
    """`instant` in the zone and, unless the zone is UTC, in UTC."""
    from datetime import UTC

    local = _shown(instant.astimezone(zone))
    utc = _shown(instant.astimezone(UTC))
    return local if local == utc else f"{local}   {utc}"


def _shown(moment: datetime) -> str:
    seconds = ":%S" if moment.second else ""
    return moment.strftime(f"%a %Y-%m-%d %H:%M{seconds} ") + str(moment.tzname())
