"""Where a request was addressed: scheme, server, client and the root path the app sits under.

Every gateway terminates TLS and forwards ``Host``, ``X-Forwarded-Proto`` and
``X-Forwarded-Port``; those name the URL the client used, which is what generated links must
use. The client address is the gateway's own record of the peer, never a client-supplied
``X-Forwarded-For``.
"""

from __future__ import annotations

from .fields import FieldError, checked_text, shown
from .headers import native

__all__ = [
    "DEFAULT_DOMAIN_SUFFIXES",
    "client_at",
    "mount",
    "scheme_and_server",
    "stage_mount",
    "strip_prefix",
]

#: Hosts AWS gives an API or a function URL itself; requests to any other host came through
#: a custom domain, where a base path mapping (``base_path=``) may apply.
DEFAULT_DOMAIN_SUFFIXES = (".amazonaws.com", ".on.aws")

# The usual values, looked up rather than parsed.
_SCHEMES = {None: "https", "https": "https", "http": "http"}
_PORTS = {"443": 443, "80": 80}

# Addresses already worked out, by (Host, X-Forwarded-Proto, X-Forwarded-Port): behind one
# gateway they are the same for nearly every request. Bounded, as the Host is the client's.
_ADDRESSES: dict[tuple[str, str | None, str | None], tuple[str, tuple[str, int]]] = {}
_ADDRESSES_MAX = 256


def scheme_and_server(
    host_header: str | None, proto: str | None, port: str | None, fallback_host: str | None
) -> tuple[str, tuple[str, int]]:
    """``(scheme, (host, port))`` from ``Host`` and the forwarded headers (native strings),
    https:443 by default (a direct invoke carries none of them)."""
    if fallback_host is not None and not fallback_host.isascii():
        fallback_host = native(fallback_host)
    if host_header is None:
        return _address(fallback_host or "localhost", "", proto, port)
    key = (host_header, proto, port)
    address = _ADDRESSES.get(key)
    if address is None:
        address = _address(*_host_and_port(native(host_header)), proto, port)
        if len(_ADDRESSES) < _ADDRESSES_MAX:
            _ADDRESSES[key] = address
    return address


def _host_and_port(host: str) -> tuple[str, str]:
    """``Host`` split into the host and the port it names, if any."""
    if host.startswith("["):  # an IPv6 literal, "[2001:db8::1]:8080"
        end = host.find("]")
        if end > 0 and host[end + 1 : end + 2] == ":":
            return host[: end + 1], host[end + 2 :]
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
        return host, port
    return host, ""


def _address(
    host: str, host_port: str, proto: str | None, port: str | None
) -> tuple[str, tuple[str, int]]:
    scheme = _SCHEMES.get(proto) or _scheme(proto or "")
    if port:
        number = _PORTS.get(port) or port_number(port.rpartition(",")[2], "X-Forwarded-Port")
    elif host_port:
        number = port_number(host_port, "the Host header's port")
    else:
        number = 443 if scheme == "https" else 80
    return scheme, (host, number)


def _scheme(proto: str) -> str:
    # A proxy chain appends: the last value is the hop that reached the gateway.
    scheme = proto.rpartition(",")[2].strip().lower()
    if scheme not in ("https", "http"):
        raise FieldError(f"headers: X-Forwarded-Proto must be http or https, got {shown(proto)}")
    return scheme


def port_number(text: str, where: str) -> int:
    """A TCP port from its decimal text, or :class:`FieldError` naming ``where`` it was."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535:
        return int(text)
    raise FieldError(f"headers: {where} must be a port number, got {shown(text)}")


def client_at(source_ip: str | None) -> tuple[str, int] | None:
    """The client as the gateway records it (``sourceIp``): an address, never a port."""
    if source_ip is None:
        return None
    if source_ip.isascii() and source_ip.__class__ is str:
        return (source_ip, 0)
    raise ValueError("sourceIp")


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
    if stage is None or stage == "$default":
        return "", path
    if not stage.isascii():
        checked_text(stage)
    if stage and host.endswith(DEFAULT_DOMAIN_SUFFIXES):
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
