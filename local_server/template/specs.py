"""What loading a SAM template gives back, and the one error it raises.

The specs are frozen, keyword-only value objects: the server, the router and the runtime read
them and never change them, and tests compare them whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "DEFAULT_ROUTE_PATH",
    "ApiKind",
    "ApiSpec",
    "CorsSpec",
    "FunctionSpec",
    "LayerSpec",
    "RouteSpec",
    "Template",
    "TemplateError",
    "UrlSpec",
    "WebSocketApiSpec",
    "WebSocketRouteSpec",
]

ApiKind = Literal["rest", "http"]
#: Path of an HTTP API's catch-all route; its route key is the same text.
DEFAULT_ROUTE_PATH = "$default"


class TemplateError(Exception):
    """The template cannot be served as written; ``location`` says where the problem is."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsSpec:
    """A CORS configuration, normalised from the three shapes SAM accepts."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlSpec:
    """A function URL (``FunctionUrlConfig``)."""

    auth_type: Literal["NONE", "AWS_IAM"]
    cors: CorsSpec | None = None
    #: ``InvokeMode``: ``RESPONSE_STREAM`` invokes with ``InvokeWithResponseStream`` and
    #: relays the function's chunks as they come
    #: (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html).
    invoke_mode: Literal["BUFFERED", "RESPONSE_STREAM"] = "BUFFERED"


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerSpec:
    """A layer of the template (``AWS::Serverless::LayerVersion``) whose content is local."""

    logical_id: str
    #: Absolute, as ``CodeUri``.
    content_uri: Path
    #: ``Metadata.BuildMethod`` (``python3.12``, ``makefile``); ``None``: not built.
    build_method: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionSpec:
    logical_id: str
    #: Absolute; relative ``CodeUri`` values are taken from the template's folder.
    code_uri: Path
    handler: str
    runtime: str
    #: Seconds (SAM's default: 3).
    timeout: int = 3
    #: MB (SAM's default: 128).
    memory_size: int = 128
    #: The resolved ``Environment.Variables``.
    variables: dict[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    function_url: UrlSpec | None = None
    #: The template's ``AWS::Region``: ``--parameter-overrides AWS::Region=...`` moves it.
    region: str = "us-east-1"
    #: ``Metadata.BuildMethod`` (``makefile``, ``python3.12``, …); ``None`` when not given.
    build_method: str | None = None
    #: Its ``Layers`` that the template defines with local content, in order.
    layers: tuple[LayerSpec, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSpec:
    logical_id: str
    kind: ApiKind
    stage_name: str
    binary_media_types: tuple[str, ...] = ()
    #: The payload format its routes use unless an event says otherwise.
    payload_format_version: str = "1.0"
    stage_variables: dict[str, str] = field(default_factory=dict)
    cors: CorsSpec | None = None
    #: Made by SAM from events without ``RestApiId``/``ApiId``.
    implicit: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteSpec:
    api_logical_id: str
    kind: ApiKind
    #: Upper case, or ``ANY``.
    method: str
    #: ``/items/{id}``, ``/{proxy+}`` or ``$default``.
    path: str
    function: str
    payload_format_version: str
    #: API Gateway's integration timeout for this route, in milliseconds.
    integration_timeout_ms: int
    #: The event's name under ``Events``, for messages and the start-up banner.
    event: str = ""
    #: A REST route whose integration's response transfer mode is ``STREAM`` (SAM's
    #: ``ResponseTransferMode: RESPONSE_STREAM``): the function is invoked with
    #: ``InvokeWithResponseStream`` and its chunks relayed as they come.
    streaming: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketRouteSpec:
    """One route of a WebSocket API: a route key and the function its integration invokes."""

    #: ``$connect``, ``$disconnect``, ``$default`` or a custom key (``sendmessage``).
    route_key: str
    function: str
    #: API Gateway's integration timeout for this route, in milliseconds.
    integration_timeout_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketApiSpec:
    """A WebSocket API (``AWS::Serverless::WebSocketApi`` or ``AWS::ApiGatewayV2::Api`` with
    ``ProtocolType: WEBSOCKET``)."""

    logical_id: str
    stage_name: str
    #: ``$request.body.action``: where in a message's JSON body its route key is.
    route_selection_expression: str
    routes: tuple[WebSocketRouteSpec, ...]
    stage_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    functions: dict[str, FunctionSpec]
    apis: dict[str, ApiSpec]
    routes: tuple[RouteSpec, ...]
    websocket_apis: dict[str, WebSocketApiSpec] = field(default_factory=dict)
    #: Parts of the template skipped because they do not change HTTP behaviour, each naming
    #: its location.
    warnings: tuple[str, ...] = ()
