"""A study's budget: how much compute every tuner gets, in one unit, and the axis its scores use.

``trials:N`` (N trials, failed ones included), ``epochs:N`` (N epochs trained: a pruned trial
costs only the epochs it ran) or ``seconds:S`` (S seconds of study time: simulated on a tuning
table, wall seconds on real runs). The study loop stops starting trials once the budget is
spent and stops the trial that spends its last epoch or second at the end of that epoch, so
a study never trains past its budget (by more than the epoch in progress, for seconds).

The headline scores of a comparison (regret, normalized score, ranks, significance) are read
at the budget; the area under best so far and the average rank run along the budget's own
axis. Pruning tuners compared with unpruned ones per trial look worse than they are (a pruned
trial costs a few epochs, an unpruned one all of them), which is why a comparison whose tuners
do not all prune alike defaults to an epochs budget (``default_budget``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainsmart_bench.errors import ConfigError

UNITS = ("trials", "epochs", "seconds")
DEFAULT_TRIALS = 30
GRID = 100  # points of the epochs and seconds axes for the area and the average rank


@dataclass(frozen=True)
class Budget:
    unit: str  # one of UNITS
    amount: float | None  # None: "as many epochs as the trials an unpruned tuner gets"

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``trials:N``, ``epochs:N``, ``seconds:S``, or ``epochs`` alone (derived)."""
        unit, sep, raw = text.strip().partition(":")
        unit = unit.strip().lower()
        if unit not in UNITS:
            raise ConfigError(f"--budget {text!r}: the unit is one of {', '.join(UNITS)}, e.g. "
                              "trials:50, epochs:1000, seconds:600, or 'epochs' alone (as many "
                              "epochs as --trials unpruned trials train)")
        if not sep:
            if unit != "epochs":
                raise ConfigError(f"--budget {text!r}: give an amount, e.g. {unit}:50")
            return cls(unit, None)
        try:
            amount = float(raw)
        except ValueError:
            amount = math.nan
        whole = unit != "seconds"
        if not math.isfinite(amount) or amount <= 0 or (whole and not amount.is_integer()):
            kind = "a positive whole number" if whole else "a positive number of seconds"
            raise ConfigError(f"--budget {text!r}: the amount must be {kind}")
        return cls(unit, int(amount) if whole else amount)

    def resolved(self, trials: int, max_epochs: int | None) -> Budget:
        """A derived epochs budget made concrete: ``trials`` x the epochs a trial trains."""
        if self.amount is not None:
            return self
        if not max_epochs:
            raise ConfigError("--budget epochs needs the epochs a trial trains; give an amount "
                              "(--budget epochs:N)")
        return Budget("epochs", int(trials) * int(max_epochs))

    def label(self, simulated: bool = False) -> str:
        if self.amount is None:
            return "epochs (derived)"
        if self.unit == "seconds":
            return f"{self.amount:g} {'simulated ' if simulated else ''}s"
        n = int(self.amount)
        return f"{n} {self.unit if n != 1 else self.unit[:-1]}"

    def spelled(self) -> str:
        return self.unit if self.amount is None else f"{self.unit}:{self.amount:g}"


def from_flags(budget: str | None, trials: int | None, epochs: int | None,
               seconds: float | None) -> tuple[Budget | None, int | None]:
    """(the budget, a trial cap) from ``--budget`` and the older flags, which spell it:
    ``--epochs-budget N`` is ``epochs:N``, ``--seconds S`` ``seconds:S``, ``--trials N``
    ``trials:N`` (or, beside another unit, a cap on trials). ``None``: not said (defaulted by
    ``default_budget``)."""
    if trials is not None and trials < 1:
        raise ConfigError("--trials must be at least 1")
    said = [b for b in (f"epochs:{epochs}" if epochs is not None else None,
                        f"seconds:{seconds}" if seconds is not None else None) if b]
    if budget is not None:
        if said:
            raise ConfigError(f"--budget {budget} and {' '.join(said)} both set the budget; "
                              "give one (--epochs-budget N is --budget epochs:N, --seconds S "
                              "is --budget seconds:S)")
        b = Budget.parse(budget)
    elif len(said) > 1:
        raise ConfigError("--epochs-budget and --seconds both set the budget; give one, as "
                          "--budget epochs:N or --budget seconds:S")
    elif said:
        b = Budget.parse(said[0])
    elif trials is not None:
        return Budget("trials", trials), None
    else:
        return None, None
    if b.unit == "trials":
        return b, None
    return b, trials if b.amount is not None else None


def prunes(tuner: str) -> bool:
    from trainsmart_bench.registry import split_tuner

    return split_tuner(tuner)[1] is not None


def default_budget(tuners: Sequence[str], trials: int | None = None) -> Budget:
    """Trials, unless the tuners do not all prune alike: then epochs, as many as ``trials``
    unpruned trials train (``Budget.resolved``)."""
    if len({prunes(t) for t in tuners}) > 1:
        return Budget("epochs", None)
    return Budget("trials", trials or DEFAULT_TRIALS)


def caps(budget: Budget, trial_cap: int | None) -> dict[str, Any]:
    """The study loop's limits (``run_study``'s keywords) for a resolved budget."""
    if budget.amount is None:
        raise ConfigError("the epochs budget must be resolved first (Budget.resolved)")
    if budget.unit == "trials":
        return {"budget_trials": int(budget.amount), "budget_unit": "trials"}
    # no trial trains fewer than one epoch, so an epochs cap is only reached by failures
    cap = trial_cap or (int(budget.amount) if budget.unit == "epochs" else 1_000_000)
    key = "budget_epochs" if budget.unit == "epochs" else "budget_seconds"
    return {"budget_trials": int(cap), key: budget.amount, "budget_unit": budget.unit}


def of_config(config: Mapping[str, Any]) -> Budget:
    """A study's budget from its settings (``StudyConfig`` as a dict); studies recorded before
    the unit was recorded: the epochs or seconds limit where one was set, else trials."""
    unit = config.get("budget_unit")
    if unit not in UNITS:
        unit = ("epochs" if config.get("budget_epochs") is not None else
                "seconds" if config.get("budget_seconds") is not None else "trials")
    return Budget(unit, config.get(f"budget_{unit}"))


def points(summary: Mapping[str, Any], unit: str) -> list[tuple[float, float | None]]:
    """(x, best so far) after each trial, along ``unit``."""
    if unit == "trials":
        return [(i + 1.0, b) for i, b in enumerate(summary["best_so_far_trials"])]
    if unit == "epochs":
        return [(float(x), b) for x, b in summary.get("best_so_far_epochs", [])]
    if unit == "seconds":
        pts = summary.get("best_so_far_wallclock") or summary["best_so_far_seconds"]
        return [(float(x), b) for x, b in pts]
    raise ValueError(f"unit {unit!r}: one of {UNITS}")


def axis(summaries: Sequence[Mapping[str, Any]], unit: str) -> list[float]:
    """Where curves along ``unit`` are read: every trial, or ``GRID`` even steps up to the
    budget (the largest x any study reached where the budget has no amount)."""
    amounts = [of_config(s["config"]).amount for s in summaries]
    if unit == "trials":
        n = max((len(s["best_so_far_trials"]) for s in summaries), default=0)
        return [float(i) for i in range(1, n + 1)]
    known = [float(a) for a in amounts if a is not None]
    end = max(known) if known and len(known) == len(amounts) else max(
        (x for s in summaries for x, _ in points(s, unit)), default=0.0)
    return [end * (i + 1) / GRID for i in range(GRID)] if end > 0 else []


def curve(summary: Mapping[str, Any], unit: str, xs: Sequence[float]) -> list[float | None]:
    """Best so far at each of ``xs`` along ``unit`` (None before the first success)."""
    pts = points(summary, unit)
    out: list[float | None] = []
    i, best = 0, None
    for x in xs:
        while i < len(pts) and pts[i][0] <= x + 1e-9:
            best = pts[i][1] if pts[i][1] is not None else best
            i += 1
        out.append(best)
    return out


def plan(budget: str | None, trials: int | None, epochs: int | None, seconds: float | None,
         tuners: Sequence[str], trial_epochs: int | None) -> tuple[Budget, dict[str, Any]]:
    """The budget of a comparison from the command line's flags, and the study loop's limits
    for it: ``trial_epochs`` is what one unpruned trial trains (for a derived epochs budget)."""
    b, cap = from_flags(budget, trials, epochs, seconds)
    if b is None:
        b = default_budget(tuners, trials)
    b = b.resolved(trials or DEFAULT_TRIALS, trial_epochs)
    return b, caps(b, cap)


def trial_epochs(task: Any, profile: str | None, params: Mapping[str, Any]) -> int | None:
    """The most epochs one trial of ``task`` trains (the search space's largest where it
    searches epochs)."""
    from trainsmart_bench.space import Categorical

    p = task.space.params.get("epochs") if "epochs" not in params else None
    if isinstance(p, Categorical):
        return int(max(p.choices))
    if p is not None:
        return int(p.high)
    resolved = task.resolve(profile, **params).params
    return int(resolved["epochs"]) if "epochs" in resolved else None
