"""Keep a process on this machine: names other than loopback ones do not resolve.

Tests and benches point every client at the local stack; one that forgot a client (an AWS
endpoint, WECHAT_API_URL left at api.weixin.qq.com) would otherwise look the real host up and
wait on it. With `refuse_outside_hosts()` the lookup fails at once with the error of a machine
without network (socket.gaierror), so the forgotten client shows up as a fast, clear failure.
Servers binding to any address and connections to IP addresses are untouched.
"""
from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_real_getaddrinfo = socket.getaddrinfo


def is_local_host(host) -> bool:
    """Loopback or unspecified names and addresses (and None, for binding)."""
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost") or name == "":
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_private


def _local_getaddrinfo(host, *args, **kwargs):
    if not is_local_host(host):
        raise socket.gaierror(socket.EAI_NONAME,
                              f"{host}: outside this machine (tests and benches stay local)")
    return _real_getaddrinfo(host, *args, **kwargs)


def refuse_outside_hosts() -> None:
    """From now on, in this process, only local names resolve (idempotent)."""
    socket.getaddrinfo = _local_getaddrinfo


def allow_outside_hosts() -> None:
    socket.getaddrinfo = _real_getaddrinfo
