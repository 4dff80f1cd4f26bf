"""Command lines: the bench job (`python -m trainsmart_bench.bench`) and the options of the
comparison (`trainsmart bench-compare`)."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

from trainsmart_bench.bench import asvresults, data
from trainsmart_bench.bench.compare import NoResults, Thresholds, compare_commits, format_table
from trainsmart_bench.bench.pipeline import SuiteRun, default_machine, git_commit, load_config
from trainsmart_bench.bench.profiles import DEFAULT_PROFILE, PROFILES, get_profile
from trainsmart_bench.errors import TrainsmartError

SHA = re.compile(r"^[0-9a-f]{4,40}$")


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="asv results_dir, e.g. results")
    p.add_argument("before", metavar="SHA1",
                   help="baseline commit (sha, git revision, or 'previous')")
    p.add_argument("after", metavar="SHA2", help="new commit (sha or git revision)")
    p.add_argument("--machine", help="only this asv machine (default: every shared one)")
    p.add_argument("--quality-points", type=float, default=Thresholds.quality_points,
                   help="accuracy drop that fails, in %% points (default %(default)s)")
    p.add_argument("--rmse", type=float, default=Thresholds.error,
                   help="RMSE/MAE rise that fails (default %(default)s)")
    p.add_argument("--speed", type=float, default=Thresholds.speed,
                   help="relative throughput drop that fails (default %(default)s)")
    p.add_argument("--all", action="store_true", help="also list cells n/a on both sides")
    p.set_defaults(func=cmd_compare)


def add_site_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="asv.conf.json", help="asv config (default %(default)s)")
    p.add_argument("--offline", action="store_true",
                   help="take the asv site's npm packages from the download cache only")
    p.add_argument("--no-vendor", dest="vendor", action="store_false",
                   help="leave the asv site's CDN links as asv writes them")
    p.set_defaults(func=cmd_site)


def cmd_site(args: argparse.Namespace) -> int:
    from trainsmart_bench.bench.publish import SiteConfig, publish

    return publish(SiteConfig.load(Path(args.config)), args.vendor, args.offline)


def _commit(rev: str) -> str:
    """A sha as given (results may outlive the repo), else a git revision such as HEAD~1."""
    return rev.lower() if SHA.match(rev.lower()) else git_commit(rev)


def cmd_compare(args: argparse.Namespace) -> int:
    th = Thresholds(args.quality_points, args.rmse, args.speed)
    try:
        after = _commit(args.after)
        before = args.before
        if before == "previous":
            before = asvresults.previous_commit(args.results_dir, after, args.machine)
            if before is None:
                print(f"no results older than {after[:8]} in {args.results_dir}; "
                      "nothing to compare")
                return 0
        comparisons = compare_commits(args.results_dir, _commit(before), after, args.machine, th)
    except (NoResults, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for c in comparisons:
        print(format_table(c, show_all=args.all))
        print()
    return 1 if any(c.regressions for c in comparisons) else 0


def suite_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nox -s bench --",
                                description="Run the asv suite, publish it, compare commits.",
                                epilog="Other options go to `asv run`, e.g. -a rounds=1.")
    for name in ("quick", "standard", "full"):
        p.add_argument(f"--{name}", dest="profile", action="store_const", const=name,
                       help=PROFILES[name].description)
    p.add_argument("--profile", dest="profile", choices=sorted(PROFILES), help="by name")
    p.add_argument("--machine", help="asv machine name (default: <host>-<profile>)")
    p.add_argument("--commit", default="HEAD", help="commit the results are recorded for")
    p.add_argument("--compare", default="previous", metavar="REV",
                   help="baseline commit for the comparison ('previous' or 'none')")
    p.add_argument("--bench", help="asv --bench regex (default: the profile's)")
    p.add_argument("--config", default="asv.conf.json", help="asv config (default %(default)s)")
    p.add_argument("--offline", action="store_true",
                   help="download nothing (datasets; the asv site's scripts from the cache only)")
    p.set_defaults(profile=DEFAULT_PROFILE)
    return p


def suite_main(argv: list[str] | None = None) -> int:
    from trainsmart_bench.bench.pipeline import run_steps
    from trainsmart_bench.bench.publish import SiteConfig, publish

    args, asv_args = suite_parser().parse_known_args(argv)
    profile = get_profile(args.profile)
    if args.bench:
        profile = replace(profile, bench=args.bench)
    config = Path(args.config).resolve()
    conf = load_config(config)
    try:
        commit = git_commit(args.commit, (config.parent / conf.get("repo", ".")).resolve())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run = SuiteRun(profile, commit, args.machine or default_machine(profile), config,
                   tuple(asv_args), conf)
    print(f"profile {profile.name}: {profile.description}")
    print(f"commit {commit[:8]}, asv machine {run.machine}")
    for st in data.prepare(profile, download=not args.offline):
        print(f"  dataset {st.name}: {st.state} {st.detail}".rstrip())
    try:
        baseline = _baseline(run, args.compare)
    except ValueError as exc:
        print(f"error: --compare: {exc}", file=sys.stderr)
        return 2
    rc = run_steps(run)
    rc = max(rc, _reports(run, baseline))
    rc = max(rc, publish(SiteConfig.load(config), offline=args.offline))
    if args.compare != "none":
        _show_comparison(run, baseline)
    _where(run)
    return rc


def _baseline(run: SuiteRun, rev: str) -> str | None:
    if rev == "none":
        return None
    if rev == "previous":  # decided before this run adds its own results
        return asvresults.previous_commit(run.results_dir, run.commit, run.machine)
    return git_commit(rev, run.repo)


def _reports(run: SuiteRun, baseline: str | None) -> int:
    import subprocess

    worst = 0
    for page, cmd in run.report_commands(baseline):
        print("$ trainsmart " + " ".join(cmd[3:]))
        page.parent.mkdir(parents=True, exist_ok=True)
        worst = max(worst, subprocess.run(cmd, cwd=run.root).returncode)
    return worst


def _show_comparison(run: SuiteRun, baseline: str | None) -> None:
    if baseline is None:
        print("comparison: no earlier results for this machine yet")
        return
    try:
        for c in compare_commits(str(run.results_dir), baseline, run.commit, run.machine):
            print(format_table(c))
    except NoResults as exc:
        print(f"comparison: {exc}")
    print(f"(CI gates on: trainsmart bench-compare {run.results_dir} "
          f"{baseline[:8]} {run.commit[:8]} --machine {run.machine})")


def _where(run: SuiteRun) -> None:
    print(f"results: {run.results_dir}/{run.machine}/")
    print(f"html:    {run.layout.index}  (landing page; the asv site is in "
          f"{run.layout.asv_dir.name}/, `python -m http.server -d {run.html_dir}` serves both)")
    print(f"records: {run.records_dir()}")
    for page in sorted(run.report_path.parent.glob(f"{run.commit[:8]}*.html")):
        print(f"report:  {page}")


def main(argv: list[str] | None = None) -> int:
    try:
        return suite_main(argv)
    except TrainsmartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
