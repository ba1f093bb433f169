from django.contrib import admin
from django.urls import include, path

from attendance_project import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("records.api_urls")),
    path("", include("accounts.urls")),
    path("", include("records.urls")),
    path("", include("recognition.urls")),
]
