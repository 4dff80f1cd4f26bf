"""The bench job behind `nox -s bench`: datasets, asv run, reports, the site, comparison.

The suite runs in the current environment for speed, with the commit hash set explicitly:
``asv run -E existing:same --set-commit-hash SHA``. That is what ``--python=same`` means, but
asv 0.6.6 parses ``--python=same`` as ``-E :same``, which applies the environment matrix of
asv.conf.json to the current interpreter: the suite would run once per matrix entry and record
matrix versions that are not installed. The matrix is for ``asv run`` with built environments,
e.g. to compare two torch releases.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from trainsmart_bench.bench.profiles import ENV_PROFILE, Profile
from trainsmart_bench.bench.site import SiteLayout
from trainsmart_bench.bench.suite import ENV_RECORDS


def load_config(path: Path) -> dict:
    """asv.conf.json, which may hold // comment lines (asv allows them)."""
    lines = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("//")]
    return json.loads("\n".join(lines))


def git_commit(rev: str = "HEAD", cwd: Path | None = None) -> str:
    out = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=cwd,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise ValueError(f"not a commit: {rev!r} ({out.stderr.strip()})")
    return out.stdout.strip()


def default_machine(profile: Profile) -> str:
    """asv machine name: host plus profile, so quick and standard numbers never share a series."""
    return f"{platform.node() or 'localhost'}-{profile.name}"


@dataclass(frozen=True)
class SuiteRun:
    profile: Profile
    commit: str
    machine: str
    config: Path
    asv_args: tuple[str, ...] = ()
    conf: dict = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        """asv resolves the config's paths from its working directory: the config's folder."""
        return self.config.parent

    @property
    def repo(self) -> Path:
        return (self.root / self.conf.get("repo", ".")).resolve()

    def _dir(self, key: str, default: str) -> Path:
        return (self.root / self.conf.get(key, default)).resolve()

    @property
    def results_dir(self) -> Path:
        return self._dir("results_dir", "results")

    @property
    def html_dir(self) -> Path:
        return self._dir("html_dir", "html")

    def records_dir(self, commit: str | None = None) -> Path:
        """Where the run records of one commit's suite run are kept (for `trainsmart report`)."""
        env_dir = self._dir("env_dir", ".asv/env").parent
        return env_dir / "records" / self.machine / (commit or self.commit)[:8]

    def env(self) -> dict[str, str]:
        return {**os.environ, ENV_PROFILE: self.profile.name,
                ENV_RECORDS: str(self.records_dir())}

    def asv_commands(self) -> list[list[str]]:
        """asv machine and asv run; the site is published after the reports (bench/publish.py)."""
        asv = [sys.executable, "-m", "asv"]
        cfg = ["--config", str(self.config)]
        return [
            [*asv, "machine", "--yes", "--machine", self.machine, *cfg],
            [*asv, "run", "-E", "existing:same", "--set-commit-hash", self.commit,
             "--machine", self.machine, "--bench", self.profile.bench, "--show-stderr",
             *cfg, *self.asv_args],
        ]

    @property
    def layout(self) -> SiteLayout:
        return SiteLayout(self.html_dir)

    @property
    def report_path(self) -> Path:
        """The HTML report of this run's records, published beside the asv site."""
        return self.layout.report(self.machine, self.commit)

    def report_commands(self, baseline: str | None) -> list[tuple[Path, list[str]]]:
        """`trainsmart report RECORDS -o REPORT`, and with `--compare OLD` where the baseline
        commit's records are kept: (page, command) pairs."""
        title = f"trainsmart-bench {self.profile.name}, {self.commit[:8]}, {self.machine}"
        cmd = [sys.executable, "-m", "trainsmart_bench.cli", "report", str(self.records_dir())]
        out = [(self.report_path, [*cmd, "-o", str(self.report_path), "--title", title])]
        if baseline is not None and (old := self.records_dir(baseline)).is_dir():
            page = self.layout.report(self.machine, self.commit, baseline)
            out.append((page, [*cmd, "-o", str(page), "--compare", str(old), "--title",
                               f"{title}, compared with {baseline[:8]}"]))
        return out


def run_steps(run: SuiteRun, echo=print) -> int:
    """asv machine, asv run; the worst exit status (asv run: 2 if any failed)."""
    shutil.rmtree(run.records_dir(), ignore_errors=True)  # a fresh measurement each time
    worst = 0
    for cmd in run.asv_commands():
        echo("$ python " + " ".join(cmd[1:]))
        rc = subprocess.run(cmd, cwd=run.root, env=run.env()).returncode
        worst = max(worst, rc)
        if rc and cmd[3] == "machine":
            return rc
    return worst
