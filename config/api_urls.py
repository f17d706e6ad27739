from django.urls import path
from rest_framework.routers import DefaultRouter

from audits.api import AuditTimeCalculatorView, AuditViewSet
from certificates.api import AuditDecisionViewSet, CertificateViewSet
from certificates.public_api import PublicCertificateView
from clients.api import OrganizationViewSet, SiteViewSet
from complaints.api import AppealViewSet, ComplaintViewSet
from findings.api import FindingViewSet
from findings.evidence_api import EvidenceViewSet
from findings.nc_api import NonconformityViewSet
from reports.api import AuditReportViewSet
from standards.api import StandardViewSet
from transfers.api import TransferViewSet

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("sites", SiteViewSet, basename="site")
router.register("standards", StandardViewSet, basename="standard")
# Actions the higher apps answer under /audits/{id}/ (AuditScopedViewSet), registered before the
# audits' own viewset so that the API root's "audits" names the audit list.
router.register("audits", AuditReportViewSet, basename="audit-reports")
router.register("audits", AuditDecisionViewSet, basename="audit-certificates")
router.register("audits", AuditViewSet, basename="audit")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("findings", FindingViewSet, basename="finding")
router.register("nonconformities", NonconformityViewSet, basename="nonconformity")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("appeals", AppealViewSet, basename="appeal")

urlpatterns = [
    *router.urls,
    path("audit-time/", AuditTimeCalculatorView.as_view(), name="audit-time"),
    path("public/certificates/<str:number>/", PublicCertificateView.as_view(), name="public-certificate"),
]
