"""The embedded cache: Django's file cache in one folder shared by every process of the machine."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from certificates.public_views import rate_limit_wait
from tests.conftest import FILE_CACHE, ROOT, run_manage

SPEND_TWO = (
    "from django.test import RequestFactory; from certificates.public_views import rate_limit_wait; "
    "request = RequestFactory().get('/register/', REMOTE_ADDR='192.0.2.1'); "
    "print([rate_limit_wait(request) for _ in range(2)])"
)


def _probe_cache(env):
    probe = (
        "from django.conf import settings as s; d = s.CACHES['default']; print(d['BACKEND'], d['LOCATION'])"
    )
    return run_manage("shell", "-v", "0", "-c", probe, env=env)


def test_it_shares_the_default_cache_among_the_processes_of_one_machine():
    result = _probe_cache({"CACHE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [FILE_CACHE, str(ROOT / "var" / "cache")]


def test_it_reads_the_cache_from_the_environment():
    result = _probe_cache({"CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/1",
    ]
    result = _probe_cache({"CACHE_URL": "file:///srv/certdesk/cache"})
    assert result.stdout.split() == [FILE_CACHE, "/srv/certdesk/cache"]


@pytest.mark.parametrize(
    "url", ["memcached://127.0.0.1:11211", "file:///", "file://relative", "sqlite:////srv/cache.sqlite3"]
)
def test_it_refuses_a_cache_it_cannot_share(url):
    result = _probe_cache({"CACHE_URL": url})
    assert result.returncode != 0
    assert "CACHE_URL must be a redis://, rediss://, unix:// or file:///absolute/folder URL" in result.stderr


def test_it_counts_the_public_rate_limit_once_for_all_workers(settings, tmp_path):
    # Another process (a second gunicorn worker) spends two of the address's three requests.
    location = tmp_path / "shared"
    limit = {"PUBLIC_RATE_LIMIT": "3", "PUBLIC_RATE_PERIOD": str(24 * 60 * 60)}
    result = run_manage("shell", "-v", "0", "-c", SPEND_TWO, env={"CACHE_URL": f"file://{location}", **limit})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[None, None]"
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": FILE_CACHE, "LOCATION": str(location)}}
    settings.PUBLIC_RATE_LIMIT = 3
    settings.PUBLIC_RATE_PERIOD = 24 * 60 * 60
    request = RequestFactory().get("/register/", REMOTE_ADDR="192.0.2.1")
    assert rate_limit_wait(request) is None
    assert rate_limit_wait(request) >= 1


def test_it_gives_each_test_an_empty_cache_of_its_own(tmp_path):
    assert cache.get("left-by-another-test") is None
    cache.set("left-by-another-test", 1)
    assert (tmp_path / "cache").is_dir()
