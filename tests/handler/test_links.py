"""Links an app generates must lead back to it when a client follows them.

An API Gateway URL may carry a prefix the app never routes on: the REST stage on the
execute-api domain (``/prod``), a named HTTP API stage (``/dev``), or a custom domain's API
mapping (``/v1``). The adapter must hand that prefix to the app as SCRIPT_NAME / root_path, so
that ``url_for``, ``reverse`` and ``request.url_for`` put it back. Each test asks the app for
its links through one deployment, turns the link into the event that deployment's gateway
would send for it, and follows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from lambgate import make_handler
from tests.factories import (
    execute_api_domain,
    make_http_v1_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)
from tests.handler.apps import django_app, fastapi_app, flask_app

#: The apps with a URL builder (Falcon has none).
APPS: dict[str, Any] = {
    "flask": flask_app.app,
    "django-wsgi": django_app.wsgi_app,
    "django-asgi": django_app.asgi_app,
    "fastapi": fastapi_app.app,
}

CUSTOM_DOMAIN = "api.example.com"


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """Where a client reaches the function, and what the gateway does with the URL path.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html ;
    for HTTP APIs, "If you use API mappings to connect your stage to a custom domain name,
    rawPath won't provide the API mapping value. To access the API mapping for a custom domain
    name, use the path of format 1.0"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
    """

    kind: str  # "rest", "http-v1" or "http"
    stage: str
    #: A custom domain, or None for the API's own execute-api domain.
    domain: str | None = None
    #: The custom domain's API mapping, e.g. "/v1" ("" for none).
    mapping: str = ""
    #: What the function was made with: make_handler(base_path=...).
    base_path: str | None = None

    @property
    def host(self) -> str:
        return self.domain or execute_api_domain()

    @property
    def prefix(self) -> str:
        """What every URL of the app starts with, as the client sees it."""
        if self.domain:
            return self.mapping
        return "" if self.stage == "$default" else f"/{self.stage}"

    def event_for(self, url: str, method: str = "GET") -> dict[str, Any]:
        """The event the gateway sends when a client requests ``url``."""
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", self.host), url
        path = parts.path
        assert path.startswith(self.prefix), f"{url} is outside {self.host}{self.prefix}"
        domain = self.domain
        if self.kind == "rest":
            # The factory puts a custom domain's mapping back in front of the path, as REST
            # does; on the execute-api domain the stage leaves it.
            path = path.removeprefix(self.prefix) or "/"
            return make_rest_event(
                method=method, path=path, stage=self.stage, domain=domain, mapping=self.mapping
            )
        if self.kind == "http-v1":
            return make_http_v1_event(method=method, path=path, stage=self.stage, domain=domain)
        # rawPath keeps a named stage but never the custom domain's mapping.
        if domain is not None:
            path = path.removeprefix(self.mapping) or "/"
        return make_http_v2_event(method=method, path=path, stage=self.stage, domain=domain)


DEPLOYMENTS = {
    "rest-execute-api": Deployment(kind="rest", stage="prod"),
    "http-v1-named-stage": Deployment(kind="http-v1", stage="dev"),
    "http-named-stage": Deployment(kind="http", stage="dev"),
    "http-default-stage": Deployment(kind="http", stage="$default"),
    "rest-custom-domain": Deployment(kind="rest", stage="prod", domain=CUSTOM_DOMAIN),
    "http-custom-domain": Deployment(kind="http", stage="$default", domain=CUSTOM_DOMAIN),
    "rest-custom-domain-v1": Deployment(
        kind="rest", stage="prod", domain=CUSTOM_DOMAIN, mapping="/v1", base_path="/v1"
    ),
    "http-v1-custom-domain-v1": Deployment(
        kind="http-v1", stage="$default", domain=CUSTOM_DOMAIN, mapping="/v1", base_path="/v1"
    ),
    "http-custom-domain-v1": Deployment(
        kind="http", stage="$default", domain=CUSTOM_DOMAIN, mapping="/v1", base_path="/v1"
    ),
    # The same function keeps working on its own execute-api URL, where no mapping applies.
    "rest-execute-api-with-base-path": Deployment(kind="rest", stage="prod", base_path="/v1"),
    "http-named-stage-with-base-path": Deployment(kind="http", stage="dev", base_path="/v1"),
}

_handlers: dict[tuple[str, str | None], Callable[[Any, Any], dict[str, Any]]] = {}


def call(app_name: str, deployment: Deployment, event: dict[str, Any]) -> dict[str, Any]:
    key = (app_name, deployment.base_path)
    if key not in _handlers:
        _handlers[key] = make_handler(APPS[app_name], base_path=deployment.base_path)
    return _handlers[key](event, make_lambda_context())


def header(result: dict[str, Any], name: str) -> str:
    """A single-valued response header from either header map of a result."""
    for key, value in (result.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        if key.lower() == name:
            (value,) = values
            return str(value)
    raise AssertionError(f"no {name} header in {result}")


def follow(app_name: str, deployment: Deployment, url: str) -> dict[str, Any]:
    """Request ``url`` through ``deployment``: it must reach the echo route for ``x``."""
    result = call(app_name, deployment, deployment.event_for(url))
    assert result["statusCode"] == 200, result
    echo = json.loads(result["body"])
    assert echo["path"] == "/echo/x"
    assert echo["root_path"] == deployment.prefix
    return echo


every_app_and_deployment = pytest.mark.parametrize(
    ("app_name", "deployment"),
    [
        pytest.param(app_name, deployment, id=f"{app_name}-{name}")
        for app_name in APPS
        for name, deployment in DEPLOYMENTS.items()
    ],
)


@every_app_and_deployment
def test_generated_links_carry_the_prefix_and_lead_back(
    app_name: str, deployment: Deployment
) -> None:
    page = f"https://{deployment.host}{deployment.prefix}/links"
    result = call(app_name, deployment, deployment.event_for(page))
    assert result["statusCode"] == 200, result
    links = json.loads(result["body"])
    target = f"{deployment.prefix}/echo/x"
    assert links == {"absolute": f"https://{deployment.host}{target}", "relative": target}
    follow(app_name, deployment, links["absolute"])
    follow(app_name, deployment, urljoin(page, links["relative"]))


@every_app_and_deployment
def test_redirect_location_leads_back(app_name: str, deployment: Deployment) -> None:
    """``redirect(url_for(...))``: Flask and Django send a path, Starlette an absolute URL;
    either way the browser resolves it against the page and must land on the route."""
    page = f"https://{deployment.host}{deployment.prefix}/go"
    result = call(app_name, deployment, deployment.event_for(page))
    assert result["statusCode"] in (302, 307), result
    target = urljoin(page, header(result, "location"))
    assert target == f"https://{deployment.host}{deployment.prefix}/echo/x"
    follow(app_name, deployment, target)
