"""The desk's routes, for the service to mount: ``routes(engine_of)`` gives the Decide
page at ``/`` and the Compare page at ``/compare``, each deciding with the engine that
``engine_of()`` returns at that request (the service's current snapshot, so a reload is
seen at the next page). Pages are HTML with a strict Content-Security-Policy: no script,
no frame, no resource from elsewhere, forms sent only to the desk itself.
"""

from __future__ import annotations

from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.core import Engine
from engine.desk.compare_page import compare_page
from engine.desk.decide_page import decide_page

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def routes(engine_of: Callable[[], Engine]) -> list[Route]:
    """The desk's pages, deciding with ``engine_of()``."""

    def endpoint(render: Callable[..., tuple[int, str]]) -> Callable[[Request], object]:
        async def page(request: Request) -> Response:
            query = request.query_params.multi_items()
            status, body = await run_in_threadpool(render, engine_of(), query)
            return HTMLResponse(body, status_code=status, headers=HEADERS)
        return page

    return [Route("/", endpoint(decide_page), methods=["GET"], name="desk-decide"),
            Route("/compare", endpoint(compare_page), methods=["GET"], name="desk-compare")]
