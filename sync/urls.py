from django.urls import path

from sync.views import history, push, settings, webhooks

urlpatterns = [
    path("settings/company/integrations/", settings.IntegrationsView.as_view(), name="settings_integrations"),
    path(
        "settings/company/integrations/connect/",
        settings.IntegrationConnectView.as_view(),
        name="settings_integration_connect",
    ),
    path(
        "settings/company/integrations/<int:integration_id>/",
        settings.IntegrationDetailView.as_view(),
        name="settings_integration_detail",
    ),
    path(
        "settings/company/integrations/<int:integration_id>/reconnect/",
        settings.IntegrationReconnectView.as_view(),
        name="settings_integration_reconnect",
    ),
    path("sync/history/", history.SyncHistoryView.as_view(), name="sync_history"),
    path("sync/history/export.csv", history.SyncHistoryExportView.as_view(), name="sync_history_export"),
    path("sync/history/<int:run_id>/", history.SyncRunDetailView.as_view(), name="sync_run_detail"),
    path("sync/now/", history.SyncNowView.as_view(), name="sync_now"),
    path("sync/errors/", push.SyncErrorsView.as_view(), name="sync_errors"),
    path("sync/push/<int:delivery_id>/retry/", push.PushRetryView.as_view(), name="push_retry"),
    path("hooks/erp/<int:organization_id>/<uuid:webhook_id>/", webhooks.erp_webhook, name="erp_webhook"),
]
