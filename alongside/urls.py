from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

# A server error gets the site's own page with the request id (core.views); 404 and
# 403 use the templates 404.html and 403.html (and 403_csrf.html for a CSRF refusal).
handler500 = "alongside.core.views.server_error"

urlpatterns = [
    path("", include("alongside.core.urls")),
    path("", include("alongside.care.urls")),
    path("", include("alongside.reporting.urls")),
    path("participants/", include("alongside.participants.urls")),
    path("", include("alongside.assessments.urls")),
    path("", include("alongside.overdose.urls")),
    path("team/", include("alongside.workforce.urls")),
    path("organisation/", include("alongside.administration.urls")),
    path("django-admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
