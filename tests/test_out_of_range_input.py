"""Input past what a column, a number or the calendar holds gets a clear refusal, never a 500.

Each of these was a 500 (issue 15, and make fuzz's page fuzz after it): ids past a 64-bit integer
in a query string or a form's multiple choice, audit-time adjustments of 1e309 or +100000 percent,
a decision date of 9999-12-31, and a scope change on a certificate past its expiry date that the
nightly run had not yet marked expired.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from audits.audit_time import Adjustment, AuditTimeError
from audits.cycle import DateOutOfRange, add_months
from audits.models import Audit, AuditStatus, AuditType, CertificationProgramme, TeamMember, TeamRole
from audits.services import programme_create
from certificates.models import Certificate
from certificates.services import certificate_change_scope, decision_record
from core.actors import SYSTEM
from core.errors import ConflictError
from core.forms import MAX_ID, parse_id
from tests.factories import CompetenceFactory, ready_to_certify

HUGE = "99999999999999999999"  # past 2^63 - 1, the largest id a row can have


# -- Ids too large for any row --------------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, str(2**63), "-1", "0", "٣", "²", " 12 ", "12a", ""])
def test_an_id_from_a_query_string_is_a_number_a_row_can_have(value):
    expected = {" 12 ": 12}.get(value)
    assert parse_id(value) == expected
    assert parse_id(str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize("value", [HUGE, str(2**63)])
def test_the_security_log_ignores_an_organisation_id_past_any_row(value, cast, login):
    # Was a 500: the id overflowed SQLite's integer.
    response = login(cast.staff).get("/security/", {"organization": value})
    assert response.status_code == 200
    assert response.context["organization"] == ""


def test_the_security_log_still_filters_by_organisation(cast, login):
    response = login(cast.staff).get("/security/", {"organization": cast.org_a.pk})
    assert response.status_code == 200
    assert response.context["organization"] == str(cast.org_a.pk)


def test_the_checklist_ignores_a_site_id_past_any_row(cast, onsite_audit, login):
    response = login(cast.lead).get(f"/audits/{onsite_audit.pk}/checklist/", {"site": HUGE})
    assert response.status_code == 200


@pytest.mark.parametrize("value", [HUGE, str(2**63), "-" + HUGE, "1_" + HUGE])
def test_the_audit_form_refuses_a_site_id_past_any_row(value, cast, onsite_audit, login):
    # Was a 500: Django looks the chosen sites up with `id IN (…)`, which overflowed.
    visited = set(onsite_audit.sites.all())
    response = login(cast.staff).post(
        f"/audits/{onsite_audit.pk}/edit/", {"mode": "on_site", "language": "en", "sites": [value]}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["sites"]
    assert errors == [f"Select a valid choice. {value} is not one of the available choices."]
    assert set(onsite_audit.sites.all()) == visited


@pytest.mark.parametrize("field", ["organization", "standards"])
def test_the_programme_form_refuses_ids_past_any_row(field, cast, login):
    body = {"organization": cast.org_b.pk, "standards": [cast.standard.pk], field: HUGE}
    response = login(cast.staff).post("/programmes/new/", body)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not CertificationProgramme.objects.filter(organization=cast.org_b).exists()


def test_the_api_refuses_a_team_member_id_past_any_row(cast, onsite_audit, api):
    # Was a 500 on DELETE: the id went into the `user_id = …` query as it was.
    response = api(cast.staff).delete(f"/api/v1/audits/{onsite_audit.pk}/team/?user={HUGE}")
    assert response.status_code == 400
    assert "user" in response.json()
    assert TeamMember.objects.filter(audit=onsite_audit).count() == 1


@pytest.mark.parametrize(("path", "body"), [("plan/days/", {"date": "2027-01-01", "site": HUGE})])
def test_the_api_refuses_plan_ids_past_any_row(path, body, cast, onsite_audit, api):
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.PLANNED)
    response = api(cast.lead).post(f"/api/v1/audits/{onsite_audit.pk}/{path}", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["site"]


# -- Audit-time adjustments -----------------------------------------------------------------------

AUDIT_TIME = "/api/v1/audit-time/"


def _calculate(api, cast, adjustment):
    query = {
        "standard": cast.standard.code,
        "personnel": "155",
        "sites": "3",
        "audit_type": "initial",
        "adjustment": adjustment,
    }
    return api(cast.staff).get(AUDIT_TIME, query)


@pytest.mark.parametrize("adjustment", ["1e309:x", "1e30:x", "+100000:x", "-1e309:x", "100.1:x", "-100.5:x"])
def test_the_calculator_api_refuses_an_adjustment_past_the_bounds(adjustment, cast, api):
    # 1e309 and 1e30 were 500s; +100000 made an audit of 5,005 days.
    response = _calculate(api, cast, adjustment)
    assert response.status_code == 400
    assert "at most 100 % either way" in response.json()["adjustment"][0]


def test_the_calculator_api_refuses_hundredths_of_a_percent(cast, api):
    response = _calculate(api, cast, "-7.25:Simple")
    assert response.status_code == 400
    assert "tenths of a percent" in response.json()["adjustment"][0]


@pytest.mark.parametrize("adjustment", ["-7.5:Simple processes", "+10:Many languages", "100:Complex"])
def test_the_calculator_api_takes_what_the_form_takes(adjustment, cast, api):
    assert _calculate(api, cast, adjustment).status_code == 200


def test_the_form_and_the_api_hold_adjustments_to_the_same_bounds():
    from audits.forms import AdjustmentForm

    for percent in ("100", "-100", "12.5"):
        assert AdjustmentForm({"percent": percent, "justification": "x"}).is_valid()
        Adjustment(percent, "x")
    for percent in ("100.1", "-101", "12.55"):
        assert not AdjustmentForm({"percent": percent, "justification": "x"}).is_valid()
        with pytest.raises(AuditTimeError):
            Adjustment(percent, "x")
    assert Adjustment(Decimal("-7.5"), "x").percent == Decimal("-7.5")


# -- Dates at the ends of the calendar ------------------------------------------------------------


def test_adding_months_past_the_calendars_end_is_refused_with_a_reason():
    assert add_months(datetime.date(9997, 12, 31), 24) == datetime.date(9999, 12, 31)
    with pytest.raises(DateOutOfRange, match="too far in the future"):
        add_months(datetime.date(9999, 12, 31), 1)


def test_a_decision_date_whose_cycle_ends_past_the_calendar_is_a_form_error(cast, onsite_audit, login):
    # Was a 500: "year 10000 is out of range" from the cycle's due dates.
    url = f"/programmes/{onsite_audit.programme_id}/decision/"
    response = login(cast.staff).post(url, {"decision_date": "9999-12-31"})
    assert response.status_code == 200
    assert "too far in the future" in response.context["form"].errors["decision_date"][0]
    assert CertificationProgramme.objects.get(pk=onsite_audit.programme_id).decision_date is None


def test_the_programme_page_shows_an_audit_dated_at_the_calendars_end(cast, onsite_audit, login):
    # The stage-2 gap warning counted months on from a stage 1 ending 31 Dec 9999.
    stage1 = onsite_audit.programme.audits.get(audit_type=AuditType.STAGE1)
    Audit.objects.filter(pk=stage1.pk).update(end_date=datetime.date.max)
    response = login(cast.staff).get(f"/programmes/{onsite_audit.programme_id}/")
    assert response.status_code == 200


def test_a_team_member_can_be_added_to_an_audit_dated_in_the_first_year(cast, login):
    # The impartiality rule counted two years back from 1 Jan 0001.
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    Audit.objects.filter(pk=audit.pk).update(
        start_date=datetime.date(1, 1, 1), end_date=datetime.date(1, 1, 2)
    )
    CompetenceFactory(
        user=cast.auditor,
        standard=cast.standard,
        role=TeamRole.AUDITOR,
        valid_from=datetime.date(1, 1, 1),
        valid_to=None,
    )
    response = login(cast.staff).post(
        f"/audits/{audit.pk}/team/", {"user": cast.auditor.pk, "role": "auditor"}
    )
    assert response.status_code == 302
    assert audit.team.filter(user=cast.auditor).exists()


# -- A certificate past its expiry date, not yet marked expired -----------------------------------


@pytest.fixture
def lapsed_certificate(cast, closed_audit):
    """Nordkontakt's certificate, its expiry date yesterday: the nightly run has not marked it yet."""
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=3 * 365)
    Certificate.objects.update(
        original_issue_date=long_ago, issue_date=long_ago, expiry_date=today - datetime.timedelta(days=1)
    )
    return Certificate.objects.get()


def _scope_change(certificate):
    return {
        "reason": "Göteborg closed.",
        "scope": "Inbound calls.",
        "sites": [{"site": certificate.sites.get(name="Stockholm").site_id, "scope": ""}],
    }


def test_the_api_refuses_a_scope_change_on_a_certificate_past_its_expiry(cast, lapsed_certificate, api):
    # Was a 500: the new revision's issue date (today) fell after the expiry (IntegrityError).
    response = api(cast.staff).post(
        f"/api/v1/certificates/{lapsed_certificate.pk}/scope/",
        _scope_change(lapsed_certificate),
        format="json",
    )
    assert response.status_code == 409
    assert "expired on" in response.json()["detail"]
    assert "renew it" in response.json()["detail"]
    unchanged = Certificate.objects.get()
    assert (unchanged.revision, unchanged.sites.count()) == (1, 3)


def test_the_page_refuses_a_scope_change_on_a_certificate_past_its_expiry(cast, lapsed_certificate, login):
    stockholm = lapsed_certificate.sites.get(name="Stockholm").site_id
    response = login(cast.staff).post(
        f"/certificates/{lapsed_certificate.pk}/scope/",
        {
            "scope-reason": "Göteborg closed.",
            "scope-scope": "Inbound calls.",
            f"scope-site_{stockholm}": "on",
        },
    )
    assert response.status_code == 400
    assert "expired on" in str(response.context["scope_form"].non_field_errors())
    assert Certificate.objects.get().revision == 1


def test_a_certificate_past_its_expiry_is_not_suspended_either(cast, lapsed_certificate, api):
    response = api(cast.staff).post(
        f"/api/v1/certificates/{lapsed_certificate.pk}/suspend/", {"reason": "No answer."}, format="json"
    )
    assert response.status_code == 409
    assert Certificate.objects.get().status == "active"


def test_no_revision_is_issued_on_a_certificates_last_day(cast, lapsed_certificate):
    Certificate.objects.update(expiry_date=timezone.localdate())
    certificate = Certificate.objects.get()
    with pytest.raises(ConflictError, match="last day"):
        certificate_change_scope(
            certificate=certificate,
            user=cast.staff,
            reason="Göteborg closed.",
            scope="Inbound calls.",
            site_scopes=[(certificate.sites.get(name="Stockholm").site, "")],
        )
    assert Certificate.objects.get().revision == 1
