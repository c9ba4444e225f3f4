"""A Flask (WSGI) app served as ``lambgate serve flask_hello:app``."""

from __future__ import annotations

from flask import Flask, request, url_for

app = Flask(__name__)


@app.get("/hello/<name>")
def hello(name: str) -> dict[str, str]:
    return {"hello": name, "self": url_for("hello", name=name, _external=True)}


@app.post("/echo")
def echo() -> dict[str, object]:
    return {"body": request.get_data(as_text=True), "cookies": dict(request.cookies)}
