"""The peer for the intake benchmark: a bare starlette endpoint that reads the body and answers 202."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def webhook(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


app = Starlette(routes=[Route("/api/github/webhooks", webhook, methods=["POST"])])
