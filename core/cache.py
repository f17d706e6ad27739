"""The embedded default cache: one SQLite file that every process of this machine shares.

Certdesk counts in its cache (the public rate limit, the password-reset limit), and a count only
means something if every gunicorn worker adds to the same one: with Django's memory cache each
worker kept its own, and four workers allowed four times the limit. Django's own shared caches,
measured beside a public verification page that takes about 2 ms in all:

- the file cache (FileBasedCache) lists its whole folder on every write, to decide whether to cull:
  0.75 ms a count at 300 entries, more with more; and its increment is a read then a write that two
  workers can interleave, losing a count;
- the database cache (DatabaseCache) makes each counted request five more queries and two write
  transactions in the app's own database: on SQLite every public page would queue for the one
  writer with the staff's saves, and a flood of public requests would hold those saves up.

Here a count is one atomic statement (`UPDATE … SET value = value + 1 … RETURNING value`) in a file
of its own beside the app's database: about 30 µs, exact across processes, and nothing shared with
the app's data. Expired entries are deleted at most once a minute per process; entries live until
they expire (MAX_ENTRIES is not applied: a count pushed out early would be a count forgotten).
Several machines share a Redis cache instead (CACHE_URL).
"""

import math
import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

# Seconds between deletions of expired entries, per process.
PURGE_INTERVAL = 60
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache"
    " (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL) WITHOUT ROWID",
    # The purge's query.
    "CREATE INDEX IF NOT EXISTS cache_expires ON cache (expires)",
)
# Whole numbers SQLite keeps as integers, so incr can add to them in SQL; anything else is pickled.
_INT64 = range(-(2**63), 2**63)


class SQLiteCache(BaseCache):
    """A Django cache backend over one SQLite file (LOCATION), created with its folder on first use."""

    def __init__(self, location, params):
        super().__init__(params)
        self.path = Path(location)
        self._local = threading.local()
        self._purged_at = 0.0

    def _db(self) -> sqlite3.Connection:
        # One connection per thread, and a new one after a fork: a SQLite connection must not be
        # used by two processes (gunicorn forks its workers).
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement is its own transaction; a writer waits up to 20 s for another.
        connection = sqlite3.connect(self.path, timeout=20, isolation_level=None)
        # Readers never wait for the writer; a commit waits for the disk only at checkpoints.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            connection.execute(statement)
        self._local.held = (os.getpid(), connection)
        return connection

    def _run(self, sql: str, params: tuple) -> list:
        # Fetching every row lets the statement finish, so its write is committed at once.
        return self._db().execute(sql, params).fetchall()

    def _expiry(self, timeout) -> float:
        expires = self.get_backend_timeout(timeout)
        return math.inf if expires is None else expires

    def _purge_now_and_then(self, now: float) -> None:
        if now - self._purged_at >= PURGE_INTERVAL:
            self._purged_at = now
            self._run("DELETE FROM cache WHERE expires <= ?", (now,))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = time.time()
        added = self._run(
            "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value, expires = excluded.expires WHERE cache.expires <= ? RETURNING 1",
            (key, _encode(value), self._expiry(timeout), now),
        )
        self._purge_now_and_then(now)
        return bool(added)

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        rows = self._run("SELECT value FROM cache WHERE key = ? AND expires > ?", (key, time.time()))
        return _decode(rows[0][0]) if rows else default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = time.time()
        self._run(
            "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value, expires = excluded.expires",
            (key, _encode(value), self._expiry(timeout)),
        )
        self._purge_now_and_then(now)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(
            self._run(
                "UPDATE cache SET expires = ? WHERE key = ? AND expires > ? RETURNING 1",
                (self._expiry(timeout), key, time.time()),
            )
        )

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(
            self._run("DELETE FROM cache WHERE key = ? AND expires > ? RETURNING 1", (key, time.time()))
        )

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self._run("SELECT 1 FROM cache WHERE key = ? AND expires > ?", (key, time.time())))

    def incr(self, key, delta=1, version=None):
        """Add delta in one statement, so two processes counting at once both count."""
        if type(delta) is int:
            made = self.make_and_validate_key(key, version=version)
            rows = self._run(
                "UPDATE cache SET value = value + ? WHERE key = ? AND expires > ?"
                " AND typeof(value) = 'integer' RETURNING value",
                (delta, made, time.time()),
            )
            if rows:
                return rows[0][0]
        # Missing (Django's ValueError) or not a whole number: Django's read, add and write.
        return super().incr(key, delta, version=version)

    def clear(self):
        self._run("DELETE FROM cache", ())


def _encode(value):
    return value if type(value) is int and value in _INT64 else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _decode(stored):
    # Written by this app alone, in its own folder, as Django's file and database caches are.
    return pickle.loads(stored) if isinstance(stored, bytes) else stored  # noqa: S301
