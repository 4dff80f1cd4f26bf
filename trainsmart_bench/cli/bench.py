"""``trainsmart bench-compare``: per-metric regression check between two commits' asv results;
``trainsmart bench-site``: the published site (asv site, vendored scripts, landing page)."""

from __future__ import annotations

import argparse


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    from trainsmart_bench.bench.cli import add_compare_arguments, add_site_arguments

    p = sub.add_parser(
        "bench-compare",
        help="flag regressions between two commits' asv results (exit 1 if any)",
        description="Quality gates in absolute terms (accuracy -0.5 points, RMSE +0.005), "
                    "throughput relatively (-10%); exit 1 on a regression, 2 without results.",
    )
    add_compare_arguments(p)

    p = sub.add_parser(
        "bench-site",
        help="publish the asv site under html/asv, with its scripts from npm, and a landing page",
        description="asv publish into <html_dir>/asv, its CDN scripts replaced by npm packages "
                    "checked against their published checksums, and <html_dir>/index.html: per "
                    "machine the latest reports, headline figures with their trend, regressions.",
    )
    add_site_arguments(p)
