from django.urls import include, path
from rest_framework.routers import SimpleRouter

from masterdata import api as masterdata
from organizations import api as organizations
from sync import api as sync
from sync import api_push as sync_push

router = SimpleRouter()
router.register("entities", organizations.EntityViewSet, basename="entity")
router.register("users", organizations.UserViewSet, basename="user")
router.register("tokens", organizations.ApiTokenViewSet, basename="api-token")
for prefix, viewset, basename in [*sync.ROUTES, *sync_push.ROUTES, *masterdata.ROUTES]:
    router.register(rf"entities/(?P<entity_id>[0-9]+)/{prefix}", viewset, basename=basename)

urlpatterns = [
    path("me/", organizations.MeView.as_view(), name="api_me"),
    *router.urls,
    *sync_push.URLS,
    path("", include("invoices.api_urls")),
    path("", include("approvals.api.urls")),
]
