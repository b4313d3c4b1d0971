"""Read CloudWatch embedded-metric-format (EMF) lines back out of a log, as CloudWatch would:
each JSON line with `_aws.CloudWatchMetrics` gives values per metric name, under its dimensions."""
from __future__ import annotations

import json


def emf_records(text: str) -> list[dict]:
    """Every EMF document in the text (one JSON object per line; other lines are skipped)."""
    found = []
    for line in text.splitlines():
        start = line.find('{"_aws"')
        if start < 0:
            continue
        try:
            doc = json.loads(line[start:])
        except ValueError:
            continue
        if doc.get("_aws", {}).get("CloudWatchMetrics"):
            found.append(doc)
    return found


def metric_values(text: str, name: str, **dimensions: str) -> list[float]:
    """The values of metric `name` whose dimensions include `dimensions`, in log order."""
    values = []
    for doc in emf_records(text):
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            if not any(m["Name"] == name for m in directive["Metrics"]):
                continue
            dims = {d: doc.get(d) for group in directive["Dimensions"] for d in group}
            if all(dims.get(k) == v for k, v in dimensions.items()):
                value = doc[name]
                values += value if isinstance(value, list) else [value]
    return values
