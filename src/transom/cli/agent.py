"""`transom agent register|run`: the host agent's command line (kept light to import)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _state_option(command: F) -> F:
    return click.option(
        "--state-dir",
        envvar="TRANSOM_AGENT_STATE_DIR",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the registration and the result spool live "
        "[default: /var/lib/transom-agent as root, else ~/.local/state/transom-agent].",
    )(command)


@click.group()
def agent() -> None:
    """The agent that runs commands on this host."""


@agent.command()
@click.option("--server", envvar="TRANSOM_AGENT_SERVER", required=True, help="Server URL.")
@click.option("--code", required=True, help="The activation code.")
@click.option("--id", "activation_id", required=True, help="The activation ID.")
@click.option("--force", is_flag=True, help="Replace an existing registration.")
@_state_option
def register(
    server: str, code: str, activation_id: str, force: bool, state_dir: Path | None
) -> None:
    """Register this host as a managed node (prints its mi-... ID)."""
    from transom.agent.channel import Channel, ChannelDown
    from transom.agent.facts import collect_facts
    from transom.agent.state import (
        NotRegisteredError,
        Registration,
        default_state_dir,
        load_registration,
        save_registration,
    )
    from transom.wire import AgentError, RegisterRequest

    folder = state_dir or default_state_dir()
    try:
        existing = load_registration(folder)
    except NotRegisteredError:
        existing = None
    if existing is not None and not force:
        raise click.ClickException(
            f"this state directory is registered already as {existing.instance_id}; "
            "use --force to register again, or --state-dir for another agent"
        )
    channel = Channel(server)
    try:
        answer = channel.register(RegisterRequest(activation_id, code, collect_facts()))
    except (ChannelDown, AgentError) as exc:
        raise click.ClickException(f"registration failed: {exc}") from exc
    finally:
        channel.close()
    save_registration(folder, Registration(server, answer.instance_id, answer.secret))
    click.echo(answer.instance_id)


@agent.command()
@_state_option
def run(state_dir: Path | None) -> None:
    """Serve the server's commands until SIGTERM or SIGINT (a foreground process)."""
    from transom.agent.channel import Channel
    from transom.agent.facts import collect_facts
    from transom.agent.loop import Agent
    from transom.agent.state import NotRegisteredError, default_state_dir, load_registration

    folder = state_dir or default_state_dir()
    try:
        registration = load_registration(folder)
    except NotRegisteredError as exc:
        raise click.ClickException(str(exc)) from exc
    stop = threading.Event()

    class Stop(Exception):
        pass

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        raise Stop

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)
    channel = Channel(registration.server, registration.instance_id, registration.secret)
    print(
        f"transom agent: {registration.instance_id} serving {registration.server}",
        file=sys.stderr,
        flush=True,
    )
    worker = Agent(channel, folder, collect_facts)
    code = 0
    try:
        code = worker.run(stop)
    except Stop:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)  # one stop is enough; finish it quietly
        worker.shutdown()
    finally:
        channel.close()
    print("transom agent: stopped", file=sys.stderr, flush=True)
    sys.exit(code)
