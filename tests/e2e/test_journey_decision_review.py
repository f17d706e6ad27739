"""Journey: staff review a closed stage 2 before deciding (ISO/IEC 17021-1 9.5), GOV.UK's "check
your answers" way: first with blockers, each named with its rule and the grant closed; then, once
the client's plan is accepted and every sampled site has its finding, a grant of the sites chosen.
"""

import re

from playwright.sync_api import expect

from certificates.models import Certificate, Decision
from findings.models import Nonconformity
from tests.factories import ready_to_certify


def test_it_reviews_a_blocked_decision_then_grants_the_sites_chosen(pages, cast, closed_audit):
    audit = closed_audit
    number = Nonconformity.objects.get(audit=audit).number
    staff = pages.login(cast.staff)
    staff.goto(f"/audits/{audit.pk}/decision/")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Certification decision")

    # What the decision rests on, and what stands against a grant, each with its rule.
    expect(staff.get_by_role("heading", name="The audits the decision rests on")).to_be_visible()
    blockers = staff.locator("#blockers")
    expect(blockers.get_by_role("heading", name="Certification cannot be granted yet")).to_be_visible()
    expect(blockers).to_contain_text("Minor nonconformities have no accepted correction")
    expect(blockers).to_contain_text(number)
    expect(blockers).to_contain_text("Sites of the sample were not audited: Göteborg, Malmö")
    expect(blockers).to_contain_text("IAF MD 1")
    expect(blockers).to_contain_text("ISO/IEC 17021-1 9.5.3")
    sites = staff.locator("table").filter(has_text="In the sample")
    expect(sites.get_by_role("row").filter(has_text="Malmö")).to_contain_text("Not audited")
    nonconformities = staff.locator("table").filter(has_text="Grade")
    expect(nonconformities.get_by_role("row").filter(has_text=number)).to_contain_text("Minor NC")
    # The grant cannot be chosen; a refusal could be.
    expect(staff.get_by_role("button", name="Grant certification")).to_be_disabled()
    expect(staff.get_by_role("button", name="Refuse")).to_be_enabled()
    pages.visit(staff, "staff-decision-review-blocked")

    # The client's plan is accepted and the other sites were audited: nothing stands any more.
    ready_to_certify(audit)
    staff.goto(f"/audits/{audit.pk}/decision/")  # anew: a reload might restore the boxes as they were
    expect(staff.locator("#blockers")).to_have_count(0)
    expect(staff.get_by_role("alert")).to_have_count(0)
    grant = staff.get_by_role("button", name="Grant certification")
    expect(grant).to_be_enabled()
    expect(staff.get_by_label("Certify Malmö (Malmö)")).to_be_checked()
    pages.visit(staff, "staff-decision-review")

    staff.get_by_label("Certify Malmö (Malmö)").uncheck()
    staff.get_by_label("Rationale").fill("Effective system; the minor has an accepted plan.")
    grant.click()

    certificate = Certificate.objects.get(organization=cast.org_a)
    expect(staff).to_have_url(re.compile(rf"/certificates/{certificate.pk}/$"))
    expect(staff.get_by_text("Decision recorded: Grant certification.")).to_be_visible()
    record = staff.locator("dl.summary-list")
    expect(record).to_contain_text("Göteborg")
    expect(record).not_to_contain_text("Malmö")
    assert list(certificate.sites.values_list("name", flat=True)) == ["Stockholm", "Göteborg"]
    assert Decision.objects.get(audit=audit).decided_by == cast.staff
