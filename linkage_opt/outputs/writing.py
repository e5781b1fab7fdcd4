"""What ``plan`` may still do after the solve: the time limit's writing margin, spent on the outputs.

A time limit is a wall: ``plan`` returns by ``time_limit`` plus the writing margin
(:func:`linkage_opt.solving.solve.writing_margin`: 5 % of it or 10 s, the larger). The plan's own files (the
CSVs and ``summary.json``) are always written. The optional outputs -- explanations and marginal values,
the rule-of-thumb comparison, ``plan.xlsx`` and ``report.html`` -- are made, in that order, only while
their estimated time fits in what is left of the margin after the plan's own files; one that does not fit
is left out, named in ``summary.outputs_skipped`` with the command that makes it later
(``linkage-opt explain DIR``, ``linkage-opt report DIR``), and ``plan`` says so.

The estimates are per row or per cell of the plan's tables, measured on the realistic district and city
(docs/performance.md, "Writing within the margin") with a safety factor of 2: a busy machine runs slower.

:func:`attach_outputs` is the one list of a plan folder's optional outputs, in order; ``Plan.write(dir,
desk=True, lang=...)`` calls it, and so do ``linkage-opt plan`` and the monthly runner (``linkage-opt
run``), so that the library, the command and the runner write the same folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import lang as L
from ..analysis.explain import attach_explanations
from ..solving.baseline import attach_baseline
from ..solving.plan import register_output_writer
from ..solving.solve import after_solve_deadline, writing_margin
from .report import attach_report
from .sheets import (
    PDF_TIMEOUT_S,
    attach_pdf,
    attach_sheets,
    build_sheets,
    build_sheets_html,
    extra_columns,
    html_to_pdf,
    pdf_out_of_time,
)
from .workbook import attach_workbook, build_workbook

EXIT_RESERVE_S = 0.5  # kept at the end of the margin: closing files, freeing memory, exiting
# seconds per unit of work, measured (load 3-8 on 2 cores) and doubled
EXPLAIN_S_PER_UNMET_ROW = 1.6e-3  # explain_unmet: 2.0 s for 2,425 unmet needs
# plan.xlsx, report.html, sheets.html: 8.5 s for the district's 124,685 cells (load 1), with 1.3x
SHEET_S_PER_CELL = 9.0e-5
REPORT_S_PER_ROW = 2.0e-5  # report.html: 3.8 s for the district's 96,000 table rows
CSV_S_PER_CELL = 1.2e-5  # the plan's CSVs: 3.1 s for the district's 1.0 M cells
TABLE_S_PER_ROW = 2.5e-5  # build_tables (the rule of thumb's tables for --baseline)


@dataclass
class WritingBudget:
    """The instant by which ``plan`` must be done, and what it left out to keep to it."""

    end: float | None  # time.monotonic(); None: no time limit
    skipped: list[dict] = field(default_factory=list)

    @classmethod
    def after(cls, solve_started: float, time_limit: float | None) -> WritingBudget:
        """The wall: ``time_limit`` plus its margin from ``solve_started`` (a command passes its own start,
        which is earlier), less :data:`EXIT_RESERVE_S` for closing files and the process."""
        margin = writing_margin(time_limit)
        if margin is None or time_limit is None:
            return cls(None)
        return cls(solve_started + float(time_limit) + margin - EXIT_RESERVE_S)

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def allows(self, output: str, estimate_s: float, reserve_s: float, later: str) -> bool:
        """Whether ``output`` (about ``estimate_s`` seconds) fits, keeping ``reserve_s`` for the plan's files;
        if not, it is recorded as skipped with ``later``, the command that makes it afterwards."""
        left = self.left()
        if left is None or estimate_s + reserve_s <= left:
            return True
        self.skipped.append(
            {"output": output, "estimated_s": round(estimate_s, 1), "left_s": round(max(left, 0.0), 1), "later": later}
        )
        return False


def plan_cells(plan) -> int:
    """Cells of the plan's tables (rows times columns), what writing them costs grows with."""
    return sum(len(t) * max(1, len(t.columns)) for t in plan.tables().values())


def plan_rows(plan) -> int:
    return sum(len(t) for t in plan.tables().values())


def files_estimate(plan) -> float:
    """Seconds to write the plan's own files (always written)."""
    return CSV_S_PER_CELL * plan_cells(plan)


DESK_FILES_MAX_UNITS = 3000  # decomposed plans of more units are written without plan.xlsx and report.html

# what attach_outputs reports to ``progress``, in order (the CLI shows each as lang's "plan.<step>")
STEPS = ("explaining", "baseline", "workbook", "writing")


def attach_outputs(
    plan,
    scenario,
    out_dir,
    *,
    lang: str | None = None,
    explain: bool = True,
    desk: bool = True,
    baseline: bool = False,
    redact: bool = False,
    progress: Callable[[str], None] | None = None,
    on_error: Callable[[str, Exception], None] | None = None,
) -> list[dict]:
    """Add a solved plan's optional outputs to its files (``plan.extras``), in this order, while they fit
    in the time limit's writing margin (:class:`WritingBudget`, from ``plan.solve_started``):

    1. ``explain``: ``explanations.csv`` and ``marginal_values.csv`` (a plan with a model only);
    2. ``baseline``: ``baseline.json`` and ``baseline_coverage.csv``, the rule-of-thumb comparison (likewise);
    3. ``desk``: ``plan.xlsx``, ``report.html``, ``sheets.html`` (and ``sheets.pdf``) in ``lang``, for
       ``scenario`` (``redact``: without personal columns); a decomposed plan (no model) of more than
       :data:`DESK_FILES_MAX_UNITS` units is written without them.

    What does not fit is left out and named in ``summary.outputs_skipped`` with the command that makes it
    later (for ``out_dir``); the list is returned. ``progress`` is told each step of :data:`STEPS` as it
    starts. An output that fails raises, unless ``on_error`` is given: it is then told ``(output, error)``
    ("explanations", "baseline" or "desk") and the plan is written without that output.
    """
    lang = L.resolve(lang)

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    def guarded(output: str, make: Callable[[], object]) -> None:
        if on_error is None:
            make()
            return
        try:
            make()
        except Exception as exc:
            on_error(output, exc)

    modelled = plan.formulation is not None
    started = getattr(plan, "solve_started", None)
    time_limit = plan.summary.solver.time_limit
    # the time limit is a wall: the optional outputs are made only while they fit in its margin
    wall = getattr(plan, "wall_started", None)  # linkage-opt plan: the process's start, before the solve's
    starts = [t for t in (started, wall) if t is not None]  # either alone is a wall too
    budget = WritingBudget.after(min(starts), time_limit) if starts else WritingBudget(None)
    reserve = files_estimate(plan)
    desk_wanted = desk and (modelled or len(scenario.units) <= DESK_FILES_MAX_UNITS)
    desk_s = SHEET_S_PER_CELL * plan_cells(plan) + REPORT_S_PER_ROW * plan_rows(plan)
    if explain and modelled:
        step("explaining")
        deadline = after_solve_deadline(started, time_limit) if started is not None else None
        if deadline is not None and budget.end is not None:
            # what comes after keeps its estimated time: the desk files (the month's work) before the
            # marginal values, whose LP stops (and leaves its table empty) by this deadline
            later = (
                reserve + (desk_s if desk_wanted else 0.0) + (TABLE_S_PER_ROW * plan_rows(plan) if baseline else 0.0)
            )
            deadline = min(deadline, budget.end - later)
        guarded("explanations", lambda: attach_explanations(plan, deadline=deadline))
    if (
        baseline
        and modelled
        and budget.allows(
            "baseline.json",
            TABLE_S_PER_ROW * plan_rows(plan),
            reserve,
            "linkage-opt plan CONFIG --baseline with a longer --time-limit",
        )
    ):
        step("baseline")
        guarded("baseline", lambda: attach_baseline(plan, scenario))
    if desk_wanted:
        step("workbook")
        if budget.allows("plan.xlsx, report.html, sheets.html", desk_s, reserve, f"linkage-opt report {out_dir}"):
            pdf_by = None if budget.end is None else budget.end - reserve
            guarded("desk", lambda: attach_desk_files(plan, scenario, lang, redact=redact, pdf_deadline=pdf_by))
            pdf = str((plan.summary.sheets or {}).get("pdf", ""))
            if pdf_out_of_time(pdf):
                budget.skipped.append(
                    {
                        "output": "sheets.pdf",
                        "left_s": round(max(budget.left() or 0.0, 0.0), 1),
                        "later": f"linkage-opt report {out_dir}",
                    }
                )
    if budget.skipped:
        plan.summary.outputs_skipped = budget.skipped
    return budget.skipped


def personal_columns(scenario) -> list[tuple[str, str]]:
    """(table, column) of every extra input column that ``privacy.personal`` names and that holds a value."""
    if scenario is None:
        return []
    privacy = scenario.config.privacy
    out = []
    for table, frame in scenario.tables.items():
        for col in extra_columns(scenario, table):
            if privacy.is_personal(col) and frame[col].astype(str).str.strip().replace("nan", "").ne("").any():
                out.append((table, col))
    return out


def redacted_desk_files(
    plan, scenario, lang: str | None = None, pdf: bool = True, pdf_deadline: float | None = None
) -> dict[str, bytes]:
    """The action-sheet files as ``--redact`` writes them (``plan.xlsx``, ``sheets.html`` and, with ``pdf``
    and Chromium, ``sheets.pdf``, printed by ``pdf_deadline`` (``time.monotonic()``) or not at all) for a
    plan whose inputs hold personal columns; ``{}`` when they hold none (the files as written carry no one's
    details). What the run ledger keeps instead of the full sheets."""
    if not personal_columns(scenario):
        return {}
    lang = L.resolve(lang)
    sheets = build_sheets(plan, scenario, lang, True)
    html = build_sheets_html(plan, scenario, lang, True, sheets)
    out = {"plan.xlsx": build_workbook(plan, scenario, lang, True, sheets), "sheets.html": html.encode("utf-8")}
    if pdf:
        timeout = PDF_TIMEOUT_S if pdf_deadline is None else min(PDF_TIMEOUT_S, pdf_deadline - time.monotonic())
        data, _ = html_to_pdf(html, timeout)
        if data is not None:
            out["sheets.pdf"] = data
    return out


def attach_desk_files(
    plan, scenario, lang: str = "en", redact: bool = False, pdf_deadline: float | None = None
) -> None:
    """plan.xlsx, report.html and the action sheets (sheets.html, sheets.pdf when Chromium is found), in
    ``lang``, into the plan's files (written atomically with the rest); ``redact``: without personal columns.

    ``sheets.pdf`` comes last, the slowest and the most optional: printed by ``pdf_deadline``
    (``time.monotonic()``) or not at all (``summary["sheets"]["pdf"]`` says why)."""
    sheets = build_sheets(plan, scenario, lang, redact)  # once, for sheets.html and plan.xlsx
    html = attach_sheets(plan, scenario, lang, redact, pdf=False, sheets=sheets)
    attach_workbook(plan, scenario, lang, redact, sheets=sheets)
    attach_report(plan, scenario, lang)
    attach_pdf(plan, html, pdf_deadline)


register_output_writer(
    attach_outputs
)  # Plan.write's outputs: the one list, named from solving without an upward import
