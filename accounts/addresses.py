"""Where a request comes from: the one rule for a client's address.

The log-in lockout (django-axes, AXES_CLIENT_IP_CALLABLE), the public rate limit, the password-reset
limit, DRF's throttle, django-ratelimit's "ip" key (RATELIMIT_IP_META_KEY) and the security log all
ask here, so a client has one address everywhere.

By default that is REMOTE_ADDR, the other end of the connection, which a client cannot choose.
X-Forwarded-For is written by whoever sends the request, so it is read only when configured:

- TRUSTED_PROXIES (addresses or networks): only when REMOTE_ADDR is one of them; the client is then
  the rightmost hop not among them (each proxy appends the address it was reached from, so the
  hops a client wrote itself are all to the left of it).
- NUM_PROXIES: that many proxies append to X-Forwarded-For, and the client is the hop that many
  places from the right (DRF's rule). Alone, it is believed whatever REMOTE_ADDR is: the app server
  must then be reachable only through those proxies. With TRUSTED_PROXIES, only from them.
"""

import functools
import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_ip(request) -> str | None:
    """The client's address by the rule above, or None when there is none (a Unix socket)."""
    found = _client(*_inputs(request))
    return None if found is None else str(found)


def client_key(request) -> str:
    """What a client's requests are counted against (lockout, rate limits): its address.

    An IPv6 client is counted by its /64, which one subscriber usually holds whole and could
    otherwise rotate through. Without an address (a Unix socket), REMOTE_ADDR as given.
    """
    inputs = _inputs(request)
    found = _client(*inputs)
    if found is None:
        return inputs[0]
    if found.version == 6:
        return str(ipaddress.ip_network(f"{found}/64", strict=False).network_address)
    return str(found)


def _inputs(request) -> tuple[str, str, int, tuple[str, ...]]:
    meta = request.META
    return (
        meta.get("REMOTE_ADDR", ""),
        meta.get("HTTP_X_FORWARDED_FOR", ""),
        settings.NUM_PROXIES,
        tuple(settings.TRUSTED_PROXIES),
    )


@functools.lru_cache(maxsize=4096)
def _client(remote: str, forwarded: str, proxies: int, trusted: tuple[str, ...]) -> Address | None:
    # Kept per process: parsing addresses took a tenth of a public page seen before, and the same
    # few addresses come back again and again.
    peer = _parse(remote)
    if not forwarded or not (proxies or trusted):
        if forwarded and peer is not None and (peer.is_loopback or peer.is_private):
            _warn_of_unconfigured_proxy()
        return peer
    networks = _networks(trusted)
    if networks and not _among(peer, networks):
        # Not from a proxy we know: whatever the header says, the client wrote it.
        return peer
    hops = [_parse(hop) for hop in forwarded.split(",")]
    if proxies:
        # A hop that is no address falls back to the proxy itself, never to what a client wrote.
        return hops[-min(proxies, len(hops))] or peer
    nearest = peer
    for hop in reversed(hops):
        if hop is None:
            return nearest
        if not _among(hop, networks):
            return hop
        nearest = hop
    # Every hop is a proxy of ours: the farthest one is as near the client as anyone saw.
    return nearest


@functools.cache
def _warn_of_unconfigured_proxy() -> None:
    # Once per process: left unconfigured behind a proxy, every client shares the proxy's address,
    # so one guesser locks a username out for everyone and the public share one rate limit.
    logger.warning(
        "Requests arrive through a proxy (X-Forwarded-For from a private address) but no proxy is "
        "configured, so every client counts as the proxy: set TRUSTED_PROXIES (see the README)."
    )


def _parse(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A server listening on IPv6 sees an IPv4 client as ::ffff:a.b.c.d: that client is a.b.c.d (and
    # not one of the /64 that holds every IPv4 address).
    return getattr(address, "ipv4_mapped", None) or address


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _among(address: Address | None, networks: tuple) -> bool:
    return address is not None and any(address in network for network in networks)
