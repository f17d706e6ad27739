"""/healthz: is this app server fit to take requests? For load balancers and container probes.

Each check answers "ok" or "fail" and nothing more: a probe is anonymous, so an error's text
(a host name, a driver's message) goes to the log, never into the answer. The broker is checked
only when one is configured (CELERY_BROKER_URL); the embedded set-up runs its tasks in-process.
Every check is bounded: the database and the cache by their own timeouts, the broker by
CELERY_BROKER_TIMEOUT with no reconnection attempts, so a probe never hangs on a dead service.
"""

import logging
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery_app import app as celery_app

logger = logging.getLogger(__name__)

OK = "ok"
FAIL = "fail"
SKIPPED = "skipped"
# Long enough for the read that follows the write; gone soon after should the delete not happen.
CACHE_PROBE_SECONDS = 10


def database_check() -> str:
    connection.ensure_connection()
    # A persistent connection can be open yet dead (the server restarted): one tiny read proves it.
    ContentType.objects.exists()
    return OK


def cache_check() -> str:
    # A key and value of this probe's own: probes from several balancers never read each other's.
    key = f"healthz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=CACHE_PROBE_SECONDS)
    try:
        return OK if cache.get(key) == value else FAIL
    finally:
        cache.delete(key)


def broker_check() -> str:
    if not settings.CELERY_BROKER_URL:
        return SKIPPED
    with celery_app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=settings.CELERY_BROKER_TIMEOUT
    ) as broker:
        # max_retries=0: one attempt, failing within the connection timeout (no back-off sleeps).
        broker.ensure_connection(max_retries=0)
    return OK


CHECKS = {"database": database_check, "cache": cache_check, "broker": broker_check}


def run_check(name: str) -> str:
    try:
        return CHECKS[name]()
    except Exception:
        # Any failure at all is a failed check, never a 500: the balancer needs the answer.
        logger.warning("Health check %s failed.", name, exc_info=True)
        return FAIL


@never_cache
@require_safe
def healthz(request):
    """200 {"status": "ok", "checks": {...}} when every configured check passes, else 503 "fail"."""
    checks = {name: run_check(name) for name in CHECKS}
    healthy = FAIL not in checks.values()
    return JsonResponse({"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503)
