"""`transom agent register|run`: the host agent's command line (kept light to import)."""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from transom.cli.logs import configure_logging, log_options, process_log

if TYPE_CHECKING:
    from transom.agent.loop import Agent

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
@click.option(
    "--code-file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Read the activation code from this file (- for standard input).",
)
@click.option("--code", hidden=True, help="The activation code (visible in ps: avoid).")
@click.option("--id", "activation_id", required=True, help="The activation ID.")
@click.option("--force", is_flag=True, help="Replace an existing registration.")
@click.option(
    "--ca-file",
    envvar="TRANSOM_AGENT_CA_FILE",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CA certificates (PEM) to verify the server's certificate with, such as the ca.pem "
    "`transom up --tls` made (default: the system's).",
)
@click.option(
    "--insecure-http",
    is_flag=True,
    help="Allow a plain http:// server on another host (secrets then cross the network in "
    "clear text); http to this host is always allowed.",
)
@_state_option
def register(
    server: str,
    code_file: Path | None,
    code: str | None,
    activation_id: str,
    force: bool,
    ca_file: Path | None,
    insecure_http: bool,
    state_dir: Path | None,
) -> None:
    """Register this host as a managed node (prints its mi-... ID). The activation code
    comes from --code-file, else $TRANSOM_ACTIVATION_CODE, else standard input."""
    from transom.agent.channel import Channel, ChannelDown, InsecureServer, check_server_url
    from transom.agent.facts import collect_facts
    from transom.agent.state import (
        NotRegisteredError,
        Registration,
        default_state_dir,
        load_registration,
        save_registration,
    )
    from transom.cli.secret_input import read_secret
    from transom.wire import AgentError, RegisterRequest

    code = read_secret("activation code", code_file, "TRANSOM_ACTIVATION_CODE", code, "--code")
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
    try:
        check_server_url(server, insecure_http)
    except InsecureServer as exc:
        raise click.ClickException(str(exc)) from exc
    ca = "" if ca_file is None else str(ca_file.resolve())
    channel = Channel(server, ca_file=ca_file)
    try:
        answer = channel.register(RegisterRequest(activation_id, code, collect_facts()))
    except (ChannelDown, AgentError) as exc:
        raise click.ClickException(f"registration failed: {exc}") from exc
    finally:
        channel.close()
    registration = Registration(server, answer.instance_id, answer.secret, ca, insecure_http)
    save_registration(folder, registration)
    click.echo(answer.instance_id)


@agent.command()
@_state_option
@click.option(
    "--parent-pid",
    type=int,
    default=None,
    hidden=True,
    help="Stop when process PID is no longer this agent's parent (the agent of `transom up`).",
)
@click.option(
    "--allow-reboot",
    is_flag=True,
    help="Reboot this host when a step exits with 194 (Run Command's reboot request). Without "
    "it such a step ends Failed and the host is not rebooted.",
)
@log_options
def run(
    state_dir: Path | None,
    parent_pid: int | None,
    allow_reboot: bool,
    log_level: str,
    log_format: str,
) -> None:
    """Serve the server's commands until SIGTERM or SIGINT (a foreground process)."""
    from transom.agent.channel import Channel, InsecureServer, check_server_url
    from transom.agent.facts import collect_facts
    from transom.agent.loop import Agent
    from transom.agent.state import NotRegisteredError, default_state_dir, load_registration

    configure_logging(log_level, log_format)
    folder = state_dir or default_state_dir()
    try:
        registration = load_registration(folder)
        check_server_url(registration.server, registration.insecure_http)
    except (NotRegisteredError, InsecureServer) as exc:
        raise click.ClickException(str(exc)) from exc
    wake = _wake_on_signals()
    channel = Channel(
        registration.server,
        registration.instance_id,
        registration.secret,
        ca_file=Path(registration.ca_file) if registration.ca_file else None,
    )
    process_log.info(
        "agent serving",
        extra={"instance_id": registration.instance_id, "server": channel.server},
    )
    worker = Agent(channel, folder, collect_facts, allow_reboot=allow_reboot, reboot=_reboot)
    code = _serve(worker, wake, parent_pid)
    process_log.info("agent stopped")
    sys.stdout.flush()
    sys.stderr.flush()
    # The loop's thread may still wait in a long poll (up to ~20 s). It holds nothing that
    # needs finishing (shutdown sent or spooled every result; spool files are replaced
    # atomically), and interpreter shutdown could trip over it writing to stderr.
    os._exit(code)


REBOOT_COMMAND = ("shutdown", "-r", "now")


def _reboot() -> None:
    """Reboot this host (a step asked, and the agent was started with --allow-reboot)."""
    import subprocess

    try:
        subprocess.run(REBOOT_COMMAND, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        process_log.error("could not reboot: %s", exc)


PARENT_CHECK_SECONDS = 1.0
"""How often an agent started with --parent-pid checks that its parent still runs."""


def _wake_on_signals() -> tuple[int, int]:
    """Make SIGTERM and SIGINT only write a byte to a new pipe; its (read, write) ends.

    A handler that raises, or takes a lock, could fire anywhere (inside a spool write,
    httpx's pool locks, a weakref callback that ignores its exception), so the handler does
    nothing and the interpreter's wakeup fd carries the signal to `_serve`."""
    readable, writable = os.pipe()
    os.set_blocking(writable, False)
    signal.set_wakeup_fd(writable, warn_on_full_buffer=False)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _seen_through_the_pipe)
    return readable, writable


def _seen_through_the_pipe(_signum: int, _frame: FrameType | None) -> None:
    pass


def _serve(worker: Agent, wake: tuple[int, int], parent_pid: int | None) -> int:
    """Run `worker`'s loop in a thread until a byte arrives on `wake` (a signal, or the loop
    ended by itself) or the parent given is gone; then shut it down from this thread, without
    waiting out a long poll. The exit code: 0 when stopped, else the loop's (1 if it failed)."""
    readable, writable = wake
    stop = threading.Event()
    ended: list[int] = []  # the loop's exit code, once it ended by itself

    def loop() -> None:
        code = 1
        try:
            code = worker.run(stop)
        finally:
            ended.append(code)
            with suppress(BlockingIOError):
                os.write(writable, b"\0")

    threading.Thread(target=loop, name="agent-loop", daemon=True).start()
    timeout = None if parent_pid is None else PARENT_CHECK_SECONDS
    while not select.select([readable], [], [], timeout)[0]:
        if parent_pid is not None and os.getppid() != parent_pid:
            break
    stop.set()
    if ended:
        return ended[0]  # it shut down by itself
    worker.shutdown()
    return 0
