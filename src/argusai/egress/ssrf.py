"""Refuse URLs that reach inside the network (SSRF), after DNS resolution.

Used for every URL ArgusAI calls on someone's word: the analysis API's callbacks and the
notification channels (their webhook, Slack/Discord endpoint or SMTP host). Every address
a host resolves to must be public: not private, loopback, link-local, multicast, reserved,
unspecified, shared (CGNAT) or a cloud metadata address, unless the operator's allowlist
(host names or CIDRs: ``ARGUS_CI_CALLBACK_ALLOWLIST`` for callbacks,
``ARGUS_NOTIFY_ALLOWLIST`` for notifications) admits it. IPv6 forms that carry an IPv4
address (IPv4-mapped, 6to4, NAT64) are judged by the IPv4 address inside; Teredo,
local-use NAT64 and the deprecated IPv4-compatible form are refused outright. The caller
connects to the checked address itself (see :mod:`argusai.egress.signed`), so a second
DNS answer cannot swap in a private one between the check and the connection.

What a tenant is told never depends on DNS: "cannot resolve", "resolves to a private
address" and "is a private address" all read ``callback_url is not allowed`` (else the
API would be an oracle for internal names). ``UnsafeURL.detail`` keeps the real reason
for the server's log.
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
_6TO4 = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: IPv6 ranges refused whatever they carry: Teredo (its IPv4 is obfuscated), local-use
#: NAT64 (a site's own translator), IPv4-compatible (deprecated, ``::a.b.c.d``)
_REFUSED_V6 = tuple(ipaddress.ip_network(n) for n in ("2001::/32", "64:ff9b:1::/48", "::/96"))
NOT_ALLOWED = "callback_url is not allowed"


class UnsafeURL(ValueError):
    """A callback URL that must not be called; ``str()`` is safe to show the tenant."""

    def __init__(self, reason: str | None = None, *, detail: str | None = None) -> None:
        public = f"{NOT_ALLOWED}: {reason}" if reason else NOT_ALLOWED
        super().__init__(public)
        self.detail = detail or public


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
        raise UnsafeURL(detail=f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 (64:ff9b::/96) address carries."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _6TO4:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address (and, in IPv6, what it embeds)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _REFUSED_V6):
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            # NAT64's prefix sits in ::/8, "reserved" to ipaddress: judge what it carries
            return is_public(inner)
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
            net = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if ip in net:  # as written: an embedded 127.0.0.1 is not 127.0.0.1 on the wire
            return True
    return False


def check_url(
    url: str, allowlist: Iterable[str] = (), resolver: Resolver = system_resolver
) -> Target:
    """The URL's target if every resolved address is public or allowlisted; UnsafeURL if not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("only http and https URLs")
    if parts.username or parts.password:
        raise UnsafeURL("no credentials in the URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL("invalid port") from None
    address = check_host(host, port, allowlist, resolver)
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=address)


def check_host(
    host: str, port: int, allowlist: Iterable[str] = (), resolver: Resolver = system_resolver
) -> str:
    """The address to connect to if every address of ``host`` is public or allowlisted;
    UnsafeURL if not (for hosts that are not in a URL: an SMTP server)."""
    allow = tuple(allowlist)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        answers = resolver(host, port)  # UnsafeURL when the name does not resolve
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
        except ValueError:
            raise UnsafeURL(detail=f"{host!r} resolves to an unparsable address") from None
    if not addresses:
        raise UnsafeURL(detail=f"{host!r} resolves to no address")
    for ip in addresses:
        if not is_public(ip) and not _allowed(host, ip, allow):
            raise UnsafeURL(detail=f"{host!r} resolves to a non-public address ({ip})")
    return str(addresses[0])
