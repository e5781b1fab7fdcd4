"""The plan's summary, typed: what :func:`linkage_opt.solve` records and ``summary.json`` holds.

:class:`Summary` is a small pydantic model (like PyVRP's ``Result``): the figures a machine checks, read as
attributes (``plan.summary.metrics.weighted_coverage``, ``plan.summary.stages[0].best_bound``) and checked
by mypy. Its JSON is the file ``summary.json`` as before: :meth:`Summary.to_dict` gives the keys that were
set, in the order they were set (a key never written is not invented), so existing plan folders, the run
ledger and every reader keep working. Keys this version does not know (an older or newer folder's) are kept
as extras and written back; a missing optional key is simply not set.

The summary still reads as a mapping (``summary["metrics"]["weighted_coverage"]``, ``summary.get("gap")``,
``"stability" in summary``, ``{**summary}``) for code and tests written against the dict it was;
new code uses the attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

# JSON numbers stay what they were: an int is not turned into a float (``60`` stays ``60``, not ``60.0``)
Number = int | float


class Record(BaseModel):
    """A part of the summary: typed fields, unknown keys kept (extras), the keys' order kept for its JSON,
    and the read-only mapping interface of the dict it replaces."""

    model_config = ConfigDict(extra="allow", validate_assignment=True, arbitrary_types_allowed=True)

    _order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data: Any, handler: Any) -> Any:
        record = handler(data)
        if isinstance(data, Mapping) and isinstance(record, Record):
            record._order = [str(k) for k in data]
        return record

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if not name.startswith("_") and name not in self._order:
            self._order.append(name)

    # -- the keys that are set, in order --------------------------------------------------------------

    def keys(self) -> list[str]:
        extra = list(self.__pydantic_extra__ or {})
        present = [k for k in type(self).model_fields if k in self.model_fields_set] + extra
        ordered = [k for k in self._order if k in present]
        return ordered + [k for k in present if k not in ordered]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the keys that are set, in their order (parts as dicts, lists of parts as lists)."""
        return {k: _plain(getattr(self, k)) for k in self.keys()}

    # -- the mapping interface of the dict it was -----------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.model_fields_set or key in (self.__pydantic_extra__ or {}))

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self else default

    def items(self) -> list[tuple[str, Any]]:
        return [(k, getattr(self, k)) for k in self.keys()]

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in self.keys()]

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record | Mapping):
            return self.to_dict() == (other.to_dict() if isinstance(other, Record) else _plain(dict(other)))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Stage(Record):
    """One stage of the lexicographic solve (``summary.json`` ``stages[i]``)."""

    stage: str = ""
    status: str = ""
    objective: Number | None = None
    best_bound: Number | None = None
    gap: Number | None = None
    solve_s: Number | None = None
    slack: Number | None = None
    lp_rounding: dict[str, Any] | None = None  # LP rounding: the stage's answer (accepted) or the MIP's start
    kept_start: bool | None = None  # the stage's answer is the plan it started from
    message: str | None = None
    bound_note: str | None = None
    first_start: str | None = None


class Objective(Record):
    """Each objective term at the plan as handed out (``docs/outputs.md``: recomputable from the CSVs)."""

    coverage: Number = 0.0
    equity: Number | None = None
    cost: Number | None = None
    money: Number = 0.0
    stability_penalty: Number | None = None
    expiry_penalty: Number | None = None
    weighted: Number | None = None  # objective mode ``weighted``: the one stage's value


class SolverInfo(Record):
    name: str = ""
    version: str | None = None
    time_limit: Number | None = None
    mip_gap: Number | None = None
    threads: int | None = None
    seed: int | None = None


class Timings(Record):
    """Seconds: reading the inputs, building the model, solving, writing the folder."""

    load_s: Number | None = None
    build_s: Number | None = None
    solve_s: Number | None = None
    write_s: Number | None = None


class ModelSize(Record):
    variables: int = 0
    constraints: int = 0
    nonzeros: int | None = None
    integer_variables: int = 0
    blocks: dict[str, int] | None = None


class Metrics(Record):
    """The headline figures a planner reads first (:func:`linkage_opt.solving.plan.plan_metrics`)."""

    weighted_coverage: Number = 0.0
    plain_coverage_by_category: dict[str, Number] = {}
    guaranteed_needs: int = 0
    guaranteed_met: int = 0
    units_below_equity_floor: int = 0
    min_unit_ratio: Number = 1.0
    idle_hours: Number = 0.0
    total_need_rows: int = 0
    unmet_need_rows: int = 0
    total_need: Number = 0.0


class Summary(Record):
    """The summary of a plan (``plan.summary``, ``summary.json``): status, the stages, the objective terms and
    headline metrics, what was written and what was left out.

    Build one with ``Summary.model_validate(mapping)`` (or :meth:`coerce`); :meth:`to_dict` is its JSON."""

    status: str = ""
    objective: Objective = Field(default_factory=Objective)
    objective_stage: str | None = None
    best_bound: Number | None = None
    gap: Number | None = None
    stages: list[Stage] = []
    decomposition: dict[str, Any] | None = None  # a decomposed plan: the parts, the bound, the timings
    solver: SolverInfo = Field(default_factory=SolverInfo)
    timings: Timings = Field(default_factory=Timings)
    model: ModelSize = Field(default_factory=ModelSize)
    metrics: Metrics = Field(default_factory=Metrics)
    dispatch: dict[str, Any] | None = None  # rounding to dispatchable amounts (linkage_opt.solving.dispatch)
    rule_of_thumb_start: dict[str, Any] | None = None
    lapsed_lots: list[str] = []
    config: str | None = None
    inputs: dict[str, str] = {}
    package_version: str | None = None
    scenario: str | None = None
    period: str | None = None
    created_at: str | None = None
    stability: dict[str, Any] | None = None  # with a history: the pairings kept and changed
    baseline: dict[str, Any] | None = None  # --baseline: the rule of thumb's weighted coverage
    sheets: dict[str, Any] | None = None  # the action sheets written (html, pdf, redacted)
    outputs_skipped: list[dict[str, Any]] | None = None  # outputs left out for time, with the command to make them

    @classmethod
    def coerce(cls, value: Summary | Mapping[str, Any] | None) -> Summary:
        """``value`` as a Summary (a mapping, such as a parsed ``summary.json``, validated; None: empty)."""
        if isinstance(value, Summary):
            return value
        return cls.model_validate(dict(value or {}))

    def copy_deep(self) -> Summary:
        """An independent copy (changing it leaves this one as it is)."""
        return Summary.model_validate(self.to_dict())
