"""The fleet's pages, each a page and the forms it posts (`_Console.form_page` serves them):
Run Command, one command, a node, and activations."""

from __future__ import annotations

from collections.abc import Mapping

from transom.api.console import activations, commands, node_page, page_reads
from transom.api.console.authorized import Reads
from transom.api.console.pages import PREFIX, Act, Load

FORM_PAGES: tuple[tuple[str, str, Load, Mapping[str, Act], Reads], ...] = (
    (
        PREFIX + "/commands",
        "commands.html",
        commands.history,
        {"": commands.send},
        page_reads.COMMANDS,
    ),
    (
        PREFIX + "/commands/{command_id}",
        "command.html",
        commands.command,
        {"/cancel": commands.cancel},
        page_reads.COMMAND,
    ),
    (
        PREFIX + "/nodes/{instance_id}",
        "node.html",
        node_page.node,
        {"/tags": node_page.add_tag, "/tags/remove": node_page.remove_tag},
        page_reads.NODE,
    ),
    (
        PREFIX + "/activations",
        "activations.html",
        activations.activations,
        {"": activations.create, "/delete": activations.delete},
        page_reads.ACTIVATIONS,
    ),
)
"""(path, template, the page's loader, its forms' actions by path suffix, what the page
reads: `page_reads`)."""
