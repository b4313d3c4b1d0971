"""Build the deployable template of a stage: `chalice package --merge-template infra/template.yaml`,
then pin the template's Stage parameter to that stage, so a prod package can never create or
address dev tables by default, and add throttles (infra/throttling.py), alarms, log groups and
tracing (infra/alarms.py) and the dashboard (infra/dashboard.py).

Run: python -m infra.package <stage> <out_dir>   (bin/package does this)
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import yaml

from infra import alarms, dashboard, roles, throttling

PROJECT_DIR = Path(__file__).resolve().parent.parent
REGION = "cn-north-1"


def package(stage: str, out_dir: Path) -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION)}
    chalice = Path(sys.executable).parent / "chalice"
    # Packagings share .chalice/deployments (its directory, its temporary zip): two at once, from
    # two test processes or two shells, trip over each other. One at a time, the next one
    # reuses the zip the first built.
    with open(PROJECT_DIR / ".chalice" / "package.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template",
                        "infra/template.yaml", str(out_dir)], cwd=PROJECT_DIR, env=env, check=True)
    template_path = out_dir / "sam.yaml"
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    template["Parameters"]["Stage"]["Default"] = stage
    template["Parameters"]["Stage"]["AllowedValues"] = [stage]
    report_batch_item_failures(template, stage)
    throttling.apply(template)
    roles.apply(template)  # after throttling, which makes the webhook its own function
    alarms.apply(template, stage)  # after throttling: its webhook function gets alarms too
    dashboard.apply(template)
    template_path.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True),
                             encoding="utf-8")
    return template_path


def report_batch_item_failures(template: dict, stage: str) -> None:
    """Let every SQS consumer answer which records failed (`batchItemFailures`), so Lambda
    retries only those (Chalice has no switch for FunctionResponseTypes), and point it at the
    queue of infra/ by GetAtt, so CloudFormation creates the queue before the mapping."""
    queues = {}
    for logical, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::SQS::Queue":
            name = resource.get("Properties", {}).get("QueueName", {})
            if isinstance(name, dict) and "Fn::Sub" in name:
                queues[name["Fn::Sub"].replace("${Stage}", stage)] = logical
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "SQS":
                continue
            props = event.setdefault("Properties", {})
            props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
            arn = props.get("Queue")
            arn = arn.get("Fn::Sub", "") if isinstance(arn, dict) else str(arn or "")
            logical = queues.get(arn.rpartition(":")[2])
            if logical:
                props["Queue"] = {"Fn::GetAtt": [logical, "Arn"]}

if __name__ == "__main__":
    print(package(sys.argv[1], Path(sys.argv[2]).resolve()))
