"""/api/v1/certificates/: certificates and their life over the API. The rules: certificates.services."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api import AuditScopedViewSet
from certificates import services
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateRevision,
    CertificateSite,
    CertificateStatus,
    Decision,
    DecisionOutcome,
)
from certificates.permissions import require_can_change_certificates, require_can_decide
from certificates.selectors import certificates_for_user
from certificates.views import revision_pdf_response
from clients.selectors import organizations_for_user
from core.api import FilterSet, PDFRenderer, id_field, readable_choice_filter
from core.errors import DomainError
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Standard

# -- What a certificate looks like ----------------------------------------------------------------


class OrganizationReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="legal_name", read_only=True)


class CertifiedStandardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Standard
        fields = ["code", "title", "edition"]
        read_only_fields = fields


class CertifiedSiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = CertificateSite
        fields = ["name", "city", "country", "scope"]
        read_only_fields = fields


def revision_pdf_url(revision: CertificateRevision) -> str | None:
    """Where the page for one revision's PDF is, when the site has that page."""
    # The download is an HTML-side page: the API must not break where that URLconf is not included.
    try:
        return reverse(
            "certificates:certificate-revision-pdf", args=[revision.certificate_id, revision.revision]
        )
    except NoReverseMatch:
        return None


class CertificateRevisionSerializer(serializers.ModelSerializer):
    pdf = serializers.SerializerMethodField(help_text="Where to download this revision's PDF, if anywhere.")

    class Meta:
        model = CertificateRevision
        fields = ["revision", "issue_date", "reason", "pdf"]
        read_only_fields = fields

    def get_pdf(self, revision) -> str | None:
        return revision_pdf_url(revision)


class CertificateEventSerializer(serializers.ModelSerializer):
    by: serializers.StringRelatedField = serializers.StringRelatedField(
        allow_null=True, help_text="Null for a change made by the daily run."
    )

    class Meta:
        model = CertificateEvent
        fields = ["kind", "reason", "by", "at"]
        read_only_fields = fields


class CertificateSerializer(serializers.ModelSerializer):
    organization = OrganizationReferenceSerializer(read_only=True)
    standards = CertifiedStandardSerializer(many=True, read_only=True)
    sites = CertifiedSiteSerializer(many=True, read_only=True)
    revisions = CertificateRevisionSerializer(many=True, read_only=True)
    events = CertificateEventSerializer(many=True, read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "identity",
            "organization",
            "entity_name",
            "entity_address",
            "scope",
            "standards",
            "sites",
            "status",
            "original_issue_date",
            "issue_date",
            "expiry_date",
            "lapsed_from",
            "lapsed_until",
            "revision",
            "confidential",
            "suspended_until",
            "status_reason",
            "revisions",
            "events",
        ]
        read_only_fields = fields


def certificate_queryset(user) -> QuerySet[Certificate]:
    """The caller's certificates with everything CertificateSerializer reads, in a fixed number of queries."""
    return (
        certificates_for_user(user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("standards", queryset=Standard.objects.order_by("code")),
            Prefetch("sites", queryset=CertificateSite.objects.order_by("id")),
            Prefetch(
                "revisions", queryset=CertificateRevision.objects.defer("snapshot").order_by("revision")
            ),
            Prefetch("events", queryset=CertificateEvent.objects.select_related("by").order_by("at", "id")),
        )
    )


class DecisionSerializer(serializers.ModelSerializer):
    decided_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = Decision
        fields = ["id", "audit", "outcome", "rationale", "decided_on", "decided_by", "created_at"]
        read_only_fields = fields


class DecisionResultSerializer(serializers.Serializer):
    """What POST /audits/{id}/decision/ (audits_api) answers."""

    decision = DecisionSerializer(read_only=True)
    certificate = CertificateSerializer(
        read_only=True, allow_null=True, help_text="The certificate a grant issued or a renewal renewed."
    )


def decision_result(decision: Decision, user) -> dict:
    certificate = certificate_queryset(user).filter(decision=decision).first()
    return {
        "decision": DecisionSerializer(decision).data,
        "certificate": CertificateSerializer(certificate).data if certificate is not None else None,
    }


# -- What the actions take ------------------------------------------------------------------------

# Blank text passes here on purpose: the service refuses it with its own message, as on the pages.


class SiteScopeInput(serializers.Serializer):
    site = id_field(help_text="A site of the certified organisation.")
    scope = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class DecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=DecisionOutcome.choices,
        help_text="grant or refuse after stage 2; maintain or refuse after surveillance; renew or refuse "
        "after recertification.",
    )
    rationale = serializers.CharField(allow_blank=True)
    decided_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: today."
    )
    scope = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text="A grant's certificate scope. Default: the audit's.",
    )
    sites = SiteScopeInput(
        many=True,
        required=False,
        help_text="A grant's certified sites with their scope, each audited or covered by a valid IAF MD 1 "
        "sample (else 400 under sites). Default: every such site.",
    )


DECISION_ERRORS = {
    400: OpenApiResponse(
        description="A field is missing or wrong ({field: [reason]}; a site the audit does not cover is "
        "refused under sites), or the caller may not decide on this audit: they were on a team it rests "
        "on or consulted for the client, or a major nonconformity is open ({detail, reasons: [reason]})."
    ),
    403: OpenApiResponse(description="The caller may read this audit but only staff decide."),
    404: OpenApiResponse(description="No such audit for the caller."),
    409: OpenApiResponse(
        description="The audit is not closed or already has its decision, or something stands against a "
        "grant or renewal (ISO/IEC 17021-1 9.5: a minor without an accepted plan, a sampled site not "
        "audited, majors past the months after stage 2): {detail, reasons: [reason with its rule]}."
    ),
}


class SuspendInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: the longest the scheme allows."
    )


class RestoreInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ScopeInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    scope = serializers.CharField(allow_blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    sites = SiteScopeInput(many=True, help_text="Every site the certificate is to cover, with its scope.")


# -- Lists and filters ----------------------------------------------------------------------------


class CertificateFilter(FilterSet):
    status = filters.ChoiceFilter(choices=CertificateStatus.choices)
    # An organisation the caller cannot see is refused like one that does not exist.
    organization = readable_choice_filter(organizations_for_user)

    class Meta:
        model = Certificate
        fields = ["status", "organization"]


_ACTION_ERRORS = {
    400: OpenApiResponse(description="A field is missing or wrong: {field: [reason]}."),
    403: OpenApiResponse(description="The caller may read this certificate but only staff change it."),
    404: OpenApiResponse(description="No such certificate for the caller."),
    409: OpenApiResponse(description="Not allowed in the certificate's current state: {detail: reason}."),
}


def _site_scopes(certificate: Certificate, entries: list[dict]) -> list[tuple]:
    """(site, scope) pairs from the request, each site one of the certified organisation's."""
    return _organization_site_scopes(certificate.organization, certificate.entity_name, entries)


def _organization_site_scopes(organization, name: str, entries: list[dict]) -> list[tuple]:
    ids = [entry["site"] for entry in entries]
    if len(set(ids)) != len(ids):
        raise DomainError(_("Name each site once."), field="sites")
    sites = organization.sites.in_bulk(ids)
    unknown = [str(site_id) for site_id in ids if site_id not in sites]
    if unknown:
        raise DomainError(
            _("Not a site of %(organization)s: %(ids)s.") % {"organization": name, "ids": ", ".join(unknown)},
            field="sites",
        )
    return [(sites[entry["site"]], entry["scope"]) for entry in entries]


class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    """Certificates: staff see all and change them; a client's users read their own; others get 404."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    search_fields = ["number", "entity_name"]
    ordering_fields = ["number", "entity_name", "issue_date", "expiry_date", "status"]

    def get_queryset(self):
        return certificate_queryset(self.request.user).order_by("-issue_date", "-id")

    def _step(self, request, *, data_class, perform):
        """One change: 404 for outsiders, then 403 for anyone but staff, then the body, then the service."""
        certificate = self.get_object()
        # The role comes before the body: a reader who may not act learns nothing from a 400.
        require_can_change_certificates(request.user)
        data = data_class(data=request.data)
        data.is_valid(raise_exception=True)
        perform(certificate, data.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        operation_id="v1_certificates_pdf_retrieve",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such certificate for the caller, or no PDF yet."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        """The latest revision of the certificate as a PDF, made on the spot if the task has not yet."""
        certificate = self.get_object()
        revision = certificate.revisions.order_by("-revision").first()
        if revision is None:
            raise Http404(_("This certificate has no revision to print."))
        revision.certificate = certificate
        return revision_pdf_response(revision)

    @extend_schema(request=SuspendInput, responses={200: CertificateSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend an active certificate, with the reason and optionally until when."""

        def perform(certificate, data):
            services.certificate_suspend(certificate=certificate, user=request.user, **data)

        return self._step(request, data_class=SuspendInput, perform=perform)

    @extend_schema(request=RestoreInput, responses={200: CertificateSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Restore a suspended certificate that has not expired."""

        def perform(certificate, data):
            services.certificate_restore(certificate=certificate, user=request.user, **data)

        return self._step(request, data_class=RestoreInput, perform=perform)

    @extend_schema(request=WithdrawInput, responses={200: CertificateSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw an active or suspended certificate, with the reason; it cannot be undone."""

        def perform(certificate, data):
            services.certificate_withdraw(certificate=certificate, user=request.user, **data)

        return self._step(request, data_class=WithdrawInput, perform=perform)

    @extend_schema(request=ScopeInput, responses={200: CertificateSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def scope(self, request, pk=None):
        """Change the scope and sites of an active certificate, or reduce a suspended one's: a new
        revision, issued today. Reducing a suspended certificate (no site added, something taken
        out) ends the suspension: what remains is certified and the certificate is active again."""

        def perform(certificate, data):
            services.certificate_change_scope(
                certificate=certificate,
                user=request.user,
                reason=data["reason"],
                scope=data["scope"],
                site_scopes=_site_scopes(certificate, data["sites"]),
            )

        return self._step(request, data_class=ScopeInput, perform=perform)


class AuditDecisionViewSet(AuditScopedViewSet):
    """POST /api/v1/audits/{id}/decision/: an action on the audit, answered here (config/api_urls.py)."""

    @extend_schema(request=DecisionInput, responses={201: DecisionResultSerializer, **DECISION_ERRORS})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        """Staff's certification decision on the closed audit: POST {outcome, rationale, decided_on?}.

        A grant issues the certificate and a renewal renews it; the answer carries either.
        """
        audit = self.get_object()
        # 403 before any 400: a body is only worth validating from the one who may decide.
        require_can_decide(request.user)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        entries = fields.pop("sites", None)
        site_scopes = (
            None
            if entries is None
            else _organization_site_scopes(audit.organization, audit.organization.legal_name, entries)
        )
        decision = services.decision_record(audit=audit, user=request.user, site_scopes=site_scopes, **fields)
        return Response(decision_result(decision, request.user), status=status.HTTP_201_CREATED)
