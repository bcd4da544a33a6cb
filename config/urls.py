from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from config.metrics import metrics_view
from core.api import auth_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/auth/login/", auth_views.LoginView.as_view(), name="auth-login"),
    path("api/v1/auth/logout/", auth_views.LogoutView.as_view(), name="auth-logout"),
    path("api/v1/communication/", include("chat.api.urls")),
    path("api/v1/communication/", include("notifications.api.urls")),
    path("api/v1/communication/", include("realtime.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("web.urls")),
]

# API clients get JSON errors even for URLs no view matched (core.api).
handler404 = "core.api.not_found"
handler500 = "core.api.server_error"
