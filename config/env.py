"""Tiny helpers that read settings from the environment and fail loudly on a bad value.

A typo in production configuration must stop the process at start-up with a message that
names the variable, not surface later as a confusing runtime error.
"""

import ipaddress
import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    # An empty variable counts as unset: `FOO= make run` must not wipe a default.
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (192.0.2.10, 10.0.0.0/8, 2001:db8::/32)."""
    networks = env_list(name, [])
    for entry in networks:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.0/8; got {entry!r}."
            ) from None
    return networks


def env_site_url(name: str, *, port_name: str) -> str:
    """The site's absolute address: `name`, else where `make run PORT=…` serves (127.0.0.1, port 8000).

    So the links in e-mails and the QR codes of a development server on another port lead to it.
    The port is read only when the address is not given: it is no concern of a configured site.
    """
    url = env_str(name)
    if not url:
        port = env_int(port_name, 8000, minimum=1)
        if port > 65535:
            raise ImproperlyConfigured(f"{port_name} must be a port number up to 65535; got {port}.")
        url = f"http://127.0.0.1:{port}"
    return url.rstrip("/")


def env_database(name: str, default: str) -> dict:
    url = env_str(name) or default
    try:
        config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a database URL Certdesk understands: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names no database engine: {url!r}.")
    engine = config["ENGINE"]
    if not any(key in engine for key in ("sqlite3", "postgresql")):
        raise ImproperlyConfigured(f"{name} must point at PostgreSQL or SQLite; got engine {engine!r}.")
    return config
