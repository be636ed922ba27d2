"""The HTTP/1.1 connection of ``policy serve``: uvicorn's httptools protocol with limits.

uvicorn bounds neither the size of a request's header section under httptools (its
``h11_max_incomplete_event_size`` applies to h11 only) nor the time a client may take to
send it: a 64 MB header was read whole, and a client that sends a byte now and then held
its socket for ever. :class:`LimitedHttpToolsProtocol` adds both:

- the request line and headers of one request may take at most ``max_header_size``
  bytes; a larger header section is answered ``431`` (the service's error body,
  ``code: header-too-large``) and the connection closed, after reading at most that
  many bytes plus one read of the socket;
- they must arrive within ``header_timeout`` seconds of the connection opening (or of
  the first byte of the next request on a kept-alive connection); a client that is
  slower gets ``408`` (``code: header-timeout``) and the connection is closed, or the
  connection is simply closed when nothing of a request had come.

The body's deadline is the application's (``engine.service.http_io.read_json``), the
idle time between requests uvicorn's ``--timeout-keep-alive``. The limits come from the
service configuration in the environment (:func:`configure`, called by every worker
before it serves), since uvicorn builds one protocol object per connection itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import attrs
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger("policy.service")


@attrs.frozen
class ConnectionLimits:
    max_header_size: int = 32768        # bytes: request line and headers of one request
    header_timeout: float = 10.0        # seconds to send them


_limits = ConnectionLimits()


def configure(limits: ConnectionLimits) -> None:
    """Set the limits of the connections this process accepts from now on."""
    global _limits
    _limits = limits


def _refusal(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message, "path": None}},
                      separators=(",", ":")).encode("ascii")
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode("ascii") + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """httptools' HTTP/1.1 with a bounded header section and a header deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_header = _limits.max_header_size
        self._header_timeout = _limits.header_timeout
        self._awaiting_headers = True     # between requests, or inside a header section
        self._header_bytes = 0            # bytes of the current header section so far
        self._began_in_chunk = False
        self._ended_in_chunk = False      # did a request end in the chunk being read?
        self._has_bytes = False           # has anything of the current request come?
        self._header_timer: asyncio.TimerHandle | None = None

    # ---- the connection -----------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers:
            self._has_bytes = True
            if self._header_timer is None:
                self._arm()
        self._began_in_chunk = self._ended_in_chunk = False
        super().data_received(data)
        if not self._awaiting_headers or self.transport.is_closing():
            return
        if self._began_in_chunk:     # what of this chunk belongs to the new request
            self._header_bytes += len(self.url) + sum(len(n) + len(v) + 4
                                                      for n, v in self.headers or ())
        elif not self._ended_in_chunk:    # (the end of a body is no header of the next)
            self._header_bytes += len(data)
        if self._header_bytes > self._max_header:
            self._refuse(431, "Request Header Fields Too Large", "header-too-large",
                         f"the request line and headers are larger than {self._max_header} "
                         "bytes (--max-header-size)")

    # ---- parser callbacks -----------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._began_in_chunk = True

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._ended_in_chunk = True
        self._has_bytes = False

    # ---- the deadline ----------------------------------------------------------------
    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._header_timeout, self._header_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_late(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm()  # a response is being made; the next request waits for it
            return
        if not self._has_bytes:
            self.transport.close()       # an idle connection: nothing to answer
            return
        self._refuse(408, "Request Timeout", "header-timeout",
                     f"the request line and headers did not arrive within "
                     f"{self._header_timeout:g} seconds (--header-timeout)")

    def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
        client = "%s:%d" % self.client if self.client else "a client"
        logger.info("%s: %d %s; connection closed", client, status, code)
        self._disarm()
        self.transport.write(_refusal(status, reason, code, message))
        self.transport.close()
