"""The bundled WSGI example: a small Flask app exercising what users do on Lambda."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for

app = Flask(__name__)


@app.get("/")
def index() -> object:
    return jsonify(message="hello from Flask on lambgate", items=url_for("items", _external=True))


@app.get("/items")
def items() -> object:
    return jsonify(items=request.args.getlist("tag"), method=request.method)


@app.post("/echo")
def echo() -> object:
    return jsonify(json=request.get_json(silent=True), form=request.form.to_dict())


@app.get("/go")
def go() -> object:
    return redirect(url_for("items"))
