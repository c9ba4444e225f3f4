"""Where a request was addressed: scheme, server, client and the root path the app sits under.

Every gateway terminates TLS and forwards ``Host``, ``X-Forwarded-Proto`` and
``X-Forwarded-Port``; those name the URL the client used, which is what generated links must
use. The client address is the gateway's own record of the peer, never a client-supplied
``X-Forwarded-For``.
"""

from __future__ import annotations

from ..model import Headers

__all__ = [
    "DEFAULT_DOMAIN_SUFFIXES",
    "forwarded_headers",
    "mount",
    "scheme_and_server",
    "stage_mount",
    "strip_prefix",
]

#: Hosts AWS gives an API or a function URL itself; requests to any other host came through
#: a custom domain, where a base path mapping (``base_path=``) may apply.
DEFAULT_DOMAIN_SUFFIXES = (".amazonaws.com", ".on.aws")


def forwarded_headers(headers: Headers) -> tuple[bytes | None, bytes | None, bytes | None]:
    """``Host``, ``X-Forwarded-Proto`` and ``X-Forwarded-Port`` from model headers."""
    host = proto = port = None
    for name, value in headers:
        if name == b"host":
            host = value
        elif name == b"x-forwarded-proto":
            proto = value
        elif name == b"x-forwarded-port":
            port = value
    return host, proto, port


def scheme_and_server(
    host_header: str | bytes | None,
    proto: str | bytes | None,
    port: str | bytes | None,
    fallback_host: str | None,
) -> tuple[str, tuple[str, int]]:
    """``(scheme, (host, port))`` from ``Host`` and the forwarded headers, https:443 by
    default (a direct invoke carries none of them)."""
    if isinstance(proto, bytes):
        proto = proto.decode("latin-1")
    if isinstance(port, bytes):
        port = port.decode("latin-1")
    # A proxy chain appends: the last value is the hop that reached the gateway.
    scheme = proto.rpartition(",")[2].strip().lower() if proto else "https"
    if host_header is None:
        host = fallback_host or "localhost"
    else:
        host = host_header if isinstance(host_header, str) else host_header.decode("latin-1")
        if host.startswith("["):  # an IPv6 literal, "[2001:db8::1]:8080"
            end = host.find("]")
            if end > 0 and host[end + 1 : end + 2] == ":":
                host, port = host[: end + 1], port or host[end + 2 :]
        elif host.count(":") == 1:
            host, _, host_port = host.partition(":")
            port = port or host_port
    if not port:
        return scheme, (host, 443 if scheme == "https" else 80)
    try:
        return scheme, (host, int(port.rpartition(",")[2]))
    except ValueError:
        return scheme, (host, 443 if scheme == "https" else 80)


def strip_prefix(path: str, prefix: str) -> str | None:
    """``path`` without a leading ``prefix`` segment, or ``None`` if it does not lead."""
    if path == prefix:
        return "/"
    if path.startswith(prefix) and path[len(prefix)] == "/":
        return path[len(prefix) :]
    return None


def stage_mount(path: str, stage: str | None, host: str) -> tuple[str, str]:
    """``(root_path, path)`` for HTTP APIs, whose path leads with a named stage
    (``/dev/items``) on the execute-api domain; ``$default`` and custom domains add none."""
    if stage and stage != "$default" and host.endswith(DEFAULT_DOMAIN_SUFFIXES):
        rest = strip_prefix(path, "/" + stage)
        if rest is not None:
            return "/" + stage, rest
    return "", path


def mount(path: str, root: str, host: str, base_path: str) -> tuple[str, str]:
    """``(root_path, path)`` once a custom domain's ``base_path`` is accounted for.

    On a custom domain the API mapping's base path may or may not lead the path (REST keeps
    it, HTTP APIs drop it), but links the app generates must carry it either way. On AWS's
    own domains there is no mapping, so ``base_path`` does not apply.
    """
    if not base_path or host.endswith(DEFAULT_DOMAIN_SUFFIXES) or root.endswith(base_path):
        return root, path
    rest = strip_prefix(path, base_path)
    return root + base_path, path if rest is None else rest
