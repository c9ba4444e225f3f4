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
import platform
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import Any

import hcl2
import pytest
from samtranslator.yaml_helper import yaml_parse

import lambgate
from lambgate.deploy import package
from lambgate.deploy.dependencies import (
    ARCHITECTURES,
    PYTHON_VERSIONS,
    pip_install_command,
    platform_tags,
)
from lambgate.deploy.package import (
    LAMBDA_UNZIPPED_LIMIT,
    LAMBDA_ZIPPED_LIMIT,
    PACKAGE_DATA,
    PackageError,
    PackageOptions,
    PackageTooLarge,
    build_package,
    lambgate_entries,
)
from tests.factories import make_http_v2_event
from tests.serverless_project import EXPECTED_BODY, write_serverless_project

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


def _dirs(names: list[str]) -> set[str]:
    return {name for name in names if name.endswith("/")}


def test_zip_holds_app_handler_and_requirements_without_the_sdk(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    result = build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse))

    with zipfile.ZipFile(result.output) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    top_level = sorted({name.split("/", 1)[0] for name in names})
    # The app, lambgate and tinydep; boto3 and botocore are the runtime's
    # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html), caches are nobody's.
    assert top_level == ["lambgate", "main.py", "tinydep", "tinydep-1.0.dist-info"]
    assert "lambgate/entry.py" in names
    assert names == sorted(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: stat.S_IMODE(info.external_attr >> 16) for info in infos}
    assert {mode for name, mode in modes.items() if name.endswith("/")} == {0o755}
    # Files are read-only but for the streaming runtime's wrapper script, which Lambda runs.
    executable = {name for name, mode in modes.items() if mode == 0o755 and not name.endswith("/")}
    assert executable == {"lambgate/streaming/exec-wrapper"}
    assert {mode for name, mode in modes.items() if name not in executable | _dirs(names)} == {
        0o644
    }
    assert result.sha256 == hashlib.sha256(result.output.read_bytes()).hexdigest()
    assert result.unzipped_size == sum(info.file_size for info in infos)
    assert [group.name for group in result.groups][:1] == ["lambgate"]


def test_zip_runs_as_lambda_code_with_handler_lambda_handler(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    """Extracted like /var/task, ``lambgate.lambda_handler`` serves the app from the zip alone."""
    result = build_package(_options(app_source, tmp_path / "lambda.zip", wheelhouse))
    task_root = tmp_path / "task"
    with zipfile.ZipFile(result.output) as archive:
        archive.extractall(task_root)
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(task_root)!r})\n"
        "import lambgate, tinydep\n"
        "class Context:\n"
        "    aws_request_id = 'req-1'\n"
        "    def get_remaining_time_in_millis(self): return 3000\n"
        "result = lambgate.lambda_handler(json.load(sys.stdin), Context())\n"
        "print(json.dumps([lambgate.__file__, tinydep.__file__, result]))\n"
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


def test_a_different_lambgate_vendored_in_the_source_is_an_error(
    app_source: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    (app_source / "lambgate").mkdir()
    (app_source / "lambgate" / "entry.py").write_text("# not this lambgate's\n")
    with pytest.raises(PackageError, match="lambgate/entry.py comes from both"):
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
    assert [line.split()[0] for line in report[6:]] == ["lambgate", "tinydep"]
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


def test_terraform_module_accepts_exactly_the_runtimes_package_and_deploy_offer() -> None:
    """A zip built with ``--python 3.14`` must be deployable with the module's ``runtime``."""
    with (Path(package.__file__).parent / "variables.tf").open() as handle:
        variables = hcl2.load(handle)
    (runtime,) = [block['"runtime"'] for block in variables["variable"] if '"runtime"' in block]
    (validation,) = runtime["validation"]
    accepted = re.findall(r"python3\.\d+", validation["condition"])
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html ; lambgate needs 3.11+.
    assert accepted == ["python3.11", "python3.12", "python3.13", "python3.14"]
    assert accepted == [f"python{version}" for version in PYTHON_VERSIONS]
    assert re.findall(r"python3\.\d+", validation["error_message"]) == accepted


def _zip_modes(output: Path) -> dict[str, int]:
    with zipfile.ZipFile(output) as archive:
        return {
            info.filename: stat.S_IMODE(info.external_attr >> 16)
            for info in archive.infolist()
            if not info.filename.startswith("lambgate/")
        }


def test_executables_keep_an_execute_bit(tmp_path: Path) -> None:
    """A bundled binary or a script the app runs with subprocess must stay executable on
    Lambda, which extracts the zip with the modes it holds; read permission for everyone, as
    https://docs.aws.amazon.com/lambda/latest/dg/python-package.html requires."""
    source = tmp_path / "app"
    (source / "bin").mkdir(parents=True)
    (source / "main.py").write_text("app = None\n")
    (source / "main.py").chmod(0o600)
    (source / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (source / "bin" / "tool").chmod(0o700)

    result = build_package(PackageOptions(source=source, output=tmp_path / "lambda.zip"))

    assert _zip_modes(result.output) == {"bin/": 0o755, "bin/tool": 0o755, "main.py": 0o644}


def test_secrets_environments_caches_and_earlier_zips_stay_out_by_default(
    tmp_path: Path,
) -> None:
    """What ``sam build`` leaves out (aws-lambda-builders' PythonPipWorkflow.EXCLUDED_FILES)
    plus earlier zips; tests still ship, as with SAM, unless excluded."""
    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text("app = None\n")
    (source / ".env").write_text("DATABASE_PASSWORD=hunter2\n")
    (source / ".env.production").write_text("DATABASE_PASSWORD=hunter3\n")
    (source / ".coverage").write_bytes(b"coverage data")
    for directory in (".venv", "htmlcov", ".idea", ".vscode", "app.egg-info", "dist", "tests"):
        (source / directory).mkdir()
        (source / directory / "file.txt").write_text("x")
    (source / "pkg" / "dist").mkdir(parents=True)
    (source / "pkg" / "dist" / "data.txt").write_text("a package's own dist/ is code")
    (source / "pkg" / "old.zip").write_bytes(b"PK")
    build_package(PackageOptions(source=source, output=source / "dist" / "v1.zip"))

    result = build_package(PackageOptions(source=source, output=source / "dist" / "v2.zip"))

    assert sorted(_zip_modes(result.output)) == [
        "main.py",
        "pkg/",
        "pkg/dist/",
        "pkg/dist/data.txt",
        "tests/",
        "tests/file.txt",
    ]
    excluded = build_package(
        PackageOptions(source=source, output=tmp_path / "lambda.zip", exclude=("tests",))
    )
    assert "tests/file.txt" not in _zip_modes(excluded.output)


def test_symlinked_directories_are_followed(tmp_path: Path) -> None:
    shared = tmp_path / "shared_lib"
    shared.mkdir()
    (shared / "__init__.py").write_text("X = 1\n")
    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text("import shared\n")
    (source / "shared").symlink_to(shared, target_is_directory=True)

    result = build_package(PackageOptions(source=source, output=tmp_path / "lambda.zip"))

    assert sorted(_zip_modes(result.output)) == ["main.py", "shared/", "shared/__init__.py"]
    with zipfile.ZipFile(result.output) as archive:
        assert archive.read("shared/__init__.py") == b"X = 1\n"


def test_a_link_to_an_enclosing_directory_is_an_error_not_an_endless_walk(
    tmp_path: Path,
) -> None:
    source = tmp_path / "app"
    (source / "pkg").mkdir(parents=True)
    (source / "main.py").write_text("")
    (source / "pkg" / "loop").symlink_to(source, target_is_directory=True)

    with pytest.raises(PackageError, match=r"pkg/loop links to .*--exclude pkg/loop$"):
        build_package(PackageOptions(source=source, output=tmp_path / "lambda.zip"))
    assert not (tmp_path / "lambda.zip").exists()


def test_cli_dangling_symlink_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text("")
    (source / "config.json").symlink_to(tmp_path / "does-not-exist")

    code = _cli("--source", str(source), "-o", str(tmp_path / "lambda.zip"), "-q")

    assert code == 1
    assert capsys.readouterr().err == (
        f"lambgate package: error: {source / 'config.json'} is a symbolic link to "
        f"{tmp_path / 'does-not-exist'}, which does not exist; remove it or leave it out "
        "with --exclude config.json\n"
    )


# A Lambda runtime and an architecture this machine is not: pip, run here, evaluates markers
# for this machine's values (https://github.com/pypa/pip/issues/11664).
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER_PYTHON = next(version for version in ("3.12", "3.13") if version != HOST_PYTHON)
OTHER_ARCHITECTURE = next(
    name for name, machine in ARCHITECTURES.items() if machine != platform.machine()
)
OTHER_MACHINE = ARCHITECTURES[OTHER_ARCHITECTURE]


@pytest.fixture(scope="module")
def marker_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels whose dependencies hang on markers: ``newdep`` on the other Python, ``olddep``
    on Python < 3.11 (false here and on every runtime lambgate supports, as anyio's
    ``exceptiongroup; python_version < "3.11"`` is), ``armdep`` for requirement files."""
    root = tmp_path_factory.mktemp("marker-projects")
    projects = [
        _project(root, "newdep", "1.0", requires=[]),
        _project(root, "olddep", "1.0", requires=[]),
        _project(root, "armdep", "1.0", requires=[]),
        _project(
            root,
            "topdep",
            "1.0",
            requires=[
                f'newdep; python_version == "{OTHER_PYTHON}"',
                'olddep; python_version < "3.11"',
            ],
        ),
        _project(root, "quietdep", "1.0", requires=['olddep; python_version < "3.11"']),
    ]
    wheels = tmp_path_factory.mktemp("marker-wheelhouse")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--disable-pip-version-check", "--quiet", "-w", str(wheels)]
        + [str(project) for project in projects],
        check=True,
        capture_output=True,
    )
    return wheels


def _marker_app(tmp_path: Path, requirements: str) -> Path:
    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text("app = None\n")
    (source / "requirements.txt").write_text(requirements)
    return source


def _zip_top_level(output: Path) -> set[str]:
    with zipfile.ZipFile(output) as archive:
        return {name.split("/", 1)[0] for name in archive.namelist()}


def test_markers_for_another_python_are_refused_without_its_interpreter(
    marker_wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip here would leave out ``newdep``, which Lambda's Python needs."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-pythons"))
    source = _marker_app(tmp_path, "topdep==1.0\n")
    output = tmp_path / "lambda.zip"
    options = _options(source, output, marker_wheelhouse, python_version=OTHER_PYTHON)

    with pytest.raises(PackageError) as raised:
        build_package(options)

    message = str(raised.value)
    assert message.startswith("pip evaluates environment markers for the interpreter it runs")
    assert "https://github.com/pypa/pip/issues/11664" in message
    assert (
        f'  topdep 1.0: newdep; python_version == "{OTHER_PYTHON}" '
        "(needed on Lambda, left out here)\n"
    ) in message
    # olddep's marker is false both here and on Lambda: not a difference.
    assert "olddep" not in message
    assert message.endswith(
        f"with python{OTHER_PYTHON} and its pip on PATH (lambgate package then runs pip with "
        "it), or build with `sam build --use-container`."
    )
    assert not output.exists()


def test_markers_for_another_architecture_in_the_requirements_file_are_refused(
    marker_wheelhouse: Path, tmp_path: Path
) -> None:
    source = _marker_app(tmp_path, f'armdep==1.0; platform_machine == "{OTHER_MACHINE}"\n')
    options = _options(
        source,
        tmp_path / "lambda.zip",
        marker_wheelhouse,
        python_version=HOST_PYTHON if HOST_PYTHON in PYTHON_VERSIONS else "3.12",
        architecture=OTHER_ARCHITECTURE,
    )

    with pytest.raises(PackageError, match="depend on it:\n  requirements.txt: armdep==1.0; "):
        build_package(options)


def test_markers_that_agree_with_lambda_do_not_stop_a_cross_build(
    marker_wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-pythons"))
    source = _marker_app(tmp_path, 'quietdep==1.0\narmdep==1.0; sys_platform == "win32"\n')
    options = _options(
        source,
        tmp_path / "lambda.zip",
        marker_wheelhouse,
        python_version=OTHER_PYTHON,
        architecture=OTHER_ARCHITECTURE,
    )

    result = build_package(options)

    assert _zip_top_level(result.output) == {
        "lambgate",
        "main.py",
        "quietdep",
        "quietdep-1.0.dist-info",
    }


def _working_python(version: str) -> Path | None:
    """A CPython ``version`` with pip on this machine: on PATH, or installed by pyenv."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        str(path) for path in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import pip, sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return Path(candidate)
    return None


def test_pip_runs_under_the_runtimes_python_when_it_is_on_path(
    marker_wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = _working_python(OTHER_PYTHON)
    if python is None:
        pytest.skip(f"no python{OTHER_PYTHON} with pip on this machine")
    if platform.machine() != "x86_64" or sys.platform != "linux":
        pytest.skip("needs Linux x86_64, one of Lambda's architectures")
    monkeypatch.setenv("PATH", f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    source = _marker_app(tmp_path, "topdep==1.0\n")

    result = build_package(
        _options(source, tmp_path / "lambda.zip", marker_wheelhouse, python_version=OTHER_PYTHON)
    )

    assert _zip_top_level(result.output) == {
        "lambgate",
        "main.py",
        "newdep",
        "newdep-1.0.dist-info",
        "topdep",
        "topdep-1.0.dist-info",
    }


def _venv_without_pip_of_its_own(path: Path, *, with_our_packages: bool) -> Path:
    """A virtual environment at ``path``: another ``sys.executable``, as a CI runner has.

    With ``with_our_packages`` it sees this environment's site-packages (pip included) through
    a .pth file; without, it has no pip at all.
    """
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages")]
    if with_our_packages:
        # addsitedir, not a plain path line: it runs their .pth files, editable installs' too.
        lines = [f"import site; site.addsitedir({p!r})" for p in ours]
        (Path(site) / "lambgate-test.pth").write_text("\n".join(lines) + "\n")
    else:
        # lambgate alone: an editable install is a .pth file and the finder it imports.
        for installed in (file for p in ours for file in Path(p).glob("__editable__*lambgate*")):
            shutil.copy(installed, Path(site) / installed.name)
        if not any(Path(site).glob("__editable__*")):
            (Path(site) / "lambgate").symlink_to(Path(lambgate.__file__).parent)
    return python


BUILD_SCRIPT = """\
import sys
from pathlib import Path
from lambgate.deploy.package import PackageOptions, build_package
source, wheels, output = map(Path, sys.argv[1:])
build_package(PackageOptions(source=source, output=output,
    requirements=source / "requirements.txt", find_links=(str(wheels),), no_index=True,
    python_version="{python}"))
"""


def test_console_scripts_leave_no_trace_of_the_builders_interpreter(
    tmp_path: Path,
) -> None:
    """pip writes ``bin/tool`` with a shebang naming the interpreter that ran it and lists it,
    with its sha256, in RECORD; bin/ is not shipped, and RECORD must not make two machines'
    zips differ."""
    project = _project(tmp_path / "projects", "tooldep", "1.0", requires=[])
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write('[project.scripts]\ntool = "tooldep:main"\n')
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--disable-pip-version-check", "--quiet", "-w", str(wheels), str(project)],
        check=True,
        capture_output=True,
    )
    source = _marker_app(tmp_path, "tooldep==1.0\n")
    other_python = _venv_without_pip_of_its_own(tmp_path / "ci-venv", with_our_packages=True)

    zips = []
    for python in (sys.executable, other_python):
        output = tmp_path / f"{len(zips)}.zip"
        subprocess.run(
            [python, "-c", BUILD_SCRIPT.format(python=HOST_PYTHON), source, wheels, output],
            check=True,
            capture_output=True,
        )
        zips.append(output.read_bytes())

    assert zips[0] == zips[1]
    with zipfile.ZipFile(tmp_path / "0.zip") as archive:
        names = set(archive.namelist())
        record = archive.read("tooldep-1.0.dist-info/RECORD").decode()
    listed = {row.split(",", 1)[0] for row in record.splitlines()}
    # RECORD lists the files the zip has, and no others.
    assert listed == {name for name in names if name.startswith("tooldep")} - {
        "tooldep/",
        "tooldep-1.0.dist-info/",
    }


def test_cli_relative_find_links_is_relative_to_where_lambgate_runs(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(wheelhouse, tmp_path / "wheels")
    _marker_app(tmp_path, "tinydep==1.0\n")
    monkeypatch.chdir(tmp_path)

    code = _cli("--source", "app", "--find-links", "wheels", "--no-index", "-o", "out.zip", "-q")

    assert code == 0
    assert "tinydep" in _zip_top_level(tmp_path / "out.zip")


def test_cli_find_links_that_does_not_exist(
    app_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-wheels"
    code = _cli("--source", str(app_source), "--find-links", str(missing), "--no-index", "-q")

    assert code == 1
    assert capsys.readouterr().err == (
        f"lambgate package: error: --find-links {missing} does not exist\n"
    )


def test_cli_error_when_pip_is_not_installed(app_source: Path, tmp_path: Path) -> None:
    """Not "only wheels can be used": the fix is installing pip, not finding wheels."""
    python = _venv_without_pip_of_its_own(tmp_path / "bare", with_our_packages=False)
    script = (
        "import argparse, sys\n"
        "from lambgate.deploy import package\n"
        "parser = argparse.ArgumentParser()\n"
        "package.add_arguments(parser)\n"
        "sys.exit(package.run(parser.parse_args(sys.argv[1:])))\n"
    )
    completed = subprocess.run(
        [python, "-c", script, "--source", app_source, "-o", tmp_path / "lambda.zip"]
        + ["--python", HOST_PYTHON, "--no-index", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    first_line = completed.stderr.splitlines()[0]
    assert first_line == (
        f"lambgate package: error: pip could not install {app_source / 'requirements.txt'} "
        f"for Python {HOST_PYTHON} on x86_64: pip is not installed for {python}, which lambgate "
        f"package runs it with; install it ({python} -m ensurepip) or run lambgate from a "
        "virtual environment that has it:"
    )
    assert "only wheels" not in completed.stderr


ROOT = Path(__file__).resolve().parents[2]

#: A clean interpreter with nothing but the standard library and the extracted package on
#: sys.path (-I -S), as Lambda's is with /var/task; prints where lambgate came from, whether
#: its emulator and deploy code came along, and the result of one invocation of ``HANDLER``.
CLEAN_IMPORT = """
import importlib, importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
module, _, attr = sys.argv[2].partition(".")
handler = getattr(importlib.import_module(module), attr)
result = handler(json.loads(sys.stdin.read()), None)
import lambgate
tools = [n for n in ("lambgate.local", "lambgate.deploy") if importlib.util.find_spec(n)]
print(json.dumps([lambgate.__file__, tools, result]))
"""


def _run_extracted(task_root: Path, handler: str, **env: str) -> tuple[Path, list[str], Any]:
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CLEAN_IMPORT, str(task_root), handler],
        input=json.dumps(make_http_v2_event(path="/hello")),
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=task_root.parent,
    )
    assert completed.returncode == 0, completed.stderr
    lambgate_file, tools, result = json.loads(completed.stdout)
    return Path(lambgate_file), tools, result


def test_a_serverless_style_project_keeps_its_handler_py_and_gets_lambgate(
    tmp_path: Path,
) -> None:
    """The user's handler.py, infra/ and local_server/ and lambgate share the zip's root; each
    name is its owner's, and only the part of lambgate that runs in Lambda ships."""
    project = write_serverless_project(tmp_path / "project")
    output = tmp_path / "lambda.zip"
    assert _cli("--source", str(project), "--output", str(output), "--quiet") == 0
    task_root = tmp_path / "task"
    with zipfile.ZipFile(output) as archive:
        archive.extractall(task_root)

    lambgate_file, tools, result = _run_extracted(task_root, "handler.main")

    assert lambgate_file.is_relative_to(task_root)
    assert tools == [], "lambgate.local and lambgate.deploy never run in Lambda"
    assert not (task_root / "lambgate" / "__main__.py").exists()
    assert (result["statusCode"], result["body"]) == (200, EXPECTED_BODY)


def test_whole_lambgate_ships_the_emulator_and_deploy_code_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_serverless_project(tmp_path / "project")
    slim, whole = tmp_path / "slim.zip", tmp_path / "whole.zip"
    assert _cli("--source", str(project), "--output", str(slim)) == 0
    said = capsys.readouterr().err
    assert "lambgate.local and lambgate.deploy left out; --whole-lambgate ships them" in said
    assert _cli("--source", str(project), "--output", str(whole), "--whole-lambgate") == 0
    with zipfile.ZipFile(whole) as archive:
        names = set(archive.namelist())
    assert {
        "lambgate/local/cli/main.py",
        "lambgate/deploy/package.py",
        "lambgate/__main__.py",
    } <= names
    # What the wheel would install, also from an editable install, whose infra/ folder holds
    # the Terraform module (and a user's state and providers) beside the code.
    shipped = {name for name in names if name.startswith("lambgate/") and name[-1] != "/"}
    assert shipped == {n for n in shipped if n.endswith(".py")} | PACKAGE_DATA


def test_package_data_is_what_the_wheel_installs_beside_the_modules() -> None:
    """``PACKAGE_DATA`` repeats pyproject's list (the zip cannot read pyproject): hold them
    equal, so a data file added to the wheel is not missing from the Lambda package."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        f"{package.replace('.', '/')}/{name}"
        for package, names in pyproject["tool"]["setuptools"]["package-data"].items()
        for name in names
    }
    assert declared == PACKAGE_DATA


def test_the_streaming_wrapper_ships_executable_in_the_lambda_package(tmp_path: Path) -> None:
    """``AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambgate/streaming/exec-wrapper`` must find the
    script, and Lambda runs it: it has to be in the zip, with its execute bits."""
    project = write_serverless_project(tmp_path / "project")
    output = tmp_path / "lambda.zip"
    assert _cli("--source", str(project), "--output", str(output), "--quiet") == 0
    with zipfile.ZipFile(output) as archive:
        wrapper = archive.getinfo("lambgate/streaming/exec-wrapper")
    assert (wrapper.external_attr >> 16) & 0o111 == 0o111


def test_a_lambgate_installed_into_the_source_ships_its_lambda_part_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pip install -t . lambgate`` puts all of lambgate in the source; the emulator and
    deploy code still stay out unless asked for."""
    project = write_serverless_project(tmp_path / "project")
    for entry in lambgate_entries(whole=True):
        (project / entry.archive_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(entry.file, project / entry.archive_path)
    output = tmp_path / "lambda.zip"

    assert _cli("--source", str(project), "--output", str(output)) == 0

    assert "lambgate.deploy left out" in capsys.readouterr().err
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
    assert "lambgate/entry.py" in names
    assert not [n for n in names if n.startswith(("lambgate/local/", "lambgate/deploy/"))]


def _make(*targets: str, **variables: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.fail("make is not installed: sam build (BuildMethod: makefile) needs it")
    settings = [
        f"{name}={value}" for name, value in {"PYTHON": sys.executable, **variables}.items()
    ]
    return subprocess.run(
        ["make", "--no-print-directory", *targets, *settings],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_every_makefile_function_of_the_template_has_its_build_target() -> None:
    """sam build runs ``make build-<LogicalId>`` for each function whose Metadata says
    BuildMethod: makefile; the two example functions both build that way."""
    template = yaml_parse((ROOT / "template.yaml").read_text())
    by_makefile = [
        name
        for name, resource in template["Resources"].items()
        if resource.get("Metadata", {}).get("BuildMethod") == "makefile"
    ]
    assert by_makefile == ["FlaskFunction", "FastApiFunction"]
    dry_run = _make(*(f"build-{name}" for name in by_makefile), "-n", ARTIFACTS_DIR="out")
    assert dry_run.returncode == 0, dry_run.stderr


def test_the_sam_build_recipe_lays_out_a_package_lambgate_imports_from(tmp_path: Path) -> None:
    """What ``sam build`` runs for a function (its Makefile target) leaves a folder holding
    examples/ and lambgate, and nothing else of the checkout. Resolving the examples'
    requirements needs PyPI, so an empty requirements file stands in for it here."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    artifacts = tmp_path / "FastApiFunction"
    built = _make(
        "build-FastApiFunction", ARTIFACTS_DIR=str(artifacts), REQUIREMENTS=str(requirements)
    )
    assert built.returncode == 0, built.stderr
    assert {path.name for path in artifacts.iterdir()} == {"examples", "lambgate"}

    # The examples' apps need their requirements; the standard library's WSGI demo app does
    # not, and is served by the zero-code entry the template names.
    lambgate_file, tools, result = _run_extracted(
        artifacts, "lambgate.lambda_handler", LAMBGATE_APP="wsgiref.simple_server:demo_app"
    )

    assert lambgate_file.is_relative_to(artifacts)
    assert tools == []
    assert result["statusCode"] == 200
    assert result["body"].startswith("Hello world!")


def test_the_sam_build_recipe_keeps_the_streaming_wrapper_executable(tmp_path: Path) -> None:
    """SAM zips the folder a Makefile target leaves with each file's own mode, and Lambda runs
    AWS_LAMBDA_EXEC_WRAPPER as an executable
    (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html): extracting the package
    must keep the wrapper's execute bits (``python -m zipfile -e`` drops them)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    artifacts = tmp_path / "FastApiFunction"
    built = _make(
        "build-FastApiFunction", ARTIFACTS_DIR=str(artifacts), REQUIREMENTS=str(requirements)
    )
    assert built.returncode == 0, built.stderr
    wrapper = artifacts / "lambgate" / "streaming" / "exec-wrapper"
    assert wrapper.stat().st_mode & 0o111 == 0o111
    assert os.access(wrapper, os.X_OK)
    # The other files keep the mode the zip recorded: not made executable wholesale.
    module = artifacts / "lambgate" / "entry.py"
    assert module.stat().st_mode & 0o111 == 0


def test_make_package_writes_the_terraform_examples_zip(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    output = tmp_path / "lambgate-examples.zip"
    made = _make("package", OUTPUT=str(output), REQUIREMENTS=str(requirements))
    assert made.returncode == 0, made.stderr
    assert _zip_top_level(output) == {"examples", "lambgate"}
    readmes = [(ROOT / "README.md").read_text(), (ROOT / "infra" / "README.md").read_text()]
    assert all("make package" in readme for readme in readmes)
