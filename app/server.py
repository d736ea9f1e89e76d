"""How uvicorn serves the app: timeouts and limits against slow and greedy clients.

uvicorn closes an idle kept-alive connection after `timeout_keep_alive`, but it has no
deadline for a request's head: a client that connects and sends its headers a byte at a time
(slowloris) holds the connection for as long as it likes. `HeadDeadlineH11Protocol` is
uvicorn's h11 protocol with that deadline: the head of each request must be complete within
`TOMOBENCH_HTTP_HEADER_TIMEOUT_S` of the connection opening (or of the previous answer),
else the connection is closed. The request body has its own deadline in
`app.middleware.BodyReadDeadline`. In production a reverse proxy in front adds its own
timeouts (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.core.config import Settings


@functools.cache
def _header_timeout_s() -> float:
    # each web process reads it from the environment `tomobench serve` exported
    return Settings().http_header_timeout_s


class HeadDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose next request head is late."""

    _head_timer: asyncio.TimerHandle | None = None
    _head_cycle: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not self._head_cycle:
            self._cancel_head_deadline()  # a new request's head has arrived in time

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()  # the next request on this connection

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self._head_cycle = self.cycle
        self._head_timer = self.loop.call_later(_header_timeout_s(), self._head_too_late)

    def _cancel_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_late(self) -> None:
        self._head_timer = None
        waiting = self.cycle is self._head_cycle
        idle = self.cycle is None or self.cycle.response_complete  # not inside a request
        if waiting and idle and not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `uvicorn.run` (or `--option` flags) that bound slow clients."""
    return {
        "http": f"{__name__}:HeadDeadlineH11Protocol",
        "timeout_keep_alive": settings.http_keep_alive_s,
        "limit_concurrency": settings.http_limit_concurrency,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
    }
