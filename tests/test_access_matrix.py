"""Every route of the site, called by every user of the cast, against one table of decided answers.

ROUTES is keyed by the full route string, as the URLconf spells it. A route with no entry fails
`test_it_has_a_decided_answer_for_every_route`, so no page or endpoint ships without a decided
access rule; an entry for a route that is gone fails it too.

The rules the answers follow (README.md, "Who sees what"):
- anonymous users are sent to the login page (pages) or get 401 (API); public pages answer all;
- outsiders get 404 for objects that exist: `auditor` is on no team, `other` is another client;
- those who may read an object but not change it get 403 on a write, as do roles a page is not for;
- those who may act get 2xx or 302, or 400/409 when the body or the object's state refuses.

The world (tests/world.py) is Nordkontakt's closed and decided stage 2, so the team's writes on it
are refused by its state. Each call runs in a savepoint that is rolled back afterwards: every
pair meets the same world, whatever an earlier pair's write changed.
"""

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from rest_framework.test import APIClient

from audits.models import Audit
from certificates.models import Certificate, CertificateStatus, Decision
from clients.models import Organization
from clients.validators import luhn_check_digit
from complaints.views import RECEIPT_SALT
from findings.models import Finding
from tests.conftest import CAST_NAMES
from tests.factories import closing_body
from tests.world import World, build_world, png_upload

LOGIN = "/login/"


@dataclass(frozen=True)
class Probe:
    """One request to a route, and the status each user of the cast must get, in CAST_NAMES order."""

    method: str
    kwargs: Callable[[World], dict]
    expected: tuple[int, ...]
    data: Callable[[World], dict] | None = None
    encoding: str | None = None  # "json" or "multipart" for API bodies; None posts a form
    anonymous_to: str = LOGIN  # where an anonymous 302 must lead

    def __post_init__(self):
        assert len(self.expected) == len(CAST_NAMES), self


def get(kwargs, expected, *, data=None, anonymous_to=LOGIN) -> Probe:
    return Probe("GET", kwargs, tuple(expected), data=data, anonymous_to=anonymous_to)


def post(kwargs, expected, *, data=None, encoding=None, anonymous_to=LOGIN) -> Probe:
    return Probe("POST", kwargs, tuple(expected), data=data, encoding=encoding, anonymous_to=anonymous_to)


def patch(kwargs, expected, *, data) -> Probe:
    return Probe("PATCH", kwargs, tuple(expected), data=data, encoding="json")


def delete(kwargs, expected, *, data=None) -> Probe:
    return Probe("DELETE", kwargs, tuple(expected), data=data, encoding="json")


# -- URL kwargs and bodies, from the world ------------------------------------------------------------

WORLD_FIELDS = {field.name for field in dataclasses.fields(World)}


def nothing(w):
    return {}


def pk(name: str):
    """{"pk": the world's `name`}: the object the route is called on."""
    assert name in WORLD_FIELDS, name
    return lambda w: {"pk": getattr(w, name)}


def today() -> str:
    return timezone.localdate().isoformat()


def new_organization(w):
    base = "556677889"
    return {
        "legal_name": "Samtal Syd AB",
        "org_number": f"{base[:6]}-{base[6:]}{luhn_check_digit(base)}",
        "address": "Storgatan 2",
        "postal_code": "211 42",
        "city": "Malmö",
        "country": "SE",
        "contact_name": "Per Holm",
        "contact_email": "per@samtalsyd.example",
        "contact_phone": "+46 40 12 34 56",
    }


def changed_organization(w):
    org_number = Organization.objects.get(pk=w.org_a).org_number
    return {**new_organization(w), "legal_name": "Nordkontakt AB", "org_number": org_number}


def new_site(w):
    return {
        "name": "Uppsala",
        "address": "Kungsgatan 1",
        "postal_code": "753 21",
        "city": "Uppsala",
        "country": "SE",
        "effective_personnel": "12",
        "activities": "Inbound calls",
    }


def declaration(w):
    return {
        "kind": "consultancy",
        "provider": "Kvalitetsbyrån AB",
        "subject": "ISO 18295-1",
        "until": "2025-06-30",
    }


def client_user(w):
    return {"username": "responder", "email": "responder@example.se", "role": "responder", "language": "sv"}


def answer(w):
    return {
        "correction": "Ran the trend analysis for June to November.",
        "root_cause": "The analyst's task was not handed over when she left.",
        "corrective_action": "The monthly analysis is now a task in the quality calendar.",
    }


def new_finding(w):
    file = png_upload("wallboard.png")
    return {"grade": "observation", "site": w.site_a, "statement": "Queue boards lag.", "file": file}


def finding_version(w):
    return {"version": Finding.objects.get(pk=w.minor_finding).version}


def auditor_on_team(w):
    return {"user": get_user_model().objects.get(username="auditor").pk, "role": "auditor"}


def objection(w):
    return {"member": w.lead_member, "reason": "The lead worked for our competitor."}


def lead_off_team(w):
    return {"user": get_user_model().objects.get(username="lead").pk}


def lead_id() -> int:
    return get_user_model().objects.get(username="lead").pk


def transfer_details(w) -> dict:
    return {
        "certificate_number": "QS-2024-007",
        "issuing_body": "Nordic Quality Certification AB",
        "accreditation_body": "Swedac",
        "accredited": "on",
        "accreditation_recognised": "on",
        "scope": "Customer service by telephone.",
        "issue_date": "2025-03-01",
        "expiry_date": "2028-02-28",
        "cycle_stage": "surveillance_1",
    }


def transfer_form(w):
    return {
        **transfer_details(w),
        "standard": w.standard,
        "sites": [Organization.objects.get(pk=w.org_b).sites.first().pk],
    }


def transfer_body(w):
    return {
        **transfer_details(w),
        "accredited": True,
        "accreditation_recognised": True,
        "organization": w.org_b,
        "standard": w.standard,
        "sites": [Organization.objects.get(pk=w.org_b).sites.first().pk],
    }


def staff_user(w):
    return get_user_model().objects.get(username="staff").pk


def case_routes(kind: str, record: str) -> dict[str, list[Probe]]:
    """The steps a complaint and an appeal share. The world's cases are just received: staff's
    steps past acknowledging are refused by the state (400, the form again with the reason); the
    client reads its own case but takes no step; the team and the other client do not see it."""
    base = f"{kind}/<int:pk>/"
    return {
        base: [get(pk(record), [302, 200, 404, 404, 200, 404])],
        base + "acknowledge/": [post(pk(record), [302, 302, 404, 404, 403, 404], data=lambda w: {})],
        base + "assign/": [
            post(pk(record), [302, 302, 404, 404, 403, 404], data=lambda w: {"assign-handler": staff_user(w)})
        ],
        base + "progress/": [
            post(pk(record), [302, 302, 404, 404, 403, 404], data=lambda w: {"progress-text": "Called."})
        ],
        base + "decide/": [
            post(
                pk(record),
                [302, 400, 404, 404, 403, 404],
                data=lambda w: {"decide-outcome": "upheld", "decide-reasons": "Right."},
            )
        ],
        base + "close/": [post(pk(record), [302, 400, 404, 404, 403, 404], data=lambda w: {})],
        # No outcome yet, so no letter, for anyone who may read the case.
        f"{kind}/<int:pk>/letter.pdf": [get(pk(record), [302, 404, 404, 404, 404, 404])],
    }


def api_case_routes(kind: str, record: str, *, staff_decides: int = 409) -> dict[str, list[Probe]]:
    """The API's steps on the world's just-received cases, by the pages' rules (409 where the page
    shows the form again with the reason). `staff_decides`: what staff's decision gets."""
    base = f"api/v1/^{kind}/(?P<pk>[^/.]+)/"

    def step(name, expected, data):
        return {base + name + "/$": [post(pk(record), expected, data=data, encoding="json")]}

    return {
        f"api/v1/^{kind}/$": [get(nothing, [401, 200, 200, 200, 200, 200])],
        base + "$": [get(pk(record), [401, 200, 404, 404, 200, 404])],
        **step("acknowledge", [401, 200, 404, 404, 403, 404], lambda w: {}),
        **step("assign", [401, 200, 404, 404, 403, 404], lambda w: {"handler": staff_user(w)}),
        **step("progress", [401, 200, 404, 404, 403, 404], lambda w: {"text": "Called."}),
        **step(
            "decide",
            [401, staff_decides, 404, 404, 403, 404],
            lambda w: {"outcome": "upheld", "reasons": "Right."},
        ),
        **step("close", [401, 409, 404, 404, 403, 404], lambda w: {}),
    }


def staff_recording(w):
    return {"submitter_name": "Per Holm", "submitter_email": "per@example.se", "submitter_language": "sv"}


def receipt(w):
    return {"token": signing.dumps("K-2026-0001", salt=RECEIPT_SALT)}


# -- The table --------------------------------------------------------------------------------------

# route -> probes; expected statuses for: anonymous, staff, lead, auditor, client, other.
ROUTES: dict[str, list[Probe]] = {
    # config: the load balancers' probe answers anyone, signed in or not (config/health.py).
    "healthz": [get(nothing, [200, 200, 200, 200, 200, 200])],
    # accounts
    "": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "security/": [get(nothing, [302, 200, 403, 403, 403, 403])],
    "login/": [get(nothing, [200, 302, 302, 302, 302, 302])],
    "logout/": [post(nothing, [302, 302, 302, 302, 302, 302])],
    "password/reset/": [get(nothing, [200, 200, 200, 200, 200, 200])],
    "password/reset/sent/": [get(nothing, [200, 200, 200, 200, 200, 200])],
    "password/set/<uidb64>/<token>/": [
        get(lambda w: {"uidb64": "MQ", "token": "not-a-token"}, [200, 200, 200, 200, 200, 200])
    ],
    "password/set/done/": [get(nothing, [200, 200, 200, 200, 200, 200])],
    # Nobody in the cast has an authenticator app: a wrong code is refused on the page (200), there
    # is no code to verify (sent home) and nothing to turn off (sent to verify first).
    "account/two-factor/": [
        get(nothing, [302, 200, 200, 200, 200, 200]),
        post(nothing, [302, 200, 200, 200, 200, 200], data=lambda w: {"code": "000000"}),
    ],
    "account/two-factor/verify/": [get(nothing, [302, 302, 302, 302, 302, 302])],
    "account/two-factor/disable/": [
        post(nothing, [302, 302, 302, 302, 302, 302], data=lambda w: {"disable-code": "000000"})
    ],
    # clients
    "organizations/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "organizations/new/": [
        get(nothing, [302, 200, 403, 403, 403, 403]),
        post(nothing, [302, 302, 403, 403, 403, 403], data=new_organization),
    ],
    "organizations/<int:pk>/": [get(pk("org_a"), [302, 200, 200, 404, 200, 404])],
    "organizations/<int:pk>/edit/": [
        get(pk("org_a"), [302, 200, 403, 404, 403, 404]),
        post(pk("org_a"), [302, 302, 403, 404, 403, 404], data=changed_organization),
    ],
    "organizations/<int:pk>/sites/new/": [
        get(pk("org_a"), [302, 200, 403, 404, 403, 404]),
        post(pk("org_a"), [302, 302, 403, 404, 403, 404], data=new_site),
    ],
    "organizations/<int:pk>/sites/<int:site_pk>/edit/": [
        get(lambda w: {"pk": w.org_a, "site_pk": w.site_a}, [302, 200, 403, 404, 403, 404]),
        post(lambda w: {"pk": w.org_a, "site_pk": w.site_a}, [302, 302, 403, 404, 403, 404], data=new_site),
    ],
    "organizations/<int:pk>/declarations/new/": [
        get(pk("org_a"), [302, 200, 403, 404, 403, 404]),
        post(pk("org_a"), [302, 302, 403, 404, 403, 404], data=declaration),
    ],
    "organizations/<int:pk>/users/new/": [
        get(pk("org_a"), [302, 200, 403, 404, 403, 404]),
        post(pk("org_a"), [302, 302, 403, 404, 403, 404], data=client_user),
    ],
    # audits: standards, programmes, audits and their plan
    "standards/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "standards/<int:pk>/": [get(pk("standard"), [302, 200, 200, 200, 200, 200])],
    "programmes/new/": [
        get(nothing, [302, 200, 403, 403, 403, 403]),
        post(
            nothing,
            [302, 302, 403, 403, 403, 403],
            data=lambda w: {"organization": w.org_b, "standards": [w.standard]},
        ),
    ],
    "programmes/<int:pk>/": [get(pk("programme"), [302, 200, 200, 404, 200, 404])],
    "programmes/<int:pk>/decision/": [
        get(pk("programme"), [302, 200, 403, 404, 403, 404]),
        post(pk("programme"), [302, 302, 403, 404, 403, 404], data=lambda w: {"decision_date": today()}),
    ],
    "programmes/<int:pk>/audits/new/": [
        get(pk("programme"), [302, 200, 403, 404, 403, 404]),
        post(pk("programme"), [302, 302, 403, 404, 403, 404], data=lambda w: {"scope": "After a complaint."}),
    ],
    # Prices are for staff and the client: the lead sees the client, not what it is charged.
    "programmes/<int:pk>/quote/": [get(pk("programme"), [302, 200, 403, 404, 200, 404])],
    "programmes/<int:pk>/quote.pdf": [get(pk("programme"), [302, 200, 403, 404, 200, 404])],
    "audits/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "audits/<int:pk>/": [get(pk("audit"), [302, 200, 200, 404, 200, 404])],
    # Forms refused by the closed audit show the reason (200 here, 400 where the page says so).
    "audits/<int:pk>/edit/": [
        get(pk("audit"), [302, 200, 403, 404, 403, 404]),
        post(
            pk("audit"), [302, 200, 403, 404, 403, 404], data=lambda w: {"mode": "on_site", "scope": "Calls."}
        ),
    ],
    "audits/<int:pk>/time/": [
        get(pk("audit"), [302, 200, 200, 404, 403, 404]),
        post(
            pk("audit"),
            [302, 200, 200, 404, 403, 404],
            data=lambda w: {"adjustment-TOTAL_FORMS": "0", "adjustment-INITIAL_FORMS": "0"},
        ),
    ],
    "audits/<int:pk>/team/": [
        get(pk("audit"), [302, 200, 403, 404, 403, 404]),
        post(pk("audit"), [302, 200, 403, 404, 403, 404], data=auditor_on_team),
    ],
    "audits/<int:pk>/team/<int:member_pk>/remove/": [
        post(lambda w: {"pk": w.audit, "member_pk": w.lead_member}, [302, 302, 403, 404, 403, 404])
    ],
    # Objections to the team: the audited client raises them (refused here: the plan is confirmed),
    # staff decide them (refused here: the audit is closed).
    "audits/<int:pk>/objections/new/": [
        get(pk("audit"), [302, 403, 403, 404, 200, 404]),
        post(pk("audit"), [302, 403, 403, 404, 200, 404], data=objection),
    ],
    "audits/<int:pk>/objections/<int:objection_pk>/decide/": [
        get(lambda w: {"pk": w.audit, "objection_pk": w.objection}, [302, 200, 403, 404, 403, 404]),
        post(
            lambda w: {"pk": w.audit, "objection_pk": w.objection},
            [302, 200, 403, 404, 403, 404],
            data=lambda w: {"outcome": "kept", "reason": "No conflict."},
        ),
    ],
    "audits/<int:pk>/plan/": [
        get(pk("audit"), [302, 200, 200, 404, 403, 404]),
        post(
            pk("audit"),
            [302, 400, 400, 404, 403, 404],
            data=lambda w: {"form": "day", "day-date": today(), "day-site": w.site_a},
        ),
    ],
    "audits/<int:pk>/plan/days/<int:day_pk>/remove/": [
        post(lambda w: {"pk": w.audit, "day_pk": w.day}, [302, 302, 302, 404, 403, 404])
    ],
    "audits/<int:pk>/plan/slots/<int:slot_pk>/remove/": [
        post(lambda w: {"pk": w.audit, "slot_pk": w.slot}, [302, 302, 302, 404, 403, 404])
    ],
    "audits/<int:pk>/plan/confirm/": [post(pk("audit"), [302, 302, 302, 404, 403, 404])],
    "audits/<int:pk>/plan.pdf": [get(pk("audit"), [302, 200, 200, 404, 200, 404])],
    "calculator/": [get(nothing, [302, 200, 200, 200, 403, 403])],
    # Bulk planning is staff's: a refused programme is reported on the page it returns to (302).
    "planning/due/": [
        get(nothing, [302, 200, 403, 403, 403, 403]),
        post(nothing, [302, 302, 403, 403, 403, 403], data=lambda w: {"programme": [w.programme]}),
    ],
    # audits: closing, decisions, reports and certificates
    "audits/<int:pk>/close/": [
        get(pk("audit"), [302, 403, 200, 404, 403, 404]),
        post(
            pk("audit"),
            [302, 403, 400, 404, 403, 404],
            data=lambda w: {"recommendation": "certify_after_majors"},
        ),
    ],
    "audits/<int:pk>/report.pdf": [get(pk("audit"), [302, 200, 200, 404, 200, 404])],
    "audits/<int:pk>/decision/": [
        get(pk("audit"), [302, 200, 403, 404, 403, 404]),
        post(
            pk("audit"),
            [302, 400, 403, 404, 403, 404],
            data=lambda w: {"outcome": "grant", "rationale": "Met."},
        ),
    ],
    "certificates/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    # Certificates are staff's and the certified client's: the lead is an outsider to them.
    "certificates/<int:pk>/": [get(pk("certificate"), [302, 200, 404, 404, 200, 404])],
    "certificates/<int:pk>/suspend/": [
        post(
            pk("certificate"), [302, 302, 404, 404, 403, 404], data=lambda w: {"suspend-reason": "No answer."}
        )
    ],
    "certificates/<int:pk>/restore/": [
        post(
            pk("certificate"), [302, 400, 404, 404, 403, 404], data=lambda w: {"restore-reason": "Answered."}
        )
    ],
    "certificates/<int:pk>/withdraw/": [
        post(pk("certificate"), [302, 302, 404, 404, 403, 404], data=lambda w: {"withdraw-reason": "Closed."})
    ],
    "certificates/<int:pk>/scope/": [
        post(
            pk("certificate"),
            [302, 302, 404, 404, 403, 404],
            data=lambda w: {
                "scope-reason": "Malmö closed.",
                "scope-scope": "Inbound customer service.",
                f"scope-site_{w.site_a}": "on",
            },
        )
    ],
    "certificates/<int:pk>/pdf/": [get(pk("certificate"), [302, 200, 404, 404, 200, 404])],
    "certificates/<int:pk>/revisions/<int:revision>/pdf/": [
        get(lambda w: {"pk": w.certificate, "revision": 1}, [302, 200, 404, 404, 200, 404])
    ],
    # transfers: staff's; the reviewer (the lead) sees the transfer and answers its review
    "transfers/": [get(nothing, [302, 200, 200, 403, 403, 403])],
    "transfers/new/": [
        get(nothing, [302, 200, 403, 403, 403, 403]),
        post(
            nothing,
            [302, 302, 403, 403, 403, 403],
            data=lambda w: {**transfer_form(w), "organization": w.org_b},
        ),
    ],
    "transfers/<int:pk>/": [get(pk("transfer"), [302, 200, 200, 404, 404, 404])],
    "transfers/<int:pk>/edit/": [
        get(pk("transfer"), [302, 200, 403, 404, 404, 404]),
        post(pk("transfer"), [302, 302, 403, 404, 404, 404], data=transfer_form),
    ],
    "transfers/<int:pk>/reviewer/": [
        post(pk("transfer"), [302, 302, 403, 404, 404, 404], data=lambda w: {"reviewer-reviewer": lead_id()})
    ],
    "transfers/<int:pk>/start-review/": [post(pk("transfer"), [302, 409, 403, 404, 404, 404])],
    "transfers/<int:pk>/documents/": [
        post(
            pk("transfer"),
            [302, 302, 403, 404, 404, 404],
            data=lambda w: {"document-kind": "audit_report", "document-file": png_upload("report.png")},
        )
    ],
    "transfers/<int:pk>/documents/<int:document_pk>/": [
        get(lambda w: {"pk": w.transfer, "document_pk": w.transfer_document}, [302, 200, 200, 404, 404, 404])
    ],
    "transfers/<int:pk>/review/<int:item_pk>/": [
        post(
            lambda w: {"pk": w.transfer, "item_pk": w.transfer_item},
            [302, 403, 302, 404, 404, 404],
            data=lambda w: {
                f"item-{w.transfer_item}-answer": "confirmed",
                f"item-{w.transfer_item}-note": "Seen.",
            },
        )
    ],
    "transfers/<int:pk>/complete-review/": [post(pk("transfer"), [302, 403, 409, 404, 404, 404])],
    "transfers/<int:pk>/nonconformities/": [
        post(
            pk("transfer"),
            [302, 302, 403, 404, 404, 404],
            data=lambda w: {"nc-reference": "NC 4", "nc-grade": "major", "nc-description": "No log."},
        )
    ],
    "transfers/<int:pk>/nonconformities/<int:nc_pk>/close/": [
        post(
            lambda w: {"pk": w.transfer, "nc_pk": w.transfer_nc},
            [302, 302, 403, 404, 404, 404],
            data=lambda w: {
                f"close-{w.transfer_nc}-closed_on": today(),
                f"close-{w.transfer_nc}-closure_note": "Seen closed.",
            },
        )
    ],
    "transfers/<int:pk>/visit/": [post(pk("transfer"), [302, 302, 403, 404, 404, 404])],
    "transfers/<int:pk>/decision/": [
        post(
            pk("transfer"),
            [302, 302, 403, 404, 404, 404],
            data=lambda w: {"decision-outcome": "refuse", "decision-rationale": "Not recognised."},
        )
    ],
    # public: verification and the register for everyone; the CertSearch export for staff only
    "verify/<str:number>/": [get(lambda w: {"number": w.certificate_number}, [200, 200, 200, 200, 200, 200])],
    "register/": [get(nothing, [200, 200, 200, 200, 200, 200])],
    # The public pages' language switch (a GET form): anyone, back to the register without a `next`.
    "language/": [get(nothing, [302, 302, 302, 302, 302, 302], anonymous_to="/register/")],
    # The mark of an accredited scheme, public; the world's scheme is not accredited: 404 for all.
    "accreditation-marks/<int:scheme>/": [get(lambda w: {"scheme": 1}, [404, 404, 404, 404, 404, 404])],
    "certificates/certsearch/": [get(nothing, [302, 200, 403, 403, 403, 403])],
    "certificates/export.xlsx": [get(nothing, [302, 200, 403, 403, 403, 403])],
    "certificates/export.json": [get(nothing, [302, 200, 403, 403, 403, 403])],
    # complaints: the public form answers anyone (a complaint filed leads to its receipt); the
    # portal's pages are for a client's users and staff; auditors see only cases assigned to them.
    "complaint/": [
        get(nothing, [200, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [302, 302, 302, 302, 302, 302],
            data=lambda w: {
                "submitter_name": "Eva Ek",
                "submitter_email": "eva@example.se",
                "subject": "Rude",
                "description": "The auditor was rude.",
            },
            anonymous_to="/complaint/received/",
        ),
    ],
    "complaint/received/<str:token>/": [get(receipt, [200, 200, 200, 200, 200, 200])],
    "complaints/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "complaints/new/": [
        get(nothing, [302, 200, 403, 403, 200, 200]),
        post(
            nothing,
            [302, 302, 403, 403, 302, 302],
            data=lambda w: {"subject": "Invoice", "description": "Twice.", **staff_recording(w)},
        ),
    ],
    **case_routes("complaints", "complaint"),
    # About the body, not a client: no audit or suspension follows (400 with the reason).
    "complaints/<int:pk>/special-audit/": [
        post(pk("complaint"), [302, 400, 404, 404, 403, 404], data=lambda w: {"audit-reason": "Check."})
    ],
    "complaints/<int:pk>/suspend/": [
        post(pk("complaint"), [302, 400, 404, 404, 403, 404], data=lambda w: {"suspend-reason": "Misuse."})
    ],
    # Appeals: the other client cannot name Nordkontakt's decision (400, not in its choices).
    "appeals/new/": [
        get(nothing, [302, 200, 403, 403, 200, 200]),
        post(
            nothing,
            [302, 302, 403, 403, 302, 400],
            data=lambda w: {
                "against": f"decision-{Decision.objects.get(audit_id=w.audit).pk}",
                "subject": "Scope",
                "description": "Malmö left out.",
                **staff_recording(w),
            },
        ),
    ],
    **case_routes("appeals", "appeal"),
    "appeals/<int:pk>/reinstate/": [
        post(pk("appeal"), [302, 400, 404, 404, 403, 404], data=lambda w: {"reinstate-reason": "Upheld."})
    ],
    # An appeal not yet decided: the staff's new decision or regrading is refused on the page (400).
    "appeals/<int:pk>/redecide/": [
        post(
            pk("appeal"),
            [302, 400, 404, 404, 403, 404],
            data=lambda w: {"redecide-outcome": "grant", "redecide-rationale": "Upheld."},
        )
    ],
    "appeals/<int:pk>/regrade/": [
        post(
            pk("appeal"),
            [302, 400, 404, 404, 403, 404],
            data=lambda w: {"regrade-grade": "minor", "regrade-reason": "Upheld."},
        )
    ],
    # findings: staff read them, the team writes them, the client reads them after the report
    "audits/<int:pk>/checklist/": [get(pk("audit"), [302, 200, 200, 404, 200, 404])],
    "audits/<int:pk>/checklist/<int:clause_pk>/": [
        get(lambda w: {"pk": w.audit, "clause_pk": w.clause_41}, [302, 200, 200, 404, 200, 404]),
        # The lead may record findings, only not on a closed audit: refused as a save (400), not 403.
        post(
            lambda w: {"pk": w.audit, "clause_pk": w.clause_41},
            [302, 403, 400, 404, 403, 404],
            data=new_finding,
        ),
    ],
    "audits/<int:pk>/history/": [get(pk("audit"), [302, 200, 200, 404, 403, 404])],
    "findings/<int:pk>/edit/": [
        get(pk("minor_finding"), [302, 403, 200, 404, 403, 404]),
        post(
            pk("minor_finding"),
            [302, 403, 200, 404, 403, 404],
            data=lambda w: {"grade": "minor", "statement": "Changed.", **finding_version(w)},
        ),
    ],
    "findings/<int:pk>/remove/": [
        post(pk("minor_finding"), [302, 403, 302, 404, 403, 404], data=finding_version)
    ],
    "findings/<int:pk>/evidence/": [
        get(pk("minor_finding"), [302, 403, 200, 404, 403, 404]),
        post(
            pk("minor_finding"), [302, 403, 400, 404, 403, 404], data=lambda w: {"file": png_upload("b.png")}
        ),
    ],
    # The client downloads what was shared with it, nothing else.
    "evidence/<int:pk>/download/": [
        get(pk("shared_photo"), [302, 200, 200, 404, 200, 404]),
        get(pk("team_photo"), [302, 200, 200, 404, 404, 404]),
    ],
    "evidence/<int:pk>/thumbnail/": [
        get(pk("shared_photo"), [302, 200, 200, 404, 200, 404]),
        get(pk("team_photo"), [302, 200, 200, 404, 404, 404]),
    ],
    # findings: nonconformities (the minor awaits the client's answer; the major is closed)
    "ncrs/": [get(nothing, [302, 200, 200, 200, 200, 200])],
    "ncrs/<int:pk>/": [get(pk("minor_nc"), [302, 200, 200, 404, 200, 404])],
    "ncrs/<int:pk>/respond/": [post(pk("minor_nc"), [302, 403, 403, 404, 302, 404], data=answer)],
    "ncrs/<int:pk>/review/": [
        post(pk("minor_nc"), [302, 403, 400, 404, 403, 404], data=lambda w: {"decision": "accept"})
    ],
    "ncrs/<int:pk>/verify/": [
        post(
            pk("minor_nc"),
            [302, 403, 400, 404, 403, 404],
            data=lambda w: {"method": "desk", "comment": "Seen."},
        )
    ],
    "ncrs/<int:pk>/notes/": [
        post(pk("minor_nc"), [302, 302, 302, 404, 403, 404], data=lambda w: {"text": "Call."})
    ],
    "ncrs/files/<int:pk>/": [get(pk("answer_file"), [302, 200, 200, 404, 200, 404])],
    "ncrs/<int:pk>/pdf/": [get(pk("major_nc"), [302, 200, 200, 404, 200, 404])],
    "audits/<int:pk>/ncrs.pdf": [get(pk("audit"), [302, 200, 200, 404, 200, 404])],
    # API: clients
    "api/v1/^organizations/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(nothing, [401, 201, 403, 403, 403, 403], data=new_organization, encoding="json"),
    ],
    "api/v1/^organizations/(?P<pk>[^/.]+)/$": [
        get(pk("org_a"), [401, 200, 200, 404, 200, 404]),
        patch(pk("org_a"), [401, 200, 403, 404, 403, 404], data=lambda w: {"contact_phone": "+46 8 1"}),
    ],
    "api/v1/^sites/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [401, 201, 403, 403, 403, 403],
            data=lambda w: {**new_site(w), "organization": w.org_a},
            encoding="json",
        ),
    ],
    "api/v1/^sites/(?P<pk>[^/.]+)/$": [
        get(pk("site_a"), [401, 200, 200, 404, 200, 404]),
        patch(pk("site_a"), [401, 200, 403, 404, 403, 404], data=lambda w: {"activities": "Chat"}),
        delete(pk("site_a"), [401, 409, 403, 404, 403, 404]),
    ],
    "api/v1/^standards/$": [get(nothing, [401, 200, 200, 200, 200, 200])],
    "api/v1/^standards/(?P<pk>[^/.]+)/$": [get(pk("standard"), [401, 200, 200, 200, 200, 200])],
    "api/v1/^standards/(?P<pk>[^/.]+)/clauses/$": [get(pk("standard"), [401, 200, 200, 200, 200, 200])],
    # API: audits
    "api/v1/^audits/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [401, 201, 403, 403, 403, 403],
            data=lambda w: {
                "organization": w.org_a,
                "standards": ["ISO 18295-1:2017"],
                "audit_type": "special",
            },
            encoding="json",
        ),
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/$": [
        get(pk("audit"), [401, 200, 200, 404, 200, 404]),
        patch(pk("audit"), [401, 409, 403, 404, 403, 404], data=lambda w: {"scope": "Calls."}),
        # Audits are records: never deleted, by anyone.
        delete(pk("audit"), [401, 405, 403, 404, 403, 404]),
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/close/$": [
        post(
            pk("audit"),
            [401, 403, 409, 404, 403, 404],
            data=lambda w: {
                **closing_body(Audit.objects.get(pk=w.audit)),
                "recommendation": "certify_after_majors",
            },
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/compute-time/$": [
        post(pk("audit"), [401, 409, 409, 404, 403, 404], encoding="json")
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/decision/$": [
        post(
            pk("audit"),
            [401, 409, 403, 404, 403, 404],
            data=lambda w: {"outcome": "grant", "rationale": "Met."},
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/objections/$": [
        get(pk("audit"), [401, 200, 200, 404, 200, 404]),
        post(pk("audit"), [401, 403, 403, 404, 409, 404], data=objection, encoding="json"),
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/objections/(?P<objection_pk>[^/.]+)/decision/$": [
        post(
            lambda w: {"pk": w.audit, "objection_pk": w.objection},
            [401, 409, 403, 404, 403, 404],
            data=lambda w: {"outcome": "kept", "reason": "No conflict."},
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan.pdf/$": [get(pk("audit"), [401, 200, 200, 404, 200, 404])],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan/$": [get(pk("audit"), [401, 200, 200, 404, 200, 404])],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan/confirm/$": [
        post(pk("audit"), [401, 409, 409, 404, 403, 404], encoding="json")
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan/ict-check/$": [
        # The world's audit is held on site: it needs no ICT check (409) for those who may plan.
        post(
            pk("audit"),
            [401, 409, 409, 404, 403, 404],
            data=lambda w: {
                "tools": "Teams",
                "connectivity": "Tested",
                "confidentiality": "No recording",
                "limitations": "The floor",
                "remote_percent": 30,
                "feasible": True,
            },
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan/days/$": [
        post(
            pk("audit"),
            [401, 409, 409, 404, 403, 404],
            data=lambda w: {"date": today(), "site": w.site_a},
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/plan/slots/$": [
        post(
            pk("audit"),
            [401, 409, 409, 404, 403, 404],
            data=lambda w: {
                "day": w.day,
                "start": "13:00",
                "end": "15:00",
                "member": w.lead_member,
                "activity": "X",
            },
            encoding="json",
        )
    ],
    "api/v1/^audits/(?P<pk>[^/.]+)/report/$": [get(pk("audit"), [401, 200, 200, 404, 200, 404])],
    "api/v1/^audits/(?P<pk>[^/.]+)/team/$": [
        get(pk("audit"), [401, 200, 200, 404, 200, 404]),
        post(pk("audit"), [401, 409, 403, 404, 403, 404], data=auditor_on_team, encoding="json"),
        delete(pk("audit"), [401, 409, 403, 404, 403, 404], data=lead_off_team),
    ],
    # API: findings and evidence. Creating under a finding or audit the caller cannot see is refused
    # as for one that does not exist ({"finding": ["No such finding."]}, 400): nothing leaks.
    "api/v1/^evidence/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [401, 403, 409, 400, 403, 400],
            data=lambda w: {"finding": w.minor_finding, "file": png_upload("wallboard.png")},
            encoding="multipart",
        ),
    ],
    "api/v1/^evidence/(?P<pk>[^/.]+)/$": [
        get(pk("shared_photo"), [401, 200, 200, 404, 200, 404]),
        get(pk("team_photo"), [401, 200, 200, 404, 404, 404]),
        patch(
            pk("shared_photo"), [401, 403, 409, 404, 403, 404], data=lambda w: {"description": "Wallboard"}
        ),
        delete(pk("shared_photo"), [401, 403, 409, 404, 403, 404]),
    ],
    "api/v1/^findings/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [401, 403, 409, 400, 403, 400],
            data=lambda w: {
                "audit": w.audit,
                "clause": w.clause_41,
                "grade": "observation",
                "statement": "X",
            },
            encoding="json",
        ),
    ],
    "api/v1/^findings/(?P<pk>[^/.]+)/$": [
        get(pk("minor_finding"), [401, 200, 200, 404, 200, 404]),
        patch(
            pk("minor_finding"),
            [401, 403, 409, 404, 403, 404],
            data=lambda w: {"statement": "Changed.", **finding_version(w)},
        ),
        delete(pk("minor_finding"), [401, 403, 409, 404, 403, 404], data=finding_version),
    ],
    # API: nonconformities
    "api/v1/^nonconformities/$": [get(nothing, [401, 200, 200, 200, 200, 200])],
    "api/v1/^nonconformities/(?P<pk>[^/.]+)/$": [get(pk("minor_nc"), [401, 200, 200, 404, 200, 404])],
    "api/v1/^nonconformities/(?P<pk>[^/.]+)/notes/$": [
        post(
            pk("minor_nc"), [401, 201, 201, 404, 403, 404], data=lambda w: {"text": "Call."}, encoding="json"
        )
    ],
    "api/v1/^nonconformities/(?P<pk>[^/.]+)/respond/$": [
        post(pk("minor_nc"), [401, 403, 403, 404, 201, 404], data=answer, encoding="json")
    ],
    "api/v1/^nonconformities/(?P<pk>[^/.]+)/review/$": [
        post(
            pk("minor_nc"),
            [401, 403, 409, 404, 403, 404],
            data=lambda w: {"decision": "accept"},
            encoding="json",
        )
    ],
    "api/v1/^nonconformities/(?P<pk>[^/.]+)/verify/$": [
        post(
            pk("minor_nc"),
            [401, 403, 409, 404, 403, 404],
            data=lambda w: {"comment": "Seen."},
            encoding="json",
        )
    ],
    # API: certificates
    "api/v1/^certificates/$": [get(nothing, [401, 200, 200, 200, 200, 200])],
    "api/v1/^certificates/(?P<pk>[^/.]+)/$": [get(pk("certificate"), [401, 200, 404, 404, 200, 404])],
    "api/v1/^certificates/(?P<pk>[^/.]+)/pdf/$": [get(pk("certificate"), [401, 200, 404, 404, 200, 404])],
    "api/v1/^certificates/(?P<pk>[^/.]+)/restore/$": [
        post(
            pk("certificate"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"reason": "OK."},
            encoding="json",
        )
    ],
    "api/v1/^certificates/(?P<pk>[^/.]+)/scope/$": [
        post(
            pk("certificate"),
            [401, 200, 404, 404, 403, 404],
            data=lambda w: {"reason": "Malmö closed.", "scope": "Calls.", "sites": [{"site": w.site_a}]},
            encoding="json",
        )
    ],
    "api/v1/^certificates/(?P<pk>[^/.]+)/suspend/$": [
        post(
            pk("certificate"),
            [401, 200, 404, 404, 403, 404],
            data=lambda w: {"reason": "Late."},
            encoding="json",
        )
    ],
    "api/v1/^certificates/(?P<pk>[^/.]+)/withdraw/$": [
        post(
            pk("certificate"),
            [401, 200, 404, 404, 403, 404],
            data=lambda w: {"reason": "Gone."},
            encoding="json",
        )
    ],
    # API: complaints and appeals, by the pages' rules.
    **api_case_routes("complaints", "complaint"),
    "api/v1/^complaints/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        post(
            nothing,
            [401, 201, 403, 403, 201, 201],
            data=lambda w: {"subject": "Invoice", "description": "Twice.", **staff_recording(w)},
            encoding="json",
        ),
    ],
    "api/v1/^complaints/(?P<pk>[^/.]+)/special-audit/$": [
        post(
            pk("complaint"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"reason": "Check."},
            encoding="json",
        )
    ],
    "api/v1/^complaints/(?P<pk>[^/.]+)/suspend/$": [
        post(
            pk("complaint"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"reason": "Misuse."},
            encoding="json",
        )
    ],
    # `staff` made the grant appealed: refused as not independent (400, 17021-1 9.7) before its state.
    **api_case_routes("appeals", "appeal", staff_decides=400),
    "api/v1/^appeals/$": [
        get(nothing, [401, 200, 200, 200, 200, 200]),
        # The other client cannot name Nordkontakt's decision: refused as one that does not exist.
        post(
            nothing,
            [401, 201, 403, 403, 201, 400],
            data=lambda w: {
                "decision": Decision.objects.get(audit_id=w.audit).pk,
                "subject": "Scope",
                "description": "Malmö left out.",
                **staff_recording(w),
            },
            encoding="json",
        ),
    ],
    "api/v1/^appeals/(?P<pk>[^/.]+)/reinstate/$": [
        post(
            pk("appeal"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"reason": "Upheld."},
            encoding="json",
        )
    ],
    "api/v1/^appeals/(?P<pk>[^/.]+)/redecide/$": [
        post(
            pk("appeal"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"outcome": "grant", "rationale": "Upheld."},
            encoding="json",
        )
    ],
    "api/v1/^appeals/(?P<pk>[^/.]+)/regrade/$": [
        post(
            pk("appeal"),
            [401, 409, 404, 404, 403, 404],
            data=lambda w: {"grade": "minor", "reason": "Upheld."},
            encoding="json",
        )
    ],
    # API: the rest. Planning figures are for the certification body's people, not for clients.
    # API: transfers, as their pages
    "api/v1/^transfers/$": [
        get(nothing, [401, 200, 200, 403, 403, 403]),
        post(nothing, [401, 201, 403, 403, 403, 403], data=transfer_body, encoding="json"),
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/$": [
        get(pk("transfer"), [401, 200, 200, 404, 404, 404]),
        patch(pk("transfer"), [401, 200, 403, 404, 404, 404], data=lambda w: {"reasons": "Merger."}),
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/reviewer/$": [
        post(
            pk("transfer"),
            [401, 200, 403, 404, 404, 404],
            data=lambda w: {"reviewer": lead_id()},
            encoding="json",
        )
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/start-review/$": [post(pk("transfer"), [401, 409, 403, 404, 404, 404])],
    "api/v1/^transfers/(?P<pk>[^/.]+)/documents/$": [
        post(
            pk("transfer"),
            [401, 201, 403, 404, 404, 404],
            data=lambda w: {"kind": "complaints", "file": png_upload("complaints.png")},
            encoding="multipart",
        )
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/answers/$": [
        post(
            pk("transfer"),
            [401, 403, 200, 404, 404, 404],
            data=lambda w: {"item": w.transfer_item, "answer": "concern", "note": "Late."},
            encoding="json",
        )
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/complete-review/$": [
        post(pk("transfer"), [401, 403, 409, 404, 404, 404])
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/nonconformities/$": [
        post(
            pk("transfer"),
            [401, 201, 403, 404, 404, 404],
            data=lambda w: {"reference": "NC 5", "grade": "minor", "description": "x"},
            encoding="json",
        )
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/close-nonconformity/$": [
        post(
            pk("transfer"),
            [401, 200, 403, 404, 404, 404],
            data=lambda w: {"nonconformity": w.transfer_nc, "closed_on": today(), "closure_note": "Seen."},
            encoding="json",
        )
    ],
    "api/v1/^transfers/(?P<pk>[^/.]+)/visit/$": [post(pk("transfer"), [401, 201, 403, 404, 404, 404])],
    "api/v1/^transfers/(?P<pk>[^/.]+)/decision/$": [
        post(
            pk("transfer"),
            [401, 200, 403, 404, 404, 404],
            data=lambda w: {"outcome": "refuse", "rationale": "Not recognised."},
            encoding="json",
        )
    ],
    "api/v1/": [get(nothing, [401, 200, 200, 200, 200, 200])],
    "api/v1/audit-time/": [
        get(
            nothing,
            [401, 200, 200, 200, 403, 403],
            data=lambda w: {
                "standard": "ISO 18295-1:2017",
                "personnel": "155",
                "sites": "3",
                "audit_type": "initial",
            },
        )
    ],
    "api/v1/public/certificates/<str:number>/": [
        get(lambda w: {"number": w.certificate_number}, [200, 200, 200, 200, 200, 200])
    ],
    "api/schema/": [get(nothing, [401, 200, 200, 200, 200, 200])],
    "api/docs/": [get(nothing, [401, 200, 200, 200, 200, 200])],
    # Django's own: the language switch is for everyone; the admin (one entry for all of it) is staff's.
    "i18n/setlang/": [
        post(nothing, [302, 302, 302, 302, 302, 302], data=lambda w: {"language": "en"}, anonymous_to="/")
    ],
    "admin/": [get(nothing, [302, 200, 302, 302, 302, 302], anonymous_to="/admin/login/")],
    # outbox: outgoing e-mails and documents are staff's; the world's report is done, so its retry
    # is refused by its state (an e-mail or document is never sent twice).
    "outbox/": [get(nothing, [302, 200, 403, 403, 403, 403])],
    "outbox/<int:pk>/retry/": [post(pk("report_message"), [302, 409, 403, 403, 403, 403])],
    # records retention: staff only; the world's certificate is active, so disposal is refused (409)
    "records/disposals/": [get(nothing, [302, 200, 403, 403, 403, 403])],
    "records/disposals/<int:pk>/": [
        get(pk("org_a"), [302, 200, 403, 403, 403, 403]),
        post(pk("org_a"), [302, 409, 403, 403, 403, 403]),
    ],
}


# -- Routes, paths and calls --------------------------------------------------------------------------


def site_routes() -> set[str]:
    """Every route of the URLconf as its full route string; the admin stands as one route."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    yield route  # Django's own pages, guarded by the admin as a whole
                else:
                    yield from walk(pattern.url_patterns, route)
            elif "(?P<format>" in route or "<drf_format_suffix:format>" in route:
                continue  # DRF's format-suffix twin of a route that has its own entry
            elif route.replace("^", "").startswith(("static/", "media/")):
                continue
            else:
                yield route

    return set(walk(get_resolver().url_patterns, ""))


def path_for(route: str, kwargs: dict) -> str:
    """The concrete path of a route, its parameters filled in from kwargs."""

    def value(match):
        return str(kwargs[match.group("name")])

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, route)  # regex groups first: (?P<pk>[^/.]+)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, path)  # then converters: <int:pk>
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def answering_route(path: str) -> str | None:
    """The route that answers `path`, spelt as in ROUTES (Django drops the ^ it joins to a prefix)."""
    try:
        route = resolve(path).route
    except Resolver404:
        return None
    return next((key for key in ROUTES if key.replace("^", "") == route.replace("^", "")), route)


def call(probe: Probe, path: str, user, world: World):
    """One request as `user`, in a savepoint rolled back afterwards."""
    client = APIClient()
    client.raise_request_exception = False  # a 500 is reported with the others, not raised
    data = probe.data(world) if probe.data else None
    options = {"format": probe.encoding} if probe.encoding else {}
    with transaction.atomic():
        if user is not None:
            client.force_login(user)
        response = getattr(client, probe.method.lower())(path, data, **options)
        transaction.set_rollback(True)
    # Closing releases a download's open file. It fires request_finished, whose
    # close_old_connections would close PostgreSQL's connection under the test's transaction.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response


def outcome(response, probe: Probe, name: str):
    """The status; with the reason for a 500, or the target of an anonymous 302 that goes astray."""
    status = response.status_code
    if status == 500 and getattr(response, "exc_info", None):
        return f"500 {response.exc_info[1]!r}"
    if name == "anonymous" and status == 302 and not response["Location"].startswith(probe.anonymous_to):
        return f"302 to {response['Location']}"
    return status


# -- Tests --------------------------------------------------------------------------------------------


def test_it_has_a_decided_answer_for_every_route():
    routes = site_routes()
    missing = sorted(routes - ROUTES.keys())
    stale = sorted(ROUTES.keys() - routes)
    assert not missing, (
        "Routes with no decided answers in ROUTES (tests/test_access_matrix.py):\n" + "\n".join(missing)
    )
    assert not stale, "Entries in ROUTES for routes that are gone:\n" + "\n".join(stale)


def test_it_calls_each_route_by_a_path_that_route_answers():
    # Ids of 7 everywhere: only the routing is checked here, not the objects.
    fake = World(**dict.fromkeys(WORLD_FIELDS, 7) | {"certificate_number": "CERT-2026-0007"})
    wrong = []
    for route, probes in ROUTES.items():
        for probe in probes:
            path = path_for(route, probe.kwargs(fake))
            if answering_route(path) != route:
                wrong.append(f"{path} is answered by {answering_route(path)!r}, not {route!r}")
    assert not wrong, "\n".join(wrong)
    # The format-suffix twin of plan/ would answer plan.pdf/ were the actions ordered otherwise.
    assert path_for("api/v1/^audits/(?P<pk>[^/.]+)/plan.pdf/$", {"pk": 7}) == "/api/v1/audits/7/plan.pdf/"


def test_it_gives_each_cast_user_the_decided_answer_on_every_route(
    cast, onsite_audit, django_capture_on_commit_callbacks
):
    world = build_world(cast, onsite_audit, django_capture_on_commit_callbacks)
    users = {name: cast.user(name) for name in CAST_NAMES}
    wrong = []
    for route, probes in ROUTES.items():
        for probe in probes:
            path = path_for(route, probe.kwargs(world))
            got = tuple(outcome(call(probe, path, users[name], world), probe, name) for name in CAST_NAMES)
            if got != probe.expected:
                pairs = ", ".join(
                    f"{name} got {answer}, decided {expected}"
                    for name, answer, expected in zip(CAST_NAMES, got, probe.expected, strict=True)
                    if answer != expected
                )
                wrong.append(f"{probe.method} {path} ({route}): {pairs}")
    assert not wrong, f"{len(wrong)} probes got other answers than ROUTES decides:\n" + "\n".join(wrong)


def test_it_rolls_back_each_call_so_every_pair_meets_the_same_world(
    cast, onsite_audit, django_capture_on_commit_callbacks
):
    world = build_world(cast, onsite_audit, django_capture_on_commit_callbacks)
    route = "certificates/<int:pk>/suspend/"
    probe = ROUTES[route][0]
    path = path_for(route, probe.kwargs(world))
    # Suspended twice: the second would be refused (400) had the first stayed.
    assert call(probe, path, cast.staff, world).status_code == 302
    assert call(probe, path, cast.staff, world).status_code == 302
    assert Certificate.objects.get(pk=world.certificate).status == CertificateStatus.ACTIVE
