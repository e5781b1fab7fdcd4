"""What ``plan`` may still do after the solve: the time limit's writing margin, spent on the outputs.

A time limit is a wall: ``plan`` returns by ``time_limit`` plus the writing margin
(:func:`linkage_opt.solve.writing_margin`: 5 % of it or 10 s, the larger). The plan's own files (the
CSVs and ``summary.json``) are always written. The optional outputs -- explanations and marginal values,
the rule-of-thumb comparison, ``plan.xlsx`` and ``report.html`` -- are made, in that order, only while
their estimated time fits in what is left of the margin after the plan's own files; one that does not fit
is left out, named in ``summary["outputs_skipped"]`` with the command that makes it later
(``linkage-opt explain DIR``, ``linkage-opt report DIR``), and ``plan`` says so.

The estimates are per row or per cell of the plan's tables, measured on the realistic district and city
(docs/performance.md, "Writing within the margin") with a safety factor of 2: a busy machine runs slower.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .solve import writing_margin

# seconds per unit of work, measured (load 3-8 on 2 cores) and doubled
EXPLAIN_S_PER_UNMET_ROW = 1.6e-3   # explain_unmet: 2.0 s for 2,425 unmet needs
SHEET_S_PER_CELL = 4.5e-5          # plan.xlsx: 19 s for 950,000 cells
REPORT_S_PER_ROW = 2.0e-5          # report.html: 3.8 s for the district's 96,000 table rows
CSV_S_PER_CELL = 1.2e-5            # the plan's CSVs: 3.1 s for the district's 1.0 M cells
TABLE_S_PER_ROW = 2.5e-5           # build_tables (the rule of thumb's tables for --baseline)


@dataclass
class WritingBudget:
    """The instant by which ``plan`` must be done, and what it left out to keep to it."""

    end: float | None                                    # time.monotonic(); None: no time limit
    skipped: list[dict] = field(default_factory=list)

    @classmethod
    def after(cls, solve_started: float, time_limit: float | None) -> WritingBudget:
        margin = writing_margin(time_limit)
        return cls(None if margin is None or time_limit is None else solve_started + float(time_limit) + margin)

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def allows(self, output: str, estimate_s: float, reserve_s: float, later: str) -> bool:
        """Whether ``output`` (about ``estimate_s`` seconds) fits, keeping ``reserve_s`` for the plan's files;
        if not, it is recorded as skipped with ``later``, the command that makes it afterwards."""
        left = self.left()
        if left is None or estimate_s + reserve_s <= left:
            return True
        self.skipped.append({"output": output, "estimated_s": round(estimate_s, 1),
                             "left_s": round(max(left, 0.0), 1), "later": later})
        return False


def plan_cells(plan) -> int:
    """Cells of the plan's tables (rows times columns), what writing them costs grows with."""
    return sum(len(t) * max(1, len(t.columns)) for t in plan.tables().values())


def plan_rows(plan) -> int:
    return sum(len(t) for t in plan.tables().values())


def files_estimate(plan) -> float:
    """Seconds to write the plan's own files (always written)."""
    return CSV_S_PER_CELL * plan_cells(plan)
