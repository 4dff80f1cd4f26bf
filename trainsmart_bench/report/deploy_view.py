"""The report's deployment section (``deploy.html.j2``): the inference records of each results
folder (``<results>/inference/``, read by ``InferenceStore``), summarized by
``results.inference_summary.rows`` into one table and one latency chart per task, under a
caption that says how LoadGen was set (quick or MLPerf's minimums), what each scenario
measures, and the machine and threads the records ran with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from trainsmart_bench.report.charts import styles
from trainsmart_bench.report.deploy_chart import Dot, latency_chart
from trainsmart_bench.report.deploy_table import SCENARIO_NAMES, columns, row_views
from trainsmart_bench.report.fmt import num, render
from trainsmart_bench.report.model import Problem
from trainsmart_bench.results.inference import InferenceRecord, InferenceStore
from trainsmart_bench.results.inference_summary import DeployRow, rows
from trainsmart_bench.results.records import Status

SCENARIOS = {  # scenario -> what it measures, in one sentence
    "single-stream": "one sample a query, the next issued once it is answered: the latency "
                     "percentiles of one request at a time.",
    "multi-stream": "a query of several samples answered as one batch, back to back: its "
                    "99th-percentile latency.",
    "offline": "every sample at once, answered in batches of the given size: samples per "
               "second.",
    "server": "queries arrive at random (Poisson) at a target rate and are batched as they "
              "come, up to the batch size: the highest rate LoadGen finds VALID, its "
              "percentile latency under the bound{bound}.",
    "server-ray": "the Server's search against the model deployed with Ray Serve and queried "
                  "over HTTP on this machine.",
}


def load_inference(paths: Iterable[str | Path]) -> tuple[list[InferenceRecord], list[Problem]]:
    """The records of every ``inference/`` folder at or below the given folders, and what
    could not be read there; a folder without one gives nothing."""
    records: list[InferenceRecord] = []
    problems: list[Problem] = []
    for p in map(Path, paths):
        if not p.is_dir():
            continue
        for root in sorted({f.parent.parent for f in p.rglob("inference/*.json")}):
            store = InferenceStore(root)
            for r in store:
                why = _unsound(r)
                records += [] if why else [r]
                problems += [Problem(str(store.path(r)), why)] if why else []
            for text in store.problems:
                source, _, message = text.partition(": ")
                problems.append(Problem(source, message))
    return records, problems


def _unsound(r: InferenceRecord) -> str:
    """Why a record that parsed cannot be summarized ("" when it can)."""
    for name in ("metrics", "gate", "loadgen", "env", "identity_fields"):
        if not isinstance(getattr(r, name), dict):
            return f"field {name!r} must be an object, found {getattr(r, name)!r:.60}"
    figures = [("metric", k, v) for k, v in r.metrics.items()]
    figures += [("gate field", k, r.gate[k]) for k in ("agreement", "max_abs_diff") if k in r.gate]
    bad = [(what, k, v) for what, k, v in figures if v is not None and num(v) is None]
    return "".join(f"{what} {k!r} must be a number, found {v!r:.60}" for what, k, v in bad[:1])


def _settings(recs: Sequence[InferenceRecord]) -> dict[str, Any]:
    ok = [r for r in recs if r.status is Status.OK]
    quick = Counter(bool(r.loadgen.get("quick", True)) for r in ok)
    found = [r.loadgen.get("settings") for r in ok if isinstance(r.loadgen.get("settings"), dict)]
    durations = sorted({s["quick_duration_ms"] for s in found
                        if s.get("quick") and num(s.get("quick_duration_ms"))})
    bounds = sorted({(s["server_latency_ms"], s.get("server_percentile") or 0.99) for s in found
                     if num(s.get("server_latency_ms")) is not None})
    return {"quick": quick.get(True, 0), "full": quick.get(False, 0),
            "durations": [f"{d / 1000:g} s" for d in durations],
            "bounds": [f"p{p * 100:g} \u2264 {ms:g} ms" for ms, p in bounds]}


def _machine(r: InferenceRecord) -> str:
    env = r.env
    words = [str(env.get("machine") or "unknown machine"), str(env.get("cpu") or "unknown cpu")]
    if env.get("cpu_logical_cores"):
        words.append(f"{env['cpu_logical_cores']} logical cores")
    gpus = env.get("gpus") if isinstance(env.get("gpus"), list) else []
    words += [str(g.get("name", "GPU")) if isinstance(g, dict) else str(g) for g in gpus]
    return " \u00b7 ".join(words)


def _threads(recs: Sequence[InferenceRecord]) -> str:
    """The thread counts the records were served with, and the pools they report."""
    counts = sorted({str(r.identity_fields.get("threads")) for r in recs
                     if r.identity_fields.get("threads") is not None})
    pools: set[str] = set()
    for r in recs:
        t = r.env.get("threads") if isinstance(r.env.get("threads"), dict) else {}
        torch = t.get("torch") if isinstance(t.get("torch"), dict) else {}
        pools.update({f"torch intra-op {torch['intra']}, inter-op {torch.get('inter')}"}
                     if "intra" in torch else ())
        pools.update({f"{p[0]} {p[1]}" for p in t.get("pools") or ()
                      if isinstance(p, (list, tuple)) and len(p) == 2})
    head = f"{' or '.join(counts)} threads per runtime process" if counts else "threads unknown"
    return head + (f" ({'; '.join(sorted(pools))})" if pools else "")


def _dots(table: Sequence[DeployRow], devices: int) -> list[Dot]:
    keys = list(dict.fromkeys(r.runtime for r in table))
    st = styles(keys)
    dots = []
    for r in table:
        s = r.figures.get("single_stream_p90")
        if s is None or s.median is None or s.median <= 0:
            continue
        label = f"{r.backend} \u00b7 {r.runtime}" + (f" \u00b7 {r.device}" if devices > 1 else "")
        low, high = (s.low or s.median), (s.high or s.median)
        dots.append(Dot(label, s.median * 1e3, (low if low > 0 else s.median) * 1e3, high * 1e3,
                        st[r.runtime], failed=r.gate_passed is False))
    return dots


def _task(task: str, table: list[DeployRow], i: int) -> dict[str, Any]:
    table = sorted(table, key=lambda r: (r.backend, r.device, r.runtime))
    cols = columns(table)
    devices = len({r.device for r in table})
    return {"task": task, "anchor": f"deploy-{i}", "cols": cols, "devices": devices,
            "rows": row_views(table, cols), "n_failed": sum(r.gate_passed is False for r in table),
            "chart": latency_chart(_dots(table, devices),
                                   f"{task}: SingleStream p90 latency per runtime")}


def deploy_cards(summary: Sequence[DeployRow]) -> list[tuple[str, int]]:
    """The header's cards: the rows served, and those that failed the gate."""
    if not summary:
        return []
    return [("deployments", len(summary)),
            ("gate failed", sum(r.gate_passed is False for r in summary))]


def deploy_section(records: Sequence[InferenceRecord],
                   summary: Sequence[DeployRow] | None = None) -> Markup:
    """The section (empty without inference records); ``summary``: ``rows(records)``."""
    if not records:
        return Markup()
    by_task: dict[str, list[DeployRow]] = {}
    for r in rows(list(records)) if summary is None else summary:
        by_task.setdefault(r.task, []).append(r)
    settings = _settings(records)
    bound = f" ({', '.join(settings['bounds'])})" if settings["bounds"] else ""
    present = {r.scenario for r in records}
    scenarios = [(SCENARIO_NAMES[s], words.format(bound=bound))
                 for s, words in SCENARIOS.items() if s in present]
    machines = Counter(_machine(r) for r in records)
    return render("deploy.html.j2", tasks=[_task(t, by_task[t], i)
                                           for i, t in enumerate(sorted(by_task))],
                  settings=settings, scenarios=scenarios, machines=machines.most_common(),
                  threads=_threads(records),
                  n_records=len(records))
