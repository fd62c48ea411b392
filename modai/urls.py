from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from invoices import views_settings as invoice_settings
from modai.web import views as shell
from organizations import views as organizations

settings_patterns = [
    path("", shell.SettingsIndexView.as_view(), name="settings"),
    path("profile/", organizations.ProfileView.as_view(), name="settings_profile"),
    path("password/", organizations.PasswordView.as_view(), name="settings_password"),
    path("api-tokens/", organizations.ApiTokensView.as_view(), name="settings_api_tokens"),
    path("entity/", organizations.EntityDetailsView.as_view(), name="settings_entity"),
    path("entity/invoices/", invoice_settings.InvoiceSettingsView.as_view(), name="settings_invoices"),
    path("company/entities/", organizations.EntitiesView.as_view(), name="settings_entities"),
    path("company/users/", organizations.UsersView.as_view(), name="settings_users"),
    path("company/users/<int:user_id>/", organizations.UserDetailView.as_view(), name="settings_user_detail"),
]

auth_patterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", shell.DashboardView.as_view(), name="home"),
    path("entity/switch/", shell.EntitySwitchView.as_view(), name="entity_switch"),
    path("settings/", include(settings_patterns)),
    path("", include("masterdata.urls")),
    path("", include("sync.urls")),
    path("invoices/", include("invoices.urls")),
    path("healthz", shell.health, name="health"),
    path("", include("approvals.urls")),
    path("api/v1/", include("modai.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    *auth_patterns,
]
