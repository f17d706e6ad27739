"""GET /api/v1/public/certificates/<number>/: the public verification page as JSON, no login."""

from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.addresses import client_key
from certificates.models import CertificateStatus
from certificates.public_views import public_certificate, public_record, rate_limit_wait


class PublicRateThrottle(BaseThrottle):
    """The public budget per client address, shared with the public pages.

    A DRF throttle so the API answers 429 with Retry-After the DRF way; the counting is the pages'
    own (django-ratelimit's atomic cache counter), so a client has one budget, not one per door.
    """

    def allow_request(self, request, view):
        self.wait_seconds = rate_limit_wait(request)
        return self.wait_seconds is None

    def wait(self):
        return self.wait_seconds

    def get_ident(self, request):
        # DRF's own rule knows NUM_PROXIES only; a client is who the one rule says it is.
        return client_key(request)


class PublicStandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    edition = serializers.CharField()


class PublicPlaceSerializer(serializers.Serializer):
    city = serializers.CharField()
    country = serializers.CharField(help_text=_("ISO 3166-1 alpha-2 code."))
    country_name = serializers.CharField()


class PublicCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    entity_name = serializers.CharField(help_text=_("The certified entity, as certified."))
    status = serializers.ChoiceField(choices=CertificateStatus.choices)
    status_label = serializers.CharField(help_text=_("The status in the language asked for."))
    suspended_until = serializers.DateField(allow_null=True, help_text=_("Only while suspended."))
    standards = PublicStandardSerializer(many=True)
    scope = serializers.CharField()
    sites = PublicPlaceSerializer(many=True, help_text=_("Each city with its country once."))
    original_issue_date = serializers.DateField()
    issue_date = serializers.DateField()
    expiry_date = serializers.DateField()
    lapsed_from = serializers.DateField(
        allow_null=True, help_text=_("Restored after expiry: the first day it was not certified.")
    )
    lapsed_until = serializers.DateField(
        allow_null=True, help_text=_("Restored after expiry: the last day it was not certified.")
    )
    certification_body = serializers.CharField()


_Detail = inline_serializer("PublicDetail", fields={"detail": serializers.CharField()})


class PublicCertificateView(APIView):
    """Verify a certificate by its number: status, standards, scope, cities and dates.

    No authentication. A number that is unknown, or belongs to a confidential certificate, is 404.
    Requests are rate-limited per client address (429 with Retry-After).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]

    def throttled(self, request, wait):
        # Throttled joins its message to the wait as plain text: a lazy string will not do.
        raise Throttled(wait, detail=gettext("Too many requests from your address."))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A suspension must show at once, and a 404 must not outlive a correction: no browser or
        # proxy may keep a copy of any answer.
        add_never_cache_headers(response)
        return response

    @extend_schema(
        operation_id="public_certificate_retrieve",
        tags=["public"],
        auth=[],
        responses={
            200: PublicCertificateSerializer,
            404: OpenApiResponse(_Detail, description=_("No listed certificate has this number.")),
            429: OpenApiResponse(_Detail, description=_("Too many requests from this address.")),
        },
    )
    def get(self, request, number):
        certificate = public_certificate(number)
        if certificate is None:
            raise NotFound(gettext("No certificate with this number is listed."))
        record = public_record(certificate, today=timezone.localdate())
        return Response(PublicCertificateSerializer(record).data)
