"""The HTTP decision service: an ASGI application (Starlette) over a live pack store.

``create_app(ServiceConfig(...))`` builds the application; ``policy serve`` runs it
under uvicorn (``app_from_environment`` is the factory each worker process calls).
Endpoints, bodies and errors are those of the contract (docs/contract.md) and
docs/service.md; ``/openapi.json`` (``engine.service.openapi``) describes them.

- ``POST /v1/decide``, ``POST /v1/decide/batch``: decisions, batch in order, all or
  nothing. ``GET /v1/packs``, ``GET /v1/packs/{id}``, ``GET /v1/explain``,
  ``GET /healthz``, ``GET /openapi.json``.
- ``POST /access/v1/evaluation(s)``, ``GET /.well-known/authzen-configuration``: the
  AuthZEN Authorization API (``engine.service.authzen``).
- ``GET /``, ``GET /compare`` and ``/playground``: the web desk's pages for people
  (``engine.desk``), not part of the API and not in ``/openapi.json``.

Every request takes the pack store's snapshot once (``engine.service.reload``), so a reload
never shows it a half-loaded pack. Bad input is one of the project's errors
(``engine.errors``), answered as ``{"error": {"code", "message", "path"}}`` with 400
(not JSON), 404 (unknown pack), 413 (too large) or 422 (well-formed but invalid), and
503 for a pack that failed to load and has no good version; nothing a client sends
gives a 500. A path with a trailing slash is not redirected (404: a redirect would be
built from the client's ``Host``); a client that goes away in the middle of its body is
one line of the log. SIGHUP reads the token file again and asks the decision log to
reopen (:meth:`Service.hangup`). Decisions are recorded by the decision log plugin
(``engine.service.decision_log``), one unit of work per HTTP request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import re
import signal
import threading
from typing import Any, AsyncIterator, Callable

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dsl.dates import date_hint
from engine.service import authzen, protocol
from engine.service import decision_log as dlog
from engine.compiler import Part
from engine.core import Engine
from engine.desk.error_page import page_response, wants_page
from engine.desk.routes import routes as desk_routes
from engine.errors import (InputTooLargeError, MalformedInputError, PolicyError, RequestError,
                           UnknownPackError, did_you_mean, one_of)
from engine.service.http_io import (ClientGone, Gate, TokenFile, error_response,
                                    json_bytes_response, json_response, printable, read_json)
from engine.service.reload import PackFile, PackState, PackStore, Problem, Snapshot, pack_files
from engine.serialization import converter, structure, to_json

logger = logging.getLogger("policy.service")

CONFIG_ENV = "POLICY_SERVICE_CONFIG"


@attrs.frozen
class ServiceConfig:
    """What ``policy serve`` passes to every worker (as JSON in ``POLICY_SERVICE_CONFIG``)."""

    packs: tuple[str, ...] = ()          # extra pack files or folders
    installed: bool = True               # serve the installed packs (entry points)
    watch: bool = False
    watch_interval: float = 0.5          # seconds between two looks at the pack files
    watch_settle: float = 1.0            # seconds a changed file must stay unchanged
    decision_log: str | None = None
    flush_interval: float = 0.2          # seconds before a decision is written
    token_file: str | None = None
    max_body: int = 1_048_576            # bytes
    max_batch: int = 1000                # requests in a batch, evaluations in a list
    body_timeout: float = 30.0           # seconds for a request body to arrive
    max_header_size: int = 32768         # bytes of a request's line and headers
    header_timeout: float = 10.0         # seconds for them to arrive
    playground: bool = True              # serve the desk's Playground at /playground


# ---- response bodies -----------------------------------------------------------------

@attrs.frozen
class Batch:
    requests: list[Any]


@attrs.frozen
class Edition:
    """One edition of a pack: its version and in-force days (None: undated / open)."""

    version: str
    in_force_from: dt.date | None
    in_force_until: dt.date | None
    origin: str


@attrs.frozen
class PackInfo:
    """A pack as ``/v1/packs`` shows it: the version serving and the latest error."""

    id: str | None
    status: str                          # ok | error
    name: str | None = None
    version: str | None = None
    document: str | None = None
    dated: dt.date | None = None
    rules: int | None = None
    origin: str | None = None
    plugin: str | None = None
    distribution: str | None = None
    digest: str | None = None
    loaded_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    errors: list[Problem] = attrs.field(factory=list)
    editions: list[Edition] = attrs.field(factory=list)
    #: The pages of a guideline published as several, each with its title and date.
    parts: list[Part] = attrs.field(factory=list)

    @classmethod
    def of(cls, state: PackState) -> "PackInfo":
        errors = Problem.list_from(state.error) if state.error is not None else []
        item = state.loaded
        if item is None:
            return cls(state.id, state.status, origin=state.origin, failed_at=state.failed_at,
                       errors=errors)
        pack = item.pack
        return cls(state.id, state.status, pack.name, pack.version, pack.document, pack.dated,
                   pack.rule_count, item.source.origin, item.plugin, item.distribution,
                   state.digest, state.loaded_at, state.failed_at, errors,
                   [Edition(e.version, e.in_force_from, e.in_force_until, e.origin)
                    for e in item.all_editions], list(pack.parts))


@attrs.frozen
class PackList:
    packs: list[PackInfo]


@attrs.frozen
class Health:
    status: str
    packs: int
    failed: int
    generation: int


@attrs.frozen
class AuthzenConfiguration:
    policy_decision_point: str
    access_evaluation_endpoint: str
    access_evaluations_endpoint: str


# ---- the application -------------------------------------------------------------------

class Service:
    """The endpoints over one pack store, decision log and configuration."""

    def __init__(self, config: ServiceConfig, tokens: TokenFile | None = None) -> None:
        self.config = config
        self.tokens = tokens
        self.writer = (dlog.LogWriter(config.decision_log, flush_interval=config.flush_interval)
                       if config.decision_log else None)
        self.log = dlog.DecisionLog(self.writer.submit, "http") if self.writer else None
        self.store = PackStore(self._load)
        self._explained: tuple[tuple[int, Any], Any] | None = None   # (generation, day), JSON

    def _load(self) -> Engine:
        plugins: list[Any] = [PackFile(p) for p in pack_files(self.config.packs)]
        if self.log is not None:
            plugins.append(self.log)
        return Engine.load(plugins=plugins, entry_points=self.config.installed)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        if self.writer is not None:     # a file that cannot be opened is logged and retried
            self.writer.open(retry=True)
        self.store.reload()
        stop = asyncio.Event()
        watcher = (asyncio.create_task(self.store.watch(
            stop, self.config.packs, self.config.watch_interval, self.config.watch_settle))
                   if self.config.watch else None)
        restore = _on_hangup(self.hangup)
        try:
            yield
        finally:
            restore()
            stop.set()
            if watcher is not None:
                await watcher
            if self.writer is not None:
                self.writer.close()
                logger.info("decision log %s flushed and closed (%d entries written)",
                            self.writer.path, self.writer.written)

    def hangup(self) -> None:
        """SIGHUP: read the token file again and ask the decision log to reopen its file.

        Nothing stops: requests go on being answered and buffered entries are kept.
        """
        logger.info("SIGHUP: reading the token file again and reopening the decision log")
        if self.tokens is not None:
            self.tokens.reload()
        if self.writer is not None:
            try:
                self.writer.reopen()
            except Exception:      # the log says what went wrong; the service goes on
                logger.exception("could not reopen the decision log %s", self.writer.path)

    def routes(self) -> list[Route]:
        return [
            Route("/v1/decide", self.decide, methods=["POST"]),
            Route("/v1/decide/batch", self.decide_batch, methods=["POST"]),
            Route("/v1/packs", self.packs, methods=["GET"]),
            Route("/v1/packs/{pack_id}", self.pack, methods=["GET"]),
            Route("/v1/explain", self.explain, methods=["GET"]),
            Route("/healthz", self.health, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/access/v1/evaluation", self.evaluation, methods=["POST"]),
            Route("/access/v1/evaluations", self.evaluations, methods=["POST"]),
            Route("/.well-known/authzen-configuration", self.authzen_configuration,
                  methods=["GET"]),
        ]

    def _unit(self, request: Request, snapshot: Snapshot, source: str = "http",
              batch: bool = False) -> contextlib.AbstractContextManager[dlog.Scope]:
        return dlog.scope(source, request.state.request_id, batch=batch,
                          pack_digests=snapshot.digests, pack_versions=snapshot.versions)

    # ---- decisions ---------------------------------------------------------------
    async def decide(self, request: Request) -> Response:
        data = await read_json(request, self.config.max_body, self.config.body_timeout)
        snapshot = self.store.snapshot
        with self._unit(request, snapshot) as unit:
            decision = snapshot.engine.decide_request(data)
            unit.commit()
        return json_bytes_response(unit.answers([decision])[0])

    async def decide_batch(self, request: Request) -> Response:
        data = await read_json(request, self.config.max_body, self.config.body_timeout)
        if not isinstance(data, dict) or not isinstance(data.get("requests"), list):
            raise RequestError("a batch is a JSON object {\"requests\": [request, …]}",
                               path="requests" if isinstance(data, dict) else "$",
                               code="bad-batch")
        batch = structure(data, Batch, what="a batch is {\"requests\": [request, …]}")
        if len(batch.requests) > self.config.max_batch:
            raise RequestError(f"{len(batch.requests)} requests in one batch; at most "
                               f"{self.config.max_batch} are taken", path="requests",
                               code="batch-too-long")
        snapshot = self.store.snapshot
        with self._unit(request, snapshot, batch=True) as unit:
            decisions = snapshot.engine.decide_many(batch.requests)
            unit.commit()
        # {"decisions": [...]}: each decision's JSON as the log encoded it, each distinct
        # decision's encoded once (dlog.decision_bytes)
        return json_bytes_response(
            b'{"decisions":[' + b",".join(unit.answers(decisions)) + b"]}")

    # ---- AuthZEN -----------------------------------------------------------------
    async def evaluation(self, request: Request) -> Response:
        try:
            data = await read_json(request, self.config.max_body, self.config.body_timeout)
            snapshot = self.store.snapshot
            parts = authzen.evaluation_request(data)
            answer = self._evaluate(request, snapshot, parts)
        except RequestError as e:
            raise _as_authzen(e) from None
        return json_response(to_json(answer))

    async def evaluations(self, request: Request) -> Response:
        try:
            data = await read_json(request, self.config.max_body, self.config.body_timeout)
            snapshot = self.store.snapshot
            semantic, items = authzen.evaluations_request(data, self.config.max_batch)
            if items is None:        # §7.1: no list is one evaluation, answered as such
                answer = self._evaluate(request, snapshot, authzen.evaluation_request(data))
                return json_response(to_json(answer))
        except RequestError as e:
            raise _as_authzen(e) from None
        answers = []
        details = authzen.LogDetails()     # the defaults, bounded once for every item
        for index, parts in enumerate(items):
            try:
                answer = self._evaluate(request, snapshot, parts, index, details)
            except RequestError as e:
                answer = authzen.error_answer(e)
            except PolicyError as e:     # a pack that failed to load
                answer = authzen.Answer(False, authzen.ErrorContext(authzen.ItemError(
                    503, "pack-unavailable", _unavailable(e), f"evaluations[{index}]")))
            answers.append(answer)
            if authzen.stops_after(semantic, answer):
                break
        return json_response(to_json(authzen.Answers(answers)))

    def _evaluate(self, request: Request, snapshot: Snapshot, parts: authzen.Parts,
                  index: int | None = None,
                  details: authzen.LogDetails | None = None) -> authzen.Answer:
        with self._unit(request, snapshot, "authzen", batch=index is not None) as unit:
            if self.log is not None:
                unit.authzen, unit.authzen_cut = (details or authzen.LogDetails())(parts)
            unit.count = index or 0
            answer = authzen.decide(snapshot.engine, parts)
            unit.commit()
        return answer

    async def authzen_configuration(self, request: Request) -> Response:
        base = _base_url(request)
        return json_response(to_json(AuthzenConfiguration(
            base, f"{base}/access/v1/evaluation", f"{base}/access/v1/evaluations")))

    # ---- packs, explain, health, schema ------------------------------------------
    async def packs(self, request: Request) -> Response:
        snapshot = self.store.snapshot
        infos = [PackInfo.of(snapshot.states[k]) for k in sorted(snapshot.states)]
        infos += [PackInfo.of(s) for s in snapshot.unidentified]
        return json_response(to_json(PackList(infos)))

    async def pack(self, request: Request) -> Response:
        pack_id = request.path_params["pack_id"]
        snapshot = self.store.snapshot
        state = snapshot.states.get(pack_id)
        if state is None:
            names = {s.loaded.pack.name: i for i, s in snapshot.states.items()
                     if s.loaded is not None}
            raise UnknownPackError(
                f"unknown pack '{pack_id}'{did_you_mean(pack_id, snapshot.states, names)}; packs are "
                f"{one_of(snapshot.states) if snapshot.states else 'none'}", path="pack")
        return json_response(to_json(PackInfo.of(state)))

    async def explain(self, request: Request) -> Response:
        """The comparison on a day (``?at=YYYY-MM-DD``, default today), each pack by its
        edition in force that day; a pack with none in force that day is left out."""
        from engine.core import today
        from engine.explain.comparison import compare
        from engine.vocabulary import parse_date

        day = today()
        if "at" in request.query_params:
            given = request.query_params["at"]
            parsed = parse_date(given)
            if parsed is None:
                raise RequestError(f"\"at\" must be a date as \"YYYY-MM-DD\", got {given!r}"
                                   f"{date_hint(given)}",
                                   path="at", code="bad-date")
            day = parsed
        snapshot = self.store.snapshot
        key = (snapshot.generation, day)
        cached = self._explained
        if cached is None or cached[0] != key:
            engine, editions = snapshot.engine, {}
            for pack_id in sorted(engine.packs):
                try:
                    editions[pack_id] = engine.edition(pack_id, day)
                except RequestError:        # no edition in force that day: not compared
                    continue
            data = to_json(compare(editions, day))
            cached = self._explained = (key, data)
        return json_response(cached[1])

    async def health(self, request: Request) -> Response:
        snapshot = self.store.snapshot
        failed = sum(1 for s in snapshot.states.values() if s.error is not None)
        return json_response(to_json(Health("ok", len(snapshot.engine.packs),
                                            failed + len(snapshot.unidentified),
                                            snapshot.generation)))

    async def openapi(self, request: Request) -> Response:
        from engine.service.openapi import document
        engine = self.store.snapshot.engine
        return json_response(document(sorted(engine.packs), max_batch=self.config.max_batch,
                                      bearer=bool(self.config.token_file),
                                      vocabulary=engine.vocabulary))


_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
                   r"(?::[0-9]{1,5})?\Z")


def _base_url(request: Request) -> str:
    """The service's URL as the client named it: its ``Host`` when that is a host name or
    address with an optional port, else the address the connection came in on (never a
    URL made of whatever a client put in ``Host``)."""
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        server = request.scope.get("server") or ("127.0.0.1", None)
        address = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        host = address if server[1] is None else f"{address}:{server[1]}"
    return f"{request.url.scheme}://{host}"


def _on_hangup(handler: Callable[[], None]) -> Callable[[], None]:
    """Run ``handler`` on the event loop at each SIGHUP; return what undoes that.

    Only the main thread can handle signals (not an application run in a test client's
    thread), and only where there is SIGHUP; elsewhere this does nothing.
    """
    hup = getattr(signal, "SIGHUP", None)
    if hup is None or threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = signal.signal(hup, lambda _sig, _frame: loop.call_soon_threadsafe(handler))

    def restore() -> None:
        signal.signal(hup, previous)
    return restore


def _as_authzen(error: RequestError) -> RequestError:
    """AuthZEN answers a request it cannot read with 400 (its HTTPS binding, §10.1.2)."""
    if isinstance(error, (MalformedInputError, InputTooLargeError, UnknownPackError)):
        return error
    return MalformedInputError(error.message, code=error.code, path=error.path)


def _unavailable(error: PolicyError) -> str:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"the pack this request names failed to load and is not served: {first}"


# ---- errors ----------------------------------------------------------------------------

async def on_policy_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PolicyError)
    if isinstance(exc, RequestError):
        status = exc.http_status
        # a body not read to its end: close the connection rather than read on
        close = {"Connection": "close"} if status in (408, 413) else None
        return error_response(status, exc.code, exc.message, exc.path, headers=close)
    return error_response(503, "pack-unavailable", _unavailable(exc), "pack")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path
    bare = path.rstrip("/")
    hint = (f" (did you mean {bare}?)" if bare != path and
            any(getattr(r, "path", None) == bare for r in request.app.routes) else "")
    codes = {404: "not-found", 405: "method-not-allowed"}
    if exc.status_code in codes and wants_page(path, request.headers.get("accept", "")):
        # a person's browser, at no page of the desk: a page in the desk's language
        return page_response(exc.status_code, codes[exc.status_code], path, request.url.query,
                             request.app.state.service.config.playground, exc.headers)
    messages = {404: f"no such endpoint: {path}{hint}; see /openapi.json",
                405: f"{request.method} is not allowed on {path}"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http-error"),
                          messages.get(exc.status_code, str(exc.detail)), None,
                          headers=exc.headers)


async def on_client_gone(request: Request, exc: Exception) -> Response:
    """A client that went away in the middle of its body: one line, nothing decided."""
    client = "%s:%s" % tuple(request.client) if request.client else "a client"
    logger.info("%s closed the connection after %s bytes of the body of %s %s (request %s); "
                "nothing decided", client, exc.args[0] if exc.args else "?", request.method,
                printable(request.url.path), request.state.request_id)
    return Response(status_code=400)     # nobody reads it


async def on_internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("internal error on %s %s", request.method, printable(request.url.path),
                     exc_info=exc)
    return error_response(500, "internal", "an internal error of the decision service; it is "
                          "logged on the server")


def create_app(config: ServiceConfig) -> Starlette:
    """The ASGI application for ``config`` (packs load when the server starts)."""
    tokens = TokenFile(config.token_file) if config.token_file else None
    if tokens is not None:
        tokens.digests()       # read now: a missing file is logged at start, not at a request
    service = Service(config, tokens)
    app = Starlette(
        # the API's routes (described by /openapi.json), then the desk's pages for people
        routes=[*service.routes(), *desk_routes(lambda: service.store.snapshot.engine,
                                            config.playground)],
        middleware=[Middleware(Gate, tokens=tokens)],
        exception_handlers={PolicyError: on_policy_error, HTTPException: on_http_error,
                            ClientGone: on_client_gone, Exception: on_internal_error},
        lifespan=service.lifespan)
    app.router.redirect_slashes = False      # a redirect would be built from the Host header
    app.state.service = service
    return app


def configure_logging(level: int = logging.INFO) -> None:
    """Send the service's messages (reloads, pack errors, the log) to stderr."""
    root = logging.getLogger("policy")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def app_from_environment() -> Starlette:
    """The application for a worker of ``policy serve`` (config from the environment)."""
    configure_logging()
    config = converter().structure(json.loads(os.environ.get(CONFIG_ENV, "{}")), ServiceConfig)
    protocol.configure(protocol.ConnectionLimits(config.max_header_size, config.header_timeout))
    return create_app(config)
