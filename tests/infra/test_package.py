"""``lambgate package``: real pip resolving real wheels, offline, and the zip Lambda would get.

Wheels are built here by ``pip wheel`` from small projects and served with
``--no-index --find-links``, so the tests need no network and pip's resolver, platform and
Requires-Python checks run for real.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import package
from infra.dependencies import pip_install_command, platform_tags
from infra.package import (
    LAMBDA_UNZIPPED_LIMIT,
    LAMBDA_ZIPPED_LIMIT,
    PackageError,
    PackageOptions,
    PackageTooLarge,
    build_package,
)
from tests.factories import make_http_v2_event

FLASKLESS_APP = '''\
def app(environ, start_response):
    """A WSGI app with no dependency, so the zip runs on the test's interpreter."""
    import tinydep

    body = f"{environ['PATH_INFO']} {tinydep.VERSION}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
'''


def _project(root: Path, name: str, version: str, *, requires: list[str]) -> Path:
    project = root / name
    (project / name).mkdir(parents=True)
    (project / name / "__init__.py").write_text(f'VERSION = "{version}"\n')
    dependencies = ", ".join(json.dumps(requirement) for requirement in requires)
    (project / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools"]\n'
        'build-backend = "setuptools.build_meta"\n'
        "[project]\n"
        f'name = "{name}"\n'
        f'version = "{version}"\n'
        f"dependencies = [{dependencies}]\n"
    )
    return project


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tinydep (needs boto3), and stand-ins for boto3 and botocore with their real names.

    The runtime-provided exclusion works on the distribution names pip resolved, so
    same-named stand-ins exercise it exactly, without a network download of the real SDK.
    """
    root = tmp_path_factory.mktemp("projects")
    projects = [
        _project(root, "tinydep", "1.0", requires=["boto3"]),
        _project(root, "boto3", "1.99.0", requires=["botocore"]),
        _project(root, "botocore", "1.99.0", requires=[]),
    ]
    wheels = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--disable-pip-version-check", "--quiet", "-w", str(wheels)]
        + [str(project) for project in projects],
        check=True,
        capture_output=True,
    )
    return wheels


@pytest.fixture
def app_source(tmp_path: Path) -> Path:
    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text(FLASKLESS_APP)
    (source / "requirements.txt").write_text("tinydep==1.0\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"stale")
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return source


def _options(source: Path, output: Path, wheelhouse: Path, **changes: object) -> PackageOptions:
    settings: dict[str, object] = {
        "source": source,
        "output": output,
        "requirements": source / "requirements.txt",
        "find_links": (str(wheelhouse),),
        "no_index": True,
        **changes,
    }
    return PackageOptions(**settings)  # type: ignore[arg-type]


def test_zip_holds_app_handler_and_requirements_without_the_sdk(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    result = build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse))

    with zipfile.ZipFile(result.output) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    top_level = sorted({name.split("/", 1)[0] for name in names})
    # The app, lambgate's handler and tinydep; boto3 and botocore are the runtime's
    # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html), caches are nobody's.
    assert top_level == ["handler", "main.py", "tinydep", "tinydep-1.0.dist-info"]
    assert "handler/entry.py" in names
    assert names == sorted(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: stat.S_IMODE(info.external_attr >> 16) for info in infos}
    assert {mode for name, mode in modes.items() if name.endswith("/")} == {0o755}
    assert {mode for name, mode in modes.items() if not name.endswith("/")} == {0o644}
    assert result.sha256 == hashlib.sha256(result.output.read_bytes()).hexdigest()
    assert result.unzipped_size == sum(info.file_size for info in infos)
    assert [group.name for group in result.groups][:1] == ["handler (lambgate)"]


def test_zip_runs_as_lambda_code_with_handler_lambda_handler(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    """Extracted like /var/task, ``handler.lambda_handler`` serves the app from the zip alone."""
    result = build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse))
    task_root = tmp_path / "task"
    with zipfile.ZipFile(result.output) as archive:
        archive.extractall(task_root)
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(task_root)!r})\n"
        "import handler, tinydep\n"
        "class Context:\n"
        "    aws_request_id = 'req-1'\n"
        "    def get_remaining_time_in_millis(self): return 3000\n"
        "result = handler.lambda_handler(json.load(sys.stdin), Context())\n"
        "print(json.dumps([handler.__file__, tinydep.__file__, result]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", script],
        input=json.dumps(make_http_v2_event(path="/hello")),
        capture_output=True,
        text=True,
        env={**os.environ, "LAMBGATE_APP": "main:app"},
        cwd=tmp_path,
        check=True,
    )
    handler_file, tinydep_file, lambda_result = json.loads(completed.stdout)
    assert Path(handler_file).is_relative_to(task_root)
    assert Path(tinydep_file).is_relative_to(task_root)
    assert lambda_result["statusCode"] == 200
    assert lambda_result["body"] == "/hello 1.0"


def test_same_inputs_give_the_same_sha256(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    first = build_package(_options(app_source, tmp_path / "one.zip", wheelhouse))
    # What differs between two checkouts of the same commit: times and permission bits.
    os.utime(app_source / "main.py", (1_000_000_000, 1_000_000_000))
    (app_source / "main.py").chmod(0o600)
    second = build_package(_options(app_source, tmp_path / "two.zip", wheelhouse))

    assert first.sha256 == second.sha256
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()

    (app_source / "main.py").write_text(FLASKLESS_APP + "# changed\n")
    third = build_package(_options(app_source, tmp_path / "three.zip", wheelhouse))
    assert third.sha256 != first.sha256


def test_include_sdk_bundles_boto3(app_source: Path, wheelhouse: Path, tmp_path: Path) -> None:
    options = _options(app_source, tmp_path / "lambda.zip", wheelhouse, include_sdk=True)
    result = build_package(options)
    with zipfile.ZipFile(result.output) as archive:
        top_level = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {"boto3", "boto3-1.99.0.dist-info", "botocore", "botocore-1.99.0.dist-info"} <= top_level


def test_pip_is_asked_for_the_lambda_platform_not_this_machine() -> None:
    command = pip_install_command(
        requirements=Path("requirements.txt"),
        target=Path("build"),
        python_version="3.12",
        architecture="arm64",
    )
    joined = " ".join(command)
    assert "--python-version 3.12 " in joined
    assert "--implementation cp " in joined
    assert "--only-binary=:all:" in command
    # python3.12 runs on Amazon Linux 2023 (glibc 2.34); python3.11 on Amazon Linux 2 (2.26).
    assert platform_tags("3.12", "arm64")[0] == "manylinux_2_34_aarch64"
    assert platform_tags("3.12", "arm64")[-1] == "manylinux2014_aarch64"
    assert platform_tags("3.11", "x86_64")[0] == "manylinux_2_26_x86_64"
    assert "manylinux_2_27_x86_64" not in platform_tags("3.11", "x86_64")


@pytest.fixture
def platform_wheelhouse(wheelhouse: Path, tmp_path: Path) -> Path:
    """tinydep as a wheel that only runs on CPython 3.12, glibc 2.28 or later, x86_64.

    pip picks wheels by the tags in their file name, so renaming the pure wheel is enough;
    its pure dependencies come along unchanged.
    """
    house = tmp_path / "platform-wheels"
    house.mkdir()
    for wheel in wheelhouse.glob("*.whl"):
        if wheel.name.startswith("tinydep-"):
            shutil.copy(wheel, house / "tinydep-1.0-cp312-cp312-manylinux_2_28_x86_64.whl")
        else:
            shutil.copy(wheel, house / wheel.name)
    return house


@pytest.mark.parametrize(
    ("python_version", "architecture", "resolves"),
    [("3.12", "x86_64", True), ("3.12", "arm64", False), ("3.11", "x86_64", False)],
)
def test_platform_wheels_resolve_only_for_their_runtime(
    app_source: Path,
    platform_wheelhouse: Path,
    tmp_path: Path,
    python_version: str,
    architecture: str,
    resolves: bool,
) -> None:
    output = tmp_path / "lambda.zip"
    options = _options(
        app_source,
        output,
        platform_wheelhouse,
        python_version=python_version,
        architecture=architecture,
    )
    if resolves:
        result = build_package(options)
        with zipfile.ZipFile(result.output) as archive:
            assert "tinydep/__init__.py" in archive.namelist()
    else:
        # arm64 needs aarch64 wheels; python3.11 runs on Amazon Linux 2, glibc 2.26 < 2.28.
        with pytest.raises(PackageError, match=f"for Python {python_version} on {architecture}"):
            build_package(options)
        assert not output.exists()


def test_unzipped_limit_fails_before_writing(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    output = tmp_path / "lambda.zip"
    with pytest.raises(PackageTooLarge, match=r"unzipped, past Lambda's limit of .*\(1000 bytes\)"):
        build_package(_options(app_source, output, wheelhouse, unzipped_limit=1000))
    assert not output.exists()


def test_zipped_limit_fails_and_keeps_the_zip_for_s3(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    output = tmp_path / "lambda.zip"
    with pytest.raises(PackageTooLarge, match=r"zipped, past Lambda's limit .* upload it to S3"):
        build_package(_options(app_source, output, wheelhouse, zipped_limit=1000))
    assert output.stat().st_size > 1000


def test_limits_are_lambdas_quotas_in_bytes() -> None:
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 50 MB zipped
    # for a direct upload, 250 MB unzipped; Lambda's rejection says "Unzipped size must be
    # smaller than 262144000 bytes".
    assert LAMBDA_ZIPPED_LIMIT == 52_428_800
    assert LAMBDA_UNZIPPED_LIMIT == 262_144_000


def test_a_different_handler_package_in_the_source_is_an_error(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    (app_source / "handler").mkdir()
    (app_source / "handler" / "entry.py").write_text("# not lambgate's\n")
    with pytest.raises(PackageError, match="handler/entry.py comes from both"):
        build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse))


def test_virtual_environments_and_excluded_globs_stay_out(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    (app_source / "env").mkdir()
    (app_source / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (app_source / "env" / "big.bin").write_bytes(b"x" * 10)
    (app_source / "tests").mkdir()
    (app_source / "tests" / "test_main.py").write_text("")
    options = _options(app_source, tmp_path / "lambda.zip", wheelhouse, exclude=("tests",))
    result = build_package(options)
    with zipfile.ZipFile(result.output) as archive:
        top_level = {name.split("/", 1)[0] for name in archive.namelist()}
    assert "env" not in top_level
    assert "tests" not in top_level
    assert "main.py" in top_level


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(app_source: Path, wheelhouse: Path, tmp_path: Path) -> None:
    terminal = _Terminal()
    build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse), log=terminal)
    lines = terminal.getvalue().splitlines()
    assert lines[0].startswith(f"resolving {app_source / 'requirements.txt'} with pip")
    assert lines[-1].rsplit("\r", 1)[-1].startswith("zipping [" + "#" * 30 + "] 100% ")


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lambgate package")
    package.add_arguments(parser)
    return package.run(parser.parse_args(argv))


def test_cli_reports_sizes_and_hashes(
    app_source: Path, wheelhouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out" / "lambda.zip"
    code = _cli(
        "--source",
        str(app_source),
        "-o",
        str(output),
        "--find-links",
        str(wheelhouse),
        "--no-index",
        "--top",
        "2",
    )
    captured = capsys.readouterr()
    assert code == 0
    report = captured.out.splitlines()
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert report[0] == f"wrote {output}"
    assert report[1].split() == ["sha256", digest]
    assert report[5] == "largest parts (unzipped, top 2):"
    with zipfile.ZipFile(output) as archive:
        tinydep_size = sum(
            info.file_size for info in archive.infolist() if info.filename.startswith("tinydep")
        )
    # tinydep counts its code and its dist-info, as pip's RECORD lists them; main.py is smaller.
    assert [line.split()[0] for line in report[6:]] == ["handler", "tinydep"]
    assert report[7].split()[1:] == [f"{tinydep_size / 1024:.1f}", "KB", "7", "files"]
    # Not a terminal: no bar in the log.
    assert "zipping [" not in captured.err


def test_cli_error_when_a_requirement_has_no_wheel(
    app_source: Path, wheelhouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_source / "requirements.txt").write_text("no-such-dist-lambgate==1.0\n")
    code = _cli(
        "--source",
        str(app_source),
        "-o",
        str(tmp_path / "lambda.zip"),
        "--find-links",
        str(wheelhouse),
        "--no-index",
    )
    error = capsys.readouterr().err
    assert code == 1
    assert "lambgate package: error: pip could not install" in error
    assert "no-such-dist-lambgate" in error
