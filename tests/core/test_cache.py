"""The embedded cache: Django's database cache in a SQLite file of its own, shared by every process
of the machine."""

import ast

import pytest
from django.core.cache import cache

from core.routers import CacheRouter
from tests.conftest import DATABASE_CACHE, ROOT, run_manage

SPEND_TWO = (
    "from django.test import RequestFactory; from certificates.public_views import rate_limit_wait; "
    "request = RequestFactory().get('/register/', REMOTE_ADDR='192.0.2.1'); "
    "print([rate_limit_wait(request) for _ in range(2)])"
)
PROBE = (
    "from django.conf import settings as s; d = s.CACHES['default']; "
    "print(d['BACKEND'], d['LOCATION'], s.DATABASES.get('cache', {}).get('NAME'))"
)


def _probe_cache(env):
    return run_manage("shell", "-v", "0", "-c", PROBE, env=env)


def test_it_shares_the_default_cache_among_the_processes_of_one_machine():
    result = _probe_cache({"CACHE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [DATABASE_CACHE, "certdesk_cache", str(ROOT / "var" / "cache.sqlite3")]


def test_it_reads_the_cache_from_the_environment():
    result = _probe_cache({"CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/1",
        "None",
    ]
    result = _probe_cache({"CACHE_URL": "sqlite:////srv/certdesk/cache.sqlite3"})
    assert result.stdout.split() == [DATABASE_CACHE, "certdesk_cache", "/srv/certdesk/cache.sqlite3"]


@pytest.mark.parametrize(
    "url", ["memcached://127.0.0.1:11211", "sqlite:///", "sqlite:///relative.sqlite3", "file:///srv/cache"]
)
def test_it_refuses_a_cache_it_cannot_share(url):
    result = _probe_cache({"CACHE_URL": url})
    assert result.returncode != 0
    assert "CACHE_URL must be a redis://, rediss://, unix:// or sqlite:////absolute/path URL" in result.stderr


def test_it_keeps_the_cache_table_alone_in_its_own_database():
    router = CacheRouter()
    assert router.allow_migrate("cache", "django_cache") is True
    assert router.allow_migrate("default", "django_cache") is False
    assert router.allow_migrate("cache", "clients") is False
    assert router.allow_migrate("default", "clients") is None


def test_it_counts_the_public_rate_limit_once_for_all_workers(tmp_path):
    # Two processes (two gunicorn workers) spend the same address's three requests.
    shared = {"CACHE_URL": f"sqlite:///{tmp_path / 'cache.sqlite3'}"}
    limit = {"PUBLIC_RATE_LIMIT": "3", "PUBLIC_RATE_PERIOD": str(24 * 60 * 60)}
    made = run_manage("createcachetable", "--database", "cache", env=shared)
    assert made.returncode == 0, made.stderr
    first = run_manage("shell", "-v", "0", "-c", SPEND_TWO, env={**shared, **limit})
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "[None, None]"
    second = run_manage("shell", "-v", "0", "-c", SPEND_TWO, env={**shared, **limit})
    assert second.returncode == 0, second.stderr
    none, wait = ast.literal_eval(second.stdout.strip().splitlines()[-1])
    assert none is None and wait >= 1


def test_it_gives_each_test_an_empty_cache_of_its_own():
    assert cache.get("left-by-another-test") is None
    cache.set("left-by-another-test", 1)
