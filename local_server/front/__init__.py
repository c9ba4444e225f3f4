"""The HTTP front: the asyncio HTTP/1.1 server every port of the emulator stands on, parsing
with httptools (or h11 where httptools is not installed). The API and function URL fronts, each
execution environment's Runtime API and the Invoke API all listen through it. It owns the wire
and nothing above it: parsing requests into lambgate's neutral ``Request``, framing each
``Response`` back, keep-alive and pipelining, idle and slow-client timeouts, refusing smuggling,
and the limits API Gateway applies before any function runs (10 MB bodies, 10,240-byte heads).
It knows no event, route or function, and imports no other part of the emulator.
"""
