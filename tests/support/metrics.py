"""Scraping a real server's `GET /metrics` as Prometheus would, parsed with the client
library's own parser."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

_HTTP = httpx.Client(timeout=30)


@dataclass(frozen=True)
class Scrape:
    """The samples of one scrape: (sample name, its labels) -> value."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample with exactly these labels (`le` included for a bucket), or None."""
        return self.samples.get((name, frozenset(labels.items())))

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample of this name, by its labels."""
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def fetch(endpoint: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return _HTTP.get(f"{endpoint}/metrics", headers=headers)


def scrape(endpoint: str, token: str | None = None) -> Scrape:
    """Scrape `endpoint` (with `Authorization: Bearer <token>` if given); it must answer."""
    response = fetch(endpoint, {"Authorization": f"Bearer {token}"} if token else None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    return Scrape(samples)
