"""The :class:`~lambgate.local.front.wire.Wire` on h11: pure Python, always installed.

h11 does the parsing, the framing and the connection's state; this adapter maps its events to
the wire's and adds what h11 leaves to servers: refusing a request that names both
``Transfer-Encoding`` and ``Content-Length``.
"""

from __future__ import annotations

import h11

from .wire import InvalidResponse, Refused, RequestHead, Signal, WireEvent, reason_phrase

__all__ = ["H11Wire", "smuggling_risk"]

_CONTINUE = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")


def smuggling_risk(event: h11.Request) -> bool:
    """Whether the request names both Transfer-Encoding and Content-Length.

    h11 lets Transfer-Encoding win, as RFC 9112 allows, but a proxy in front of us may have
    framed the body by Content-Length instead; RFC 9112 section 6.1 says such a message
    "ought to be handled as an error", and answering 400 closes the smuggling door.
    (h11 itself refuses conflicting Content-Length values; llhttp refuses both cases.)
    """
    names = {name for name, _ in event.headers}
    return b"transfer-encoding" in names and b"content-length" in names


class H11Wire:
    """One server connection of h11, seen through the wire's interface."""

    def __init__(self, max_incomplete_head: int) -> None:
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_incomplete_head)
        self._trailers: list[tuple[bytes, bytes]] = []

    def receive_data(self, data: bytes) -> None:
        self._h11.receive_data(data)

    def next_event(self) -> WireEvent:
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as error:
            raise Refused(error.error_status_hint, str(error)) from None
        if event is h11.NEED_DATA:
            return Signal.NEED_DATA
        if isinstance(event, h11.Data):
            return bytes(event.data)
        if isinstance(event, h11.EndOfMessage):
            self._trailers = list(event.headers)
            return Signal.END_OF_MESSAGE
        if isinstance(event, h11.Request):
            if smuggling_risk(event):
                raise Refused(400, "both Transfer-Encoding and Content-Length")
            return RequestHead(
                method=event.method.decode("ascii"),
                target=bytes(event.target),
                http_version=bytes(event.http_version),
                # h11 hands names lower-cased and values as sent (surrounding blanks trimmed,
                # as RFC 9112 requires); repeats stay in arrival order.
                headers=list(event.headers),
                raw_names=[name for name, _ in event.headers.raw_items()],
            )
        # ConnectionClosed; or PAUSED, which h11 only reports past a complete request.
        return Signal.CLOSED

    @property
    def trailers(self) -> list[tuple[bytes, bytes]]:
        return self._trailers

    @property
    def head_pending(self) -> bool:
        return bool(self._h11.trailing_data[0])

    @property
    def more_received(self) -> bool:
        return bool(self._h11.trailing_data[0])

    @property
    def expects_continue(self) -> bool:
        return self._h11.they_are_waiting_for_100_continue

    def continue_bytes(self) -> bytes:
        return self._h11.send(_CONTINUE) or b""

    def response_bytes(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        try:
            # Building the event validates it without touching the connection's state.
            head = h11.Response(status_code=status, headers=headers, reason=reason_phrase(status))
        except h11.LocalProtocolError as error:
            raise InvalidResponse(str(error)) from None
        data = self._h11.send(head) or b""
        if body:
            data += self._h11.send(h11.Data(data=body)) or b""
        return data + (self._h11.send(h11.EndOfMessage()) or b"")

    def streamed_head_bytes(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        try:
            head = h11.Response(status_code=status, headers=headers, reason=reason_phrase(status))
        except h11.LocalProtocolError as error:
            raise InvalidResponse(str(error)) from None
        # With no Content-Length, h11 frames chunked for HTTP/1.1 and to the close for 1.0.
        return self._h11.send(head) or b""

    def chunk_bytes(self, data: bytes) -> bytes:
        return self._h11.send(h11.Data(data=data)) or b""

    def end_bytes(self) -> bytes:
        return self._h11.send(h11.EndOfMessage()) or b""

    @property
    def response_started(self) -> bool:
        return self._h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE)

    @property
    def reusable(self) -> bool:
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    def start_next_cycle(self) -> None:
        self._h11.start_next_cycle()
