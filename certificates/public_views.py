"""Public verification: anyone may check a certificate by number or search the register by name.

No login. What the public sees is what the certificate itself states (entity, standards, scope,
places, status, dates) and the certification body's name; never a reason, an internal id, the
organisation number or the certificate's history. A confidential certificate does not exist here.
Every request reads the certificate from the database and no answer is kept by a browser or a
proxy, so a suspension shows at once. The verification page is rendered once per version of the
certificate (see "The verification page" below): a request whose certificate reads exactly as
before gets the same page again. The pages hold nothing of their visitor and set no cookie: their
language switch is a plain GET form (`language`), which needs no CSRF token. Each request counts
against its client address's budget (PUBLIC_RATE_LIMIT in PUBLIC_RATE_PERIOD seconds), shared by
these pages and the public API.
"""

import datetime
import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_countries import countries
from django_ratelimit.core import get_usage

from accounts.addresses import client_key
from certificates.models import Certificate, CertificateSite, CertificateStatus
from core.forms import parse_id
from standards.models import CertificationScheme, Standard
from standards.selectors import accreditations_of

logger = logging.getLogger(__name__)

REGISTER_PAGE_SIZE = 25
# Long enough for any company name or certificate number; a longer query is cut, not refused.
QUERY_MAX_LENGTH = 100
RATE_GROUP = "public"


# -- Reads --------------------------------------------------------------------------------------


def _public_prefetches() -> tuple[Prefetch, ...]:
    """The standards and the places of listed certificates, as the public sees them."""
    return (
        Prefetch(
            "standards",
            queryset=Standard.objects.select_related("scheme")
            .only(
                "code",
                "title",
                "edition",
                "scheme__accredited",
                "scheme__accreditation_body",
                "scheme__accreditation_number",
                "scheme__accreditation_mark",
            )
            .order_by("code"),
        ),
        Prefetch("sites", queryset=CertificateSite.objects.only("certificate_id", "city", "country")),
    )


def public_certificates():
    """Listed certificates with what the public sees of them prefetched: three queries in all."""
    return Certificate.objects.public().prefetch_related(*_public_prefetches())


# The certificate's own columns that the public record reads, in the model's order (as from_db
# wants them): nothing internal is even loaded.
_RECORD_FIELDS = tuple(
    field.attname
    for field in Certificate._meta.concrete_fields
    if field.attname
    in {
        "id",
        "number",
        "entity_name",
        "scope",
        "status",
        "suspended_until",
        "original_issue_date",
        "issue_date",
        "expiry_date",
        "lapsed_from",
        "lapsed_until",
        "updated_at",
    }
)


def _listed_rows():
    """Listed certificates as rows: their record's columns and their standards' last change.

    The standards' last change goes with the row so the verification page, rendered once per
    version of the row, also follows a correction in the standards library.
    """
    standards_updated = (
        Standard.objects.filter(certificates=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    )
    # The accreditation shown comes from the schemes: a change there is a new version of the page.
    schemes_updated = (
        CertificationScheme.objects.filter(standard__certificates=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    return (
        Certificate.objects.public()
        .order_by()
        .annotate(standards_updated=Subquery(standards_updated), schemes_updated=Subquery(schemes_updated))
        .values_list(*_RECORD_FIELDS, "standards_updated", "schemes_updated")
    )


# Built once and filtered per request, as a generic view's `queryset` is: never evaluated itself,
# each filter() is a new query. Building it costs the ORM as much as the database takes to answer.
LISTED_ROWS = _listed_rows()


def _listed_row(number: str) -> tuple[str, tuple] | None:
    """The database alias and the row of the listed certificate with this number, or None; one query.

    Numbers are issued in capitals (CERT-2026-0001): an exact match on the upper-cased input uses
    the unique index of numbers, where a case-insensitive match would read every certificate.
    """
    number = number.strip()
    if not number:
        return None
    lookup = LISTED_ROWS.filter(number=number.upper())[:1]
    rows = list(lookup)
    return (lookup.db, rows[0]) if rows else None


def _certificate(alias: str, row: tuple) -> Certificate:
    """The certificate of a listed row, with its standards and places: two queries.

    Only the columns the public record reads are loaded (the others are deferred).
    """
    certificate = Certificate.from_db(alias, _RECORD_FIELDS, row[: len(_RECORD_FIELDS)])
    prefetch_related_objects([certificate], *_public_prefetches())
    return certificate


def public_certificate(number: str) -> Certificate | None:
    """The listed certificate with this number, as printed or typed in any case; None otherwise.

    What the public record reads, with its standards and places: three queries.
    """
    found = _listed_row(number)
    return None if found is None else _certificate(*found)


def register_search(query: str):
    """Listed certificates whose entity name contains the query or whose number starts with it."""
    return (
        public_certificates()
        .filter(Q(entity_name__icontains=query) | Q(number__istartswith=query))
        .order_by("entity_name", "number")
    )


def effective_status(certificate: Certificate, *, today: datetime.date) -> str:
    """The status to state outside the office.

    A certificate is no longer valid after its expiry date whether or not the nightly run has
    marked it expired yet, so the public never reads "Active" on a certificate that has lapsed.
    """
    live = (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED)
    if certificate.status in live and certificate.expiry_date < today:
        return CertificateStatus.EXPIRED
    return certificate.status


def _places(certificate: Certificate) -> list[dict]:
    """Each city with its country once, in the certificate's order of sites."""
    places, seen = [], set()
    for site in certificate.sites.all():
        key = (site.city, site.country)
        if key not in seen:
            seen.add(key)
            places.append(
                {"city": site.city, "country": site.country, "country_name": countries.name(site.country)}
            )
    return places


def public_record(certificate: Certificate, *, today: datetime.date) -> dict:
    """Everything the public may read about one certificate; the page and the API show exactly this."""
    status = effective_status(certificate, today=today)
    return {
        "number": certificate.number,
        "entity_name": certificate.entity_name,
        "status": status,
        "status_label": CertificateStatus(status).label,
        "suspended_until": certificate.suspended_until if status == CertificateStatus.SUSPENDED else None,
        "standards": [
            {"code": standard.code, "title": standard.title, "edition": standard.edition}
            for standard in certificate.standards.all()
        ],
        "scope": certificate.scope,
        "sites": _places(certificate),
        "original_issue_date": certificate.original_issue_date,
        "issue_date": certificate.issue_date,
        "expiry_date": certificate.expiry_date,
        # Restored after it expired: the days it was not certified, both included.
        "lapsed_from": certificate.lapsed_from,
        "lapsed_until": certificate.lapsed_until,
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        # The accreditation mark and number, for accredited schemes only (as on the PDF).
        "accreditations": [
            {
                "standard": accreditation["standard"],
                "body": accreditation["body"],
                "number": accreditation["number"],
                "mark_url": reverse("public:accreditation-mark", args=[accreditation["scheme"]])
                if accreditation["mark"]
                else "",
            }
            for accreditation in accreditations_of(certificate.standards.all())
        ],
    }


# -- Rate limit ---------------------------------------------------------------------------------


def _rate_key(group, request) -> str:
    return client_key(request)


def rate_limit_wait(request) -> int | None:
    """Count this request; None while the client is within its budget, else seconds to wait.

    django-ratelimit counts with the cache's atomic add and increment: the workers of one machine
    share the embedded cache's count, several machines one Redis's (CACHE_URL). The client is
    found by the one rule for addresses (accounts/addresses.py), as for the log-in lockout.
    """
    try:
        usage = get_usage(
            request,
            group=RATE_GROUP,
            key=_rate_key,
            rate=(settings.PUBLIC_RATE_LIMIT, settings.PUBLIC_RATE_PERIOD),
            increment=True,
        )
    except Exception:
        # An unreachable cache must not take public verification down with it (RATELIMIT_FAIL_OPEN
        # covers a cache that answers without a count; this covers one that does not answer).
        logger.exception("Public rate limit not counted: the cache did not answer.")
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(usage["time_left"], 1)


# -- Pages --------------------------------------------------------------------------------------


def _context(request, context: dict) -> dict:
    return {
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        # Where the language switch returns to.
        "next_path": request.get_full_path(),
        **context,
    }


def _render(request, template: str, context: dict, *, status: int = 200):
    return render(request, template, _context(request, context), status=status)


def too_many_requests(request, wait: int):
    """The HTML 429: says what happened and how long to wait."""
    response = _render(
        request,
        "certificates/public/base_public.html",
        {
            "heading": _("Too many requests"),
            "message": _(
                "You have made many requests in a short time. Wait %(seconds)s seconds, then try again."
            )
            % {"seconds": wait},
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def public_page(view):
    """No login, GET and HEAD only, never cached, counted against the client's rate limit."""

    @wraps(view)
    def counted(request, *args, **kwargs):
        wait = rate_limit_wait(request)
        if wait is not None:
            return too_many_requests(request, wait)
        return view(request, *args, **kwargs)

    return never_cache(require_safe(counted))


# -- The verification page ----------------------------------------------------------------------
# Rendering the page costs more than reading the certificate, and the same certificate is looked up
# again and again (its QR code, a buyer checking a supplier). So the page is rendered once per
# version of the certificate and kept in the "pages" cache (settings.CACHES: this process's memory
# by default), keyed by the certificate's row as read for this very request (every column the page
# shows, updated_at, the standards' last change), the language, the day (an expiry takes effect at
# midnight) and the certification body's name. Any change to the certificate, a suspension first of
# all, is a new key: the next request renders afresh, on every app server, without any
# invalidation. Nothing on the page is the visitor's own: no CSRF token (the language switch is a
# GET form) and, as the switch's return path, the certificate's own address.
PAGES_CACHE = "pages"


def _page_key(row: tuple, today: datetime.date) -> str:
    # Hashed: the row holds the scope's text, longer than a cache key may be.
    described = repr((row, get_language(), today, settings.CERTIFICATION_BODY_NAME))
    return "verify:" + hashlib.sha256(described.encode()).hexdigest()


@public_page
def verify(request, number):
    found = _listed_row(number)
    if found is None:
        # A friendly page, not the signed-in 404: the visitor may have mistyped the number.
        return _render(request, "certificates/public/verify.html", {"number": number}, status=404)
    alias, row = found
    today = timezone.localdate()
    pages = caches[PAGES_CACHE]
    key = _page_key(row, today)
    page = pages.get(key)
    if page is None:
        certificate = _certificate(alias, row)
        context = {
            "number": certificate.number,
            "record": public_record(certificate, today=today),
            "certification_body": settings.CERTIFICATION_BODY_NAME,
            # The switch returns to the certificate as issued, whatever case or query was typed.
            "next_path": reverse("public:verify", args=[certificate.number]),
        }
        # Without the request: no context processor can put anything of this visitor's in it.
        page = render_to_string("certificates/public/verify.html", context)
        pages.set(key, page)
    return HttpResponse(page)


@public_page
def register(request):
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    page = None
    records = []
    if query:
        page = Paginator(register_search(query), REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        records = [public_record(certificate, today=today) for certificate in page]
    return _render(
        request, "certificates/public/register.html", {"query": query, "page": page, "records": records}
    )


@public_page
def language(request):
    """The public pages' language switch: the choice is kept in the language cookie, as Django's
    set_language keeps it, then the visitor returns to the page they were on.

    A GET form, so the public pages carry no CSRF token and set no cookie until a visitor asks for
    a language; it changes nothing but that cookie (never a signed-in person's account, which
    set_language does, behind CSRF). An unknown language changes nothing; a return address on
    another site is refused for the register.
    """
    code = request.GET.get("language", "")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("public:register")
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@require_safe
def accreditation_mark(request, scheme):
    """The mark of an accredited scheme, as its certificates' public pages show it; 404 otherwise.

    Public as the mark itself is, and not counted against the rate limit: it is a part of the
    verification page, which was counted.
    """
    if parse_id(scheme) is None:
        raise Http404
    found = (
        CertificationScheme.objects.filter(pk=scheme, accredited=True).exclude(accreditation_mark="").first()
    )
    name = found.accreditation_mark.name if found is not None else None
    if found is None or not name or not found.accreditation_mark.storage.exists(name):
        raise Http404
    with found.accreditation_mark.open("rb") as handle:
        content = handle.read()
    kind = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    response = HttpResponse(content, content_type=kind)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
