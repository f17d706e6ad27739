from rest_framework.routers import DefaultRouter

from audits.api import StandardViewSet
from clients.api import OrganizationViewSet, SiteViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("sites", SiteViewSet, basename="site")
router.register("standards", StandardViewSet, basename="standard")

urlpatterns = router.urls
