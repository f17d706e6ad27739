"""Public verification: anyone may check a certificate by number or search the register by name.

No login. What the public sees is what the certificate itself states (entity, standards, scope,
places, status, dates) and the certification body's name; never a reason, an internal id, the
organisation number or the certificate's history. A confidential certificate does not exist here.
Every page reads the database and is never cached, so a suspension shows at once. Each request
counts against its client address's budget (PUBLIC_RATE_LIMIT in PUBLIC_RATE_PERIOD seconds),
shared by these pages and the public API.
"""

import datetime
import ipaddress
import logging
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_countries import countries
from django_ratelimit.core import get_usage

from audits.models import Certificate, CertificateSite, CertificateStatus, Standard

logger = logging.getLogger(__name__)

REGISTER_PAGE_SIZE = 25
# Long enough for any company name or certificate number; a longer query is cut, not refused.
QUERY_MAX_LENGTH = 100
RATE_GROUP = "public"


# -- Reads --------------------------------------------------------------------------------------


def public_certificates():
    """Listed certificates with what the public sees of them prefetched: three queries in all."""
    return Certificate.objects.public().prefetch_related(
        Prefetch("standards", queryset=Standard.objects.only("code", "title", "edition").order_by("code")),
        Prefetch("sites", queryset=CertificateSite.objects.only("certificate_id", "city", "country")),
    )


def public_certificate(number: str) -> Certificate | None:
    """The listed certificate with this number, as printed or typed in any case; None otherwise."""
    number = number.strip()
    if not number:
        return None
    # Numbers are issued in capitals (CERT-2026-0001): an exact match on the upper-cased input uses
    # the unique index, where a case-insensitive match would read every certificate.
    return public_certificates().filter(number=number.upper()).first()


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
        "certification_body": settings.CERTIFICATION_BODY_NAME,
    }


# -- Rate limit ---------------------------------------------------------------------------------


def client_address(request) -> str:
    """The address a public request is counted against.

    REMOTE_ADDR, unless NUM_PROXIES trusted proxies sit in front: then the address the nearest of
    them appended to X-Forwarded-For (DRF's rule, so the API and the pages agree). An IPv6 client
    is counted by its /64, which one subscriber usually holds whole and could otherwise rotate in.
    """
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies = settings.NUM_PROXIES
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(proxies, len(hops))]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        # A Unix socket or an odd header: count it as given rather than fail the request.
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def _rate_key(group, request) -> str:
    return client_address(request)


def rate_limit_wait(request) -> int | None:
    """Count this request; None while the client is within its budget, else seconds to wait.

    django-ratelimit counts with the cache's atomic add and increment, so several app servers
    sharing one cache (CACHE_URL) keep one count per client.
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


def _render(request, template: str, context: dict, *, status: int = 200):
    context = {"certification_body": settings.CERTIFICATION_BODY_NAME, **context}
    return render(request, template, context, status=status)


def too_many_requests(request, wait: int):
    """The HTML 429: says what happened and how long to wait."""
    response = _render(
        request,
        "public/base_public.html",
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


@public_page
def verify(request, number):
    certificate = public_certificate(number)
    if certificate is None:
        # A friendly page, not the signed-in 404: the visitor may have mistyped the number.
        return _render(request, "public/verify.html", {"number": number}, status=404)
    record = public_record(certificate, today=timezone.localdate())
    return _render(request, "public/verify.html", {"number": certificate.number, "record": record})


@public_page
def register(request):
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    page = None
    records = []
    if query:
        page = Paginator(register_search(query), REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        records = [public_record(certificate, today=today) for certificate in page]
    return _render(request, "public/register.html", {"query": query, "page": page, "records": records})
