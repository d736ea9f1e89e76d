"""HTTP/1.1 over a bare socket: request targets are sent byte for byte (no client tidies
`..` or percent-escapes away), and request bodies can be streamed and cut off."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass

MAX_RESPONSE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RawResponse:
    """A parsed response: status, lower-cased headers, the de-chunked body."""

    status: int
    headers: dict[str, str]
    body: bytes


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


def parse_response(raw: bytes) -> RawResponse:
    """Split a whole response into its parts.

    Raises:
        ValueError: if `raw` holds no complete status line and headers.
    """
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError(f"no complete response in {raw[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return RawResponse(int(lines[0].split()[1]), headers, body)


def _read_all(connection: socket.socket, chunks: list[bytes] | None = None) -> bytes:
    """Everything the server sends until it closes; a reset after its answer ends the read
    with what had arrived (a server that refuses a body closes while the client sends)."""
    chunks = [] if chunks is None else chunks
    total = 0
    while total < MAX_RESPONSE_BYTES:
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            if not chunks:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def request(
    port: int, method: str, target: str, headers: dict[str, str] | None = None, timeout: float = 30
) -> RawResponse:
    """Send one request with `target` exactly as given; the response."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        return parse_response(_read_all(connection))


def stream_body(
    port: int, target: str, headers: dict[str, str], chunks: Iterable[bytes], timeout: float = 60
) -> tuple[RawResponse, int]:
    """POST a chunked body, stopping as soon as the server answers; the response and how
    many body bytes were sent before it did."""
    lines = [f"POST {target} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        # read on a thread from the start, so the answer is taken in as soon as it arrives,
        # before the reset that the server's close provokes while the body is still flowing
        received: list[bytes] = []
        errors: list[BaseException] = []

        def read() -> None:
            try:
                _read_all(connection, received)
            except OSError as error:
                errors.append(error)

        reader = threading.Thread(target=read, daemon=True)
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reader.start()
        try:
            for chunk in chunks:
                if received or not reader.is_alive():
                    break  # the server has answered (or closed): stop sending
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            else:
                connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after answering
        reader.join(timeout)
        if errors and not received:
            raise errors[0]
        return parse_response(b"".join(received)), sent
