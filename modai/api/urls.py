from django.urls import include, path
from rest_framework.routers import SimpleRouter

from organizations import api as organizations

router = SimpleRouter()
router.register("entities", organizations.EntityViewSet, basename="entity")
router.register("users", organizations.UserViewSet, basename="user")
router.register("tokens", organizations.ApiTokenViewSet, basename="api-token")

urlpatterns = [
    path("me/", organizations.MeView.as_view(), name="api_me"),
    *router.urls,
    path("", include("invoices.api_urls")),
]
