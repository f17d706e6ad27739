"""The export for IAF CertSearch (IAF MD 28): every listed certificate, in CSV or JSON, for staff.

Field names follow CertSearch's certification template (the Excel column names in the CSV, its
XML element names in the JSON), its status vocabulary and its YYYYMMDD dates, so staff can map
the file onto the upload without retyping.

- Confidential certificates are left out: CertSearch has no way to hold one back from the public.
- The CSV has one row per certified site, the certificate's columns repeated on each, because
  CertSearch wants a single value per cell; a certificate without sites has one row with the site
  columns empty. Several standards share one cell, separated by "; ". The JSON nests the sites.
- The status is the one the public reads (a certificate past its expiry date is Expired even
  before the nightly run marks it so).
"""

import datetime
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_countries import countries

from certificates.models import Certificate, CertificateSite, CertificateStatus
from certificates.public_views import effective_status
from core.spreadsheets import SpreadsheetWriter
from standards.models import Standard

# CertSearch's words for our statuses (it also knows Inactive, Cancelled and Draft, which we never use).
STATUS_VOCABULARY: dict[str, str] = {
    CertificateStatus.ACTIVE: "Active",
    CertificateStatus.SUSPENDED: "Suspended",
    CertificateStatus.WITHDRAWN: "Withdrawn",
    CertificateStatus.EXPIRED: "Expired",
}
# Every standard in the library is certified under the body's accreditation (ISO/IEC 17021-1 or
# 17065, its accreditation_basis): Certdesk issues no unaccredited certificates to mark otherwise.
ACCREDITATION_STATUS = "Accredited"
STANDARDS_SEPARATOR = "; "

# (CSV column, JSON key) in CertSearch's order: the certificate, then the certified entity.
CERTIFICATE_FIELDS = [
    ("Certification Identity Number", "certification_identity_number"),
    ("Certificate Number", "certificate_number"),
    ("Certification Status", "certification_status"),
    ("Accreditation Status", "accreditation_status"),
    ("Certification Standards", "certification_standards"),
    ("Certification Scope", "certification_scope"),
    ("Certification Original Issue Date", "certification_original_issue_date"),
    ("Certification Issue Date", "certification_issue_date"),
    ("Certification Expiry Date", "certification_expiry_date"),
    ("Certified Entity Name", "certified_entity_name"),
    ("Certified Entity Unique ID", "certified_entity_unique_id"),
    ("Certified Entity Registered Address", "certified_entity_address"),
]
SITE_FIELDS = [
    ("Certification Site Name", "name"),
    ("Certification Site Address", "address"),
    ("Certification Site City", "city"),
    ("Certification Site Country", "country"),
    ("Certification Site Scope", "scope"),
]
CSV_HEADER = [column for column, _ in CERTIFICATE_FIELDS + SITE_FIELDS]


def yyyymmdd(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


def certsearch_certificates():
    """Every certificate CertSearch may list, with what the export reads: three queries in all."""
    return (
        Certificate.objects.public()
        .select_related("organization")
        .prefetch_related(
            Prefetch("standards", queryset=Standard.objects.only("code").order_by("code")),
            Prefetch("sites", queryset=CertificateSite.objects.order_by("id")),
        )
        .order_by("number")
    )


def _entity_unique_id(certificate: Certificate) -> str:
    organization = certificate.organization
    # CertSearch requires an id; a client without an organisation number gets our stable one.
    return organization.org_number or f"CERTDESK-ORG-{organization.pk}"


def certsearch_record(certificate: Certificate, *, today: datetime.date) -> dict:
    """One certificate in CertSearch's terms; sites nested, standards as a list of codes."""
    with translation.override("en"):
        sites = [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                # CertSearch maps countries by their English names; the code comes along for machines.
                "country": str(countries.name(site.country)) or site.country,
                "country_code": site.country,
                "scope": site.scope,
            }
            for site in certificate.sites.all()
        ]
    return {
        "certification_identity_number": str(certificate.identity),
        "certificate_number": certificate.number,
        "certification_status": STATUS_VOCABULARY[effective_status(certificate, today=today)],
        "accreditation_status": ACCREDITATION_STATUS,
        "certification_standards": [standard.code for standard in certificate.standards.all()],
        "certification_scope": certificate.scope,
        "certification_original_issue_date": yyyymmdd(certificate.original_issue_date),
        "certification_issue_date": yyyymmdd(certificate.issue_date),
        "certification_expiry_date": yyyymmdd(certificate.expiry_date),
        "certified_entity_name": certificate.entity_name,
        "certified_entity_unique_id": _entity_unique_id(certificate),
        "certified_entity_address": certificate.entity_address,
        "certification_sites": sites,
    }


def certsearch_records(*, today: datetime.date) -> list[dict]:
    return [certsearch_record(certificate, today=today) for certificate in certsearch_certificates()]


def certsearch_csv(records: list[dict]) -> str:
    """One row per certified site (see the module's docstring), with a header row; no cell a
    spreadsheet would run as a formula (core.spreadsheets)."""
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(CSV_HEADER)
    for record in records:
        certificate_cells = [
            STANDARDS_SEPARATOR.join(record[key]) if key == "certification_standards" else record[key]
            for _, key in CERTIFICATE_FIELDS
        ]
        for site in record["certification_sites"] or [None]:
            site_cells = [site[key] if site else "" for _, key in SITE_FIELDS]
            writer.writerow(certificate_cells + site_cells)
    return out.getvalue()


def _attachment(response, extension: str, today: datetime.date):
    response["Content-Disposition"] = f'attachment; filename="certsearch-{yyyymmdd(today)}.{extension}"'
    return response


@never_cache
@require_safe
@login_required
@permission_required("certificates.view_certificate", raise_exception=True)
def export_csv(request):
    today = timezone.localdate()
    # The byte-order mark makes Excel read the file as UTF-8 (Göteborg, not GÃ¶teborg).
    body = "\ufeff" + certsearch_csv(certsearch_records(today=today))
    return _attachment(HttpResponse(body, content_type="text/csv; charset=utf-8"), "csv", today)


@never_cache
@require_safe
@login_required
@permission_required("certificates.view_certificate", raise_exception=True)
def export_json(request):
    today = timezone.localdate()
    payload = {
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "certifications": certsearch_records(today=today),
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 2})
    return _attachment(response, "json", today)
