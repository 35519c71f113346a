"""Refuse callback URLs that reach inside the network (SSRF), after DNS resolution.

Every address a host resolves to must be public: not private, loopback, link-local,
multicast, reserved, unspecified, shared (CGNAT) or a cloud metadata address, unless the
operator's allowlist (``ARGUS_CI_CALLBACK_ALLOWLIST``: host names or CIDRs) admits it.
The caller connects to the checked address itself (see ``callbacks``), so a second DNS
answer cannot swap in a private one between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """A callback URL that must not be called."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    return not (
        ip in _METADATA
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED)
        or not ip.is_global
    )


def _allowed(host: str, ip: IPAddress, allowlist: Iterable[str]) -> bool:
    for entry in allowlist:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_url(
    url: str, allowlist: Iterable[str] = (), resolver: Resolver = system_resolver
) -> Target:
    """The URL's target if every resolved address is public or allowlisted; UnsafeURL if not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("only http and https callback URLs are allowed")
    if parts.username or parts.password:
        raise UnsafeURL("credentials in callback URLs are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("the callback URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL("invalid port") from None
    allow = tuple(allowlist)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    if not addresses:
        raise UnsafeURL(f"{host!r} resolves to no address")
    for ip in addresses:
        if not is_public(ip) and not _allowed(host, ip, allow):
            raise UnsafeURL(f"{host!r} resolves to a non-public address ({ip})")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0]))
