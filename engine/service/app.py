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

Every request takes the pack store's snapshot once (``engine.service.reload``), so a reload
never shows it a half-loaded pack. Bad input is one of the project's errors
(``engine.errors``), answered as ``{"error": {"code", "message", "path"}}`` with 400
(not JSON), 404 (unknown pack), 413 (too large) or 422 (well-formed but invalid), and
503 for a pack that failed to load and has no good version; nothing a client sends
gives a 500. Decisions are recorded by the decision log plugin
(``engine.service.decision_log``), one unit of work per HTTP request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
from typing import Any, AsyncIterator

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.service import authzen
from engine.service import decision_log as dlog
from engine.core import Engine
from engine.errors import (InputTooLargeError, MalformedInputError, PolicyError, RequestError,
                           UnknownPackError, did_you_mean, one_of)
from engine.service.http_io import (Gate, error_response, json_response, json_text_response, read_json,
                            read_tokens)
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


# ---- response bodies -----------------------------------------------------------------

@attrs.frozen
class Batch:
    requests: list[Any]


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

    @classmethod
    def of(cls, state: PackState) -> "PackInfo":
        errors = Problem.list_from(state.error) if state.error is not None else []
        item = state.loaded
        if item is None:
            return cls(state.id, state.status, origin=state.origin, failed_at=state.failed_at,
                       errors=errors)
        pack = item.pack
        return cls(state.id, state.status, pack.name, pack.version, pack.document, pack.dated,
                   len(pack.rules), item.source.origin, item.plugin, item.distribution,
                   state.digest, state.loaded_at, state.failed_at, errors)


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

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
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
        if self.writer is not None:
            self.writer.open()
        self.store.reload()
        stop = asyncio.Event()
        watcher = (asyncio.create_task(self.store.watch(
            stop, self.config.packs, self.config.watch_interval, self.config.watch_settle))
                   if self.config.watch else None)
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            if self.writer is not None:
                self.writer.close()
                logger.info("decision log %s flushed and closed (%d entries written)",
                            self.writer.path, self.writer.written)

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
                          pack_digests=snapshot.digests)

    # ---- decisions ---------------------------------------------------------------
    async def decide(self, request: Request) -> Response:
        data = await read_json(request, self.config.max_body)
        snapshot = self.store.snapshot
        with self._unit(request, snapshot) as unit:
            decision = snapshot.engine.decide_request(data)
            unit.commit()
        return json_text_response(dlog.decision_json(decision))

    async def decide_batch(self, request: Request) -> Response:
        data = await read_json(request, self.config.max_body)
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
        # {"decisions": [...]}, each decision's JSON encoded once (dlog.decision_json)
        return json_text_response(
            '{"decisions":[' + ",".join(map(dlog.decision_json, decisions)) + "]}")

    # ---- AuthZEN -----------------------------------------------------------------
    async def evaluation(self, request: Request) -> Response:
        try:
            data = await read_json(request, self.config.max_body)
            snapshot = self.store.snapshot
            parts = authzen.evaluation_request(data)
            answer = self._evaluate(request, snapshot, parts)
        except RequestError as e:
            raise _as_authzen(e) from None
        return json_response(to_json(answer))

    async def evaluations(self, request: Request) -> Response:
        try:
            data = await read_json(request, self.config.max_body)
            snapshot = self.store.snapshot
            semantic, items = authzen.evaluations_request(data, self.config.max_batch)
            if items is None:        # §7.1: no list is one evaluation, answered as such
                answer = self._evaluate(request, snapshot, authzen.evaluation_request(data))
                return json_response(to_json(answer))
        except RequestError as e:
            raise _as_authzen(e) from None
        answers = []
        for index, parts in enumerate(items):
            try:
                answer = self._evaluate(request, snapshot, parts, index)
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
                  index: int | None = None) -> authzen.Answer:
        with self._unit(request, snapshot, "authzen", batch=index is not None) as unit:
            unit.authzen = authzen.log_details(parts)
            unit.count = index or 0
            answer = authzen.decide(snapshot.engine, parts)
            unit.commit()
        return answer

    async def authzen_configuration(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
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
            raise UnknownPackError(
                f"unknown pack '{pack_id}'{did_you_mean(pack_id, snapshot.states)}; packs are "
                f"{one_of(snapshot.states) if snapshot.states else 'none'}", path="pack")
        return json_response(to_json(PackInfo.of(state)))

    async def explain(self, request: Request) -> Response:
        from engine.core import today
        from engine.explain.comparison import compare

        snapshot = self.store.snapshot
        key = (snapshot.generation, today())
        cached = self._explained
        if cached is None or cached[0] != key:
            packs = snapshot.engine.packs
            data = to_json(compare({p: packs[p] for p in sorted(packs)}, key[1]))
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
        return json_response(document(sorted(self.store.snapshot.engine.packs),
                                      max_batch=self.config.max_batch,
                                      bearer=bool(self.config.token_file)))


def _as_authzen(error: RequestError) -> RequestError:
    """AuthZEN answers a request it cannot read with 400 (its HTTPS binding, §10.1.2)."""
    if isinstance(error, (MalformedInputError, InputTooLargeError, UnknownPackError)):
        return error
    return MalformedInputError(error.message, code=error.code, path=error.path)


def _unavailable(error: PolicyError) -> str:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"the pack this request names failed to load and is not served: {first}"


# ---- errors ----------------------------------------------------------------------------

def status_of(error: PolicyError) -> int:
    if isinstance(error, MalformedInputError):
        return 400
    if isinstance(error, InputTooLargeError):
        return 413
    if isinstance(error, UnknownPackError):
        return 404
    if isinstance(error, RequestError):
        return 422
    return 503           # a pack that failed to load: the server cannot serve it


async def on_policy_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PolicyError)
    if isinstance(exc, RequestError):
        return error_response(status_of(exc), exc.code, exc.message, exc.path)
    return error_response(503, "pack-unavailable", _unavailable(exc), "pack")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not-found", 405: "method-not-allowed"}
    messages = {404: f"no such endpoint: {request.url.path}; see /openapi.json",
                405: f"{request.method} is not allowed on {request.url.path}"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http-error"),
                          messages.get(exc.status_code, str(exc.detail)), None,
                          headers=exc.headers)


async def on_internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("internal error on %s %s", request.method, request.url.path,
                     exc_info=exc)
    return error_response(500, "internal", "an internal error of the decision service; it is "
                          "logged on the server")


def create_app(config: ServiceConfig) -> Starlette:
    """The ASGI application for ``config`` (packs load when the server starts)."""
    tokens = read_tokens(config.token_file) if config.token_file else None
    service = Service(config)
    app = Starlette(
        routes=service.routes(),
        middleware=[Middleware(Gate, tokens=tokens)],
        exception_handlers={PolicyError: on_policy_error, HTTPException: on_http_error,
                            Exception: on_internal_error},
        lifespan=service.lifespan)
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
    return create_app(config)
