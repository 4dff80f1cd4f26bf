"""The bench job's plan, without running it: asv commands, paths, the asv configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainsmart_bench.bench.cli import suite_parser
from trainsmart_bench.bench.pipeline import SuiteRun, default_machine, load_config
from trainsmart_bench.bench.profiles import get_profile

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run() -> SuiteRun:
    conf = load_config(REPO / "asv.conf.json")
    return SuiteRun(get_profile("quick"), "f" * 40, "box-quick", REPO / "asv.conf.json",
                    ("--show-stderr",), conf)


def test_repo_config_is_what_the_suite_expects():
    conf = load_config(REPO / "asv.conf.json")  # // comments allowed, as asv allows them
    assert (conf["results_dir"], conf["html_dir"], conf["benchmark_dir"]) == (
        "results", "html", "benchmarks")
    assert conf["environment_type"] == "virtualenv"
    assert len(conf["matrix"]["req"]["torch"]) >= 2  # framework versions to compare
    assert "{wheel_file}[all]" in conf["install_command"][0]


def test_asv_commands(run):
    machine, asv_run = run.asv_commands()  # asv publish comes with the site, after the reports
    assert machine[3:] == ["machine", "--yes", "--machine", "box-quick", "--config",
                           str(REPO / "asv.conf.json")]
    assert asv_run[3:6] == ["run", "-E", "existing:same"]  # --python=same, minus the matrix
    assert asv_run[asv_run.index("--set-commit-hash") + 1] == "f" * 40
    assert asv_run[asv_run.index("--bench") + 1] == r"^bench_(import|training)\."
    assert asv_run[-1] == "--show-stderr"


def test_paths_and_environment(run):
    assert run.results_dir == REPO / "results" and run.html_dir == REPO / "html"
    assert run.records_dir() == REPO / ".asv" / "records" / "box-quick" / "ffffffff"
    env = run.env()
    assert env["TRAINSMART_BENCH_PROFILE"] == "quick"
    assert env["TRAINSMART_BENCH_RECORDS"] == str(run.records_dir())


def test_profile_flags():
    p = suite_parser()
    assert p.parse_args([]).profile == "quick"
    assert p.parse_args(["--quick"]).profile == "quick"
    assert p.parse_args(["--standard"]).profile == "standard"
    assert p.parse_args(["--full"]).profile == "full"
    assert p.parse_args(["--profile", "smoke"]).profile == "smoke"
    args, rest = p.parse_known_args(["--full", "--machine", "gpu1", "-a", "rounds=1"])
    assert (args.machine, rest) == ("gpu1", ["-a", "rounds=1"])
    assert default_machine(get_profile("full")).endswith("-full")


def test_trainsmart_bench_compare_subcommand_is_light():
    import argparse
    import json
    import subprocess
    import sys

    from trainsmart_bench.bench.cli import cmd_compare
    from trainsmart_bench.cli import bench as cli_bench

    parser = argparse.ArgumentParser()
    cli_bench.add_parser(parser.add_subparsers(dest="command"), argparse.ArgumentParser())
    args = parser.parse_args(["bench-compare", "results", "previous", "HEAD", "--speed", "0.2"])
    assert args.func is cmd_compare and args.speed == 0.2
    code = ("import argparse, json, sys; from trainsmart_bench.cli import bench as cli_bench; "
            "cli_bench.add_parser(argparse.ArgumentParser().add_subparsers(), None); "
            "import trainsmart_bench.bench.compare, trainsmart_bench.bench.suite; "
            "print(json.dumps([m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'tensorflow', 'keras', 'sklearn', 'scipy', 'asv')]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == []
