"""HTTP in and out for the service: JSON bodies, error bodies, request ids, tokens.

:func:`read_json` reads a request body within the size limit and :func:`parse_json`
parses it strictly (``engine.json_input``, the reader every surface shares): UTF-8, JSON
without ``NaN`` or repeated keys, integers Python can convert, nesting no deeper than
:data:`MAX_DEPTH`. Anything else raises one of the
project's request errors (``engine.errors``), which the service answers with 400, 413
or 422. :func:`json_response` and :func:`error_response` are the way out, the error body
being ``{"error": {"code", "message", "path"}}``.

:class:`Gate` is the ASGI middleware in front of every endpoint: it keeps or makes the
request id (``X-Request-ID``) and, when the service has tokens, checks the bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any, Mapping

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.service import decision_log as dlog
from engine.errors import InputTooLargeError, MalformedInputError, RequestError
from engine.serialization import to_json
from engine.json_input import MAX_DEPTH, MAX_INT_DIGITS, parse_json  # the one JSON reader



# ---- JSON out ---------------------------------------------------------------------------

@attrs.frozen
class ErrorDetail:
    code: str
    message: str
    path: str | None


@attrs.frozen
class ErrorBody:
    error: ErrorDetail


def json_response(data: Any, status: int = 200,
                  headers: Mapping[str, str] | None = None) -> Response:
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate from the request, quoted in a message
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return Response(body, status, headers, media_type="application/json")


def json_text_response(text: str, status: int = 200) -> Response:
    """A response whose JSON is already encoded (text free of lone surrogates)."""
    return Response(text.encode("utf-8"), status, media_type="application/json")


def error_response(status: int, code: str, message: str, path: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    return json_response(to_json(ErrorBody(ErrorDetail(code, message, path))), status, headers)


# ---- JSON in ----------------------------------------------------------------------------

async def read_json(request: Request, max_body: int) -> Any:
    """The request body as JSON, within the limits; bad input raises a RequestError."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_body:
        raise _too_large(max_body)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise _too_large(max_body)
        chunks.append(chunk)
    return parse_json(b"".join(chunks))


def _too_large(max_body: int) -> InputTooLargeError:
    return InputTooLargeError(f"the request body is larger than {max_body} bytes; send fewer "
                              "requests at a time", path="$")


# ---- request id and bearer tokens ------------------------------------------------------

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}\Z")


def read_tokens(path: str) -> tuple[bytes, ...]:
    """The sha256 digests of the tokens in a token file (one a line; # comments)."""
    with open(path, encoding="utf-8-sig") as f:   # a byte-order mark is not a token
        lines = [line.strip() for line in f]
    tokens = [line for line in lines if line and not line.startswith("#")]
    if not tokens:
        raise ValueError(f"the token file {path} holds no token (one token a line)")
    return tuple(hashlib.sha256(t.encode("utf-8")).digest() for t in tokens)


class Gate:
    """ASGI middleware: the request id (``X-Request-ID``) and the bearer-token check.

    A client's ``X-Request-ID`` (up to 128 of ``A-Za-z0-9._:@/+=-``) is kept, otherwise
    one is made; it is echoed on the response and recorded with the decisions. With
    tokens, every path but ``/healthz`` needs ``Authorization: Bearer TOKEN``; the
    token's digest is compared with every known digest in constant time.
    """

    def __init__(self, app: ASGIApp, tokens: tuple[bytes, ...] | None = None) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given_id = authorization = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given_id = value
            elif name == b"authorization":
                authorization = value
        request_id = (given_id.decode("ascii") if given_id and _REQUEST_ID.match(given_id)
                      else dlog.new_id())
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if self.tokens is not None and scope["path"] != "/healthz":
            problem = self._check(authorization)
            if problem is not None:
                response = error_response(401, "unauthorized", problem, headers={
                    "WWW-Authenticate": 'Bearer realm="policy"'})
                await response(scope, receive, send_with_id)
                return
        await self.app(scope, receive, send_with_id)

    def _check(self, authorization: bytes | None) -> str | None:
        scheme, _, token = (authorization or b"").partition(b" ")
        if not authorization or scheme.lower() != b"bearer" or not token.strip():
            return "this service needs a bearer token: send 'Authorization: Bearer TOKEN'"
        digest = hashlib.sha256(token.strip()).digest()
        known = False
        for candidate in self.tokens or ():
            known |= hmac.compare_digest(digest, candidate)
        return None if known else "the bearer token is not valid for this service"
