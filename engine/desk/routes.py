"""The desk's routes, for the service to mount: ``routes(engine_of)`` gives the Decide
page at ``/``, the Compare page at ``/compare`` and (unless ``playground=False``) the
Playground at ``/playground``, each deciding with the engine that
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

import asyncio

from engine.core import Engine
from engine.desk import playground as pg
from engine.desk.compare_page import compare_page
from engine.desk.decide_page import decide_page, status_of
from engine.desk.layout import DEFAULT_LANG
from engine.errors import InputTooLargeError, PolicyError

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def _form_body(request: Request, limit: int, timeout: float = 30.0) -> bytes:
    """The request's body, refused when longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputTooLargeError(f"the form is {declared} bytes; the playground takes at most "
                                 f"{limit}", path="source", code="too-large")

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise InputTooLargeError(f"the form is over {limit} bytes; the playground "
                                         f"takes at most {limit}", path="source",
                                         code="too-large")
            chunks.append(chunk)
        return b"".join(chunks)
    return await asyncio.wait_for(read(), timeout)


def routes(engine_of: Callable[[], Engine], playground: bool = True) -> list[Route]:
    """The desk's pages, deciding with ``engine_of()``; the Playground unless told not."""

    def endpoint(render: Callable[..., tuple[int, str]]) -> Callable[[Request], object]:
        async def page(request: Request) -> Response:
            query = request.query_params.multi_items()
            status, body = await run_in_threadpool(render, engine_of(), query, playground)
            return HTMLResponse(body, status_code=status, headers=HEADERS)
        return page

    async def play_start(request: Request) -> Response:
        query = request.query_params.multi_items()
        lang, status, error = DEFAULT_LANG, 200, None
        fields: pg.Fields = {"source": pg.BLANK, "tests": "", "request": pg.EXAMPLE_REQUEST}
        engine = engine_of()
        try:
            lang = pg.language(query)
            fields = pg.starting_point(engine, query)
        except PolicyError as err:
            status, error = status_of(err), err
        return HTMLResponse(pg.playground_page(engine, fields, lang, None, error),
                            status_code=status, headers=HEADERS)

    async def play_run(request: Request) -> Response:
        engine = engine_of()
        query = request.query_params.multi_items()
        lang: str = DEFAULT_LANG
        fields: pg.Fields = {"source": "", "tests": "", "request": ""}
        result, error = None, None
        try:
            # the language of an English form is in its URL too, for a form too large to read
            lang = pg.language(query)
            fields = pg.fields_from_body(await _form_body(request, pg.MAX_BODY),
                                         request.headers.get("content-type", ""))
            lang = pg.language(query + list(fields.items()))
            pg.require_source(fields)
            result = await pg.run(fields, lang)
        except PolicyError as err:
            error = err
        status = 200 if error is None else status_of(error)
        close = {"Connection": "close"} if status == 413 else {}
        return HTMLResponse(pg.playground_page(engine, fields, lang, result, error),
                            status_code=status, headers={**HEADERS, **close})

    pages = [Route("/", endpoint(decide_page), methods=["GET"], name="desk-decide"),
             Route("/compare", endpoint(compare_page), methods=["GET"], name="desk-compare")]
    if playground:
        pages += [Route("/playground", play_start, methods=["GET"], name="desk-playground"),
                  Route("/playground", play_run, methods=["POST"], name="desk-playground-run")]
    return pages
