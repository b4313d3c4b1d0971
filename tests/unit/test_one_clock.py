"""One home for time: production code reads the clock (as a datetime) through domain/times.py only, so a test
moves every clock by patching `chalicelib.domain.times.now` in one place."""
from __future__ import annotations

import re
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
OWN_CLOCK = re.compile(r"datetime\.(now|utcnow)\(|timezone\(timedelta\(hours=8\)\)")
ALLOWED = {CHALICELIB / "domain" / "times.py"}


def test_no_module_but_domain_times_reads_the_clock_or_defines_utc_plus_8():
    offenders = [f"{path.relative_to(CHALICELIB)}:{number}: {line.strip()}"
                 for path in sorted(CHALICELIB.rglob("*.py")) if path not in ALLOWED
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if OWN_CLOCK.search(line)]

    assert offenders == []
