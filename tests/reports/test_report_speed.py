"""The audit report of a big audit: what keeps it fast, pinned without timing anything.

An audit report runs to hundreds of findings. Its data is read in a fixed number of queries,
rendering reads nothing (no query, no evidence file), and the shared PDF pieces (core/pdf.py)
draw one-line table cells as plain strings, which must look exactly as the Paragraphs they stand
for.
"""

import datetime

import pypdfium2
import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import ImageChops
from reportlab.platypus import Paragraph, Table

from audits.models import Audit, AuditStatus, AuditType, Recommendation, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from core import pdf
from core.actors import SYSTEM
from findings.models import Evidence, Grade, Visibility
from findings.services import finding_create
from reports.documents import _render_report, report_data, report_pdf_render
from reports.services import audit_close
from tests.conftest import pdf_text
from tests.factories import ClauseFactory, CompetenceFactory, attach, closing_report

TODAY = datetime.date(2026, 11, 27)
GRADES = [Grade.MINOR, Grade.CONFORMING, Grade.OFI, Grade.MAJOR, Grade.OBSERVATION, Grade.CONFORMING]
CLAUSES = 8
REPORT_QUERIES = 10  # with the statements on the management system


def pages_as_printed(content: bytes) -> list:
    document = pypdfium2.PdfDocument(content)
    try:
        return [page.render(scale=2).to_pil().convert("L") for page in document]
    finally:
        document.close()


def assert_same_print(content: bytes, other: bytes) -> None:
    pages, other_pages = pages_as_printed(content), pages_as_printed(other)
    assert len(pages) == len(other_pages)
    for number, (page, other_page) in enumerate(zip(pages, other_pages, strict=True), start=1):
        assert ImageChops.difference(page, other_page).getbbox() is None, f"page {number} differs"


def all_paragraphs(monkeypatch) -> None:
    """Every table cell a Paragraph, as before plain-string cells: the look to keep."""
    monkeypatch.setattr(pdf, "_fits_one_line", lambda *args: False)


def confirmed_audit(cast, audit_type, clauses, start: datetime.date) -> Audit:
    """The programme's audit of that type at all three sites, one day each, every clause planned."""
    audit = Audit.objects.get(organization=cast.org_a, audit_type=audit_type)
    audit_update(actor=SYSTEM, audit=audit, start_date=start, end_date=start + datetime.timedelta(days=2))
    lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=5)
    sites = list(cast.org_a.sites.order_by("name"))
    audit_update(actor=SYSTEM, audit=audit, sites=sites)
    for offset, site in enumerate(sites):
        day = plan_day_add(actor=SYSTEM, audit=audit, date=start + datetime.timedelta(days=offset), site=site)
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(9),
            end=datetime.time(16),
            member=lead,
            activity="Everything",
            clauses=clauses,
        )
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def big_audit(cast):
    """Stage 2 closed with many findings (every grade, files for the client and for the team), after
    a closed stage 1 whose nonconformities the report follows up."""
    programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    heading = cast.standard.clauses.get(number="4")
    for number in range(1, CLAUSES - 1):
        ClauseFactory(standard=cast.standard, number=f"4.{number + 2}", title="More", parent=heading)
    clauses = list(cast.standard.clauses.filter(auditable=True).order_by("order"))
    assert len(clauses) == CLAUSES

    stage1 = confirmed_audit(cast, AuditType.STAGE1, clauses, TODAY)
    for grade in (Grade.MINOR, Grade.MAJOR):
        finding_create(audit=stage1, user=cast.lead, clause=clauses[0], grade=grade, statement="Stage 1")
    audit_close(
        audit=stage1,
        **closing_report(stage1),
        user=cast.lead,
        recommendation=Recommendation.CERTIFY_AFTER_MAJORS,
    )

    audit = confirmed_audit(cast, AuditType.STAGE2, clauses, TODAY + datetime.timedelta(days=30))
    count = 0
    for clause in clauses:
        for site in audit.sites.order_by("name"):
            for _ in range(2):
                grade = GRADES[count % len(GRADES)]
                finding = finding_create(
                    audit=audit,
                    user=cast.lead,
                    clause=clause,
                    site=site,
                    grade=grade,
                    statement=f"Finding {count}: required and observed at {site.name}.",
                    evidence="Interviewed the team leader; sampled four contacts.",
                    interviewee_role="Agent" if count % 2 else "",
                )
                if count % 3 == 0:
                    attach(finding, f"photo-{count}.jpg", "The notice board")
                    attach(finding, f"screen-{count}.jpg", visibility=Visibility.TEAM)
                count += 1
    audit_close(
        audit=audit,
        **closing_report(audit),
        user=cast.lead,
        recommendation=Recommendation.CERTIFY_AFTER_MAJORS,
        conclusion="Done.",
    )
    audit.refresh_from_db()
    return audit


def test_it_reads_a_report_of_many_findings_in_a_fixed_number_of_queries(
    big_audit, django_assert_num_queries
):
    with django_assert_num_queries(REPORT_QUERIES):
        data = report_data(big_audit)
    assert len(data["findings"]) == CLAUSES * 3 * 2
    assert len(data["nonconformities"]) == CLAUSES * 2
    assert len(data["earlier_nonconformities"]) == 2
    assert sum(len(finding["files"]) for finding in data["findings"]) == 16
    assert sum(finding["team_files"] for finding in data["findings"]) == 16

    # Rendering works on the data alone.
    with django_assert_num_queries(0):
        _render_report(data)
    with django_assert_num_queries(REPORT_QUERIES):
        report_pdf_render(audit=big_audit)


def test_it_never_opens_an_evidence_file(big_audit, monkeypatch):
    """The report names the files; reading them (or failing to, when one is gone) would cost each time."""
    for item in Evidence.objects.all():
        default_storage.delete(item.file.name)

    def refuse(*args, **kwargs):
        raise AssertionError("the report opened a stored file")

    monkeypatch.setattr(FileSystemStorage, "open", refuse)
    monkeypatch.setattr(FileSystemStorage, "exists", refuse)
    text = pdf_text(report_pdf_render(audit=big_audit))
    assert "photo-0.jpg – The notice board" in text
    assert "screen-0.jpg" not in text


def test_its_plain_cells_print_exactly_as_paragraphs(big_audit, monkeypatch):
    data = report_data(big_audit)
    as_strings = _render_report(data)
    all_paragraphs(monkeypatch)
    as_paragraphs = _render_report(data)
    assert as_strings != as_paragraphs
    assert_same_print(as_strings, as_paragraphs)
    assert pdf_text(as_strings) == pdf_text(as_paragraphs)


# -- The shared pieces --------------------------------------------------------------------------

PLAIN = [
    "Site",
    "Objective evidence",
    "Not tied to one site",
    "Göteborg – Malmö, “quoted” 12.5 %",
    "lead  and  trail ",
    " tab\there",
    "two\nlines",
    "non\xa0breaking",
    "soft\xadhyphen",
    "R&D <b>floor</b> > 3",
    "",
    "word " * 60,
]


def test_only_text_that_fits_on_one_line_becomes_a_plain_cell():
    cells = [pdf._cell(text, width=100) for text in PLAIN]
    plain = [text for text, cell in zip(PLAIN, cells, strict=True) if isinstance(cell, str)]
    # Markup in user text is text: drawn as a string, it reads as the escaped Paragraph does.
    assert plain == ["Site", "Objective evidence", "Not tied to one site", "R&D <b>floor</b> > 3"]
    assert isinstance(pdf._cell("Göteborg – Malmö, “quoted” 12.5 %", width=300), str)
    assert isinstance(pdf._cell("Site"), Paragraph)  # no width known: no plain string
    assert isinstance(pdf._cell("12", "cell-right", width=300), Paragraph)
    flowables = pdf.bullets(["a"])
    assert pdf._cell(flowables, width=300) is flowables


def tables() -> list[Table]:
    return [
        pdf.summary_table(
            [
                ("Site", "Stockholm"),
                ("Grade", "Minor nonconformity"),
                ("Statement", "A statement long enough to run over more than one line of the table, " * 2),
                ("Interviewee's role", "Team leader"),
                ("Evidence files", pdf.bullets(["photo.jpg – The notice board"])),
                ("Empty", ""),
                ("Spaced", "two  spaces"),
                ("Markup", "R&D <b>floor</b> > 3"),
            ]
        ),
        pdf.data_table(
            ["Item", "Note", "Days"],
            [["Stage 1", "On site", "1.5"], ["Stage 2", "Several words " * 8, "3.0"], ["Total", "", "4.5"]],
            widths=[0.3, 0.5, 0.2],
            numeric_columns=[2],
            total_row=True,
        ),
    ]


def test_tables_of_plain_cells_have_the_rows_of_paragraph_cells(monkeypatch):
    plain = tables()
    all_paragraphs(monkeypatch)
    paragraphs = tables()
    assert any(isinstance(cell, str) for table in plain for row in table._cellvalues for cell in row)
    for ours, theirs in zip(plain, paragraphs, strict=True):
        assert ours.wrap(pdf.CONTENT_WIDTH, 800) == theirs.wrap(pdf.CONTENT_WIDTH, 800)
        assert ours._rowHeights == theirs._rowHeights


def test_tables_of_plain_cells_print_exactly_as_paragraph_cells(monkeypatch):
    plain = pdf.build_pdf(tables(), title="Tables")
    all_paragraphs(monkeypatch)
    paragraphs = pdf.build_pdf(tables(), title="Tables")
    assert plain != paragraphs
    assert_same_print(plain, paragraphs)
    assert pdf_text(plain) == pdf_text(paragraphs)
