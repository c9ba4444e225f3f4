"""What a gateway knows about a request beyond its HTTP bytes, for building the events it sends.

``request_to_event`` (what AWS does: used by the emulator, ``lambgate event`` and the tests)
needs more than the request: the API's id and stage, the route that matched, the request id
and time. :class:`GatewayContext` carries them; its defaults describe a direct request to the
service's own default domain, so that ``request_to_event(request)`` alone gives a realistic
event.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ACCOUNT_ID", "DEFAULT_GATEWAY_CONTEXT", "REGION", "GatewayContext"]

#: The account id AWS's own documentation uses in its examples, for the local account
#: (e.g. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
ACCOUNT_ID = "123456789012"
#: The region events and ARNs name by default.
REGION = "us-east-1"


class GatewayContext:
    """The gateway's side of one request (treated as immutable)."""

    __slots__ = (
        "account_id",
        "api_id",
        "authorizer",
        "binary_media_types",
        "domain_name",
        "header_names",
        "path_parameters",
        "region",
        "request_id",
        "resource",
        "route_key",
        "stage",
        "stage_variables",
        "target_group_arn",
        "time_epoch_ms",
    )

    def __init__(
        self,
        *,
        request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_epoch_ms: int = 1_700_000_000_000,
        account_id: str = ACCOUNT_ID,
        api_id: str = "abcdef1234",
        region: str = REGION,
        domain_name: str | None = None,
        stage: str | None = None,
        resource: str | None = None,
        route_key: str | None = None,
        path_parameters: Mapping[str, str] | None = None,
        stage_variables: Mapping[str, str] | None = None,
        binary_media_types: tuple[str, ...] = (),
        target_group_arn: str = (
            f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/lambgate/"
            "6d0ecf831eec9f09"
        ),
        authorizer: Mapping[str, Any] | None = None,
        header_names: Mapping[str, str] | None = None,
    ) -> None:
        self.request_id = request_id
        self.time_epoch_ms = time_epoch_ms
        self.account_id = account_id
        self.api_id = api_id
        self.region = region
        #: ``requestContext.domainName``; by default the service's own domain for ``api_id``.
        #: (The ``Host`` header, which decides the URLs the app generates, is the request's.)
        self.domain_name = domain_name
        #: The stage name; by default taken from the request's root path.
        self.stage = stage
        #: REST ``resource`` / HTTP API route path template, e.g. ``/items/{id}``.
        self.resource = resource
        #: HTTP API ``routeKey`` as the route declares it (``ANY /{proxy+}``); by default the
        #: request's method with ``resource``, or ``$default``.
        self.route_key = route_key
        self.path_parameters = path_parameters
        self.stage_variables = stage_variables
        #: REST APIs decide ``isBase64Encoded`` by these (``*/*`` allowed); ALB and the 2.0
        #: formats decide by content type themselves.
        self.binary_media_types = binary_media_types
        self.target_group_arn = target_group_arn
        self.authorizer = authorizer
        #: How each header name is spelled in a REST event (lower-case name → spelling):
        #: REST passes names in the case the client sent them, where ``Request.headers`` has
        #: them lower-cased. Missing names stay lower-case.
        self.header_names = header_names

    def execute_api_domain(self) -> str:
        """The execute-api domain API Gateway gives an API of its own."""
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"


DEFAULT_GATEWAY_CONTEXT = GatewayContext()
