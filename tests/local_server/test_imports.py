"""Works here, works on AWS: imports AWS would not have are warned about, or fail (--isolated).

Each function is real code written to ``tmp_path`` and run in real workers, importing real
packages of the test environment: PyYAML (installed here, in no function's requirements unless
the test lists it), boto3 (which the Lambda runtime ships), Starlette (whose optional imports
are its own business). The warning names the module, its distribution and the function.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from lambgate.local.cli.plan import app_function_config
from lambgate.local.cli.workers import banner_lines
from lambgate.local.lambda_service.function import FunctionConfig, InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.import_policy import provided_modules, read_requirements
from lambgate.local.lambda_service.worker_options import WorkerOptions
from tests.factories import make_http_v2_event

from .test_runtime import Log, run

YAML_FUNCTION = """
    import yaml

    def handler(event, context):
        return yaml.safe_load("parsed: yes")
"""

NO_REQUIREMENTS = "named by a requirements.txt (its CodeUri has none)"


def warning(function: str, module: str, requirements: str = NO_REQUIREMENTS) -> str:
    return (
        f"lambgate: warning: {function} imports {module}, which is neither in its CodeUri nor "
        f"{requirements}: on AWS this import fails with ModuleNotFoundError (--isolated fails "
        "it here too)"
    )


def write_function(
    tmp_path: Path, code: str, *, requirements: str | None = None, name: str = "Parser"
) -> FunctionConfig:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "app.py").write_text(textwrap.dedent(code))
    if requirements is not None:
        (folder / "requirements.txt").write_text(textwrap.dedent(requirements))
    return FunctionConfig(name=name, code_uri=folder, handler="app.handler", timeout=30.0)


def invoke(
    config: FunctionConfig, *, options: WorkerOptions | None = None, payload: bytes = b"{}"
) -> tuple[InvocationResult, list[str]]:
    log = Log()

    async def scenario() -> InvocationResult:
        runtime = FunctionRuntime(config, log=log, options=options)
        try:
            return await runtime.invoke(payload)
        finally:
            await runtime.close()

    return run(scenario), log.lines


def lambgate_notes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("lambgate:")]


def test_an_unlisted_import_is_warned_at_each_cold_start_never_when_warm(tmp_path: Path) -> None:
    config = write_function(tmp_path, YAML_FUNCTION)
    log = Log()

    async def scenario() -> list[InvocationResult]:
        runtime = FunctionRuntime(config, log=log)
        try:
            invocations = [await runtime.invoke(b"{}"), await runtime.invoke(b"{}")]
            await runtime.recycle()
            invocations.append(await runtime.invoke(b"{}"))
            return invocations
        finally:
            await runtime.close()

    invocations = run(scenario)
    # It works here, as it did before: the warning says what AWS would do instead.
    assert [json.loads(invocation.payload) for invocation in invocations] == [{"parsed": True}] * 3
    assert [invocation.cold for invocation in invocations] == [True, False, True]
    expected = warning("Parser", "yaml (PyYAML, installed here)")
    assert lambgate_notes(log.lines) == [expected, expected]
    # Reported during init, before the invocation starts, as the import happens.
    first_start = next(i for i, line in enumerate(log.lines) if line.startswith("START"))
    assert log.lines.index(expected) < first_start


@pytest.mark.parametrize(
    "requirements",
    [
        "PyYAML>=6  # parsing",
        "pyyaml",
        "-r base.txt",
        # Named as a dependency: uvicorn[standard] requires PyYAML; plain uvicorn does not.
        "uvicorn[standard]==0.*",
    ],
)
def test_a_module_the_requirements_name_directly_or_as_a_dependency_is_not_warned(
    tmp_path: Path, requirements: str
) -> None:
    config = write_function(tmp_path, YAML_FUNCTION, requirements=requirements)
    (config.code_uri / "base.txt").write_text("--index-url https://pypi.org/simple\nPyYAML\n")
    invocation, lines = invoke(config)
    assert json.loads(invocation.payload) == {"parsed": True}
    assert lambgate_notes(lines) == []


def test_an_extra_not_asked_for_brings_nothing(tmp_path: Path) -> None:
    config = write_function(tmp_path, YAML_FUNCTION, requirements="uvicorn\n")
    _, lines = invoke(config)
    assert lambgate_notes(lines) == [
        warning(
            "Parser",
            "yaml (PyYAML, installed here)",
            "named by requirements.txt, directly or as a dependency",
        )
    ]


def test_what_the_lambda_runtime_ships_is_not_warned(tmp_path: Path) -> None:
    config = write_function(
        tmp_path,
        """
        import boto3
        import dateutil
        import importlib.metadata

        def handler(event, context):
            return importlib.metadata.version("boto3")
        """,
    )
    invocation, lines = invoke(config)
    assert invocation.function_error is None
    assert lambgate_notes(lines) == []


def test_optional_imports_of_a_listed_package_are_its_own(tmp_path: Path) -> None:
    """Starlette imports python-multipart when it is installed; it is no dependency of
    Starlette's, and no mistake of the function's: on AWS Starlette goes without it."""
    config = write_function(
        tmp_path,
        """
        from starlette.requests import Request

        def handler(event, context):
            return Request.__name__
        """,
        requirements="starlette\n",
    )
    invocation, lines = invoke(config)
    assert json.loads(invocation.payload) == "Request"
    assert lambgate_notes(lines) == []


def test_a_template_function_importing_lambgate_needs_it_listed(tmp_path: Path) -> None:
    config = write_function(
        tmp_path,
        """
        import lambgate

        def handler(event, context):
            return "ok"
        """,
    )
    _, lines = invoke(config)
    assert lambgate_notes(lines) == [warning("Parser", "lambgate")]


def test_lambgate_running_an_app_is_the_emulators_not_the_apps(tmp_path: Path) -> None:
    """``lambgate serve APP``: lambgate's glue is provided; what the app imports is checked."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "site_app.py").write_text(
        textwrap.dedent(
            """
            import json

            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps({"path": environ["PATH_INFO"]}).encode()]
            """
        )
    )
    config = app_function_config("site_app:app", source="http", app_dir=folder)
    payload = json.dumps(make_http_v2_event(path="/hello")).encode()
    invocation, lines = invoke(config, payload=payload)
    assert json.loads(json.loads(invocation.payload)["body"]) == {"path": "/hello"}
    assert lambgate_notes(lines) == []


def test_isolated_makes_an_unlisted_import_fail_as_on_aws(tmp_path: Path) -> None:
    config = write_function(tmp_path, YAML_FUNCTION)
    invocation, lines = invoke(config, options=WorkerOptions(isolated=True))
    assert invocation.function_error == "Unhandled"
    assert json.loads(invocation.payload) == {
        "errorMessage": "Unable to import module 'app': No module named 'yaml'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert lambgate_notes(lines) == [
        "lambgate: --isolated: Parser cannot import yaml (PyYAML, installed here): it is "
        f"neither in its CodeUri nor {NO_REQUIREMENTS}, so it is missing on AWS too"
    ]


HTTPTOOLS_FUNCTION = """
    import sys

    # What the runtime client parses the Runtime API with, never the function's to find loaded.
    CLIENTS = ("httptools", "http", "email")
    loaded_before = sorted(name for name in sys.modules if name.partition(".")[0] in CLIENTS)
    import httptools

    def handler(event, context):
        return {"loaded before": loaded_before, "shipped": getattr(httptools, "SHIPPED", False)}
"""


def test_the_runtime_clients_httptools_is_not_the_functions_import(tmp_path: Path) -> None:
    """The runtime client parses the Runtime API's responses with httptools, which the
    function does not see: its own ``import httptools`` is warned about, and fails under
    ``--isolated``, as for any package its requirements do not name. Nor does it find
    http.client (and the ``email`` package) loaded, which AWS's runtime does not load either
    and which would add tens of milliseconds to every cold start."""
    config = write_function(tmp_path, HTTPTOOLS_FUNCTION)
    invocation, lines = invoke(config)
    assert json.loads(invocation.payload) == {"loaded before": [], "shipped": False}
    assert lambgate_notes(lines) == [warning("Parser", "httptools (httptools, installed here)")]
    isolated, _ = invoke(config, options=WorkerOptions(isolated=True))
    assert json.loads(isolated.payload)["errorMessage"] == (
        "Unable to import module 'app': No module named 'httptools'"
    )


def test_a_function_shipping_its_own_httptools_gets_it_and_the_client_keeps_its_own(
    tmp_path: Path,
) -> None:
    """A module named httptools in the CodeUri is the function's: the runtime client neither
    runs it nor breaks on it, and the function imports its own copy."""
    config = write_function(tmp_path, HTTPTOOLS_FUNCTION, requirements="httptools\n")
    (config.code_uri / "httptools.py").write_text(
        'print("shipped httptools imported")\nSHIPPED = True\n'
    )
    invocation, lines = invoke(config)
    assert json.loads(invocation.payload) == {"loaded before": [], "shipped": True}
    assert lines.count("shipped httptools imported") == 1
    assert lambgate_notes(lines) == []


def test_isolated_keeps_the_requirements_the_runtime_and_their_metadata(tmp_path: Path) -> None:
    config = write_function(
        tmp_path,
        """
        import importlib.metadata
        import importlib.util
        import sys

        import boto3
        import yaml
        from starlette.formparsers import multipart

        def handler(event, context):
            return {
                "yaml": yaml.safe_load("a: 1"),
                "versions": [importlib.metadata.version(n) for n in ("boto3", "PyYAML")],
                # Optional and unlisted: missing, as on AWS, and no error for asking.
                "multipart": multipart is None,
                "found": importlib.util.find_spec("multipart") is not None,
                "site_packages": [p for p in sys.path if "site-packages" in p],
            }
        """,
        requirements="pyyaml\nstarlette\n",
    )
    invocation, lines = invoke(config, options=WorkerOptions(isolated=True))
    result = json.loads(invocation.payload)
    assert result.pop("versions")[0].count(".") >= 1
    assert result == {"yaml": {"a": 1}, "multipart": True, "found": False, "site_packages": []}
    # Starlette's own attempt is its business; the function's probe is said, once.
    assert lambgate_notes(lines) == [
        "lambgate: --isolated: Parser cannot import multipart (python-multipart, installed "
        "here): it is neither in its CodeUri nor named by requirements.txt, directly or as a "
        "dependency, so it is missing on AWS too"
    ]


def test_requirements_files_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("Jinja2[i18n]>=3 ; python_version >= '3.8'\n")
    (tmp_path / "requirements.txt").write_text(
        textwrap.dedent(
            """\
            # a comment
            -r base.txt
            -r missing.txt
            --requirement=base.txt
            -c constraints.txt
            --extra-index-url https://example.com/simple
            Flask_Login==0.6.* \\
                --hash=sha256:0123
            requests @ https://example.com/requests-2.32.0.tar.gz
            ./wheels/some_pkg-1.0-py3-none-any.whl
            -e git+https://example.com/repo.git#egg=editable-pkg
            -e ./local/folder
            """
        )
    )
    assert read_requirements(tmp_path / "requirements.txt") == [
        ("jinja2", frozenset({"i18n"})),
        ("jinja2", frozenset({"i18n"})),
        ("flask-login", frozenset()),
        ("requests", frozenset()),
        ("some-pkg", frozenset()),
        ("editable-pkg", frozenset()),
    ]


def test_extras_decide_what_a_distribution_brings() -> None:
    plain, _ = provided_modules([("uvicorn", frozenset())])
    standard, distributions = provided_modules([("uvicorn", frozenset({"standard"}))])
    assert "yaml" not in plain and {"uvicorn", "click", "h11", "boto3"} <= plain
    assert {"yaml", "watchfiles", "httptools"} <= standard
    assert {"pyyaml", "uvicorn", "boto3", "python-dateutil"} <= distributions


def lambgate_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambgate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_invoke_isolated_and_manifest_from_the_command_line(tmp_path: Path) -> None:
    config = write_function(tmp_path, YAML_FUNCTION)
    (tmp_path / "deps.txt").write_text("PyYAML\n")
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Parser:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: Parser, Handler: app.handler, Runtime: python3.12}
            """
        )
    )
    isolated = lambgate_cli("invoke", "--isolated", cwd=tmp_path)
    assert isolated.returncode == 1
    assert json.loads(isolated.stdout)["errorType"] == "Runtime.ImportModuleError"
    assert "[Parser] lambgate: --isolated: Parser cannot import yaml" in isolated.stderr
    listed = lambgate_cli("invoke", "--isolated", "--manifest", "deps.txt", cwd=tmp_path)
    assert (listed.returncode, json.loads(listed.stdout)) == (0, {"parsed": True})
    assert "lambgate: warning" not in listed.stderr and config.name == "Parser"
    missing = lambgate_cli("invoke", "--manifest", "nope.txt", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (
        2,
        "lambgate invoke: error: --manifest: nope.txt is not a file\n",
    )


def test_a_makefile_build_is_checked_only_against_a_manifest(tmp_path: Path) -> None:
    """What a Makefile ships is its own to say (``BuildMethod: makefile``): no guessing."""
    write_function(tmp_path, YAML_FUNCTION)
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Parser:
                Type: AWS::Serverless::Function
                Metadata: {BuildMethod: makefile}
                Properties: {CodeUri: Parser, Handler: app.handler, Runtime: python3.12}
            """
        )
    )
    (tmp_path / "deps.txt").write_text("boto3\n")
    unchecked = lambgate_cli("invoke", cwd=tmp_path)
    assert (unchecked.returncode, json.loads(unchecked.stdout)) == (0, {"parsed": True})
    assert "lambgate:" not in unchecked.stderr
    checked = lambgate_cli("invoke", "--manifest", "deps.txt", cwd=tmp_path)
    assert "[Parser] lambgate: warning: Parser imports yaml (PyYAML" in checked.stderr
    assert "not named by deps.txt (--manifest), directly" not in checked.stderr
    assert "named by deps.txt (--manifest), directly or as a dependency" in checked.stderr


def test_the_templates_layers_are_mounted_and_their_requirements_count(tmp_path: Path) -> None:
    """A layer built by ``sam build`` (Python ``BuildMethod``) ships its folder and its
    requirements in ``python/``; one not built ships as it is, ``python/`` folder included."""
    write_function(
        tmp_path,
        """
        import layered
        import shared
        import yaml

        def handler(event, context):
            return [layered.NAME, shared.NAME, yaml.safe_load("a: 1")]
        """,
    )
    (tmp_path / "plain" / "python").mkdir(parents=True)
    (tmp_path / "plain" / "python" / "layered.py").write_text("NAME = 'plain'\n")
    (tmp_path / "built").mkdir()
    (tmp_path / "built" / "shared.py").write_text("NAME = 'built'\n")
    (tmp_path / "built" / "requirements.txt").write_text("PyYAML\n")
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Parser:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: Parser
                  Handler: app.handler
                  Runtime: python3.12
                  Layers: [!Ref Plain, !Ref Built]
              Plain:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: plain}
              Built:
                Type: AWS::Serverless::LayerVersion
                Metadata: {BuildMethod: python3.12}
                Properties: {ContentUri: built}
            """
        )
    )
    for flags in ((), ("--isolated",)):
        done = lambgate_cli("invoke", *flags, cwd=tmp_path)
        assert (done.returncode, json.loads(done.stdout)) == (0, ["plain", "built", {"a": 1}])
        assert "lambgate:" not in done.stderr


def test_the_banner_says_which_functions_are_checked_and_isolated(tmp_path: Path) -> None:
    built = FunctionConfig(name="Made", code_uri=tmp_path, handler="app.handler")
    functions = {"Made": replace(built, build_method="makefile"), "Plain": built}
    isolated = WorkerOptions(isolated=True)
    assert banner_lines(functions, {"Made": isolated, "Plain": isolated}) == [
        "  imports not checked or isolated for Made: a Makefile builds them "
        "(BuildMethod: makefile); --manifest FILE names what it installs",
        "  --isolated (Plain): imports only from the CodeUri, layers, standard library, boto3 "
        "and its dependencies, and requirements, as on AWS",
    ]
    manifest = WorkerOptions(manifest=tmp_path / "deps.txt")
    assert banner_lines(functions, {"Made": manifest, "Plain": WorkerOptions()}) == []
