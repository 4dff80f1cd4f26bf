"""``trainsmart data``: list, fetch, verify, import and describe datasets."""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console
from rich.table import Table

from trainsmart_bench.datasets import get_loader
from trainsmart_bench.errors import DataError
from trainsmart_bench.registry import names

console = Console(highlight=False)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    data = sub.add_parser("data", help="get and check datasets")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    p = dsub.add_parser("list", parents=[common], help="datasets and whether they are cached")
    p.set_defaults(func=cmd_list)
    p = dsub.add_parser("fetch", parents=[common], help="download, verify and install")
    p.add_argument("names", nargs="+", metavar="NAME", choices=names("dataset"))
    p.add_argument("--force", action="store_true", help="reinstall even if cached")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_fetch)
    p = dsub.add_parser("verify", parents=[common], help="re-hash and re-check cached copies")
    p.add_argument("names", nargs="*", metavar="NAME", help="default: every cached dataset")
    p.set_defaults(func=cmd_verify)
    p = dsub.add_parser("import", parents=[common],
                        help="install a local copy (directory or .tar.gz/.tar.xz/.zip)")
    p.add_argument("name", metavar="NAME", choices=names("dataset"))
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_import)
    p = dsub.add_parser("info", parents=[common], help="counts, shapes, balance, checksum")
    p.add_argument("name", metavar="NAME", choices=names("dataset"))
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=cmd_info)


def cmd_list(args) -> int:
    table = Table(title=f"datasets in {get_loader('mnist', args.data_dir).data_dir}")
    for col in ("name", "title", "status", "source", "sha256"):
        table.add_column(col, no_wrap=col != "title")  # names, statuses and digests whole
    for name in names("dataset"):
        loader = get_loader(name, args.data_dir)
        m = loader.manifest()
        status = "cached" if loader.is_ready() else "not cached"
        table.add_row(name, loader.title, status, (m or {}).get("source", "-"),
                      (m or {}).get("checksum", "-")[:12])
    console.print(table)
    return 0


def cmd_fetch(args) -> int:
    for name in args.names:
        loader = get_loader(name, args.data_dir)
        t = time.perf_counter()
        m = loader.fetch(progress=not args.no_progress, force=args.force)
        console.print(f"[green]ok[/] {name}: {loader.root} (checksum {m['checksum'][:16]}..., "
                      f"{time.perf_counter() - t:.1f} s)")
    return 0


def cmd_verify(args) -> int:
    targets = args.names or [n for n in names("dataset") if get_loader(n, args.data_dir).is_ready()]
    if not targets:
        console.print("nothing cached to verify; run `trainsmart data fetch NAME` first")
        return 0
    bad = 0
    for name in targets:
        try:
            m = get_loader(name, args.data_dir).verify()
            console.print(f"[green]ok[/] {name}: checksum {m['checksum'][:16]}...")
        except DataError as exc:
            bad += 1
            console.print(f"[red]FAILED[/] {name}: {exc}")
    return 1 if bad else 0


def cmd_import(args) -> int:
    loader = get_loader(args.name, args.data_dir)
    t = time.perf_counter()
    m = loader.import_(args.path)
    console.print(f"[green]imported[/] {args.name} from {args.path} into {loader.root} in "
                  f"{time.perf_counter() - t:.1f} s; checksum {m['checksum']}")
    _print_summary(m["summary"])
    return 0


def cmd_info(args) -> int:
    loader = get_loader(args.name, args.data_dir)
    m = loader.require()
    if args.json:
        print(json.dumps(m, indent=2, sort_keys=True))
        return 0
    console.print(f"[bold]{loader.title}[/] ({loader.name})  {loader.homepage}")
    if m.get("source") == "embedded":
        console.print("source: embedded in scikit-learn (nothing to download or cache)")
    else:
        console.print(f"cached in: {loader.root}")
        console.print(f"source: {m.get('source')} {m.get('origin', '')}  "
                      f"installed {m.get('installed')}")
    console.print(f"checksum (sha256 of the installed copy): {m['checksum']}")
    _print_summary(m["summary"])
    console.print(f"cite: {loader.citation}")
    if loader.terms:
        console.print(f"terms: {loader.terms}")
    return 0


def _print_summary(summary: dict) -> None:
    table = Table(show_header=True)
    table.add_column("part")
    table.add_column("details")
    for split, details in summary.items():
        if isinstance(details, dict):
            text = "\n".join(f"{k}: {_fmt(v)}" for k, v in details.items())
        else:
            text = _fmt(details)
        table.add_row(split, text)
    console.print(table)


def _fmt(v) -> str:
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, list) and all(isinstance(x, int) for x in v) and len(v) > 4:
        return " / ".join(f"{x:,}" for x in v)
    return str(v)
