"""The shared routes (see the package docstring) as a Django project in one module.

Settings are configured here, with no middleware and no installed apps, so that the headers a
response carries are the views' own. ``wsgi_app`` and ``asgi_app`` serve the same views.
"""

from __future__ import annotations

import json

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, re_path, reverse

from . import BINARY, GZIP_JSON, event_method

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="lambgate-tests-only",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        USE_TZ=True,
    )
    django.setup()


def _aws(request: HttpRequest) -> tuple[object, object]:
    # WSGIRequest keeps the environ in META; ASGIRequest keeps the scope in .scope.
    scope = getattr(request, "scope", None)
    if scope is not None:
        return scope["aws.event"], scope["aws.context"]
    return request.META["aws.event"], request.META["aws.context"]


def echo(request: HttpRequest, rest: str = "") -> HttpResponse:
    event, context = _aws(request)
    probe = request.headers.get("X-Probe")
    return JsonResponse(
        {
            "method": request.method,
            "root_path": request.META.get("SCRIPT_NAME", ""),
            "path": request.path_info,
            "query": [[key, value] for key, values in request.GET.lists() for value in values],
            "probe": probe,
            "cookies": request.COOKIES,
            "body": request.body.decode("utf-8"),
            "client": request.META.get("REMOTE_ADDR"),
            "scheme": request.scheme,
            "url_root": request.build_absolute_uri(reverse("root")),
            "aws_request_id": getattr(context, "aws_request_id", None),
            "aws_event_method": event_method(event),  # type: ignore[arg-type]
        }
    )


def form(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        [[key, value] for key, values in request.POST.lists() for value in values], safe=False
    )


def json_body(request: HttpRequest) -> HttpResponse:
    return JsonResponse(json.loads(request.body), safe=False)


def upload(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


def download(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BINARY, content_type="image/png")


def cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("", content_type="text/plain")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", httponly=True)
    return response


def status(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse(status=int(code))


def compressed(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(GZIP_JSON, content_type="application/json")
    response.headers["Content-Encoding"] = "gzip"
    return response


def links(request: HttpRequest) -> HttpResponse:
    relative = reverse("echo", kwargs={"rest": "x"})
    return JsonResponse({"absolute": request.build_absolute_uri(relative), "relative": relative})


def go(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("echo", kwargs={"rest": "x"}))


def root(request: HttpRequest) -> HttpResponse:
    return HttpResponse("", content_type="text/plain")


urlpatterns = [
    path("", root, name="root"),
    path("echo", echo),
    re_path(r"^echo/(?P<rest>.*)$", echo, name="echo"),
    path("form", form),
    path("json", json_body),
    path("upload", upload),
    path("download", download),
    path("cookies", cookies),
    re_path(r"^status/(?P<code>[0-9]{3})$", status),
    path("gzip", compressed),
    path("links", links),
    path("go", go),
]

# Imported after settings, as Django requires.
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

wsgi_app = get_wsgi_application()
asgi_app = get_asgi_application()
