"""The shared routes (see the package docstring) as a Flask app (WSGI)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, redirect, request, url_for

from . import BINARY, GZIP_JSON, event_method

app = Flask(__name__)


@app.route("/echo", defaults={"rest": ""}, methods=["GET", "HEAD", "POST"])
@app.route("/echo/<path:rest>", methods=["GET", "HEAD", "POST"])
def echo(rest: str) -> Any:
    environ = request.environ
    return jsonify(
        method=request.method,
        root_path=request.root_path,
        path=request.path,
        query=list(request.args.items(multi=True)),
        probe=",".join(request.headers.getlist("X-Probe")),
        cookies=request.cookies.to_dict(),
        body=request.get_data(as_text=True),
        client=request.remote_addr,
        scheme=request.scheme,
        url_root=request.url_root,
        aws_request_id=environ["aws.context"].aws_request_id,
        aws_event_method=event_method(environ["aws.event"]),
    )


@app.post("/form")
def form() -> Any:
    return jsonify(list(request.form.items(multi=True)))


@app.post("/json")
def json_body() -> Any:
    return jsonify(request.get_json())


@app.post("/upload")
def upload() -> Response:
    return Response(request.get_data(), content_type="application/octet-stream")


@app.get("/download")
def download() -> Response:
    return Response(BINARY, content_type="image/png")


@app.get("/cookies")
def cookies() -> Response:
    response = Response("", content_type="text/plain")
    response.set_cookie("first", "1", path="/")
    response.set_cookie("second", "2", path="/", httponly=True)
    return response


@app.get("/status/<int:code>")
def status(code: int) -> Response:
    return Response(status=code)


@app.get("/gzip")
def compressed() -> Response:
    response = Response(GZIP_JSON, content_type="application/json")
    response.headers["Content-Encoding"] = "gzip"
    return response


@app.get("/links")
def links() -> Any:
    return jsonify(
        absolute=url_for("echo", rest="x", _external=True),
        relative=url_for("echo", rest="x"),
    )


@app.get("/go")
def go() -> Any:
    return redirect(url_for("echo", rest="x"))
