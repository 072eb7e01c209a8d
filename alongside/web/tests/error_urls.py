"""The product's URLs plus one that fails, for the error-page tests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from alongside.urls import handler500
from alongside.urls import urlpatterns as product_urls


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug, on purpose")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    path("test-errors/fails/", _fails),
    path("test-errors/forbidden/", _forbidden),
    *product_urls,
]
__all__ = ["handler500", "urlpatterns"]
