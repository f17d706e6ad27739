"""The export for IAF CertSearch (IAF MD 28): every listed certificate, as the .xlsx CertSearch's
data upload takes and as JSON, for staff; and the check of what CertSearch would reject.

The workbook follows IAF CertSearch's certification template version 2.0 for a certification body:
its sheets in the template's order (Certified Entity, Certification, Certification Sites), the
template's column names in its order, one value per cell, text cells only, YYYYMMDD dates. Sources:

- https://support.iafcertsearch.org/docs/field-name-glossary/certification-template-for-certification-body
  (the Certifications fields, their order and which are mandatory; "Accredited" or "Unaccredited")
- https://support.iafcertsearch.org/accreditation-bodies/data-management/import-certification/certification-file-templates/manage-data-in-excel
  (template 2.0: the separate Certified Entity sheet; its Unique ID and the Certification Identity
  Number tie the sheets together)
- https://support.iafcertsearch.org/certification-bodies/field-name-glossary/certification-fields-glossary/version-2.0/certified-entity-data-fields
  and .../version-2.0/certification-data-fields/certification-sites (the split address fields:
  street, city, state, zipcode/postcode, country/economy; the sites' Excel names)
- https://support.iafcertsearch.org/certification-bodies/data-management/import-certification/certification-templates/excel-general-rules
  (.xlsx only, keep names, column and sheet order, no formulas, one value per cell)

The stored copies of these pages did not show every column of the downloadable template (its
optional columns past the address, such as contacts and technical sectors): the columns here are
the documented ones we fill, in the documented order. See `CERTIFICATION_COLUMNS`.

- Confidential certificates are left out: CertSearch has no way to hold one back from the public.
- A certificate of several standards is one Certification row per standard (one value per cell),
  the same Certification Identity Number on each, as CertSearch's "Add Multiple Standards" keeps them.
- The status is the one the public reads (a certificate past its expiry date is Expired even
  before the nightly run marks it so).
- Every cell goes through core.spreadsheets.spreadsheet_cell: text that would start a formula is
  written with a leading apostrophe, and openpyxl never stores it as a formula.
"""

import datetime
import io
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_countries import countries
from openpyxl import Workbook

from certificates.models import Certificate, CertificateSite, CertificateStatus
from certificates.public_views import effective_status
from core.spreadsheets import spreadsheet_cell
from standards.models import AccreditationBasis, Standard
from standards.selectors import accreditation_status

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# CertSearch's words for our statuses (it also knows Inactive, Cancelled and Draft, which we never use).
STATUS_VOCABULARY: dict[str, str] = {
    CertificateStatus.ACTIVE: "Active",
    CertificateStatus.SUSPENDED: "Suspended",
    CertificateStatus.WITHDRAWN: "Withdrawn",
    CertificateStatus.EXPIRED: "Expired",
}
# CertSearch's certification type for what our standards are accredited under (its glossary's
# example is "Management System"; other terms go through its mapping by certification type).
CERTIFICATION_TYPES: dict[str, str] = {
    AccreditationBasis.MANAGEMENT_SYSTEM: "Management System",
    AccreditationBasis.PRODUCT_SERVICE: "Product, Process and Service",
}


@dataclass(frozen=True)
class Column:
    name: str
    mandatory: bool = False


CERTIFIED_ENTITY_SHEET = "Certified Entity"
CERTIFICATION_SHEET = "Certification"
SITES_SHEET = "Certification Sites"

CERTIFIED_ENTITY_COLUMNS = [
    Column("Certified Entity Unique ID", mandatory=True),
    Column("Certified Entity Name", mandatory=True),
    Column("Certified Entity Trading Name"),
    Column("Certified Entity English Name"),
    # IAF MD 28 makes the registered address mandatory: a physical address, split in these fields.
    Column("Certified Entity Street", mandatory=True),
    Column("Certified Entity City", mandatory=True),
    Column("Certified Entity State"),
    Column("Certified Entity Zipcode/Postcode"),
    Column("Certified Entity Country/Economy", mandatory=True),
]
CERTIFICATION_COLUMNS = [
    Column("Certification Identity Number", mandatory=True),
    Column("Certified Entity Unique ID", mandatory=True),
    Column("Certificate Number", mandatory=True),
    Column("Certification Status", mandatory=True),
    Column("Accreditation Status", mandatory=True),
    Column("Certification Type", mandatory=True),
    # Not named in the stored glossary pages; the name the earlier export used, one standard a row.
    Column("Certification Standards", mandatory=True),
    Column("Certification Scope"),
    Column("Certification Original Issue Date"),
    Column("Certification Issue Date", mandatory=True),
    Column("Certification Expiry Date", mandatory=True),
]
SITE_COLUMNS = [
    Column("Certification Identity Number", mandatory=True),
    Column("Site Street"),
    Column("Site City", mandatory=True),
    Column("Site State"),
    Column("Site Zipcode/Postcode"),
    # Always required once a site is given.
    Column("Site Country/Economy", mandatory=True),
    Column("Site Scope"),
]
SHEETS = [
    (CERTIFIED_ENTITY_SHEET, CERTIFIED_ENTITY_COLUMNS),
    (CERTIFICATION_SHEET, CERTIFICATION_COLUMNS),
    (SITES_SHEET, SITE_COLUMNS),
]


def yyyymmdd(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


def certsearch_certificates():
    """Every certificate CertSearch may list, with what the export reads: three queries in all."""
    return (
        Certificate.objects.public()
        .select_related("organization")
        .prefetch_related(
            Prefetch(
                "standards",
                queryset=Standard.objects.select_related("scheme").order_by("code"),
            ),
            Prefetch("sites", queryset=CertificateSite.objects.select_related("site").order_by("id")),
        )
        .order_by("number")
    )


def _entity_unique_id(certificate: Certificate) -> str:
    organization = certificate.organization
    # CertSearch requires an id; a client without an organisation number gets our stable one.
    return organization.org_number or f"CERTDESK-ORG-{organization.pk}"


def _country_name(code: str) -> str:
    # CertSearch maps countries by their English names (its country/economy list).
    with translation.override("en"):
        return str(countries.name(code)) or code


def certsearch_record(certificate: Certificate, *, today: datetime.date) -> dict:
    """One certificate in CertSearch's terms (its XML element names); sites nested, standards a list."""
    standards = list(certificate.standards.all())
    organization = certificate.organization
    sites = [
        {
            "name": site.name,
            "address": site.address,
            "city": site.city,
            "postal_code": site.site.postal_code,
            "country": _country_name(site.country),
            "country_code": site.country,
            "scope": site.scope,
        }
        for site in certificate.sites.all()
    ]
    return {
        "certification_identity_number": str(certificate.identity),
        "certificate_number": certificate.number,
        "certification_status": STATUS_VOCABULARY[effective_status(certificate, today=today)],
        "accreditation_status": accreditation_status(standards),
        "certification_type": CERTIFICATION_TYPES.get(standards[0].accreditation_basis, "")
        if standards
        else "",
        "certification_standards": [standard.code for standard in standards],
        "certification_scope": certificate.scope,
        "certification_original_issue_date": yyyymmdd(certificate.original_issue_date),
        "certification_issue_date": yyyymmdd(certificate.issue_date),
        "certification_expiry_date": yyyymmdd(certificate.expiry_date),
        "certified_entity_name": certificate.entity_name,
        "certified_entity_unique_id": _entity_unique_id(certificate),
        "certified_entity_address": certificate.entity_address,
        "certified_entity_street": organization.address,
        "certified_entity_city": organization.city,
        "certified_entity_postal_code": organization.postal_code,
        "certified_entity_country": _country_name(str(organization.country)),
        "certification_sites": sites,
    }


def certsearch_records(*, today: datetime.date) -> list[dict]:
    return [certsearch_record(certificate, today=today) for certificate in certsearch_certificates()]


def certsearch_rows(records: list[dict]) -> dict[str, list[list[str]]]:
    """Each sheet's rows (without the header), cells in the template's column order."""
    entities: dict[str, list[str]] = {}
    certifications, sites = [], []
    for record in records:
        # One Certified Entity row per organisation, however many certificates it holds.
        entities.setdefault(
            record["certified_entity_unique_id"],
            [
                record["certified_entity_unique_id"],
                record["certified_entity_name"],
                "",
                "",
                record["certified_entity_street"],
                record["certified_entity_city"],
                "",
                record["certified_entity_postal_code"],
                record["certified_entity_country"],
            ],
        )
        for standard in record["certification_standards"] or [""]:
            certifications.append(
                [
                    record["certification_identity_number"],
                    record["certified_entity_unique_id"],
                    record["certificate_number"],
                    record["certification_status"],
                    record["accreditation_status"],
                    record["certification_type"],
                    standard,
                    record["certification_scope"],
                    record["certification_original_issue_date"],
                    record["certification_issue_date"],
                    record["certification_expiry_date"],
                ]
            )
        for site in record["certification_sites"]:
            sites.append(
                [
                    record["certification_identity_number"],
                    site["address"],
                    site["city"],
                    "",
                    site["postal_code"],
                    site["country"],
                    site["scope"],
                ]
            )
    return {
        CERTIFIED_ENTITY_SHEET: list(entities.values()),
        CERTIFICATION_SHEET: certifications,
        SITES_SHEET: sites,
    }


@dataclass(frozen=True)
class Rejection:
    sheet: str
    row: int  # as the spreadsheet numbers it: the header is row 1
    label: str  # what the row is about: the entity's name or the certificate's number
    missing: list[str]


def certsearch_rejections(rows: dict[str, list[list[str]]]) -> list[Rejection]:
    """The rows CertSearch would refuse with "Missing Required Field", and which fields are missing."""
    rejections = []
    for sheet, columns in SHEETS:
        label_at = 1 if sheet == CERTIFIED_ENTITY_SHEET else 0
        if sheet == CERTIFICATION_SHEET:
            label_at = 2
        for number, row in enumerate(rows[sheet], start=2):
            missing = [
                column.name
                for column, value in zip(columns, row, strict=True)
                if column.mandatory and not str(value).strip()
            ]
            if missing:
                rejections.append(Rejection(sheet, number, row[label_at], missing))
    return rejections


def certsearch_workbook(rows: dict[str, list[list[str]]]) -> bytes:
    """The .xlsx: the template's sheets in order, its header row, every cell text and made safe."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, columns in SHEETS:
        worksheet = workbook.create_sheet(sheet)
        worksheet.append([column.name for column in columns])
        for row in rows[sheet]:
            worksheet.append([spreadsheet_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _attachment(response, extension: str, today: datetime.date):
    response["Content-Disposition"] = f'attachment; filename="certsearch-{yyyymmdd(today)}.{extension}"'
    return response


@never_cache
@require_safe
@login_required
@permission_required("certificates.view_certificate", raise_exception=True)
def summary(request):
    """What the upload holds and which of its rows CertSearch would refuse, before staff download it."""
    rows = certsearch_rows(certsearch_records(today=timezone.localdate()))
    sheet_names = {
        CERTIFIED_ENTITY_SHEET: _("Certified entities"),
        CERTIFICATION_SHEET: _("Certifications"),
        SITES_SHEET: _("Certification sites"),
    }
    context = {
        "counts": [(sheet_names[sheet], len(rows[sheet])) for sheet, _columns in SHEETS],
        "rejections": [
            {**rejection.__dict__, "sheet_label": sheet_names[rejection.sheet]}
            for rejection in certsearch_rejections(rows)
        ],
    }
    return render(request, "certificates/certsearch.html", context)


@never_cache
@require_safe
@login_required
@permission_required("certificates.view_certificate", raise_exception=True)
def export_xlsx(request):
    today = timezone.localdate()
    body = certsearch_workbook(certsearch_rows(certsearch_records(today=today)))
    return _attachment(HttpResponse(body, content_type=XLSX_TYPE), "xlsx", today)


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
