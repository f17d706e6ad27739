"""Regression tests for what the lead auditor's on-site journey (tests/e2e/test_journey_lead_onsite.py) found.

- The checklist lost its link to the audit record (where the lead closes the audit) once every
  clause had a finding.

What it found in static/js/drafts.js is pinned by tests/e2e/test_drafts_script.py.
"""

import re

from findings.models import Grade
from findings.services import finding_create


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- The checklist always leads to the audit record ------------------------------------------------


def test_it_links_the_checklist_to_the_audit_record_once_every_clause_has_a_finding(
    cast, onsite_audit, login
):
    audit = onsite_audit
    for clause in (audit.clause_41, audit.clause_42):
        finding_create(
            audit=audit, user=cast.lead, clause=clause, grade=Grade.CONFORMING, site=audit.stockholm
        )
    body = _text(login(cast.lead).get(f"/audits/{audit.pk}/checklist/"))
    assert "Continue with" not in body  # nothing left to audit
    assert f'href="/audits/{audit.pk}/">Audit record</a>' in body


def test_it_links_the_checklist_to_the_audit_record_while_clauses_are_open(cast, onsite_audit, login):
    audit = onsite_audit
    body = _text(login(cast.lead).get(f"/audits/{audit.pk}/checklist/"))
    assert "Continue with 4.1" in body
    assert f'href="/audits/{audit.pk}/">Audit record</a>' in body
