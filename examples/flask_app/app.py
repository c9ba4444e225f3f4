"""The bundled WSGI example: a Flask app doing what web apps do, unchanged for Lambda.

Deployed by ``template.yaml`` with ``Handler: lambgate.lambda_handler`` and
``LAMBGATE_APP=examples.flask_app.app:app``. Every link is built with ``url_for``, so it
carries the REST API's stage (``/prod/...``) without the app knowing it runs on Lambda.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, abort, jsonify, redirect, request, url_for
from markupsafe import escape

from examples.png import parse_hex_color, solid_png

app = Flask(__name__)
# A Lambda request payload is at most 6 MB, and API Gateway base64-encodes binary bodies
# (4/3 larger): 4 MB of upload is what reliably fits.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024

FORM_PAGE = """<!doctype html>
<title>lambgate form</title>
<form method="post" action="{action}">
  <input name="name"> <button>Greet</button>
</form>
<form method="post" action="{upload}" enctype="multipart/form-data">
  <input type="file" name="file"> <button>Upload</button>
</form>
"""


@app.get("/")
def index() -> Response:
    return jsonify(
        message="hello from Flask on lambgate",
        items=url_for("items", _external=True),
        form=url_for("form", _external=True),
        swatch=url_for("swatch", color="ff8800", _external=True),
    )


@app.get("/items")
def items() -> Response:
    return jsonify(items=request.args.getlist("tag"), method=request.method)


@app.post("/echo")
def echo() -> Response:
    return jsonify(json=request.get_json(silent=True), form=request.form.to_dict())


@app.route("/form", methods=["GET", "POST"])
def form() -> str:
    if request.method == "GET":
        return FORM_PAGE.format(action=url_for("form"), upload=url_for("upload"))
    return f"<!doctype html>\n<p>Hello, {escape(request.form.get('name', 'stranger'))}!</p>\n"


@app.post("/upload")
def upload() -> tuple[Response, int] | Response:
    file = request.files.get("file")
    if file is None:
        return jsonify(error="send a multipart/form-data body with a 'file' field"), 400
    data = file.read()
    return jsonify(
        filename=file.filename,
        content_type=file.mimetype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@app.get("/swatch.png")
def swatch() -> Response:
    try:
        rgb = parse_hex_color(request.args.get("color", "ff8800"))
        side = int(request.args.get("size", "8"))
        image = solid_png(side, side, rgb)
    except ValueError as exc:
        abort(400, str(exc))
    return Response(image, mimetype="image/png")


@app.post("/login")
def login() -> Response:
    response = redirect(url_for("whoami"), code=303)
    # Scoped to the app's root (the REST stage, ``/prod``), not to everything on the host.
    path = request.script_root or "/"
    user = request.form.get("user", "guest")
    response.set_cookie("user", user, path=path, httponly=True, secure=True, samesite="Lax")
    response.set_cookie("theme", request.form.get("theme", "light"), path=path, samesite="Lax")
    return response


@app.get("/whoami")
def whoami() -> Response:
    return jsonify(user=request.cookies.get("user"), theme=request.cookies.get("theme"))


@app.get("/go")
def go() -> Response:
    return redirect(url_for("items"))
