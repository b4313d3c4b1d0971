"""Tests and benches stay on this machine: an outside name does not resolve, a local one does."""
from __future__ import annotations

import socket

import pytest
import requests

from devstack.offline import is_local_host


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", None,
                                  "bucket.localhost", "LOCALHOST."])
def test_loopback_names_and_addresses_are_local(host):
    assert is_local_host(host)


@pytest.mark.parametrize("host", ["api.weixin.qq.com", "sqs.cn-north-1.amazonaws.com.cn",
                                  "dynamodb.cn-north-1.amazonaws.com.cn", "8.8.8.8"])
def test_real_services_are_not(host):
    assert not is_local_host(host)


def test_an_outside_host_fails_at_once_under_the_test_suite():
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.weixin.qq.com", 443)
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.mch.weixin.qq.com/v3/certificates", timeout=30)


def test_a_local_name_still_resolves():
    assert socket.getaddrinfo("localhost", 80)
