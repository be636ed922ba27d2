"""HTTP in and out for the service: JSON bodies, error bodies, request ids, tokens.

:func:`read_json` reads a request body within the size limit and deadline, and
:func:`parse_json` parses it strictly (``engine.json_input``, the reader every surface
shares): UTF-8, JSON without ``NaN`` or repeated keys, integers Python can convert,
nesting no deeper than ``engine.json_input.MAX_DEPTH``. Anything else raises one of the
project's request errors (``engine.errors``), which the service answers with 400, 413
or 422. :func:`json_response` and :func:`error_response` are the way out, the error body
being ``{"error": {"code", "message", "path"}}``.

:class:`Gate` is the ASGI middleware in front of every endpoint: it keeps or makes the
request id (``X-Request-ID``) and, when the service has tokens, checks the bearer token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
from typing import Any, Mapping

import attrs
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.service import decision_log as dlog
from engine.errors import InputTooLargeError, RequestError
from engine.json_input import parse_json  # the one JSON reader, shared by every surface
from engine.serialization import dumps, to_json


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
    """JSON-ready ``data`` as compact UTF-8 JSON (``engine.serialization.dumps``)."""
    return Response(dumps(data), status, headers, media_type="application/json")


def json_bytes_response(body: bytes, status: int = 200) -> Response:
    """A response whose JSON is already encoded (UTF-8)."""
    return Response(body, status, media_type="application/json")


def error_response(status: int, code: str, message: str, path: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    return json_response(to_json(ErrorBody(ErrorDetail(code, message, path))), status, headers)


# ---- JSON in ----------------------------------------------------------------------------

class BodyTimeoutError(RequestError):
    """The request body did not arrive in time (HTTP 408; the connection is closed)."""

    code = "body-timeout"
    http_status = 408


class ClientGone(Exception):
    """The client closed the connection before its request body was complete."""


async def read_json(request: Request, max_body: int, timeout: float | None = None) -> Any:
    """The request body as JSON, within the limits; bad input raises a RequestError.

    ``max_body`` is in bytes (413 above it); the whole body must arrive within
    ``timeout`` seconds (408, :class:`BodyTimeoutError`). A client that goes away
    before its body is complete raises :class:`ClientGone`.
    """
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_body:
        raise _too_large(max_body)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_body:
                    raise _too_large(max_body)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeoutError(f"the request body did not arrive within {timeout:g} seconds "
                               f"({size} bytes came); send it at once", path="$") from None
    except ClientDisconnect:
        raise ClientGone(size) from None
    return parse_json(b"".join(chunks))


def _too_large(max_body: int) -> InputTooLargeError:
    return InputTooLargeError(f"the request body is larger than {max_body} bytes; send fewer "
                              "requests at a time", path="$")


# ---- request id and bearer tokens ------------------------------------------------------

MAX_REQUEST_ID = 256   # characters of a client's X-Request-ID kept and echoed

logger = logging.getLogger("policy.service")


def request_id_of(given: bytes | None) -> str:
    """The client's ``X-Request-ID`` when it is 1 to 256 printable ASCII characters
    (space included; surrounding blanks dropped), else a new id of 32 hex digits."""
    if given is not None:
        given = given.strip(b" \t")
        if 0 < len(given) <= MAX_REQUEST_ID and given.isascii():
            text = given.decode("ascii")
            if text.isprintable():
                return text
    return dlog.new_id()


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\x1b``, ``\\u2028``),
    for a log line that only ever shows what it says."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else
                   (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                    if ord(c) < 65536 else f"\\U{ord(c):08x}") for c in text)


def read_tokens(path: str) -> tuple[bytes, ...]:
    """The sha256 digests of the tokens in a token file (one a line; # comments)."""
    with open(path, encoding="utf-8-sig") as f:   # a byte-order mark is not a token
        lines = [line.strip() for line in f]
    tokens = [line for line in lines if line and not line.startswith("#")]
    if not tokens:
        raise ValueError(f"the token file {path} holds no token (one token a line)")
    return tuple(hashlib.sha256(t.encode("utf-8")).digest() for t in tokens)



class TokenFile:
    """The tokens of a token file as the file is now, in every worker alike.

    :meth:`digests` looks at the file (``os.stat``: device, inode, size, times) on every
    call and reads it again when it has changed, so all workers, and a worker started
    later, accept the same tokens at every moment; :meth:`reload` (on SIGHUP) reads it
    even when it looks unchanged. While the file is missing, unreadable or holds no
    token, no token is accepted (one error is logged per change of the file), so a
    removed token file revokes every token.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._seen: object = None
        self._digests: tuple[bytes, ...] = ()
        self._failing = False

    def digests(self) -> tuple[bytes, ...]:
        try:
            st = os.stat(self.path)
            seen: object = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except OSError as e:
            seen = e.errno
        if seen != self._seen:
            self._read(seen)
        return self._digests

    def reload(self) -> None:
        self._seen = None
        self.digests()

    def _read(self, seen: object) -> None:
        self._seen = seen
        try:
            self._digests = read_tokens(self.path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            self._digests, self._failing = (), True
            logger.error("token file %s: %s; no token is accepted until it is fixed",
                         self.path, getattr(e, "strerror", None) or e)
            return
        if self._failing:
            self._failing = False
            logger.info("token file %s: %d tokens accepted again", self.path,
                        len(self._digests))


class Gate:
    """ASGI middleware: the request id (``X-Request-ID``) and the bearer-token check.

    A client's ``X-Request-ID`` is kept when it is printable (:func:`request_id_of`),
    otherwise one is made; it is echoed on the response and recorded with the
    decisions. With a token file, every path but ``/healthz`` needs ``Authorization:
    Bearer TOKEN``; the token's digest is compared with every known digest in constant
    time.
    """

    def __init__(self, app: ASGIApp, tokens: TokenFile | None = None) -> None:
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
        request_id = request_id_of(given_id)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if self.tokens is not None and scope["path"] != "/healthz":
            problem = self._check(authorization, self.tokens.digests())
            if problem is not None:
                challenge = {"WWW-Authenticate": 'Bearer realm="policy"'}
                from engine.desk.error_page import page_response, wants_page
                accept = next((v for n, v in scope["headers"] if n == b"accept"), b"")
                response: Response
                if wants_page(scope["path"], accept.decode("latin-1")):
                    # a person's browser: the desk's page saying a key is needed
                    response = page_response(
                        401, "unauthorized", scope["path"],
                        scope.get("query_string", b"").decode("latin-1"), headers=challenge)
                else:
                    response = error_response(401, "unauthorized", problem, headers=challenge)
                await response(scope, receive, send_with_id)
                return
        await self.app(scope, receive, send_with_id)

    @staticmethod
    def _check(authorization: bytes | None, digests: tuple[bytes, ...]) -> str | None:
        scheme, _, token = (authorization or b"").partition(b" ")
        if not authorization or scheme.lower() != b"bearer" or not token.strip():
            return "this service needs a bearer token: send 'Authorization: Bearer TOKEN'"
        digest = hashlib.sha256(token.strip()).digest()
        known = False
        for candidate in digests:
            known |= hmac.compare_digest(digest, candidate)
        return None if known else "the bearer token is not valid for this service"
