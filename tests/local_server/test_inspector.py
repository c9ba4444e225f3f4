"""The inspector, as a developer's browser and scripts see it: real requests over 127.0.0.1
to a real ``lambgate serve`` of ``apps/template.yaml``, then the inspector's own port.

Each test is one promise of the page: what happened to a request is there to read, in the
words the gateway used, with the log lines of that invocation and nothing else's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator

HTTP = "ServerlessHttpApi"
REST = "ServerlessRestApi"
SECRET = "sekrit-value-42"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    running = RunningEmulator(
        template=APPS / "template.yaml",
        inspect_history=5,
        inspect_redact=("X-Api-Key",),
    )
    try:
        yield running
    finally:
        assert not still_alive(running.stop()), "workers outlived the emulator"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def inspector(emulator: RunningEmulator) -> str:
    url = emulator.emulator.inspector_url()
    assert url is not None
    return url


def newest(emulator: RunningEmulator, client: httpx.Client) -> dict[str, Any]:
    rows: list[dict[str, Any]] = client.get(inspector(emulator) + "api/invocations").json()
    return rows[0]


def opened(emulator: RunningEmulator, client: httpx.Client, number: int) -> dict[str, Any]:
    answer = client.get(f"{inspector(emulator)}api/invocations/{number}")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def test_each_request_is_listed_with_its_event_result_response_and_own_log_lines(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = emulator.url(HTTP)
    assert client.get(f"{url}/behave/say?word=first").text == "said first"
    assert client.get(f"{url}/behave/say?word=second").text == "said second"
    row = newest(emulator, client)
    assert (row["method"], row["path"], row["function"], row["status"]) == (
        "GET",
        "/behave/say?word=second",
        "BehaveFunction",
        200,
    )
    assert row["front"] == HTTP and row["stage"] == "$default" and row["cold"] is False
    assert row["error"] is False and row["max_memory_mb"] > 0
    document = opened(emulator, client, row["number"])
    event = json.loads(document["event"]["json"])
    assert event["rawQueryString"] == "word=second"
    assert event["pathParameters"] == {"action": "say"}
    assert json.loads(document["result"]["json"])["body"] == "said second"
    assert document["response"]["status"] == 200
    assert document["response"]["body"]["text"] == "said second"
    log = "\n".join(document["log"])
    assert "saying second" in log and "said second" in log
    assert "first" not in log, "another invocation's lines"
    assert document["report"].startswith("REPORT RequestId: ")
    assert document["report"].split()[2] in log  # the same request id as its START line


def test_a_malformed_result_shows_why_the_client_got_a_502(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    assert client.get(f"{emulator.url(HTTP)}/behave/malformed").status_code == 500
    assert client.get(f"{emulator.url(REST)}/behave/malformed").status_code == 502
    row = newest(emulator, client)
    assert row["error"] is True and row["status"] == 502
    assert row["reason"].startswith("malformed Lambda proxy response: ")
    assert "body" in row["reason"]


def test_a_timeout_says_so_in_plain_words(emulator: RunningEmulator, client: httpx.Client) -> None:
    client.get(f"{emulator.url(HTTP)}/behave/sleep?seconds=5")
    row = newest(emulator, client)
    assert row["error"] is True
    assert "Task timed out after 1.00 seconds" in row["reason"]


def test_the_event_downloads_as_a_file_lambgate_invoke_takes(
    emulator: RunningEmulator, client: httpx.Client, tmp_path: Any
) -> None:
    client.get(f"{emulator.url(HTTP)}/echo/thing?x=1")
    row = newest(emulator, client)
    answer = client.get(f"{inspector(emulator)}api/invocations/{row['number']}/event.json")
    assert "attachment" in answer.headers["content-disposition"]
    event_file = tmp_path / "event.json"
    event_file.write_bytes(answer.content)
    invoked = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambgate",
            "invoke",
            "--template",
            str(APPS / "template.yaml"),
            "--function",
            "EchoFunction",
            "--event",
            str(event_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert invoked.returncode == 0, invoked.stderr
    result = json.loads(invoked.stdout)
    assert json.loads(result["body"])["event"]["rawQueryString"] == "x=1"


def test_replay_sends_the_request_again_and_curl_reproduces_it(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    client.post(
        f"{emulator.url(HTTP)}/echo",
        content=b"hello body",
        headers={"X-Tag": "t1", "Content-Type": "text/plain"},
    )
    row = newest(emulator, client)
    replayed = client.post(f"{inspector(emulator)}api/invocations/{row['number']}/replay")
    assert replayed.json()["status"] == 200
    again = newest(emulator, client)
    assert again["number"] == replayed.json()["number"] > row["number"]
    assert json.loads(opened(emulator, client, again["number"])["event"]["json"])["body"] == (
        "hello body"
    )
    curl = opened(emulator, client, row["number"])["curl"]
    assert curl.startswith("curl -X POST ") and "'x-tag: t1'" in curl
    assert "'hello body'" in curl
    ran = subprocess.run(["sh", "-c", curl], capture_output=True, timeout=30, check=False)
    if ran.returncode == 127:
        pytest.skip("no curl on this machine")
    assert json.loads(ran.stdout)["event"]["body"] == "hello body"


def test_secrets_are_masked_in_events_and_curl(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    client.get(f"{emulator.url(HTTP)}/echo/x", headers={"X-Api-Key": SECRET})
    row = newest(emulator, client)
    text = json.dumps(opened(emulator, client, row["number"]))
    assert SECRET not in text
    assert "********" in text


def test_the_list_is_a_ring_of_the_last_n_and_old_ones_are_forgotten(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    for index in range(7):
        client.get(f"{emulator.url(HTTP)}/echo/n{index}")
    rows = client.get(inspector(emulator) + "api/invocations").json()
    assert len(rows) == 5  # --inspect-history
    assert [row["path"] for row in rows][:2] == ["/echo/n6", "/echo/n5"]
    oldest = rows[-1]["number"]
    assert client.get(f"{inspector(emulator)}api/invocations/{oldest - 1}").status_code == 404


def test_new_invocations_are_pushed_as_server_sent_events(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    seen = newest(emulator, client)["number"]
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(
                f"{inspector(emulator)}api/events", headers={"Last-Event-ID": str(seen)}, timeout=30
            )
        )
    )
    waiting.start()
    client.get(f"{emulator.url(HTTP)}/echo/pushed")
    waiting.join(20)
    (answer,) = answers
    assert answer.headers["content-type"] == "text/event-stream"
    fields = dict(line.split(": ", 1) for line in answer.text.strip().splitlines())
    assert [row["path"] for row in json.loads(fields["data"])] == ["/echo/pushed"]
    assert fields["id"] == str(seen + 1) and fields["event"] == "invocations"


def test_environments_show_pid_state_invocations_and_cold_starts(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    client.get(f"{emulator.url(HTTP)}/echo/env")
    functions = client.get(inspector(emulator) + "api/environments").json()
    echo = next(f for f in functions if f["function"] == "EchoFunction")
    (environment,) = echo["environments"]
    assert environment["pid"] in emulator.emulator.pids
    assert environment["state"] == "idle" and environment["invocations"] >= 1
    assert environment["rss_mb"] > 0 and environment["age_s"] >= 0
    assert len(echo["cold_starts"]) == 1


def test_the_page_and_its_files_are_served_from_the_package(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    page = client.get(inspector(emulator))
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="page.js"' in page.text and "http" not in page.text.split("<body>")[1]
    assert client.get(inspector(emulator) + "page.js").status_code == 200


def test_invoke_api_invocations_are_listed(emulator: RunningEmulator, client: httpx.Client) -> None:
    client.post(
        f"{emulator.invoke_url}/2015-03-31/functions/EchoFunction/invocations", content=b"{}"
    )
    row = newest(emulator, client)
    assert (row["kind"], row["function"], row["status"]) == ("invoke", "EchoFunction", 200)


def test_no_inspect_serves_no_page() -> None:
    running = RunningEmulator(template=APPS / "template.yaml", inspect=False)
    try:
        assert running.emulator.inspector is None and running.emulator.inspector_url() is None
        assert "Inspector" not in running.emulator.banner()
    finally:
        running.stop()


def test_the_banner_names_the_page_on_loopback_whatever_host_says() -> None:
    running = RunningEmulator(template=APPS / "template.yaml", host="0.0.0.0")
    try:
        url = running.emulator.inspector_url()
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert f"Inspector {url}" in running.emulator.banner()
        assert "the inspector page shows" not in running.emulator.banner()
    finally:
        running.stop()


def test_an_inspector_reachable_from_elsewhere_is_warned_about() -> None:
    running = RunningEmulator(template=APPS / "template.yaml", inspect_host="0.0.0.0")
    try:
        assert "warning: the inspector page shows every request" in running.emulator.banner()
    finally:
        running.stop()


def test_big_bodies_are_kept_capped_with_their_size_shown() -> None:
    """Memory stays bounded: past the cap, only the cap's bytes are kept, and the page says
    how big the body was (and refuses to replay a request it no longer has whole)."""
    big = RunningEmulator(template=APPS / "template.yaml")
    try:
        assert big.emulator.recorder is not None
        big.emulator.recorder.cap = 1000
        with httpx.Client(timeout=30) as client:
            body = b"y" * 5000
            client.post(
                f"{big.url(HTTP)}/echo", content=body, headers={"Content-Type": "text/plain"}
            )
            base = big.emulator.inspector_url()
            row = client.get(f"{base}api/invocations").json()[0]
            document = client.get(f"{base}api/invocations/{row['number']}").json()
            assert document["request"]["body"]["size"] == 5000
            assert document["request"]["body"]["truncated"] is True
            assert len(document["request"]["body"]["text"]) == 1000
            assert document["event"]["truncated"] is True and document["event"]["json"] is None
            assert document["replayable"] is False
            refused = client.post(f"{base}api/invocations/{row['number']}/replay")
            assert refused.status_code == 409
        (record,) = big.emulator.recorder.records
        assert len(record.exchange.request.body) == 1000
    finally:
        big.stop()


def test_an_integration_timeout_shows_the_log_once_the_function_finishes() -> None:
    """The front answered 503/504 without the function; the page still shows what it did."""
    running = RunningEmulator(
        template=APPS / "template.yaml", parameter_overrides={"IntegrationTimeout": "300"}
    )
    try:
        with httpx.Client(timeout=30) as client:
            client.get(f"{running.url(HTTP)}/slow/sleep?seconds=1")
            base = running.emulator.inspector_url()
            row = client.get(f"{base}api/invocations").json()[0]
            assert "no answer within the integration timeout of 0.3 s" in row["reason"]
            deadline = time.monotonic() + 10
            document = client.get(f"{base}api/invocations/{row['number']}").json()
            while "report" not in document and time.monotonic() < deadline:
                time.sleep(0.1)
                document = client.get(f"{base}api/invocations/{row['number']}").json()
            assert document["report"].startswith("REPORT RequestId: ")
            assert json.loads(document["result"]["json"])["body"] == "slept"
    finally:
        running.stop()
