"""How much the plan depends on the priority weights: the report of a weight-perturbation sweep.

``linkage-opt sweep CONFIG --perturb-weights 0.2 --sample 50`` solves the base and 50 variants whose
category weights are each moved by up to ±20 % (:func:`linkage_opt.runs.sweep.weight_variants`). From the
coverage of every (unit, category) in each plan this module reports:

* ``unit_categories``: per unit and category, the share of the need met in the base plan and its
  lowest, highest and range across the samples;
* ``units``: per unit, its coverage measured with the **base** weights (so every sample is judged by
  the same yardstick: a sample's own weights would move the figure even with the plan unchanged), its
  range across the samples, and its rank among the units (1 = the worst covered) in the base and
  across the samples; ``rank_changed`` says whether any sample ranks it differently.

With zero perturbation every sample is the base, and every range is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RATIO_DECIMALS = 6  # ratios are compared rounded, so that solver noise does not count as a change of rank


@dataclass
class Robustness:
    units: pd.DataFrame
    unit_categories: pd.DataFrame
    samples: int
    summary: dict = field(default_factory=dict)


def _frame(rec: dict, sample: int) -> pd.DataFrame:
    cov = pd.DataFrame(rec["coverage"])
    cov["sample"] = sample
    return cov


def robustness(table: pd.DataFrame, records: dict, variants) -> Robustness:
    """The report from a perturbation sweep's records (the base is the variant with no changes)."""
    frames = []
    base_frame = None
    for v in variants:
        rec = records.get(v.fingerprint)
        if rec is None or "coverage" not in rec:
            continue
        f = _frame(rec, int(v.inputs.get("sample", v.number)))
        if not v.changes and base_frame is None:
            base_frame = f
        frames.append(f)
    cols_uc = ["unit_id", "unit_name", "category", "need", "base_ratio", "min_ratio", "max_ratio", "range", "samples"]
    cols_u = [
        "unit_id",
        "unit_name",
        "base_ratio",
        "min_ratio",
        "max_ratio",
        "range",
        "base_rank",
        "best_rank",
        "worst_rank",
        "rank_changed",
        "samples_rank_changed",
        "samples",
    ]
    if base_frame is None or not frames:
        return Robustness(
            pd.DataFrame(columns=cols_u),
            pd.DataFrame(columns=cols_uc),
            0,
            {"samples": 0, "units_changing_rank": 0, "largest_unit_range": None},
        )
    every = pd.concat(frames, ignore_index=True)
    every["ratio"] = np.where(every["need"] > 0, every["covered"] / every["need"].where(every["need"] > 0, 1.0), 1.0)
    base = base_frame.assign(
        base_ratio=np.where(
            base_frame["need"] > 0, base_frame["covered"] / base_frame["need"].where(base_frame["need"] > 0, 1.0), 1.0
        )
    )
    key = ["unit_id", "unit_name", "category"]
    g = every.groupby(key, sort=True)["ratio"].agg(min_ratio="min", max_ratio="max", samples="count").reset_index()
    uc = base[[*key, "need", "base_ratio"]].merge(g, on=key, how="left")
    uc["range"] = (uc["max_ratio"] - uc["min_ratio"]).round(RATIO_DECIMALS)
    uc = uc[cols_uc]

    # per unit, judged with the base weights: base weighted need of each (unit, category) times its ratio
    wn = base.set_index(key)["wn"]
    every = every.join(wn.rename("base_wn"), on=key)
    every["base_wc"] = every["base_wn"] * every["ratio"]
    per = every.groupby(["sample", "unit_id", "unit_name"], sort=True)[["base_wn", "base_wc"]].sum().reset_index()
    per = per[per["base_wn"] > 0]
    per["ratio"] = (per["base_wc"] / per["base_wn"]).round(RATIO_DECIMALS)
    per["rank"] = per.groupby("sample")["ratio"].rank(method="min").astype(int)
    base_sample = int(base_frame["sample"].iat[0])
    b = per[per["sample"] == base_sample].set_index(["unit_id", "unit_name"])
    agg = per.groupby(["unit_id", "unit_name"], sort=True).agg(
        min_ratio=("ratio", "min"),
        max_ratio=("ratio", "max"),
        best_rank=("rank", "max"),
        worst_rank=("rank", "min"),
        samples=("ratio", "count"),
    )
    per = per.join(b["rank"].rename("base_rank"), on=["unit_id", "unit_name"])
    changed = (per["rank"] != per["base_rank"]).groupby([per["unit_id"], per["unit_name"]]).sum()
    units = agg.join(b["ratio"].rename("base_ratio")).join(b["rank"].rename("base_rank"))
    units["samples_rank_changed"] = changed.reindex(units.index).fillna(0).astype(int)
    units["rank_changed"] = units["samples_rank_changed"] > 0
    units["range"] = (units["max_ratio"] - units["min_ratio"]).round(RATIO_DECIMALS)
    units = units.reset_index()[cols_u].sort_values(["range", "base_rank"], ascending=[False, True], kind="stable")
    units = units.reset_index(drop=True)
    samples = int(every["sample"].nunique())
    summary = {
        "samples": samples,
        "units": int(len(units)),
        "units_changing_rank": int(units["rank_changed"].sum()),
        "largest_unit_range": float(units["range"].max()) if len(units) else None,
        "largest_unit_category_range": float(uc["range"].max()) if len(uc) else None,
        "coverage_range": _range(table, "weighted_coverage"),
    }
    return Robustness(units=units, unit_categories=uc, samples=samples, summary=summary)


def _range(table: pd.DataFrame, col: str):
    v = pd.to_numeric(table.get(col), errors="coerce").dropna() if col in table else pd.Series(dtype=float)
    return [float(v.min()), float(v.max())] if len(v) else None
