"""A function's ``Layers``: the template's own ``AWS::Serverless::LayerVersion`` resources,
mounted where Lambda would put their Python code.

Lambda extracts a function's layers into ``/opt``, and its Python runtimes find
``/opt/python/lib/python3.X/site-packages`` and ``/opt/python``
(https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
A layer of the template with a local ``ContentUri`` is laid out as ``sam build`` builds it: with
a Python ``Metadata.BuildMethod``, the ``ContentUri`` folder and what its ``requirements.txt``
installs become the layer's ``python/`` folder (samcli ``workflow_config.get_layer_subfolder``),
so the folder itself goes on ``sys.path`` and its requirements count as installed; with no
``BuildMethod`` (or ``makefile``) the folder ships as it is, so its ``python/`` folders do. A
layer named by ARN, or whose content is in S3, is not mounted: said in the template's warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .intrinsics import IntrinsicResolver
from .specs import LayerSpec
from .values import scalar_text

__all__ = ["layer_paths", "layer_requirements", "read_layers"]

LAYER_TYPE = "AWS::Serverless::LayerVersion"
#: ``sam build``'s dependency manifest in a layer's ``ContentUri``, as in a function's.
REQUIREMENTS_FILE = "requirements.txt"


def _python_build(layer: LayerSpec) -> bool:
    return (layer.build_method or "").startswith("python")


def read_layers(
    resources: Mapping[str, Any],
    *,
    resolver: IntrinsicResolver,
    directory: Path,
    present: Callable[[str, Mapping[str, Any]], bool],
) -> dict[str, LayerSpec | str]:
    """Each layer of the template: its spec, or why it is not mounted locally."""
    layers: dict[str, LayerSpec | str] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != LAYER_TYPE or not present(logical_id, resource):
            continue
        properties = resource.get("Properties") or {}
        location = f"Resources.{logical_id}.Properties.ContentUri"
        content = resolver.resolve(properties.get("ContentUri"), location)
        if not isinstance(content, str) or content.startswith("s3://"):
            layers[logical_id] = "its ContentUri is not a local folder"
            continue
        folder = (directory / scalar_text(content, location)).resolve()
        if not folder.is_dir():
            layers[logical_id] = f"its ContentUri {folder} is not a folder"
            continue
        metadata = resource.get("Metadata")
        method = metadata.get("BuildMethod") if isinstance(metadata, dict) else None
        layers[logical_id] = LayerSpec(
            logical_id=logical_id,
            content_uri=folder,
            build_method=str(method) if method is not None else None,
        )
    return layers


def layer_paths(layer: LayerSpec, runtime: str) -> tuple[Path, ...]:
    """The folders the layer puts on ``sys.path`` for a function of ``runtime``, as
    ``/opt/python/lib/python3.X/site-packages`` and ``/opt/python`` come in Lambda."""
    if _python_build(layer):
        return (layer.content_uri,)
    python = layer.content_uri / "python"
    return (python / "lib" / runtime / "site-packages", python)


def layer_requirements(layer: LayerSpec) -> Path | None:
    """The requirements file ``sam build`` installs into the layer, if it builds one."""
    manifest = layer.content_uri / REQUIREMENTS_FILE
    return manifest if _python_build(layer) and manifest.is_file() else None
