"""The certificate that verifies the SNS messages this server signs, served at their
SigningCertURL (`GET /sns/signing-cert.pem`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def certificate_route(path: str, certificate_pem: bytes) -> Route:
    async def certificate(_request: Request) -> Response:
        return Response(certificate_pem, media_type="application/x-pem-file")

    return Route(path, certificate, methods=["GET"])
