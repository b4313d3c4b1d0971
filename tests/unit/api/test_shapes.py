"""Routes shape domain objects into their response types: only the type's fields leave, times
as UTC seconds with Z, properties read like fields, nested objects shaped too."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import msgspec

from chalicelib.api.shapes import shaped

SHANGHAI = timezone(timedelta(hours=8))


@dataclass
class Line:
    grade: str
    at: datetime


@dataclass
class Thing:
    id: str
    openid: str  # internal: no response type names it
    made_at: datetime
    lines: list[Line] = field(default_factory=list)
    closed_at: datetime | None = None

    @property
    def line_count(self) -> int:
        return len(self.lines)


class LineView(msgspec.Struct):
    grade: str
    at: str


class ThingView(msgspec.Struct):
    id: str
    made_at: str
    closed_at: str | None
    line_count: int
    lines: list[LineView]


class Page(msgspec.Struct):
    items: list[ThingView]
    next_cursor: str | None


def test_a_domain_object_leaves_as_its_response_type_only():
    made = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    thing = Thing("t-1", "o-secret", made, [Line("92", made)])

    answer = shaped({"items": [thing], "next_cursor": None}, Page)

    assert json.dumps(answer) == json.dumps({"items": [{
        "id": "t-1", "made_at": "2026-12-06T01:30:15Z", "closed_at": None, "line_count": 1,
        "lines": [{"grade": "92", "at": "2026-12-06T01:30:15Z"}]}], "next_cursor": None})
    assert "o-secret" not in json.dumps(answer)


class Tagged(msgspec.Struct):
    tags: list[str]


def test_a_set_leaves_as_a_sorted_list():
    assert shaped({"tags": frozenset({"ty-009", "ty-002", "ty-005"})}, Tagged) == {
        "tags": ["ty-002", "ty-005", "ty-009"]}
