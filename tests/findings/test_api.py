"""/api/v1/findings/: who reads and writes, versions and 409, locking, filters, query counts."""

import pytest
from django.utils import timezone

from audits.models import Audit, AuditStatus
from findings.models import Finding, FindingChange, Grade
from findings.services import finding_create
from tests.conftest import CAST_NAMES
from tests.factories import UserFactory


def _record(onsite_audit, user, clause, grade=Grade.OFI, statement="Seen"):
    return finding_create(
        audit=onsite_audit,
        user=user,
        clause=clause,
        grade=grade,
        statement=statement,
        site=onsite_audit.stockholm,
    )


def _close(onsite_audit):
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())


def test_it_answers_reads_as_decided(cast, onsite_audit, api):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    got = [api(cast.user(name)).get(f"/api/v1/findings/{finding.pk}/").status_code for name in CAST_NAMES]
    assert got == [401, 200, 200, 404, 404, 404]
    _close(onsite_audit)
    got = [api(cast.user(name)).get(f"/api/v1/findings/{finding.pk}/").status_code for name in CAST_NAMES]
    assert got == [401, 200, 200, 404, 200, 404]


def test_it_lists_only_readable_findings(cast, onsite_audit, api):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    assert api(cast.lead).get("/api/v1/findings/").json()["count"] == 1
    assert api(cast.client).get("/api/v1/findings/").json()["count"] == 0
    assert api(cast.other).get("/api/v1/findings/").json()["count"] == 0
    assert api(cast.auditor).get("/api/v1/findings/").json()["count"] == 0


def test_it_creates_a_finding_for_the_team_only(cast, onsite_audit, api):
    body = {
        "audit": onsite_audit.pk,
        "clause": onsite_audit.clause_41.pk,
        "site": onsite_audit.stockholm.pk,
        "grade": "minor",
        "statement": "Required: a complaints log. Observed: none kept since August.",
    }
    response = api(cast.lead).post("/api/v1/findings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 1
    assert Finding.objects.get(pk=response.json()["id"]).recorded_by == cast.lead
    # Staff and the client's users see the audit but do not write findings.
    assert api(cast.staff).post("/api/v1/findings/", body, format="json").status_code == 403
    assert api(cast.client).post("/api/v1/findings/", body, format="json").status_code == 403
    # Others cannot even name the audit: it does not exist for them.
    for user in (cast.auditor, cast.other):
        response = api(user).post("/api/v1/findings/", body, format="json")
        assert response.status_code == 400
        assert "audit" in response.json()
    assert Finding.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grade": "excellent"}, "grade"),
        ({"grade": "major", "statement": ""}, "statement"),
        ({"clause": 999999}, "clause"),
    ],
)
def test_it_refuses_bad_findings_with_400(change, field, cast, onsite_audit, api):
    body = {
        "audit": onsite_audit.pk,
        "clause": onsite_audit.clause_41.pk,
        "grade": "ofi",
        "statement": "x",
        **change,
    }
    response = api(cast.lead).post("/api/v1/findings/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Finding.objects.exists()


def test_it_refuses_a_heading_and_a_site_of_another_client(cast, onsite_audit, api):
    heading = cast.standard.clauses.get(number="4")
    response = api(cast.lead).post(
        "/api/v1/findings/",
        {"audit": onsite_audit.pk, "clause": heading.pk, "grade": "conforming"},
        format="json",
    )
    assert response.status_code == 400
    assert "heading" in response.json()["clause"][0]
    response = api(cast.lead).post(
        "/api/v1/findings/",
        {
            "audit": onsite_audit.pk,
            "clause": onsite_audit.clause_41.pk,
            "grade": "conforming",
            "site": cast.org_b.sites.get().pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "site" in response.json()


def test_it_refuses_a_stale_version_with_409(cast, onsite_audit, api):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    client = api(cast.lead)
    first = client.patch(
        f"/api/v1/findings/{finding.pk}/", {"version": 1, "statement": "Newer"}, format="json"
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/findings/{finding.pk}/", {"version": 1, "statement": "Older"}, format="json"
    )
    assert stale.status_code == 409
    assert "after you opened it" in stale.json()["detail"]
    finding.refresh_from_db()
    assert finding.statement == "Newer"
    missing = client.patch(f"/api/v1/findings/{finding.pk}/", {"statement": "No version"}, format="json")
    assert missing.status_code == 400
    assert "version" in missing.json()


def test_it_removes_with_the_version_and_keeps_the_record(cast, onsite_audit, api):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    client = api(cast.lead)
    assert client.delete(f"/api/v1/findings/{finding.pk}/").status_code == 400
    assert client.delete(f"/api/v1/findings/{finding.pk}/?version=1").status_code == 204
    assert client.get(f"/api/v1/findings/{finding.pk}/").status_code == 404
    assert FindingChange.objects.filter(finding=finding, action="removed").exists()


def test_it_locks_findings_after_closing(cast, onsite_audit, api):
    finding = _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    _close(onsite_audit)
    client = api(cast.lead)
    assert (
        client.patch(
            f"/api/v1/findings/{finding.pk}/", {"version": 1, "statement": "x"}, format="json"
        ).status_code
        == 409
    )
    assert client.delete(f"/api/v1/findings/{finding.pk}/?version=1").status_code == 409
    response = client.post(
        "/api/v1/findings/",
        {"audit": onsite_audit.pk, "clause": onsite_audit.clause_42.pk, "grade": "conforming"},
        format="json",
    )
    assert response.status_code == 409
    # The client's users read but never write.
    assert (
        api(cast.client).patch(f"/api/v1/findings/{finding.pk}/", {"version": 1}, format="json").status_code
        == 403
    )


def test_it_filters_by_grade_and_clause(cast, onsite_audit, api):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41, Grade.MAJOR, "big")
    _record(onsite_audit, cast.lead, onsite_audit.clause_42, Grade.OFI, "small")
    client = api(cast.lead)
    assert client.get("/api/v1/findings/?grade=major").json()["count"] == 1
    assert (
        client.get(f"/api/v1/findings/?clause={onsite_audit.clause_42.pk}").json()["results"][0]["statement"]
        == "small"
    )
    assert client.get(f"/api/v1/findings/?audit={onsite_audit.pk}").json()["count"] == 2


def test_it_lists_findings_in_a_constant_number_of_queries(
    cast, onsite_audit, api, django_assert_max_num_queries
):
    _record(onsite_audit, cast.lead, onsite_audit.clause_41)
    client = api(cast.lead)
    with django_assert_max_num_queries(15) as baseline:
        client.get(f"/api/v1/findings/?audit={onsite_audit.pk}")
    for index in range(30):
        _record(onsite_audit, cast.lead, onsite_audit.clause_42, Grade.OFI, f"more {index}")
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(f"/api/v1/findings/?audit={onsite_audit.pk}")
    assert response.json()["count"] == 31


def test_a_finding_names_its_people_and_reads_alike_listed_and_alone(cast, onsite_audit, api):
    from findings.api import FindingSerializer
    from findings.services import finding_update

    cast.lead.first_name, cast.lead.last_name = "Lena", "Lind"
    cast.lead.save()
    at_site = _record(
        onsite_audit, cast.lead, onsite_audit.clause_41, Grade.MINOR, 'Required <x> & observed "y"'
    )
    no_site = finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_42, grade=Grade.CONFORMING
    )
    changed = finding_update(finding=no_site, user=cast.lead, version=1, evidence="Looked at the log")
    # Someone known by a username only.
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    Finding.objects.filter(pk=no_site.pk).update(recorded_by=nameless)
    Finding.objects.filter(pk=at_site.pk).update(updated_by=nameless)
    at_site.refresh_from_db()
    changed.refresh_from_db()
    for finding in (at_site, no_site, changed):
        assert list(FindingSerializer(finding).data) == FindingSerializer.Meta.fields
    assert FindingSerializer(at_site).data["recorded_by"] == "Lena Lind"
    assert FindingSerializer(at_site).data["updated_by"] == "nameless"
    assert FindingSerializer(changed).data["recorded_by"] == "nameless"
    assert FindingSerializer(at_site).data["statement"] == 'Required <x> & observed "y"'
    # And over the API, list and detail alike.
    client = api(cast.lead)
    listed = client.get(f"/api/v1/findings/?audit={onsite_audit.pk}").json()["results"]
    for row in listed:
        assert client.get(f"/api/v1/findings/{row['id']}/").json() == row
    assert [(row["recorded_by"], row["updated_by"]) for row in listed] == [
        ("Lena Lind", "nameless"),
        ("nameless", "Lena Lind"),
    ]
    assert [(row["site"], row["clause_number"]) for row in listed] == [
        (at_site.site_id, onsite_audit.clause_41.number),
        (None, onsite_audit.clause_42.number),
    ]
