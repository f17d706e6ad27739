"""Every document prints what people wrote: in any script, and at any length a form or the API takes.

The documents: the plan, the quote, the audit report, the NCR, the summary of nonconformities and
the certificate. Text a form or the API takes is printed whole, a table cell taller than a page
included (it runs over pages); text longer than the limit is refused before anything is saved.
"""

import io
import re

import pytest
from django.conf import settings
from pypdf import PdfReader

from audits.documents import plan_pdf_render, quote_pdf_render
from audits.models import AuditDocument, DocumentKind
from audits.services import audit_update, programme_create
from certificates.documents import certificate_pdf_render
from certificates.services import certificate_change_scope
from core import pdf
from core.actors import SYSTEM
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.documents import nc_pdf_render, nc_summary_pdf_render
from findings.models import Finding, NonconformityResponse
from findings.ncr import nonconformity_respond
from findings.services import finding_create
from reports.documents import report_pdf_render
from reports.services import audit_close
from tests.conftest import download, pdf_pages
from tests.factories import closing_report

SCRIPTS = "Łódź Gdańsk İstanbul Ελληνικά Кириллица"
FONTS = {"DejaVuSansCondensed", "DejaVuSansCondensed-Bold"}


def _words(length: int) -> str:
    """Words up to exactly `length` characters, numbered so that a lost or repeated part shows."""
    text = " ".join(f"word{number}" for number in range(length // 5))
    return (text + " " + "z" * length)[:length]


# What people paste, each taller than a page in a table cell, where reportlab gave up on it.
HOSTILE = {
    "words": _words(7_000),
    "one word": "A" + "x" * 9_998 + "Z",
    "lines": "\n".join(f"line {number}" for number in range(600)),
    "empty lines": "first\n" + "\n" * 3_000 + "last",
    "markup": (
        '<para>R&D <b>bold</b> &amp; </para> <font size="40">big</font> <br/> "x" &lt; \\ ' + SCRIPTS + " "
    )
    * 40,
}


def printed(content: bytes, *repeated: str) -> str:
    """The text of every page without spaces or line breaks, the page's header and footer and a
    table's `repeated` header row: cells and lines break anywhere, and a table's header row repeats
    at the top of each page, so a text is found whole if its characters are there in order."""
    reader = PdfReader(io.BytesIO(content))
    furniture = [settings.CERTIFICATION_BODY_NAME, settings.CERTIFICATION_BODY_ADDRESS, reader.metadata.title]
    text = "\n".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"Page \d+ of \d+", "", text)
    for words in furniture:
        text = text.replace(words, "")
    text = squeezed(text)
    for words in repeated:
        text = text.replace(squeezed(words), "")
    return text


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def lines(content: bytes) -> list[str]:
    return "\n".join(pdf_pages(content)).splitlines()


def fonts(content: bytes) -> set[str]:
    """The fonts the pages use, without the prefix of an embedded subset; each one embedded."""
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
            names.add(font["/BaseFont"].split("+")[-1])
    return names


def _respond(nonconformity, user, **fields):
    return nonconformity_respond(
        nonconformity=nonconformity,
        user=user,
        correction=fields.get("correction", "Entered the missing weeks."),
        root_cause=fields.get("root_cause", "The log was kept on paper."),
        corrective_action=fields.get("corrective_action", "The log is kept in the ticket system."),
    )


# -- Letters beyond Latin-1, in every document --------------------------------------------------


def test_the_plan_prints_every_letter_in_the_embedded_font(cast, onsite_audit):
    audit_update(actor=SYSTEM, audit=onsite_audit, scope=SCRIPTS, objectives=SCRIPTS)
    content = plan_pdf_render(audit=onsite_audit)
    assert lines(content).count(SCRIPTS) == 2
    assert fonts(content) == FONTS


def test_the_quote_prints_every_letter_in_the_embedded_font(cast):
    cast.org_a.legal_name = SCRIPTS
    cast.org_a.save()
    content = quote_pdf_render(
        programme=programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    )
    assert SCRIPTS in lines(content)
    assert fonts(content) == FONTS


def test_the_report_prints_every_letter_in_the_embedded_font(cast, onsite_audit):
    audit_update(actor=SYSTEM, audit=onsite_audit, scope=SCRIPTS)
    finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_41, grade="minor", statement=SCRIPTS
    )
    audit_close(
        audit=onsite_audit,
        **closing_report(onsite_audit),
        user=cast.lead,
        recommendation="certify",
        conclusion=SCRIPTS,
    )
    content = report_pdf_render(audit=onsite_audit)
    assert lines(content).count(SCRIPTS) == 3
    assert fonts(content) == FONTS


def test_the_ncr_and_the_summary_print_every_letter_in_the_embedded_font(cast, open_minor):
    Finding.objects.filter(pk=open_minor.finding_id).update(statement=SCRIPTS)
    _respond(open_minor, cast.client, root_cause=SCRIPTS)
    cast.org_a.legal_name = SCRIPTS
    cast.org_a.save()
    ncr = nc_pdf_render(nonconformity=open_minor)
    # The statement, the root cause and the client in the summary at the top.
    assert lines(ncr).count(SCRIPTS) == 3
    assert fonts(ncr) == FONTS
    summary = nc_summary_pdf_render(audit=open_minor.audit)
    assert SCRIPTS in lines(summary)
    assert fonts(summary) == FONTS


def test_the_certificate_prints_every_letter_in_the_embedded_font(cast, certificate):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    certificate_change_scope(
        certificate=certificate,
        user=cast.staff,
        reason="Renamed",
        scope=SCRIPTS,
        site_scopes=[(stockholm, SCRIPTS)],
    )
    content = certificate_pdf_render(snapshot=certificate.revisions.get(revision=2).snapshot)
    assert lines(content).count(SCRIPTS) == 2
    # The canvas's own text (header, footer) and the QR code's link text are in it too.
    assert fonts(content) == FONTS


# -- Any length a form or the API takes, in every document --------------------------------------


def test_the_ncr_of_a_7000_character_root_cause_downloads(cast, open_minor, login):
    root_cause = _words(7_000)
    client = login(cast.client)
    response = client.post(
        f"/ncrs/{open_minor.pk}/respond/",
        {
            "correction": "Entered the missing weeks.",
            "root_cause": root_cause,
            "corrective_action": "The log is kept in the ticket system.",
        },
    )
    assert response.status_code == 302
    response = client.get(f"/ncrs/{open_minor.pk}/pdf/")
    assert response.status_code == 200
    assert squeezed(root_cause) in printed(download(response))


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_ncr_and_the_summary_print_every_answer_whole(kind, cast, open_minor):
    text = HOSTILE[kind]
    _respond(open_minor, cast.client, correction=text, root_cause=text[::-1], corrective_action=text)
    assert printed(nc_pdf_render(nonconformity=open_minor)).count(squeezed(text)) == 2
    assert squeezed(text[::-1]) in printed(nc_pdf_render(nonconformity=open_minor))
    assert open_minor.number in printed(nc_summary_pdf_render(audit=open_minor.audit))


def test_the_report_is_made_of_findings_of_any_length(cast, onsite_audit, django_capture_on_commit_callbacks):
    for text in HOSTILE.values():
        finding_create(
            audit=onsite_audit,
            user=cast.lead,
            clause=onsite_audit.clause_41,
            grade="minor",
            statement=text,
            evidence=text[::-1],
        )
    with django_capture_on_commit_callbacks(execute=True):
        audit_close(
            audit=onsite_audit,
            **closing_report(onsite_audit),
            user=cast.lead,
            recommendation="certify",
            conclusion=HOSTILE["lines"],
        )
    document = AuditDocument.objects.get(audit=onsite_audit, kind=DocumentKind.REPORT)
    with document.file.open("rb") as handle:
        text = printed(handle.read())
    for kind, written in HOSTILE.items():
        assert squeezed(written) in text, kind
        assert squeezed(written[::-1]) in text, kind
    assert text.count(squeezed(HOSTILE["lines"])) == 2  # a finding and the conclusion


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_plan_prints_texts_of_any_length(kind, cast, onsite_audit):
    text = HOSTILE[kind]
    audit_update(actor=SYSTEM, audit=onsite_audit, objectives=text, scope=text[::-1], criteria=text)
    content = printed(plan_pdf_render(audit=onsite_audit))
    assert content.count(squeezed(text)) == 2
    assert squeezed(text[::-1]) in content


def test_the_quote_and_the_summary_print_the_longest_names(cast, open_minor):
    name, site_name = "N" + "o" * 198 + "A", "S" + "i" * 198 + "E"  # as long as the fields take
    cast.org_a.legal_name = name
    cast.org_a.save()
    site = open_minor.finding.site
    site.name = site_name
    site.save()
    assert name in printed(quote_pdf_render(programme=open_minor.audit.programme))
    summary = printed(nc_summary_pdf_render(audit=open_minor.audit))
    assert name in summary
    # The site's name runs over the rows of its cell's pieces, after the row's other cells.
    assert site_name[:30] in summary
    assert site_name[-30:] in summary


def test_the_certificate_prints_the_longest_scopes_the_api_takes(cast, certificate, api):
    scope, site_scope = _words(LONG_TEXT_MAX_LENGTH), HOSTILE["lines"] + "\n" + HOSTILE["one word"]
    assert len(scope) == LONG_TEXT_MAX_LENGTH > len(site_scope)
    stockholm = cast.org_a.sites.get(name="Stockholm")
    response = api(cast.staff).post(
        f"/api/v1/certificates/{certificate.pk}/scope/",
        {"reason": "Scope restated", "scope": scope, "sites": [{"site": stockholm.pk, "scope": site_scope}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = api(cast.client).get(
        f"/api/v1/certificates/{certificate.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    content = download(response)
    assert squeezed(scope) in printed(content)
    assert squeezed(site_scope) in printed(content, "Site Address Scope at the site")
    # However long the scope, the foot with the dates and the QR code stays on page 1.
    assert "Verify the status of this certificate" in pdf_pages(content)[0]


# -- The shared pieces: a table cell of any length ----------------------------------------------


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_summary_cell_taller_than_a_page_runs_over_pages(kind):
    text = HOSTILE[kind]
    content = pdf.build_pdf(
        [pdf.summary_table([("Root cause", text), ("Next", "The row after")])], title="Summary"
    )
    assert squeezed(f"Root cause{text}NextThe row after") in printed(content)


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_data_cell_taller_than_a_page_runs_over_pages_among_a_thousand_rows(kind):
    text = HOSTILE[kind]
    rows = [[f"NC-{number}", "4.1 General", "Stockholm"] for number in range(1_000)]
    rows[500][2] = text
    content = pdf.build_pdf(
        [pdf.data_table(["Number", "Clause", "Site"], rows, widths=[0.2, 0.5, 0.3])], title="Rows"
    )
    # The other cells of the row are in its first piece: the long text is the row's last cell.
    text_printed = printed(content, "Number Clause Site")
    assert squeezed(f"NC-499 4.1 General Stockholm NC-500 4.1 General {text} NC-501") in text_printed
    assert text_printed.endswith(squeezed("NC-999 4.1 General Stockholm"))


def test_a_text_of_many_lines_takes_the_room_of_one_paragraph():
    """Set a Paragraph a line (fast), it is as high as the one Paragraph, spaces before and after."""
    text = "\n".join(f"Line {number} of a list pasted into a field." for number in range(40))
    one = pdf.para(text)
    several = pdf.paragraphs(text)
    assert len(several) == 40

    def room(flowables):
        heights = [flowable.wrap(300, 10_000)[1] for flowable in flowables]
        return sum(heights) + flowables[0].getSpaceBefore() + flowables[-1].getSpaceAfter()

    assert room(several) == room([one])
    assert sum(flowable.getSpaceAfter() for flowable in several) == one.getSpaceAfter() > 0


# -- What no form and no API takes --------------------------------------------------------------

TOO_LONG = "x" * (LONG_TEXT_MAX_LENGTH + 1)
FORM_REFUSAL = f"Ensure this value has at most {LONG_TEXT_MAX_LENGTH} characters (it has {len(TOO_LONG)})."
API_REFUSAL = f"Ensure this field has no more than {LONG_TEXT_MAX_LENGTH} characters."


def test_it_refuses_a_longer_answer_on_the_page_and_over_the_api(cast, open_minor, login, api):
    answer = {"correction": "Done.", "root_cause": TOO_LONG, "corrective_action": "Changed."}
    response = login(cast.client).post(f"/ncrs/{open_minor.pk}/respond/", answer)
    assert response.status_code == 400
    assert FORM_REFUSAL in response.content.decode()
    response = api(cast.client).post(
        f"/api/v1/nonconformities/{open_minor.pk}/respond/", answer, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"root_cause": [API_REFUSAL]}
    assert not NonconformityResponse.objects.exists()


def test_it_refuses_a_longer_finding_on_the_page_and_over_the_api(cast, onsite_audit, login, api):
    clause = onsite_audit.clause_41
    response = login(cast.lead).post(
        f"/audits/{onsite_audit.pk}/checklist/{clause.pk}/", {"grade": "minor", "statement": TOO_LONG}
    )
    assert response.status_code == 400
    assert FORM_REFUSAL in response.content.decode()
    body = {"audit": onsite_audit.pk, "clause": clause.pk, "grade": "minor", "evidence": TOO_LONG}
    response = api(cast.lead).post("/api/v1/findings/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"evidence": [API_REFUSAL]}
    assert not Finding.objects.exists()


def test_it_refuses_a_longer_scope_on_the_page_and_over_the_api(cast, certificate, login, api):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    response = login(cast.staff).post(
        f"/certificates/{certificate.pk}/scope/",
        {
            "scope-reason": "Restated",
            "scope-scope": "Telephone.",
            f"scope-site_{stockholm.pk}": "on",
            f"scope-site_{stockholm.pk}_scope": TOO_LONG,
        },
    )
    assert response.status_code == 400
    assert FORM_REFUSAL in response.content.decode()
    response = api(cast.staff).post(
        f"/api/v1/certificates/{certificate.pk}/scope/",
        {"reason": "Restated", "scope": TOO_LONG, "sites": [{"site": stockholm.pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"scope": [API_REFUSAL]}
    certificate.refresh_from_db()
    assert certificate.revision == 1
    assert certificate.scope == "Inbound customer service by telephone, e-mail and chat."
