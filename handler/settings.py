"""``make_handler``'s options from ``LAMBGATE_*`` environment variables, read in this one place.

``lambgate.lambda_handler`` builds its handler from them, and so does ``lambgate serve`` inside
each execution environment, so an app behaves alike on Lambda and locally. Each option has one
variable; lists are comma-separated; a value that cannot be right fails the init, naming the
variable.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .types import Interface, LifespanMode, SourceName

__all__ = ["INTERFACES", "LIFESPAN_MODES", "HandlerSettings", "interface_setting", "read_settings"]

#: The values of ``interface=``, by their text.
INTERFACES: dict[str, Interface] = {"auto": "auto", "asgi": "asgi", "wsgi": "wsgi"}
#: The values of ``lifespan=``, by their text.
LIFESPAN_MODES: dict[str, LifespanMode] = {"auto": "auto", "on": "on", "off": "off"}


class HandlerSettings:
    """What the environment asks of ``make_handler`` (treated as immutable)."""

    __slots__ = (
        "app",
        "base_path",
        "exclude_headers",
        "interface",
        "lifespan",
        "root_in_path",
        "source",
        "text_mime_types",
        "timeout_margin_ms",
    )

    def __init__(
        self,
        *,
        app: str,
        interface: Interface,
        lifespan: LifespanMode,
        base_path: str | None,
        text_mime_types: list[str],
        exclude_headers: list[str],
        source: SourceName | None,
        timeout_margin_ms: int,
        root_in_path: bool | None,
    ) -> None:
        self.app = app
        self.interface = interface
        self.lifespan = lifespan
        self.base_path = base_path
        self.text_mime_types = text_mime_types
        self.exclude_headers = exclude_headers
        self.source = source
        self.timeout_margin_ms = timeout_margin_ms
        self.root_in_path = root_in_path


def interface_setting(env: Mapping[str, str]) -> str:
    """``LAMBGATE_INTERFACE`` as written (``auto`` when unset); the emulator reads it here too,
    and takes one more value there (``handler``, a plain Lambda handler function)."""
    return env.get("LAMBGATE_INTERFACE", "").strip() or "auto"


def read_settings(env: Mapping[str, str]) -> HandlerSettings:
    """The settings in ``env``, checked; :class:`ConfigurationError` names a bad variable."""
    app = env.get("LAMBGATE_APP")
    if not app:
        raise ConfigurationError(
            "lambgate.lambda_handler needs LAMBGATE_APP=package.module:attr in the environment"
        )
    margin = env.get("LAMBGATE_TIMEOUT_MARGIN_MS", "500")
    if not margin.strip().isdigit():
        raise ConfigurationError(f"LAMBGATE_TIMEOUT_MARGIN_MS must be milliseconds, not {margin!r}")
    interface = INTERFACES.get(interface_setting(env).lower())
    if interface is None:
        raise _not_one_of("LAMBGATE_INTERFACE", INTERFACES, env)
    lifespan = LIFESPAN_MODES.get(env.get("LAMBGATE_LIFESPAN", "").strip().lower() or "auto")
    if lifespan is None:
        raise _not_one_of("LAMBGATE_LIFESPAN", LIFESPAN_MODES, env)
    source = env.get("LAMBGATE_SOURCE", "").strip()
    return HandlerSettings(
        app=app,
        interface=interface,
        lifespan=lifespan,
        base_path=env.get("LAMBGATE_BASE_PATH") or None,
        text_mime_types=_words(env.get("LAMBGATE_TEXT_MIME_TYPES")),
        exclude_headers=_words(env.get("LAMBGATE_EXCLUDE_HEADERS")),
        source=_source(source) if source else None,
        timeout_margin_ms=int(margin),
        root_in_path=_flag(env, "LAMBGATE_ROOT_IN_PATH"),
    )


def _not_one_of(name: str, values: Mapping[str, str], env: Mapping[str, str]) -> ConfigurationError:
    return ConfigurationError(f"{name} must be {', '.join(values)}, not {env.get(name)!r}")


def _source(name: str) -> SourceName:
    from .events import get_source

    return get_source(name).name


def _words(text: str | None) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    text = env.get(name, "").strip().lower()
    if not text:
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {text!r}")
