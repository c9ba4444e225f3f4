"""The resources a ``Ref`` or ``Fn::GetAtt`` may name, and the values they give locally.

SAM adds resources of its own (a function's role, the implicit ``ServerlessRestApi``), and
templates refer to them; nothing is deployed, so attributes get plausible ARNs and URLs in the
account and region used locally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .specs import TemplateError

__all__ = ["IMPLICIT_HTTP_API", "IMPLICIT_REST_API", "attribute_value", "resource_types"]

#: The logical ids of the APIs SAM makes for ``Api`` and ``HttpApi`` events that name none
#: ("An Api event source is specified", "An HttpApi event source is specified":
#: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html);
#: ``sam local start-api`` and ``lambgate serve APP`` name them the same.
IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"

_GETATT_SERVICE = {
    "AWS::Serverless::Function": "lambda",
    "AWS::Lambda::Function": "lambda",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::Serverless::StateMachine": "states",
    "AWS::Serverless::LayerVersion": "lambda",
    "AWS::IAM::Role": "iam",
}


def resource_types(resources: Mapping[str, Any]) -> dict[str, str]:
    """Logical ids a Ref or GetAtt may name, with the resources SAM adds itself."""
    types: dict[str, str] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(f"Resources.{logical_id}", "a resource needs a Type")
        resource_type = resource["Type"]
        types[logical_id] = resource_type
        if resource_type != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties") or {}
        if "Role" not in properties:
            types.setdefault(f"{logical_id}Role", "AWS::IAM::Role")
        if "FunctionUrlConfig" in properties:
            types.setdefault(f"{logical_id}Url", "AWS::Lambda::Url")
        for event in (properties.get("Events") or {}).values():
            event_properties = (event.get("Properties") or {}) if isinstance(event, dict) else {}
            kind = event.get("Type") if isinstance(event, dict) else None
            if kind == "Api" and "RestApiId" not in event_properties:
                types.setdefault(IMPLICIT_REST_API, "AWS::Serverless::Api")
            if kind == "HttpApi" and "ApiId" not in event_properties:
                types.setdefault(IMPLICIT_HTTP_API, "AWS::Serverless::HttpApi")
    return types


def attribute_value(
    resource: str, resource_type: str, attribute: str, *, region: str, account: str
) -> str:
    """A plausible value of the attribute: ARNs in the account and region used locally."""
    if resource_type == "AWS::Lambda::Url" and attribute == "FunctionUrl":
        return f"https://{resource.lower()}.lambda-url.{region}.on.aws/"
    if resource_type in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
        if attribute == "RootResourceId":
            return "a1b2c3d4e5"
        if attribute == "ApiEndpoint":
            return f"https://{resource.lower()}.execute-api.{region}.amazonaws.com"
    if attribute.endswith("Arn"):
        service = _GETATT_SERVICE.get(resource_type)
        if service is None:
            parts = resource_type.split("::")
            service = parts[1].lower() if len(parts) == 3 else "unknown"
        if service == "lambda":
            return f"arn:aws:lambda:{region}:{account}:function:{resource}"
        if service == "iam":
            return f"arn:aws:iam::{account}:role/{resource}"
        if service == "s3":
            return f"arn:aws:s3:::{resource.lower()}"
        if service == "dynamodb":
            return f"arn:aws:dynamodb:{region}:{account}:table/{resource}"
        return f"arn:aws:{service}:{region}:{account}:{resource}"
    if attribute == "QueueUrl":
        return f"https://sqs.{region}.amazonaws.com/{account}/{resource}"
    if attribute in ("QueueName", "TopicName", "Name"):
        return resource
    return f"{resource}.{attribute}"
