"""The embedded cache: one SQLite file shared by every process of the machine, counting exactly."""

import subprocess
import sys
import time

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from certificates.public_views import rate_limit_wait
from core.cache import SQLiteCache
from tests.conftest import ROOT, run_manage

# Adds to one counter from a separate process, as a gunicorn worker would.
COUNTING_WORKER = """
import sys
from core.cache import SQLiteCache
cache = SQLiteCache(sys.argv[1], {})
cache.add("hits", 0, 600)
for _ in range(int(sys.argv[2])):
    cache.incr("hits")
"""


SPEND_TWO = (
    "from django.test import RequestFactory; from certificates.public_views import rate_limit_wait; "
    "request = RequestFactory().get('/register/', REMOTE_ADDR='192.0.2.1'); "
    "print([rate_limit_wait(request) for _ in range(2)])"
)


def _probe_cache(env) -> subprocess.CompletedProcess:
    probe = (
        "from django.conf import settings as s; d = s.CACHES['default']; print(d['BACKEND'], d['LOCATION'])"
    )
    return run_manage("shell", "-v", "0", "-c", probe, env=env)


def test_it_shares_the_default_cache_among_the_processes_of_one_machine():
    result = _probe_cache({"CACHE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["core.cache.SQLiteCache", str(ROOT / "var" / "cache.sqlite3")]


def test_it_reads_the_cache_from_the_environment():
    result = _probe_cache({"CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/1",
    ]
    result = _probe_cache({"CACHE_URL": "sqlite:////srv/certdesk/cache.sqlite3"})
    assert result.stdout.split() == ["core.cache.SQLiteCache", "/srv/certdesk/cache.sqlite3"]


@pytest.mark.parametrize("url", ["memcached://127.0.0.1:11211", "sqlite:///", "sqlite:///relative.sqlite3"])
def test_it_refuses_a_cache_it_cannot_share(url):
    result = _probe_cache({"CACHE_URL": url})
    assert result.returncode != 0
    assert "CACHE_URL must be a redis://, rediss://, unix:// or sqlite:////absolute/path URL" in result.stderr


def test_it_counts_exactly_with_several_processes_adding_at_once(tmp_path):
    path = tmp_path / "shared" / "cache.sqlite3"
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNTING_WORKER, str(path), "250"], cwd=ROOT)
        for _ in range(4)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]
    assert SQLiteCache(str(path), {}).get("hits") == 1000


def test_it_counts_the_public_rate_limit_once_for_all_workers(settings, tmp_path):
    # Another process (a second gunicorn worker) spends two of the address's three requests.
    location = tmp_path / "shared.sqlite3"
    limit = {"PUBLIC_RATE_LIMIT": "3", "PUBLIC_RATE_PERIOD": str(24 * 60 * 60)}
    result = run_manage(
        "shell", "-v", "0", "-c", SPEND_TWO, env={"CACHE_URL": f"sqlite:///{location}", **limit}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[None, None]"
    settings.CACHES = {"default": {"BACKEND": "core.cache.SQLiteCache", "LOCATION": str(location)}}
    settings.PUBLIC_RATE_LIMIT = 3
    settings.PUBLIC_RATE_PERIOD = 24 * 60 * 60
    request = RequestFactory().get("/register/", REMOTE_ADDR="192.0.2.1")
    assert rate_limit_wait(request) is None
    assert rate_limit_wait(request) >= 1


def test_it_behaves_as_a_django_cache(tmp_path):
    store = SQLiteCache(str(tmp_path / "cache.sqlite3"), {})
    store.set("record", {"number": "CERT-2026-0001"}, 60)
    assert store.get("record") == {"number": "CERT-2026-0001"}
    assert store.get("missing", "default") == "default"
    assert store.add("record", "other", 60) is False
    assert store.add("fresh", 1, 60) is True
    assert store.incr("fresh", 4) == 5
    assert store.decr("fresh") == 4
    store.set("ratio", 1.5)
    assert store.incr("ratio") == 2.5
    with pytest.raises(ValueError, match="not found"):
        store.incr("missing")
    assert store.has_key("record")
    assert store.touch("record", 120) is True
    assert store.delete("record") is True
    assert store.delete("record") is False
    store.set("forever", "kept", None)
    store.clear()
    assert store.get("forever") is None


def test_it_forgets_an_entry_when_it_expires(tmp_path):
    store = SQLiteCache(str(tmp_path / "cache.sqlite3"), {})
    store.set("short", 1, 0.05)
    store.set("long", 1, 60)
    time.sleep(0.1)
    assert store.get("short") is None
    assert not store.has_key("short")
    with pytest.raises(ValueError, match="not found"):
        store.incr("short")
    # An expired entry's key is free again.
    assert store.add("short", 7, 60) is True
    assert store.get("short") == 7
    assert store.get("long") == 1


def test_it_gives_each_test_an_empty_cache_of_its_own(tmp_path):
    assert cache.get("left-by-another-test") is None
    cache.set("left-by-another-test", 1)
    assert (tmp_path / "cache.sqlite3").exists()
