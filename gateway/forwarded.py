"""
Who sent a request, and over what: the client's address and whether it arrived over TLS.

`X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the peers listed in
HOTLINE_TRUSTED_PROXIES (Config.trusted_proxies); anyone else could write them to dodge a per-IP
limit or pose as TLS, so from anyone else they are ignored and the socket's peer is the client.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from aiohttp import web

from gateway.config import Config
from gateway.keys import CONFIG

UNKNOWN = "unknown"  # no peer address (a Unix socket, a closed transport)


def client_ip(request: web.Request) -> str:
    """The client's address: the nearest untrusted hop of X-Forwarded-For when the peer is a
    trusted proxy, else the peer itself."""
    config = request.config_dict[CONFIG]
    peer = _address(request.remote)
    if peer is None:
        return UNKNOWN
    if not _trusted(config, peer):
        return str(peer)
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    client = peer
    for hop in reversed([h for h in hops if h]):
        address = _address(hop)
        if address is None:
            break  # a forged or garbled entry: stop at the last hop we could trust
        client = address
        if not _trusted(config, address):
            break
    return str(client)


def behind_tls(request: web.Request) -> bool:
    """The request reached us over TLS, or a trusted proxy says its client used https."""
    if request.secure:
        return True
    config = request.config_dict[CONFIG]
    peer = _address(request.remote)
    if peer is None or not _trusted(config, peer):
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


def _trusted(config: Config, address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in config.trusted_proxies)


def _address(raw: str | None) -> IPv4Address | IPv6Address | None:
    if not raw:
        return None
    try:
        address = ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
