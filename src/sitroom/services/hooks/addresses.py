"""Which URLs a webhook may call: guard against server-side request forgery.

A subscription's URL is chosen by control staff, but the server makes the request from
inside its network. So only ``http``/``https`` URLs are taken, and the host's addresses (all
of them, as resolved at subscribe time and again before every attempt) must be public —
unless the operator allow-lists the host name or a network that holds the address
(``SITROOM_WEBHOOK_ALLOW``): air-gapped sites post to chat servers on private addresses.
Link-local addresses (the cloud metadata service at 169.254.169.254 among them),
unspecified, multicast and reserved ones are refused unless a network listed explicitly
holds them; a plain host name never opens them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class AddressRefused(ValueError):
    """The URL may not be called; the message says why and what would be accepted."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _plain(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _never_by_name(address: Address) -> bool:
    return (
        address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or str(address) in ("fd00:ec2::254", "100.100.100.200")
    )


class AddressPolicy:
    """The allow-list of private hosts and networks, and the check of one URL."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = resolve) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow:
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.hosts.add(item.lower().rstrip("."))
        self._resolve = resolver

    def _allowed(self, host: str, address: Address) -> bool:
        if any(address in network for network in self.networks):
            return True
        if _never_by_name(address):
            return False
        return address.is_global or host in self.hosts

    def check(self, url: str) -> None:
        """Raise `AddressRefused` unless ``url`` may be called now."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise AddressRefused("the URL must start with http:// or https://")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise AddressRefused("the URL has no host name")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise AddressRefused("the URL's port is not a number from 1 to 65535") from None
        try:
            found = self._resolve(host, port)
        except OSError as error:
            raise AddressRefused(f"cannot resolve {host!r} ({error})") from None
        if not found:
            raise AddressRefused(f"{host!r} resolves to no address")
        for text in found:
            address = _plain(ipaddress.ip_address(text.split("%", 1)[0]))
            if not self._allowed(host, address):
                kind = "link-local or metadata" if _never_by_name(address) else "private"
                raise AddressRefused(
                    f"{host!r} resolves to {address}, a {kind} address; an operator may"
                    " allow it with SITROOM_WEBHOOK_ALLOW (a host name or a network)"
                )
