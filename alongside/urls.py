from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("alongside.core.urls")),
    path("", include("alongside.care.urls")),
    path("", include("alongside.reporting.urls")),
    path("participants/", include("alongside.participants.urls")),
    path("team/", include("alongside.workforce.urls")),
    path("organisation/", include("alongside.administration.urls")),
    path("django-admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
