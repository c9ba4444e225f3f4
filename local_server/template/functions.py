"""``AWS::Serverless::Function`` resources, read into ``FunctionSpec``.

Only ``Zip`` functions with a local ``CodeUri`` folder are run; code in S3, inline code and
images are ``TemplateError`` rather than a function that cannot start. A function's HTTP
events are handed to the ``RouteCollector``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api_events import RouteCollector
from .cors import http_cors
from .function_variables import function_variables
from .globals import with_globals
from .intrinsics import IntrinsicResolver
from .properties import FUNCTION, FUNCTION_URL, FUNCTION_URL_CORS, check_properties
from .specs import FunctionSpec, LayerSpec, TemplateError, UrlSpec
from .values import scalar_text

__all__ = ["FunctionReader"]

#: Lambda's Python runtime identifiers: ``python3.9`` ... ``python3.14``.
_PYTHON_RUNTIME = re.compile(r"python3\.\d+")


@dataclass
class FunctionReader:
    """Reads each function in turn; one reader per template, sharing its warnings."""

    resolver: IntrinsicResolver
    #: The template's folder: relative ``CodeUri`` values start there.
    directory: Path
    #: The parsed ``--env-vars`` JSON.
    env_vars: Mapping[str, Any]
    #: The developer's shell environment: it overrides the template's declared variables.
    shell_env: Mapping[str, str]
    #: The template's ``Globals.Function``.
    global_properties: Any
    warnings: list[str]
    routes: RouteCollector
    #: The template's layers (:func:`.layers.read_layers`): a spec, or why it is not mounted.
    layers: Mapping[str, LayerSpec | str]

    def read(self, logical_id: str, raw: Mapping[str, Any], metadata: Any = None) -> FunctionSpec:
        location = f"Resources.{logical_id}.Properties"
        properties = {
            name: value
            for name, value in with_globals(self.global_properties, dict(raw)).items()
            if not self.resolver.removed(value, f"{location}.{name}")
        }
        if "InlineCode" in properties or "ImageUri" in properties:
            name = "InlineCode" if "InlineCode" in properties else "ImageUri"
            raise TemplateError(f"{location}.{name}", "only CodeUri folders are run locally")
        check_properties(properties, location, FUNCTION, self.warnings)
        resolve = self.resolver
        if "PackageType" in properties:
            package_type = resolve.text(properties["PackageType"], f"{location}.PackageType")
            if package_type != "Zip":
                raise TemplateError(f"{location}.PackageType", f"{package_type} is not run locally")
        for required in ("CodeUri", "Handler", "Runtime"):
            if required not in properties:
                raise TemplateError(f"{location}.{required}", "required (here or in Globals)")
        spec = FunctionSpec(
            logical_id=logical_id,
            code_uri=self._code_uri(properties["CodeUri"], f"{location}.CodeUri"),
            handler=resolve.text(properties["Handler"], f"{location}.Handler"),
            runtime=self._runtime(properties["Runtime"], f"{location}.Runtime"),
            timeout=resolve.whole_number(
                properties.get("Timeout", 3), f"{location}.Timeout", 1, 900
            ),
            memory_size=resolve.whole_number(
                properties.get("MemorySize", 128), f"{location}.MemorySize", 128, 10_240
            ),
            variables=function_variables(
                logical_id,
                properties.get("Environment"),
                location,
                resolver=resolve,
                env_vars=self.env_vars,
                shell_env=self.shell_env,
                warnings=self.warnings,
            ),
            architectures=self._architectures(properties.get("Architectures"), location),
            function_url=self._function_url(properties.get("FunctionUrlConfig"), location),
            region=resolve.text({"Ref": "AWS::Region"}, "AWS::Region"),
            build_method=_build_method(metadata),
            layers=self._layers(properties.get("Layers"), f"{location}.Layers"),
        )
        events = properties.get("Events") or {}
        if not isinstance(events, dict):
            raise TemplateError(f"{location}.Events", "expected a mapping of events")
        for name, event in events.items():
            self.routes.add_event(logical_id, str(name), event, f"{location}.Events.{name}")
        return spec

    def _runtime(self, value: Any, location: str) -> str:
        """A Lambda Python runtime (``python3.12``): the only kind lambgate runs
        (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html lists them)."""
        runtime = self.resolver.text(value, location)
        if not _PYTHON_RUNTIME.fullmatch(runtime):
            raise TemplateError(
                location, f"{runtime} is not a Python runtime; lambgate runs Python functions only"
            )
        return runtime

    def _layers(self, value: Any, location: str) -> tuple[LayerSpec, ...]:
        """The layers the template defines, in order; any other is said not to be mounted."""
        if value is None:
            return ()
        if not isinstance(value, list):
            raise TemplateError(location, "expected a list of layers")
        found = []
        for index, item in enumerate(value):
            target = item.get("Ref") if isinstance(item, dict) and len(item) == 1 else None
            layer = self.layers.get(target) if isinstance(target, str) else None
            if isinstance(layer, LayerSpec):
                found.append(layer)
                continue
            if isinstance(layer, str):
                why = f"{target} is not mounted locally: {layer}"
            else:
                name = self.resolver.resolve(item, f"{location}[{index}]")
                why = f"{name} is not in this template, so it is not mounted locally"
            self.warnings.append(f"{location}: {why}; imports from it fail")
        return tuple(found)

    def _code_uri(self, value: Any, location: str) -> Path:
        resolved = self.resolver.resolve(value, location)
        if isinstance(resolved, dict):
            raise TemplateError(
                location, "code in S3 ({Bucket, Key}) is not run locally; use a local folder"
            )
        text = scalar_text(resolved, location)
        if text.startswith("s3://"):
            raise TemplateError(location, f"code in S3 ({text}) is not run locally")
        path = (self.directory / text).resolve()
        if not path.is_dir():
            what = "an archive" if path.is_file() else "missing"
            raise TemplateError(location, f"{path} is {what}; CodeUri must be a source folder")
        return path

    def _architectures(self, value: Any, location: str) -> tuple[str, ...]:
        if value is None:
            return ("x86_64",)
        resolved = self.resolver.resolve(value, f"{location}.Architectures")
        if (
            not isinstance(resolved, list)
            or len(resolved) != 1
            or resolved[0] not in ("x86_64", "arm64")
        ):
            raise TemplateError(f"{location}.Architectures", "expected one of [x86_64] or [arm64]")
        return (str(resolved[0]),)

    def _function_url(self, value: Any, location: str) -> UrlSpec | None:
        if value is None:
            return None
        location = f"{location}.FunctionUrlConfig"
        resolved = self.resolver.resolve(value, location)
        if not isinstance(resolved, dict):
            raise TemplateError(location, "expected a mapping")
        check_properties(resolved, location, FUNCTION_URL)
        auth_type = resolved.get("AuthType")
        if auth_type not in ("NONE", "AWS_IAM"):
            raise TemplateError(f"{location}.AuthType", "expected NONE or AWS_IAM")
        invoke_mode = resolved.get("InvokeMode", "BUFFERED")
        if invoke_mode not in ("BUFFERED", "RESPONSE_STREAM"):
            raise TemplateError(
                f"{location}.InvokeMode",
                f"expected BUFFERED or RESPONSE_STREAM, got {invoke_mode!r}",
            )
        cors = http_cors(resolved.get("Cors"), f"{location}.Cors", FUNCTION_URL_CORS)
        return UrlSpec(auth_type=auth_type, cors=cors, invoke_mode=invoke_mode)


def _build_method(metadata: Any) -> str | None:
    """``Metadata.BuildMethod``: how ``sam build`` builds the function (``makefile``: by
    running the Makefile beside the template, which then decides what ships)."""
    method = metadata.get("BuildMethod") if isinstance(metadata, dict) else None
    return str(method) if method is not None else None
