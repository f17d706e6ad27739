"""What the audit report states besides the findings (ISO/IEC 17021-1 9.4.8): per standard, the
conformity and effectiveness of the management system; unresolved issues; significant changes since
the last audit; that an audit samples; and for a remote or hybrid audit, the ICT used and how well it
worked. Entered when the lead closes the audit, on the page or the API."""

import pytest
from django.utils import translation

from audits.models import AuditStandard, IctCheck
from audits.services import audit_update, ict_check_record
from core.actors import SYSTEM
from core.errors import DomainError
from findings.services import finding_create
from reports.documents import report_pdf_render
from reports.models import SystemStatement
from reports.services import StatementInput, audit_close
from tests.conftest import page_text, pdf_text
from tests.factories import StandardFactory, closing_report


def words(text: str) -> str:
    return " ".join(text.split())


def statement(standard, conformity="with_nonconformities", effectiveness="effective", comment=""):
    return StatementInput(standard.pk, conformity, effectiveness, comment)


@pytest.fixture
def minor(cast, onsite_audit):
    return finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis.",
    )


def close(audit, user, **data):
    data.setdefault("recommendation", "certify")
    return audit_close(audit=audit, user=user, **{**closing_report(audit), **data})


# -- The service ----------------------------------------------------------------------------------


def test_closing_keeps_the_statements_of_the_report(cast, onsite_audit, minor):
    close(
        onsite_audit,
        cast.lead,
        statements=[statement(cast.standard, comment="  Complaints handled well.  ")],
        unresolved_issues="The client disputes the sample size.",
        significant_changes="A new site in Umeå since stage 1.",
    )

    kept = SystemStatement.objects.get(audit=onsite_audit)
    assert (kept.standard, kept.conformity, kept.effectiveness, kept.comment) == (
        cast.standard,
        "with_nonconformities",
        "effective",
        "Complaints handled well.",
    )
    onsite_audit.refresh_from_db()
    assert onsite_audit.unresolved_issues == "The client disputes the sample size."
    assert onsite_audit.significant_changes == "A new site in Umeå since stage 1."


def test_a_system_with_nonconformities_found_cannot_be_stated_conforming(cast, onsite_audit, minor):
    with pytest.raises(DomainError, match="Nonconformities were found against ISO 18295-1:2017") as error:
        close(onsite_audit, cast.lead, statements=[statement(cast.standard, conformity="conforming")])

    assert error.value.field == "statements"
    onsite_audit.refresh_from_db()
    assert onsite_audit.status != "closed"
    assert not SystemStatement.objects.exists()


@pytest.mark.parametrize(
    ("conformity", "effectiveness"),
    [("not_conforming", "effective"), ("with_nonconformities", "not_effective")],
)
def test_the_team_cannot_recommend_certification_of_a_system_it_states_fails(
    cast, onsite_audit, minor, conformity, effectiveness
):
    with pytest.raises(DomainError, match="cannot recommend certification") as error:
        close(onsite_audit, cast.lead, statements=[statement(cast.standard, conformity, effectiveness)])

    assert error.value.field == "recommendation"
    close(
        onsite_audit,
        cast.lead,
        recommendation="do_not_certify",
        statements=[statement(cast.standard, conformity, effectiveness)],
    )


def test_statements_cover_every_standard_of_the_audit(cast, onsite_audit):
    second = StandardFactory(code="ISO 9001:2015")
    AuditStandard.objects.create(audit=onsite_audit, standard=second)

    with pytest.raises(DomainError, match="conforms to ISO 9001:2015 and whether it is effective"):
        close(onsite_audit, cast.lead, statements=[statement(cast.standard, "conforming")])
    with pytest.raises(DomainError, match="conforms to ISO 18295-1:2017, ISO 9001:2015 and whether"):
        close(onsite_audit, cast.lead, statements=[])

    close(
        onsite_audit,
        cast.lead,
        statements=[statement(cast.standard, "conforming"), statement(second, "conforming")],
    )
    assert SystemStatement.objects.filter(audit=onsite_audit).count() == 2


def test_a_statement_on_another_standard_is_refused(cast, onsite_audit):
    other = StandardFactory(code="ISO 14001:2015")

    with pytest.raises(DomainError, match="not against"):
        close(onsite_audit, cast.lead, statements=[statement(cast.standard, "conforming"), statement(other)])


def test_a_statement_needs_both_choices(cast, onsite_audit):
    with pytest.raises(DomainError, match="Say whether the management system conforms"):
        close(onsite_audit, cast.lead, statements=[StatementInput(cast.standard.pk, "", "effective")])


def test_a_remote_or_hybrid_audit_says_how_effective_the_ict_was(cast, onsite_audit):
    audit_update(actor=SYSTEM, audit=onsite_audit, mode="hybrid")
    onsite_audit.refresh_from_db()

    with pytest.raises(DomainError, match="Say how effective the ICT was"):
        close(onsite_audit, cast.lead, ict_effectiveness="   ")

    close(onsite_audit, cast.lead, ict_effectiveness="Screen sharing worked.")
    onsite_audit.refresh_from_db()
    assert onsite_audit.ict_effectiveness == "Screen sharing worked."


def test_an_on_site_audit_has_no_ict_to_report_on(cast, onsite_audit):
    with pytest.raises(DomainError, match="no ICT to report on"):
        close(onsite_audit, cast.lead, ict_effectiveness="Teams worked well.")


# -- The report PDF -------------------------------------------------------------------------------


def test_the_report_states_conformity_effectiveness_issues_changes_and_sampling(cast, onsite_audit, minor):
    close(
        onsite_audit,
        cast.lead,
        statements=[statement(cast.standard, comment="Complaints handled well.")],
        unresolved_issues="The client disputes the sample size.",
        significant_changes="A new site in Umeå since stage 1.",
    )

    text = words(pdf_text(report_pdf_render(audit=onsite_audit)))

    for expected in [
        "Conformity and effectiveness of the management system",
        "ISO 18295-1:2017",
        "Conforms, with nonconformities to correct",
        "Effective",
        "Complaints handled well.",
        "Unresolved issues",
        "The client disputes the sample size.",
        "Significant changes since the last audit",
        "A new site in Umeå since stage 1.",
        "An audit is based on sampling",
        "Nonconformities may therefore exist that were not found",
    ]:
        assert expected in text, expected
    # An on-site audit has no ICT part.
    assert "Remote auditing (ICT)" not in text


def test_the_report_says_what_was_not_stated(cast, onsite_audit):
    """An audit closed before the statements were asked for: its report says so, it does not guess."""
    close(onsite_audit, cast.lead)
    SystemStatement.objects.filter(audit=onsite_audit).delete()

    text = words(pdf_text(report_pdf_render(audit=onsite_audit)))

    assert "ISO 18295-1:2017 Not stated Not stated" in text
    assert "None: no issue between the team and the client was left unresolved." in text
    assert "None reported." in text
    assert "An audit is based on sampling" in text


def test_a_hybrid_audits_report_names_the_ict_used_and_how_effective_it_was(cast, onsite_audit):
    audit_update(actor=SYSTEM, audit=onsite_audit, mode="hybrid")
    ict_check_record(
        actor=SYSTEM,
        audit=onsite_audit,
        tools="Teams video with screen sharing.",
        connectivity="Tested.",
        confidentiality="No recording.",
        limitations="The call floor.",
        remote_percent=30,
        feasible=True,
    )
    onsite_audit.refresh_from_db()
    onsite_audit.status = "confirmed"
    onsite_audit.save(update_fields=["status"])

    close(onsite_audit, cast.lead, ict_effectiveness="Sound was poor on day two; records were shared well.")

    text = words(pdf_text(report_pdf_render(audit=onsite_audit)))
    assert "Remote auditing (ICT)" in text
    assert "Teams video with screen sharing." in text
    assert "The call floor." in text
    assert "30 %" in text
    assert "Sound was poor on day two; records were shared well." in text
    assert IctCheck.objects.count() == 1


def test_the_report_states_it_all_in_swedish(cast, onsite_audit, minor):
    close(onsite_audit, cast.lead, statements=[statement(cast.standard)])

    with translation.override("sv"):
        text = words(pdf_text(report_pdf_render(audit=onsite_audit)))

    assert "Ledningssystemets överensstämmelse och effektivitet" in text
    assert "Uppfyller kraven, med avvikelser att åtgärda" in text
    assert "En revision bygger på stickprov" in text


# -- The page and the API -------------------------------------------------------------------------


def test_the_close_page_asks_for_the_statements(cast, onsite_audit, login):
    text = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/close/"))

    assert f'name="conformity_{cast.standard.pk}"' in text
    assert f'name="effectiveness_{cast.standard.pk}"' in text
    assert 'name="unresolved_issues"' in text
    assert 'name="significant_changes"' in text
    # The ICT's effectiveness is asked only of a remote or hybrid audit.
    assert 'name="ict_effectiveness"' not in text


def test_the_close_page_keeps_the_statements(cast, onsite_audit, minor, login):
    pk = cast.standard.pk
    data = {
        "recommendation": "certify",
        f"conformity_{pk}": "with_nonconformities",
        f"effectiveness_{pk}": "effective",
        f"comment_{pk}": "Well run.",
        "unresolved_issues": "None left.",
        "significant_changes": "New manager.",
    }

    response = login(cast.lead).post(f"/audits/{onsite_audit.pk}/close/", data)

    assert response.status_code == 302
    assert SystemStatement.objects.get(audit=onsite_audit).comment == "Well run."
    onsite_audit.refresh_from_db()
    assert onsite_audit.significant_changes == "New manager."


def test_the_close_page_shows_a_refused_statement_with_the_text_kept(cast, onsite_audit, minor, login):
    pk = cast.standard.pk
    data = {
        "recommendation": "certify",
        f"conformity_{pk}": "conforming",
        f"effectiveness_{pk}": "effective",
        "significant_changes": "Typed with care.",
    }

    response = login(cast.lead).post(f"/audits/{onsite_audit.pk}/close/", data)

    assert response.status_code == 400
    text = page_text(response)
    assert "Nonconformities were found against ISO 18295-1:2017" in text
    assert "Typed with care." in text


def test_the_close_page_refuses_a_closing_without_the_statements(cast, onsite_audit, minor, login):
    data = {"recommendation": "certify", "conclusion": "Typed with care."}

    response = login(cast.lead).post(f"/audits/{onsite_audit.pk}/close/", data)

    assert response.status_code == 400
    text = page_text(response)
    assert "ISO 18295-1:2017: the management system: This field is required." in text
    assert "Typed with care." in text
    onsite_audit.refresh_from_db()
    assert onsite_audit.status != "closed"


def test_the_close_page_of_a_remote_audit_asks_how_effective_the_ict_was(cast, onsite_audit, login):
    audit_update(actor=SYSTEM, audit=onsite_audit, mode="remote")

    text = page_text(login(cast.lead).get(f"/audits/{onsite_audit.pk}/close/"))

    assert 'name="ict_effectiveness"' in text


def test_it_closes_with_the_statements_over_the_api(cast, onsite_audit, minor, api):
    body = {
        "recommendation": "certify",
        "statements": [
            {
                "standard": "ISO 18295-1:2017",
                "conformity": "with_nonconformities",
                "effectiveness": "effective",
            }
        ],
        "unresolved_issues": "None left.",
        "significant_changes": "New manager.",
    }

    response = api(cast.lead).post(f"/api/v1/audits/{onsite_audit.pk}/close/", body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["statements"] == [
        {
            "standard": "ISO 18295-1:2017",
            "conformity": "with_nonconformities",
            "effectiveness": "effective",
            "comment": "",
        }
    ]
    assert data["significant_changes"] == "New manager."


@pytest.mark.parametrize(
    ("statements", "field"),
    [
        ([], "statements"),  # every standard of the audit is stated
        (
            [{"standard": "ISO 9999:2000", "conformity": "conforming", "effectiveness": "effective"}],
            "statements",
        ),
        (
            [{"standard": "ISO 18295-1:2017", "conformity": "fine", "effectiveness": "effective"}],
            "statements",
        ),
        (
            [{"standard": "ISO 18295-1:2017", "conformity": "conforming", "effectiveness": "effective"}],
            "statements",
        ),  # refused: a minor was found
    ],
)
def test_it_answers_bad_statements_over_the_api_with_400(cast, onsite_audit, minor, api, statements, field):
    body = {"recommendation": "certify", "statements": statements}

    response = api(cast.lead).post(f"/api/v1/audits/{onsite_audit.pk}/close/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    onsite_audit.refresh_from_db()
    assert onsite_audit.status != "closed"
