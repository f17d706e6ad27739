"""Every page of the site fuzzed through its query string and its forms, as each user of the cast
(make fuzz): the HTML side's counterpart of test_schema_fuzz.

Every named URL pattern outside the API and the admin is walked (tests/fuzz/pages.py finds them in
the URLconf). Its path parameters take ids of real records (of both clients, so outsiders meet
other clients' records) or hostile ones; its query string takes the parameters its pages' GET
forms and links use; a POST sends one of the forms the site renders for it, found by rendering
every page as staff, the lead auditor and a client's user in a few states of the world (plan open,
an answer accepted, an audit closed and undecided), each field filled with the value the page
offered or a hostile one for its kind: numbers past any column (2^63, 10^20), 1e309, nan, inf,
9999-12-31, 0001-01-01, 24:00, very long and NUL-laden and right-to-left text, ids of other
clients' records, files that are and are not pictures.

Each request runs in a savepoint that is rolled back, so every example meets the same world. The
answer must not be a 5xx (an exception in a view fails the example with its traceback), and a page
of the signed-in side never names a client the user may not see. FUZZ_EXAMPLES (default 25) sets
the examples per page and user (a fifth of them for pages with nothing but their path to vary);
under CI the examples are the same every run.
"""

import datetime
import functools
import itertools
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from audits.models import (
    Audit,
    AuditDay,
    AuditStatus,
    CertificationProgramme,
    PlanSlot,
    TeamMember,
    TeamObjection,
)
from certificates.models import Certificate, CertificateEvent, CertificateRevision
from certificates.services import certificate_suspend, decision_record
from clients.models import Organization, Site
from complaints.models import Appeal, Complaint
from complaints.services import appeal_file, case_acknowledge, case_assign, case_decide
from core.actors import SYSTEM
from findings.models import Evidence, Finding, Nonconformity, NonconformityAttachment
from findings.ncr import nonconformity_review
from outbox.models import OutboxMessage
from reports.services import audit_close
from standards.models import CertificationScheme, Clause, Standard
from tests.conftest import CAST_NAMES
from tests.factories import closing_report
from tests.fuzz.conftest import FUZZ_DERANDOMIZE, FUZZ_EXAMPLES, png_bytes
from tests.fuzz.pages import Form, FormField, Page, SiteForms, site_pages
from transfers.models import OtherBodyNonconformity, ReviewItem, Transfer, TransferDocument

pytestmark = pytest.mark.fuzz

# -- The records behind path parameters ------------------------------------------------------------

# `pk` by the route's first part; any other parameter by its name.
PK_MODELS = {
    "organizations": Organization,
    "standards": Standard,
    "programmes": CertificationProgramme,
    "audits": Audit,
    "certificates": Certificate,
    "findings": Finding,
    "evidence": Evidence,
    "ncrs": Nonconformity,
    "ncrs/files": NonconformityAttachment,
    "outbox": OutboxMessage,
    "records": Organization,
    "transfers": Transfer,
    "complaints": Complaint,
    "appeals": Appeal,
}
PARAM_MODELS = {
    "site_pk": Site,
    "member_pk": TeamMember,
    "day_pk": AuditDay,
    "slot_pk": PlanSlot,
    "clause_pk": Clause,
    "objection_pk": TeamObjection,
    "scheme": CertificationScheme,
    "document_pk": TransferDocument,
    "item_pk": ReviewItem,
    "nc_pk": OtherBodyNonconformity,
}


def _real_values(page: Page, param: str) -> list[str] | None:
    """The values of real records for one path parameter; None when the fuzz does not know it."""
    if param == "pk":
        prefix = "ncrs/files" if page.route.startswith("ncrs/files/") else page.route.split("/", 1)[0]
        model = PK_MODELS.get(prefix)
        return None if model is None else [str(pk) for pk in model.objects.values_list("pk", flat=True)]
    if param in PARAM_MODELS:
        return [str(pk) for pk in PARAM_MODELS[param].objects.values_list("pk", flat=True)]
    if param == "revision":
        return [str(number) for number in CertificateRevision.objects.values_list("revision", flat=True)]
    if param == "number":
        return list(Certificate.objects.values_list("number", flat=True))
    if param in ("uidb64", "token"):
        return ["MQ", "set-password", "c3b-0123456789abcdef0123"]
    return None


HOSTILE_IDS = ["0", "99999999999999999999", str(2**63), str(2**63 - 1), "9" * 300]
HOSTILE_SLUGS = ["x" * 2000, "CERT-9999-99999", "%00", "..", "İ😀\u202e", "' OR 1=1 --"]


def path_values(page: Page, param: str, converter: str):
    real = _real_values(page, param) or []
    hostile = HOSTILE_IDS if converter == "int" else HOSTILE_SLUGS
    if not real:
        return st.sampled_from(hostile)
    # Mostly real records, so the requests get past the 404 and into the forms.
    return st.one_of(
        st.sampled_from(real), st.sampled_from(real), st.sampled_from(real), st.sampled_from(hostile)
    )


# -- Hostile values ----------------------------------------------------------------------------------

HUGE = ["99999999999999999999", str(2**63), str(2**63 - 1), str(2**64), "-1", "0", "-" + "9" * 20, "9" * 400]
NUMBERS = [
    "1e309",
    "-1e309",
    "1e30",
    "+100000",
    "-100000",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e-400",
    "0.000001",
    "12,5",
    "\u0663",  # an Arabic-Indic three, which int() reads as 3
]
DATES = [
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2026-02-30",
    "1900-01-01",
    "9999-12-31T23:59:59",
    "0000-00-00",
]
TIMES = ["23:59:59.999999", "24:00", "00:00", "99:99", "-1:00", "12:60"]
TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 20_000,
    "<script>alert(1)</script>",
    "%(name)s %s {0} {{ x }}",
    "\u202egnp.exe",
    "\U0001f600" * 300,
    "İı ß Łódź",
    '=HYPERLINK("http://x")',
]
# Any Unicode but lone surrogates, which no browser can send.
free_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)


@functools.cache
def record_ids() -> list[str]:
    """Ids of records of every kind, of both clients: what a user might paste into any field."""
    ids = set()
    for model in (
        Organization,
        Site,
        Audit,
        Finding,
        Nonconformity,
        TeamMember,
        AuditDay,
        Certificate,
        Clause,
    ):
        ids.update(str(pk) for pk in model.objects.values_list("pk", flat=True))
    return sorted(ids, key=int)


def hostile(kind: str):
    numbers = st.sampled_from(HUGE + NUMBERS)
    anything = st.one_of(numbers, st.sampled_from(DATES + TIMES + TEXTS), free_text)
    by_kind = {
        "date": st.sampled_from(DATES),
        "datetime-local": st.sampled_from(DATES),
        "time": st.sampled_from(TIMES),
        "number": numbers,
    }
    kind_values = by_kind.get(kind)
    if kind in ("select", "radio", "checkbox", "hidden", "link"):
        kind_values = st.one_of(st.sampled_from(HUGE), st.sampled_from(record_ids()))
    if kind_values is None:  # text of any kind
        kind_values = st.one_of(st.sampled_from(TEXTS), free_text)
    return st.one_of(kind_values, kind_values, anything)


def uploads():
    contents = st.sampled_from(
        [png_bytes(), b"", b"MZ\x90\x00" + bytes(200), b"\xff\xd8\xff\xe0" + bytes(300), b"%PDF-1.7\n%%EOF"]
    )
    names = st.sampled_from(["photo.png", "", "../../x.jpg", "a" * 300 + ".pdf", "r\u00e9sum\u00e9.pdf"])
    return st.builds(
        lambda content, name: SimpleUploadedFile(name or "file", content, content_type="image/png"),
        contents,
        names,
    )


# What a person would type where the page offers nothing (a new record's empty fields).
PLAUSIBLE = {
    "date": datetime.datetime.now(tz=datetime.UTC).date().isoformat(),
    "time": "10:00",
    "number": "12",
    "email": "fuzz@example.se",
    "textarea": "Seen at the reception desk.",
}


def offered_values(form_field) -> list[str]:
    values = [value for value in form_field.values if value]
    return values or [PLAUSIBLE.get(form_field.kind, "Fuzz text")]


def field_value(data, form_field, *, hostile_field: bool):
    """A value for a form field (a list for a field that sends several), or None to leave it out."""
    if form_field.kind == "file":
        return data.draw(st.one_of(st.none(), uploads()))
    if hostile_field and data.draw(st.integers(0, 5)) == 0:
        return None
    if form_field.kind in ("checkbox", "radio") and not hostile_field and data.draw(st.booleans()):
        return None  # a box left unticked, a choice not made
    choice = hostile(form_field.kind) if hostile_field else st.sampled_from(offered_values(form_field))
    if form_field.multiple:
        return data.draw(st.lists(choice, max_size=3))
    return data.draw(choice)


def form_body(data, form) -> dict:
    """What the form sends: either one field hostile and the rest as a person fills them (which gets
    past the form into the service), or any number of fields hostile."""
    names = sorted(form.fields)
    if data.draw(st.booleans(), label="one hostile field"):
        hostile_names = {data.draw(st.sampled_from(names))} if names else set()
    else:
        hostile_names = {name for name in names if data.draw(st.booleans())}
    body = {}
    for name in names:
        value = field_value(data, form.fields[name], hostile_field=name in hostile_names)
        if value is not None:
            body[name] = value
    return body


# -- The states the pages are read in -------------------------------------------------------------


# Each state changes the world, then names who reads which pages again (by the start of the path).


def as_built(world):
    """The world as tests/fuzz/conftest.py builds it: every page, as every reader."""
    return READERS, ("/",)


def plan_open(world):
    """Kundtjänst Norr's audit back to planning: its plan, time and edit pages take their forms."""
    Audit.objects.filter(pk=world.open.pk).update(status=AuditStatus.PLANNED, confirmed_at=None)
    return ["staff", "lead"], (f"/audits/{world.open.pk}/",)


def answer_accepted(world):
    """Nordkontakt's answered nonconformity accepted: its page takes the verification."""
    nonconformity_review(nonconformity=world.answered, user=world.cast.lead, decision="accept")
    return ["lead"], (f"/ncrs/{world.answered.pk}/",)


def audit_closed(world):
    """Kundtjänst Norr's audit closed without a decision: its decision page takes the form."""
    audit_close(
        audit=world.open, **closing_report(world.open), user=world.cast.lead, recommendation="certify"
    )
    return ["staff"], (f"/audits/{world.open.pk}/",)


def certificate_suspended(world):
    """Nordkontakt's certificate suspended: its page takes the restoration."""
    certificate_suspend(certificate=world.certificate, user=world.cast.staff, reason="No answer in time.")
    return ["staff"], (f"/certificates/{world.certificate.pk}/",)


def cases_advanced(world):
    """The complaint under investigation (its page takes the decision), and an appeal against a
    suspension upheld (its page takes the reinstatement and the closing)."""
    staff = world.cast.staff
    complaint = Complaint.objects.get()
    case_acknowledge(user=staff, case=complaint)
    case_assign(user=staff, case=complaint, investigator=staff)
    certificate_suspend(certificate=world.certificate, user=staff, reason="No answer in time.")
    appeal = appeal_file(
        user=world.cast.client,
        source="portal",
        subject="Answered",
        description="Our answer was sent in time.",
        certificate_event=CertificateEvent.objects.get(kind="suspended"),
    )
    case_acknowledge(user=SYSTEM, case=appeal)
    case_assign(user=SYSTEM, case=appeal, investigator=world.cast.auditor)
    case_decide(user=SYSTEM, case=appeal, outcome="upheld", reasons="In time.")
    # The client's appeal against the grant, under investigation: its page takes the decision.
    against_grant = Appeal.objects.exclude(pk=appeal.pk).get()
    case_acknowledge(user=staff, case=against_grant)
    case_assign(user=staff, case=against_grant, investigator=world.cast.auditor)
    return ["staff"], ("/complaints/", "/appeals/")


def appeals_upheld(world):
    """Kundtjänst Norr refused certification and Nordkontakt's unanswered nonconformity graded, both
    appealed and upheld: their pages take the new decision and the new grade."""
    staff = world.cast.staff
    audit_close(
        audit=world.open, **closing_report(world.open), user=world.cast.lead, recommendation="do_not_certify"
    )
    refusal = decision_record(audit=world.open, user=staff, outcome="refuse", rationale="Scope unclear.")
    against_refusal = appeal_file(
        user=staff,
        source="staff",
        subject="Refusal",
        description="The scope was clear.",
        submitter_name="Eva Lund",
        submitter_email="eva@example.se",
        decision=refusal,
    )
    against_grade = appeal_file(
        user=world.cast.client,
        source="portal",
        subject="Grade",
        description="A minor, not a major.",
        nonconformity=world.unanswered,
    )
    for appeal in (against_refusal, against_grade):
        case_acknowledge(user=SYSTEM, case=appeal)
        case_assign(user=SYSTEM, case=appeal, investigator=world.cast.auditor)
        case_decide(user=SYSTEM, case=appeal, outcome="upheld", reasons="Agreed.")
    return ["staff"], ("/appeals/",)


def complaint_decided(world):
    """The complaint decided: its page takes the closing."""
    complaint = Complaint.objects.get()
    case_acknowledge(user=SYSTEM, case=complaint)
    case_assign(user=SYSTEM, case=complaint, investigator=world.cast.staff)
    case_decide(user=SYSTEM, case=complaint, outcome="not_upheld", reasons="Calls are answered.")
    return ["staff"], ("/complaints/",)


# The users whose pages hold every form there is: staff's, the team's and the client's.
READERS = ["staff", "lead", "client"]
STATES = [
    as_built,
    plan_open,
    answer_accepted,
    audit_closed,
    certificate_suspended,
    cases_advanced,
    appeals_upheld,
    complaint_decided,
]
# Forms no state the fuzz builds renders, written down from the view's form.
UNRENDERED_FORMS = {
    # Shown only to a session that has typed a current code from the app.
    "two-factor-disable": [
        Form(
            method="post",
            action="two-factor-disable",
            multipart=False,
            fields={"disable-code": FormField("disable-code", "text")},
            seen_at=[("staff", "/account/two-factor/disable/")],
        )
    ],
}


def _page_urls(page: Page) -> list[str]:
    """Every URL of a page with real records in its path (at most a handful of combinations)."""
    pools = [_real_values(page, param) for param in page.params]
    if any(pool is None for pool in pools):
        return []
    return [
        reverse(page.name, kwargs=dict(zip(page.params, values, strict=True)))
        for values in itertools.islice(itertools.product(*pools), 60)
    ]


def discover(world, client) -> SiteForms:
    """Render every page in every state as each reader, and keep the forms and queries found."""
    found = SiteForms()
    pages = [page for page in site_pages() if page.name not in ("logout", "set_language")]
    for state in STATES:
        with transaction.atomic():
            readers, prefixes = state(world)
            urls = [url for page in pages for url in _page_urls(page) if url.startswith(prefixes)]
            for name in readers:
                client.force_login(world.cast.user(name))
                for url in urls:
                    response = client.get(url)
                    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                        found.add_page(name, url, response.content.decode())
            transaction.set_rollback(True)
    client.logout()
    for name, forms in UNRENDERED_FORMS.items():
        assert name not in found.forms, f"{name}'s form is rendered now: take it out of UNRENDERED_FORMS"
        found.forms[name] = forms
    return found


_discovered: dict[tuple, SiteForms] = {}


def discovered(world, client) -> SiteForms:
    # Once per run: the pages offer the same forms to every test's (identical) world.
    key = (world.open.pk, world.closed.pk)
    if key not in _discovered:
        _discovered[key] = discover(world, client)
    return _discovered[key]


# -- The fuzz -------------------------------------------------------------------------------------

# Names each user may not meet on a page of the signed-in side: the clients they cannot see.
NORDKONTAKT = ("Nordkontakt", "Göteborg", "Malmö")
KUNDTJANST = ("Kundtjänst Norr", "Luleå")
UNSEEN_NAMES = {
    "anonymous": NORDKONTAKT + KUNDTJANST,
    "staff": (),
    "lead": (),
    "auditor": NORDKONTAKT + KUNDTJANST,
    "client": KUNDTJANST,
    "other": NORDKONTAKT,
}


def check_answer(response, page: Page, user_name: str, sent) -> None:
    assert response.status_code < 500, (page.name, sent, response.status_code)
    if page.name.startswith("public:") or not response.get("Content-Type", "").startswith("text/html"):
        return
    text = response.content.decode()
    for name in UNSEEN_NAMES[user_name]:
        assert name not in text, (page.name, sent, f"{user_name} was shown {name!r}")


def _sign_in(client, world, user_name: str) -> None:
    user = world.cast.user(user_name)
    if user is None:
        client.logout()
    else:
        client.force_login(user)


def fuzz_page(
    world, client, site: SiteForms, page: Page, user_name: str, examples: int, derandomize: bool | None = None
) -> Counter:
    """Fuzz one page as one user; the status codes seen, or the first failure raised.

    derandomize=True draws the same examples on every run (for a test of the fuzzer itself)."""
    forms = site.forms.get(page.name, [])
    queries = site.queries.get(page.name, {})
    seen = Counter()

    @settings(
        max_examples=examples,
        derandomize=FUZZ_DERANDOMIZE if derandomize is None else derandomize,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data):
        kwargs = {
            param: data.draw(path_values(page, param, converter), label=param)
            for param, converter in zip(page.params, page.converters, strict=True)
        }
        url = reverse(page.name, kwargs=kwargs)
        method = data.draw(
            st.sampled_from(["get", "post", "post"] if forms else ["get", "post"]), label="method"
        )
        if method == "get":
            names = data.draw(st.lists(st.sampled_from(sorted({*queries, "page"})), max_size=4, unique=True))
            sent = {}
            for name in names:
                query = queries.get(name) or FormField(name, "link")
                offered = sorted(value for value in query.values if value)
                values = hostile(query.kind)
                if offered:
                    values = st.one_of(st.sampled_from(offered), values)
                sent[name] = data.draw(st.lists(values, min_size=1, max_size=2))
        else:
            sent = form_body(data, data.draw(st.sampled_from(forms))) if forms else {}
        note(f"{user_name}: {method.upper()} {url} {sent!r:.2000}")
        with transaction.atomic():
            _sign_in(client, world, user_name)
            response = client.get(url, sent) if method == "get" else client.post(url, sent)
            transaction.set_rollback(True)
        seen[(method, response.status_code)] += 1
        check_answer(response, page, user_name, (method, url, sent))

    fuzz()
    return seen


def examples_for(site: SiteForms, page: Page) -> int:
    if site.forms.get(page.name) or site.queries.get(page.name):
        return FUZZ_EXAMPLES
    return max(3, FUZZ_EXAMPLES // 5)


@pytest.mark.parametrize("user_name", CAST_NAMES)
def test_it_answers_every_page_without_a_server_error(world, client, user_name):
    site = discovered(world, client)
    for page in site_pages():
        fuzz_page(world, client, site, page, user_name, examples_for(site, page))


# -- The fuzz reaches the pages, and can fail ------------------------------------------------------


def test_it_knows_the_records_behind_every_path_parameter(world):
    # A new page with a parameter the fuzz cannot fill would be fuzzed with made-up ids only.
    unknown = [
        f"{page.name} <{param}>"
        for page in site_pages()
        for param in page.params
        if _real_values(page, param) is None
    ]
    assert unknown == []


def test_it_finds_the_forms_of_every_page_that_only_takes_posts(world, client):
    # A page that answers GET with 405 is reached only through the forms other pages render.
    site = discovered(world, client)
    client.force_login(world.cast.staff)
    post_only = []
    for page in site_pages():
        urls = _page_urls(page)
        if urls and client.get(urls[0]).status_code == 405:
            post_only.append(page.name)
    assert len(post_only) >= 10
    assert [name for name in post_only if not site.forms.get(name)] == []


def test_it_finds_the_forms_that_create_and_change(world, client):
    site = discovered(world, client)
    for name, fields in {
        "clients:create": {"legal_name", "org_number"},
        "audits:programme-create": {"organization", "standards"},
        "audits:programme-decision": {"decision_date"},
        "audits:audit-edit": {"sites", "start_date"},
        "audits:audit-time": {"adjustment-0-percent", "adjustment-TOTAL_FORMS"},
        "audits:audit-plan": {"day-site", "slot-day", "slot-member"},
        "certificates:decision": {"outcome", "decided_on"},
        "certificates:certificate-scope": {"scope-scope", "scope-reason"},
        "findings:clause": {"grade", "site", "file"},
        "findings:nc-respond": {"root_cause", "target_date", "files"},
        "findings:nc-verify": {"method", "files"},
        "transfers:transfer-edit": {"sites", "expiry_date", "cycle_stage"},
        "transfers:transfer-decide": {"decision-outcome", "decision-rationale"},
        "transfers:transfer-document-add": {"document-kind", "document-file"},
        "audits:planning-due": {"programme"},
    }.items():
        sent = set().union(*(form.fields for form in site.forms.get(name, [])))
        assert fields <= sent, (name, sorted(sent))
    assert {"organization", "kind"} <= set(site.queries["security-log"])
    assert {"standard", "personnel", "adjustment-0-percent"} <= set(site.queries["audits:calculator"])


def test_it_reaches_past_the_forms_into_the_services(world, client):
    site = discovered(world, client)
    page = next(page for page in site_pages() if page.name == "clients:site-create")
    # The same draws each run: whether random forms reach a saved site is not left to chance.
    seen = fuzz_page(world, client, site, page, "staff", examples=60, derandomize=True)
    assert seen[("post", 302)] and seen[("post", 200)], seen


def test_it_catches_a_server_error(world, client, monkeypatch):
    from audits.forms import DecisionDateForm

    site = discovered(world, client)
    monkeypatch.setattr(DecisionDateForm, "clean", lambda self: 1 / 0)
    page = next(page for page in site_pages() if page.name == "audits:programme-decision")
    with pytest.raises(ZeroDivisionError):
        fuzz_page(world, client, site, page, "staff", examples=10)


def test_it_catches_a_page_that_names_another_client(world, client, monkeypatch):
    from audits import views

    site = discovered(world, client)
    leaky = views.render

    def render(request, template, context=None, *args, **kwargs):
        response = leaky(request, template, context, *args, **kwargs)
        response.content += b"Kundtj\xc3\xa4nst Norr"
        return response

    monkeypatch.setattr(views, "render", render)
    page = next(page for page in site_pages() if page.name == "audits:calculator")
    with pytest.raises(AssertionError, match="was shown 'Kundtjänst Norr'"):
        fuzz_page(world, client, site, page, "auditor", examples=5)


# -- Every field, every hostile kind ------------------------------------------------------------------

# The values that once broke pages (issue 15), by the kind of field they go into: each is sent in
# each field of every form (the others filled as a person would) and in each query parameter of
# every page, as the user who was shown the form, to the address it was shown with.
SWEEP_IDS = ["99999999999999999999", str(2**63), "-99999999999999999999", "0", "-1", "nan"]
SWEEP = {
    "number": ["1e309", "-1e309", "nan", "inf", "1e30", "+100000", "99999999999999999999"],
    "date": ["9999-12-31", "0001-01-01", "10000-01-01"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00"],
    "time": ["24:00", "23:59:59.999999"],
    "file": [],
    "submit": [],
}
SWEEP_TEXT = ["x" * 20_000, "a\x00b", "1e309", "9999-12-31", "99999999999999999999"]


def sweep_values(kind: str) -> list[str]:
    if kind in ("select", "radio", "checkbox", "hidden", "link"):
        return SWEEP_IDS
    return SWEEP.get(kind, SWEEP_TEXT)


def as_a_person_fills(form) -> dict:
    """The form filled as a person would: what the page offered, single boxes left unticked."""
    body = {}
    for name, form_field in form.fields.items():
        if form_field.kind == "file" or (form_field.kind == "checkbox" and form_field.values == ["on"]):
            continue
        body[name] = offered_values(form_field)[0]
    return body


def _sent(client, world, user_name, method, url, body):
    """The answer's status, or the exception a view let through, as text."""
    try:
        with transaction.atomic():
            _sign_in(client, world, user_name)
            response = client.get(url, body) if method == "get" else client.post(url, body)
            transaction.set_rollback(True)
    except Exception as error:  # every one is reported below, with the request
        return f"{type(error).__name__}: {error}"[:300]
    return response.status_code


def test_it_refuses_every_hostile_value_in_every_field(world, client):
    site = discovered(world, client)
    failures = []
    for forms in site.forms.values():
        for form in forms:
            user_name, url = form.seen_at[0]
            filled = as_a_person_fills(form)
            for name, form_field in form.fields.items():
                for value in sweep_values(form_field.kind):
                    got = _sent(client, world, user_name, "post", url, {**filled, name: value})
                    if not isinstance(got, int) or got >= 500:
                        failures.append((user_name, f"POST {url}", name, value[:40], got))
    for target, queries in site.queries.items():
        user_name, url = site.query_seen_at[target]
        for name, query in queries.items():
            for value in sweep_values(query.kind) + SWEEP_TEXT:
                got = _sent(client, world, user_name, "get", url, {name: value})
                if not isinstance(got, int) or got >= 500:
                    failures.append((user_name, f"GET {url}", name, value[:40], got))
    assert failures == [], "\n".join(map(str, failures))
