from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from config import health

urlpatterns = [
    # For load balancers: no slash, as probes are usually configured, and no log-in (config/health.py).
    path("healthz", health.healthz, name="healthz"),
    # First: the public pages are the busiest and resolve in the fewest steps this way.
    path("", include("certificates.public_urls")),
    path("", include("complaints.public_urls")),
    # Then the API, before the apps' pages: each "" include below is tried pattern by pattern, and
    # an API call went through some sixty of them before reaching its own (a tenth of a cheap call).
    path("api/v1/", include("config.api_urls")),
    path("", include("portal.urls")),
    path("", include("accounts.urls")),
    path("organizations/", include("clients.urls")),
    path("", include("standards.urls")),
    path("", include("audits.urls")),
    path("", include("reports.urls")),
    path("", include("certificates.urls")),
    path("", include("transfers.urls")),
    path("", include("complaints.urls")),
    path("", include("findings.urls")),
    path("", include("outbox.urls")),
    path("", include("records.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script from a URL, so the page keeps script-src 'self';
    # only Swagger UI's own inline styles need a relaxed style-src here.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
