"""``trainsmart bench-compare``: per-metric regression check between two commits' asv results."""

from __future__ import annotations

import argparse


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    from trainsmart_bench.bench.cli import add_compare_arguments

    p = sub.add_parser(
        "bench-compare",
        help="flag regressions between two commits' asv results (exit 1 if any)",
        description="Quality gates in absolute terms (accuracy -0.5 points, RMSE +0.005), "
                    "throughput relatively (-10%); exit 1 on a regression, 2 without results.",
    )
    add_compare_arguments(p)
