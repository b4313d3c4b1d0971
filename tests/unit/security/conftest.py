"""What the service logger writes during a test, through its own (scrubbing) formatter."""
from __future__ import annotations

import io
import logging

import pytest

from chalicelib.observability import SERVICE, get_logger


@pytest.fixture
def log_lines(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    service = get_logger()
    service_logger = logging.getLogger(SERVICE)
    level = service_logger.level
    service_logger.setLevel(logging.INFO)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(service.registered_formatter)
    service_logger.addHandler(handler)
    yield sink
    service_logger.removeHandler(handler)
    service_logger.setLevel(level)
