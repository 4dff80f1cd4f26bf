"""A small asv project for the site tests: a git repository of three commits, their results on
one machine (the last commit with an accuracy regression), and its asv.conf.json."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.bench.bench_asv_files import write_results

MACHINE = "box-quick"
ACC = "bench_training.Accuracy.track_accuracy"
TPUT = "bench_training.TrainThroughput.track_train_throughput"
TTT = "bench_training.TimeToTarget.track_time_to_target"
IMPORT = "bench_import.Import.timeraw_import_trainsmart_bench"
# per commit, in asv's parameter order: digits-mlp x (torch, sklearn) x cpu
HISTORY = [
    {ACC: [0.960, 0.950], TPUT: [50000.0, 40000.0], TTT: [1.2, 0.8], IMPORT: [0.12]},
    {ACC: [0.962, 0.951], TPUT: [52000.0, 41000.0], TTT: [1.1, None], IMPORT: [0.12]},
    {ACC: [0.940, 0.951], TPUT: [51000.0, 41000.0], TTT: [1.4, 0.7], IMPORT: [0.13]},
]
DAY_MS = 86_400_000
FIRST_MS = 1_717_200_000_000  # 2024-06-01


@dataclass(frozen=True)
class Project:
    root: Path
    commits: list[str]  # oldest first

    @property
    def config(self) -> Path:
        return self.root / "asv.conf.json"


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
    return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def make_project(root: Path, history: list[dict] = HISTORY) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for i in range(len(history)):
        stamp = f"@{(FIRST_MS + i * DAY_MS) // 1000} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        git(root, "commit", "-q", "--allow-empty", "-m", f"commit {i}", env=env)
    commits = git(root, "rev-list", "--reverse", "HEAD").split()
    conf = {"version": 1, "project": "demo", "project_url": "https://example.org/",
            "show_commit_url": "https://example.org/commit/", "repo": ".", "dvcs": "git",
            "branches": ["main"], "environment_type": "virtualenv", "results_dir": "results",
            "html_dir": "html", "benchmark_dir": "benchmarks"}
    (root / "asv.conf.json").write_text(json.dumps(conf, indent=2))
    for i, (commit, values) in enumerate(zip(commits, history)):
        write_results(root / "results", commit, values, machine=MACHINE,
                      date=FIRST_MS + i * DAY_MS)
    return Project(root, commits)
