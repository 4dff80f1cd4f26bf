"""Sessions: tests, lint (and bench, once the asv suite lands). `nox -l` lists them."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.needs_version = ">=2024.4.15"

# A CPU build of PyTorch, pinned: an open range would pull a multi-GB CUDA build.
TORCH_CPU = "torch==2.13.0"
PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, extras: str = "all", *groups: str) -> None:
    session.install("--upgrade", "pip")
    session.install(TORCH_CPU)
    session.install("-e", f".[{extras}]")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest options after --)."""
    install(session, "all", "test")
    session.run("pytest", *session.posargs, env={"TF_CPP_MIN_LOG_LEVEL": "2"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
