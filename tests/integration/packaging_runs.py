"""The prod package and the cfn-lint runs the packaging tests check, run in other processes from
the tier's first test on instead of one after another inside the tests that read them.

`chalice package` (a pip download and a zip of the dependencies whenever app code changed), then
cfn-lint of the packaged template, and cfn-lint of infra/template.yaml take about a minute of
one core between them, and the tier's tests use the other: the tests that read them now mostly
find them done. Each runs exactly as the tests ran it before: the same command, in the
environment a test sees (tests/conftest.py: cfn-lint takes its default region from it).
"""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import yaml

from tests.conftest import environment_of_a_test

PROJECT_DIR = Path(__file__).resolve().parents[2]
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")
TIMEOUT_S = 1800  # far beyond any run seen on a busy machine; only a hung process meets it


class _Run:
    """One command in the background, its output kept in files (a pipe nobody reads until the
    test asks could fill and stall the command)."""

    def __init__(self, command: list[str], env: dict, out_dir: Path, name: str, cwd=None):
        self._stdout, self._stderr = out_dir / f"{name}.out", out_dir / f"{name}.err"
        with open(self._stdout, "w") as stdout, open(self._stderr, "w") as stderr:
            self._process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout,
                                             stderr=stderr, text=True)

    def result(self) -> subprocess.CompletedProcess:
        try:
            returncode = self._process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise
        return subprocess.CompletedProcess(self._process.args, returncode,
                                           self._stdout.read_text(), self._stderr.read_text())

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


class Packaging:
    def __init__(self, out_dir: Path):
        self.out = out_dir / "prod"
        self._env, self._dir = environment_of_a_test(), out_dir
        self._runs: list[_Run] = []
        self._infra_lint = self._start([CFN_LINT, str(PROJECT_DIR / "infra" / "template.yaml")],
                                       "lint-infra")
        self._package = self._start([sys.executable, "-m", "infra.package", "prod",
                                     str(self.out)], "package", cwd=PROJECT_DIR)
        self._packaged_lint: _Run | None = None
        self._linting = threading.Thread(target=self._lint_when_packaged, name="packaged-lint",
                                         daemon=True)
        self._linting.start()

    def _start(self, command: list[str], name: str, cwd=None) -> _Run:
        run = _Run(command, self._env, self._dir, name, cwd)
        self._runs.append(run)
        return run

    def _lint_when_packaged(self) -> None:
        if self._package.result().returncode == 0:
            # Linted for the region it deploys to (cn-north-1: the aws-cn partition).
            self._packaged_lint = self._start(
                [CFN_LINT, "--regions", "cn-north-1", "--", str(self.out / "sam.yaml")],
                "lint-packaged")

    def template(self) -> dict:
        """The packaged template as data (infra/package.py's `package("prod", out)`)."""
        done = self._package.result()
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout,
                                                done.stderr)
        return yaml.safe_load((self.out / "sam.yaml").read_text(encoding="utf-8"))

    def infra_lint(self) -> subprocess.CompletedProcess:
        return self._infra_lint.result()

    def packaged_lint(self) -> subprocess.CompletedProcess:
        self.template()  # a failed package fails here, as it did
        self._linting.join(TIMEOUT_S)
        return self._packaged_lint.result()

    def stop(self) -> None:
        for run in self._runs:
            run.stop()
        self._linting.join(TIMEOUT_S)
        for run in self._runs:  # the lint the thread may have started while the others stopped
            run.stop()
