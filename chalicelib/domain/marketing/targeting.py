"""Home popups and banners: who sees which, when, and how often.

A popup shows to a user when it is not paused, now is in [starts_at, ends_at), every one of
its targeting rules matches (AND; no rules = everyone) and its frequency cap allows it.
Those shown are ordered by priority (higher first), then id, and cut to max_items.

Rules, each judged on UserFacts at `now`:
- new_user(days): registered less than `days` days ago (registered_at + days > now).
- member_level(levels): the user's level is one of `levels` (no level never matches).
- near_station(station_id, radius_m): the user's position is within radius_m metres of the
  station (great circle). The station's coordinates are copied into the rule when it is made
  (stations do not move), so choosing popups never reads stations. Position and station must
  be in the same datum (GCJ-02); no position never matches.
- district(districts): the user's district is one of `districts` (none never matches).
- inactive_days(days): no fuelling for at least `days` days, counted from the last fuelling,
  or from registration for a user who never fuelled (a user of two days is not "inactive").

Frequency caps use the log of the user's last view of each popup (popup id -> UTC time):
once_ever hides a popup seen at any time, once_per_day one seen on the same Asia/Shanghai
calendar day, unlimited never hides. `impression_slot` names the slot a view uses, so a store
can claim it with one conditional write and keep the cap exact across concurrent devices.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Callable, Collection, Iterable, Mapping

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import check_lat_lng, haversine_m
from chalicelib.domain.times import SHANGHAI

ONCE_EVER, ONCE_PER_DAY, UNLIMITED = "once_ever", "once_per_day", "unlimited"
FREQUENCY_CAPS = (ONCE_EVER, ONCE_PER_DAY, UNLIMITED)
POPUP, BANNER = "popup", "banner"
PLACEMENTS = (POPUP, BANNER)
MAX_POPUPS_PER_VISIT = 1  # a popup covers the page: one at a time; banners pass their own max
MAX_RULES, MAX_LIST_ITEMS, MAX_DAYS, MAX_RADIUS_M, MAX_PRIORITY = 10, 50, 3650, 50_000, 1000


def _rule_invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="TARGETING_RULE_INVALID", field="rules")


def _whole(value: object, low: int, high: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _rule_invalid(f"{name} must be a whole number in {low}..{high}")
    return value


def _names(values: object, name: str) -> frozenset[str]:
    items = tuple(values) if isinstance(values, (list, tuple, set, frozenset)) else ()
    if not 0 < len(items) <= MAX_LIST_ITEMS or not all(isinstance(v, str) and v for v in items):
        raise _rule_invalid(f"{name} must list 1..{MAX_LIST_ITEMS} names")
    return frozenset(items)


@dataclass(frozen=True)
class UserFacts:
    registered_at: datetime  # UTC aware
    member_level: str | None = None
    last_fuelled_at: datetime | None = None  # UTC aware
    position: tuple[float, float] | None = None  # (lat, lng), GCJ-02
    district: str | None = None


@dataclass(frozen=True)
class NewUser:
    days: int
    kind = "new_user"

    def __post_init__(self) -> None:
        _whole(self.days, 1, MAX_DAYS, "days")

    def matches(self, user: UserFacts, now: datetime) -> bool:
        return now < user.registered_at + timedelta(days=self.days)


@dataclass(frozen=True)
class MemberLevel:
    levels: frozenset[str]
    kind = "member_level"

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", _names(self.levels, "levels"))

    def matches(self, user: UserFacts, now: datetime) -> bool:
        return user.member_level in self.levels


@dataclass(frozen=True)
class NearStation:
    station_id: str
    radius_m: int
    lat: float
    lng: float
    kind = "near_station"

    def __post_init__(self) -> None:
        if not isinstance(self.station_id, str) or not self.station_id:
            raise _rule_invalid("station_id is required")
        _whole(self.radius_m, 1, MAX_RADIUS_M, "radius_m")
        check_lat_lng(self.lat, self.lng)

    def matches(self, user: UserFacts, now: datetime) -> bool:
        return user.position is not None and haversine_m(*user.position, self.lat, self.lng) <= self.radius_m


@dataclass(frozen=True)
class District:
    districts: frozenset[str]
    kind = "district"

    def __post_init__(self) -> None:
        object.__setattr__(self, "districts", _names(self.districts, "districts"))

    def matches(self, user: UserFacts, now: datetime) -> bool:
        return user.district in self.districts


@dataclass(frozen=True)
class InactiveDays:
    days: int
    kind = "inactive_days"

    def __post_init__(self) -> None:
        _whole(self.days, 1, MAX_DAYS, "days")

    def matches(self, user: UserFacts, now: datetime) -> bool:
        since = user.last_fuelled_at or user.registered_at
        return now - since >= timedelta(days=self.days)


Rule = NewUser | MemberLevel | NearStation | District | InactiveDays
RULE_TYPES = {cls.kind: cls for cls in (NewUser, MemberLevel, NearStation, District, InactiveDays)}


def parse_rules(raw: object, *, locate_station: Callable[[str], tuple[float, float] | None]) -> tuple[Rule, ...]:
    """Rules from request JSON, e.g. [{"kind": "near_station", "station_id": "s1", "radius_m": 3000}].

    `locate_station(id)` gives a station's (lat, lng) or None when there is no such station
    (InvalidInput UNKNOWN_STATION). Level names are checked by validate_popup.
    """
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        raise _rule_invalid(f"rules must be a list of at most {MAX_RULES}")
    rules = []
    for item in raw:
        kind = item.get("kind") if isinstance(item, dict) else None
        cls = RULE_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise _rule_invalid(f"unknown rule {item!r}")
        args = {k: v for k, v in item.items() if k != "kind"}
        if cls is NearStation:
            position = locate_station(args.get("station_id")) if isinstance(args.get("station_id"), str) else None
            if position is None:
                raise InvalidInput(f"no station {args.get('station_id')!r}", code="UNKNOWN_STATION", field="rules")
            args = {"station_id": args["station_id"], "radius_m": args.get("radius_m"),
                    "lat": position[0], "lng": position[1]}
        try:
            rules.append(cls(**args))
        except TypeError as err:  # missing or unexpected keys
            raise _rule_invalid(f"malformed {cls.kind} rule: {sorted(args)}") from err
    return tuple(rules)


def rule_to_dict(rule: Rule) -> dict:
    """The stored form of a rule (sets as sorted lists); rule_from_dict reads it back."""
    fields = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(rule).items()}
    return {"kind": rule.kind, **fields}


def rule_from_dict(stored: Mapping) -> Rule:
    return RULE_TYPES[stored["kind"]](**{k: v for k, v in stored.items() if k != "kind"})


@dataclass(frozen=True)
class Popup:
    id: str
    starts_at: datetime  # UTC aware, inclusive
    ends_at: datetime  # UTC aware, exclusive
    priority: int = 0  # higher shows first
    frequency: str = ONCE_PER_DAY
    rules: tuple[Rule, ...] = ()
    placement: str = POPUP
    paused: bool = False

    def live(self, now: datetime) -> bool:
        return not self.paused and self.starts_at <= now < self.ends_at

    def targets(self, user: UserFacts, now: datetime) -> bool:
        return all(rule.matches(user, now) for rule in self.rules)


def validate_popup(popup: Popup, *, known_levels: Collection[str]) -> None:
    """Raise InvalidInput with a stable code for anything a marketing user could get wrong."""
    for name in ("starts_at", "ends_at"):
        value = getattr(popup, name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise InvalidInput(f"{name} must be a date-time with a zone", code="POPUP_WINDOW_INVALID", field=name)
    if popup.ends_at <= popup.starts_at:
        raise InvalidInput("ends_at must be after starts_at", code="POPUP_WINDOW_INVALID", field="ends_at")
    if isinstance(popup.priority, bool) or not isinstance(popup.priority, int) \
            or not 0 <= popup.priority <= MAX_PRIORITY:
        raise InvalidInput(f"priority must be 0..{MAX_PRIORITY}", code="POPUP_PRIORITY_INVALID", field="priority")
    if popup.frequency not in FREQUENCY_CAPS:
        raise InvalidInput(f"frequency must be one of {', '.join(FREQUENCY_CAPS)}",
                           code="POPUP_FREQUENCY_INVALID", field="frequency")
    if popup.placement not in PLACEMENTS:
        raise InvalidInput(f"placement must be one of {', '.join(PLACEMENTS)}",
                           code="POPUP_PLACEMENT_INVALID", field="placement")
    if len(popup.rules) > MAX_RULES or not all(isinstance(r, tuple(RULE_TYPES.values())) for r in popup.rules):
        raise _rule_invalid(f"rules must be at most {MAX_RULES} targeting rules")
    for rule in popup.rules:
        unknown = sorted(rule.levels - set(known_levels)) if isinstance(rule, MemberLevel) else []
        if unknown:
            raise InvalidInput(f"unknown member level {unknown[0]!r}", code="UNKNOWN_MEMBER_LEVEL", field="rules")


def shanghai_day(at: datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def impression_slot(frequency: str, at: datetime) -> str | None:
    """The slot a view at `at` takes: one per popup ever, one per Shanghai day, or none."""
    return {ONCE_EVER: "ever", ONCE_PER_DAY: shanghai_day(at)}.get(frequency)


def capped(popup: Popup, last_seen_at: datetime | None, now: datetime) -> bool:
    if last_seen_at is None or popup.frequency == UNLIMITED:
        return False
    return popup.frequency == ONCE_EVER or shanghai_day(last_seen_at) == shanghai_day(now)


def record_view(seen_log: Mapping[str, datetime], popup_id: str, at: datetime) -> dict[str, datetime]:
    """The log after a view: the latest view per popup wins, whatever order views arrive in."""
    log = dict(seen_log)
    if popup_id not in log or log[popup_id] < at:
        log[popup_id] = at
    return log


def select_for_user(popups: Iterable[Popup], user: UserFacts, seen_log: Mapping[str, datetime],
                    now: datetime, max_items: int = MAX_POPUPS_PER_VISIT) -> list[Popup]:
    """The popups to show `user` now: live, targeted, not capped; priority desc, then id."""
    shown = [p for p in popups
             if p.live(now) and p.targets(user, now) and not capped(p, seen_log.get(p.id), now)]
    shown.sort(key=lambda p: (-p.priority, p.id))
    return shown[:max(0, max_items)]
