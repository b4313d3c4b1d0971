"""Build the deployable template of a stage: `chalice package --merge-template infra/template.yaml`,
then pin the template's Stage parameter to that stage, so a prod package can never create or
address dev tables by default.

Run: python -m infra.package <stage> <out_dir>   (bin/package does this)
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
REGION = "cn-north-1"


def package(stage: str, out_dir: Path) -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION)}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template",
                    "infra/template.yaml", str(out_dir)], cwd=PROJECT_DIR, env=env, check=True)
    template_path = out_dir / "sam.yaml"
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    template["Parameters"]["Stage"]["Default"] = stage
    template["Parameters"]["Stage"]["AllowedValues"] = [stage]
    template_path.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True),
                             encoding="utf-8")
    return template_path


if __name__ == "__main__":
    print(package(sys.argv[1], Path(sys.argv[2]).resolve()))
