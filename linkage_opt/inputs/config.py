"""The scenario config (YAML): schema, defaults and loading.

One pydantic model per section; unknown keys are errors with a "did you mean" hint. Loaded with a
``yaml.SafeLoader`` subclass (safe loading only) that also refuses duplicate keys, naming both lines,
and YAML nested deeper than ``limits.MAX_CONFIG_DEPTH``; the file is at most ``limits.MAX_CONFIG_BYTES``.
Every number is finite and within ``limits.MAX_NUMBER``. ``docs/data.md`` documents every key below.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from .. import limits
from ..errors import Problem, ValidationError
from ..i18n import N_, ByLang, Msg, plain
from ..limits import KIND_WORDS, TooLarge, path_kind, read_limited, size_text
from ..rules import RULES
from ..schema import TABLES, TIERS


class _Strict(BaseModel):
    # no NaN or infinity anywhere: the solver would take them for "unbounded"
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


PositiveFloat = Annotated[float, Field(gt=0, le=limits.MAX_NUMBER)]
NonNegFloat = Annotated[float, Field(ge=0, le=limits.MAX_NUMBER)]


class Category(_Strict):
    """A need category: its unit of measure and its party-led priority."""

    label: str = ""  # display name, e.g. 养老服务
    label_en: str = ""
    unit: str = "hours"  # unit of measure of needs in this category
    weight: NonNegFloat = 1.0  # party-led priority weight
    professional: bool = False  # volunteers need social-worker supervision here
    hours_per_unit: PositiveFloat = 1.0  # provider hours per unit of need (people providers)
    funds_per_unit: PositiveFloat | None = None  # yuan per unit of need: funds lots may serve it directly
    items: dict[str, PositiveFloat] = Field(default_factory=dict)  # goods item -> items per unit of need


class MaxKm(_Strict):
    social_worker: NonNegFloat = 20.0
    volunteer: NonNegFloat = 5.0
    organization: NonNegFloat = 30.0


class Reach(_Strict):
    max_km: MaxKm = MaxKm()
    # Units without coordinates: reachable from the same town only (distance taken as this value).
    same_town_km: NonNegFloat = 0.0


class Costs(_Strict):
    travel_per_km: NonNegFloat = 0.5  # yuan per km per provider hour of load (travel allowance)
    travel_overhead_per_km: NonNegFloat = 0.02  # extra provider hours per hour of service, per km travelled
    volunteer_cost_per_hour: NonNegFloat = 0.0  # e.g. meal/transport subsidy, paid by the district


class Expiry(_Strict):
    enabled: bool = True
    horizon_days: int = Field(31, ge=0, le=limits.MAX_DAYS)  # lots lapsing within this many days after the start
    penalty_per_unit: NonNegFloat = 0.01  # cost-stage penalty per unit of such a lot left unused


def _rules_model() -> type[BaseModel]:
    """``rules``: one section per linkage rule of the registry (``rules.<key>``), and ``expiry``."""
    fields: dict[str, Any] = {rule.KEY: (rule.Settings, rule.Settings()) for rule in RULES}
    return create_model(
        "Rules",
        __base__=_Strict,
        __doc__="The linkage rules, one section per rule (linkage_opt.rules).",
        **fields,
        expiry=(Expiry, Expiry()),
    )


Rules: Any = _rules_model()


Stage = Literal["coverage", "equity", "cost"]


class Objective(_Strict):
    mode: Literal["lexicographic", "weighted"] = "lexicographic"
    order: list[Stage] = ["coverage", "equity", "cost"]
    tolerance: Annotated[float, Field(ge=0, le=0.5)] = 1e-9  # relative slack when fixing an earlier stage
    weights: dict[Stage, NonNegFloat] = {"coverage": 1000.0, "equity": 100.0, "cost": 1e-4}

    @field_validator("order")
    @classmethod
    def _order_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v) or not v:
            raise ValueError(Msg("order must list each of coverage, equity, cost at most once"))
        return v


class Equity(_Strict):
    mode: Literal["maxmin", "floor"] = "maxmin"
    floor: Annotated[float, Field(ge=0, le=1)] = 0.5  # for mode=floor: penalise shortfall below this ratio


class CarryOver(_Strict):
    """Unmet needs of earlier periods come back, and units short for months rise in priority."""

    enabled: bool = False
    tiers: list[Literal["guaranteed", "basic", "improvement"]] = ["guaranteed", "basic"]
    cap: Annotated[float, Field(ge=0, le=limits.MAX_NUMBER)] = 0.5  # carry at most cap x the original need
    months: int = Field(3, ge=1, le=limits.MAX_MONTHS)  # window for the cumulative shortfall
    shortfall_boost: NonNegFloat = 0.5  # unit multiplier = 1 + boost x cumulative shortfall ratio


class Stability(_Strict):
    """Volunteers and social workers keep serving the units they served last period, where possible."""

    enabled: bool = False
    penalty_per_hour: NonNegFloat = 1.0  # cost-stage penalty per hour given in a new pairing
    max_new_pairings: int | None = Field(None, ge=0, le=int(limits.MAX_NUMBER))  # hard cap on new pairings


class Solver(_Strict):
    backend: str = "highs"
    time_limit: Annotated[float, Field(gt=0, le=limits.MAX_TIME_LIMIT)] | None = 60.0
    mip_gap: Annotated[float, Field(ge=0, le=limits.MAX_MIP_GAP)] = 1e-4
    threads: int | None = Field(None, ge=1, le=limits.MAX_THREADS)
    seed: int = Field(0, ge=0, le=limits.MAX_SEED)
    log: bool = False
    aggregate: bool = True  # merge identical volunteers and lots into classes (exact; see docs/model.md)
    strong_linking: Literal["auto", "always", "never"] = "auto"  # x <= z rows for organizations with a fixed cost
    lp_rounding: Literal["auto", "always", "never"] = "auto"  # each stage: LP bound, restricted MIP (start)

    @field_validator("backend")
    @classmethod
    def _backend(cls, v: str) -> str:
        from ..solvers import BACKENDS, DEFAULT_BACKEND

        key = (v or DEFAULT_BACKEND).strip().lower()
        if key not in BACKENDS:
            raise ValueError(Msg("unknown solver backend {backend_name!r}", backend_name=v))
        return key


class Dispatch(_Strict):
    """Amounts one can hand out: people's hours in whole steps, at least min_hours; goods and money whole."""

    enabled: bool = True
    step: Annotated[float, Field(gt=0, le=24)] = 0.5  # hours
    min_hours: Annotated[float, Field(ge=0, le=limits.MAX_NUMBER)] = 1.0


# Column headers that usually hold personal details (matched after header normalisation).
DEFAULT_PERSONAL = [
    "姓名",
    "联系人",
    "联系电话",
    "电话",
    "手机",
    "手机号",
    "身份证号",
    "住址",
    "邮箱",
    "微信",
    "person_name",
    "full_name",
    "contact",
    "contact_person",
    "phone",
    "mobile",
    "telephone",
    "id_number",
    "address",
    "email",
    "wechat",
]


class Privacy(_Strict):
    """Which extra input columns hold personal details (shown only on the action sheets that need them)."""

    personal: list[str] = Field(default_factory=lambda: list(DEFAULT_PERSONAL))

    def is_personal(self, column: str) -> bool:
        from .readers import normalise_header

        return normalise_header(column) in {normalise_header(c) for c in self.personal}


class Config(_Strict):
    name: str = "scenario"
    period: str = Field(..., description="Planning period YYYY-MM")
    data: str  # folder of CSVs or one .xlsx workbook, relative to the config
    tables: dict[str, str] = Field(default_factory=dict)  # per-table file (in a folder) or sheet name override
    categories: dict[str, Category]
    tag_multipliers: dict[str, PositiveFloat] = Field(default_factory=dict)
    tier_multipliers: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"guaranteed": 3.0, "basic": 1.0, "improvement": 0.5}
    )
    reach: Reach = Reach()
    costs: Costs = Costs()
    rules: Rules = Rules()  # built from the rule registry (linkage_opt.rules.RULES)
    objective: Objective = Objective()
    equity: Equity = Equity()
    carry_over: CarryOver = CarryOver()
    stability: Stability = Stability()
    solver: Solver = Solver()
    dispatch: Dispatch = Dispatch()
    privacy: Privacy = Privacy()
    timezone: str = "Asia/Shanghai"  # times shown in reports, sheets and the CLI (IANA name)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        v = str(v).strip()
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(Msg("unknown time zone {zone!r}, e.g. Asia/Shanghai", zone=v)) from None
        return v

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        v = str(v)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v):
            raise ValueError(Msg("period must look like 2026-12 (YYYY-MM), got {period!r}", period=v))
        if not limits.MIN_YEAR <= int(v[:4]) <= limits.MAX_YEAR:
            raise ValueError(
                Msg(
                    "period {period!r} is outside the years {first}-{last}",
                    period=v,
                    first=limits.MIN_YEAR,
                    last=limits.MAX_YEAR,
                )
            )
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: dict[str, Category]) -> dict[str, Category]:
        if not v:
            raise ValueError(Msg("at least one category is needed"))
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9_\-\u4e00-\u9fff]+", name):
                raise ValueError(Msg("category name {name!r}: use letters, digits, _ or -", name=name))
        return v

    @field_validator("tables")
    @classmethod
    def _tables(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in v if k not in TABLES]
        if unknown:
            raise ValueError(Msg("unknown table {table!r}", table=unknown[0]) + _did_you_mean(unknown[0], TABLES))
        return v

    @model_validator(mode="after")
    def _cross(self) -> Config:
        missing = [t for t in TIERS if t not in self.tier_multipliers]
        unknown = [t for t in self.tier_multipliers if t not in TIERS]
        if unknown:
            raise ValueError(
                Msg("tier_multipliers: unknown tier {tier!r}", tier=unknown[0]) + _did_you_mean(unknown[0], TIERS)
            )
        if missing:
            raise ValueError(
                Msg("tier_multipliers: give a multiplier for every tier (missing {tiers})", tiers=", ".join(missing))
            )
        sup = self.rules.supervision.categories or []
        for c in sup:
            if c not in self.categories:
                raise ValueError(
                    Msg("rules.supervision.categories: unknown category {category!r}", category=c)
                    + _did_you_mean(c, self.categories)
                )
        return self

    # -- derived -------------------------------------------------------------------------------
    @property
    def supervised_categories(self) -> list[str]:
        if self.rules.supervision.categories is not None:
            return list(self.rules.supervision.categories)
        return [name for name, c in self.categories.items() if c.professional]


def _close_match(word: str, options) -> str | None:
    match = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return match[0] if match else None


def _did_you_mean(word: str, options) -> str:
    """`` (did you mean 'x'?)`` for the option closest to ``word``, or ``""``."""
    match = _close_match(word, options)
    return Msg(" (did you mean {m!r}?)", m=match) if match else ""


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names valid at a location in the config, for the did-you-mean hint."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None:
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            # a dict key (e.g. a category name): step into the dict's value model
            continue
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        current = next((a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return list(current.model_fields) if current is not None else []


def _key_hints() -> dict[str, Msg]:
    from ..solvers import BACKENDS

    return {
        "solver.backend": Msg("choose one of: {backends}", backends=", ".join(BACKENDS)),
        "solver.time_limit": Msg(
            "seconds for the whole solve: more than 0, at most {n:,} (blank in the config: no limit)",
            n=int(limits.MAX_TIME_LIMIT),
        ),
        "solver.mip_gap": Msg("a relative gap from 0 to {n:g}, e.g. 0.001", n=limits.MAX_MIP_GAP),
        "solver.threads": Msg(
            "a whole number from {a} to {b} (blank in the config: the solver's default)", a=1, b=limits.MAX_THREADS
        ),
        "solver.seed": Msg("a whole number from {a} to {b}", a=0, b=limits.MAX_SEED),
    }


# pydantic's own errors as messages of the catalog, by the error's ``type``; the ``{name}`` placeholders are
# fields of the error's ``ctx``. Each English text is pydantic's own (pydantic_core's message templates), so the
# English reads as before; a type not listed here (or a text pydantic words differently) is shown as pydantic
# says it, and recorded as untranslated (i18n.MISSES).
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "list_type": N_("Input should be a valid list"),
    "finite_number": N_("Input should be a finite number"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "literal_error": N_("Input should be {expected}"),
    "value_error": N_("Value error, {error}"),
}


def _ctx_value(key: str, value: object) -> object:
    """A ``ctx`` field as pydantic writes it into its message: numbers without exponent (``2592000``, not
    ``2592000.0``), the allowed values of a literal with "or" in the reader's language, the model's class name
    in English only."""
    if key == "expected" and isinstance(value, str):
        return ByLang({"en": value, "zh": value.replace("' or '", "' 或 '").replace("', '", "'、'")})
    if key == "class_name":  # pydantic's model class (Reach): no word for a planner in Chinese
        return ByLang({"en": str(value), "zh": ""})
    if key == "error" and isinstance(value, Exception):
        inner = value.args[0] if value.args else ""
        return inner if isinstance(inner, Msg) else plain(str(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pydantic_message(err: Mapping[str, Any]) -> Msg:
    """One of pydantic's errors (an item of ``ValidationError.errors()``) as a :class:`Msg`, by its ``type``
    and ``ctx`` (:data:`PYDANTIC_MESSAGES`), never by matching its rendered text."""
    template = PYDANTIC_MESSAGES.get(err["type"])
    if template is not None:
        ctx = err.get("ctx") or {}
        try:
            msg = Msg(template, **{k: _ctx_value(k, v) for k, v in ctx.items()})
        except (KeyError, IndexError, ValueError):
            msg = None
        if msg is not None and str(msg) == err["msg"]:
            return msg
    return plain(err["msg"])


def _value_error(err: Mapping[str, Any]) -> Msg:
    """The message of a validator's own ``ValueError`` (without pydantic's "Value error, "), else pydantic's."""
    inner = (err.get("ctx") or {}).get("error")
    if err["type"] == "value_error" and isinstance(inner, Exception) and inner.args and isinstance(inner.args[0], Msg):
        return inner.args[0]
    return pydantic_message(err)


# The command-line option (and keyword of linkage_opt.solve) for each solver setting.
OPTION_FLAGS = {
    "backend": "--backend",
    "time_limit": "--time-limit",
    "mip_gap": "--mip-gap",
    "threads": "--threads",
    "seed": "--seed",
    "log": "--solver-log",
}


def with_option_problems(option_problems: list[Problem], load):
    """``load()`` (a scenario), raising every problem of the options and of the scenario in one
    ValidationError, the options first: one run lists all there is to fix."""
    try:
        value = load()
    except ValidationError as exc:
        raise ValidationError(option_problems + exc.problems) from None
    if option_problems:
        raise ValidationError(option_problems)
    return value


def solver_option_problems(**options) -> list[Problem]:
    """Problems with solver options given on the command line or to ``solve(...)`` (None = not given),
    checked against the same ranges as the config's ``solver:`` section; each names its option."""
    given = {k: v for k, v in options.items() if v is not None}
    unknown = [k for k in given if k not in OPTION_FLAGS]
    if unknown:
        raise TypeError(f"unknown solver option {unknown[0]!r}")
    try:
        Solver.model_validate(given)
    except PydanticValidationError as exc:
        hints = _key_hints()
        out = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            value = err.get("input")
            out.append(
                Problem(
                    OPTION_FLAGS.get(name, name),
                    None,
                    None,
                    _value_error(err),
                    hint=hints.get(f"solver.{name}", Msg("see --help")),
                    value=value if isinstance(value, (int, float, str)) else None,
                )
            )
        return out
    return []


def parse_config(raw: object, source: str) -> Config:
    """Validate a parsed YAML document; every problem is collected into one ValidationError."""
    if not isinstance(raw, dict):
        raise ValidationError(
            [
                Problem(
                    source,
                    None,
                    None,
                    Msg("the config must be a YAML mapping (key: value lines)"),
                    hint=Msg("see configs/zhugen.yaml for an example"),
                    value=type(raw).__name__,
                )
            ]
        )
    try:
        return Config.model_validate(raw)
    except PydanticValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc)
            if err["type"] == "extra_forbidden":
                match = _close_match(str(loc[-1]), _fields_at(Config, loc))
                hint = Msg("did you mean {m!r}?", m=match) if match else Msg("remove it, or check its indentation")
                msg: str = Msg("unknown key {key!r}", key=key)
            elif err["type"] == "missing":
                msg, hint = Msg("missing required key {key!r}", key=key), Msg("add it; see docs/data.md")
            else:
                msg = Msg("{key}: {err}", key=key, err=pydantic_message(err)) if key else pydantic_message(err)
                hint = _key_hints().get(key, Msg("see docs/data.md for the allowed values"))
            value = err.get("input") if err["type"] != "missing" else None
            if isinstance(value, dict | list):
                value = None
            problems.append(Problem(source, None, key or None, msg, hint=hint, value=value))
        raise ValidationError(problems) from None


class _TooDeep(Exception):
    def __init__(self, line: int | None):
        super().__init__("too deep")
        self.line = line


class ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (safe loading: plain data only) that also

    * records duplicate keys of a mapping, with the lines of both (YAML would keep the last silently);
    * refuses nesting deeper than ``limits.MAX_CONFIG_DEPTH`` while composing (before recursion can
      exhaust the stack).
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[object, int, int]] = []  # (key, first line, repeated line)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > limits.MAX_CONFIG_DEPTH + 1:  # the document's root is depth 1
                event = self.peek_event()
                raise _TooDeep(event.start_mark.line + 1 if event.start_mark is not None else None)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except Exception:
                    continue
                line = key_node.start_mark.line + 1
                if key in first:
                    self.duplicates.append((key, first[key], line))
                else:
                    first[key] = line
        return super().construct_mapping(node, deep=deep)


def _too_big(value, depth: int = 0, budget: list[int] | None = None) -> Msg | None:
    """Why a parsed config is too large to validate (aliases make a small file a huge tree), or None."""
    budget = [limits.MAX_CONFIG_NODES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        return Msg("the config has more than {n:,} values (counting each use of an alias)", n=limits.MAX_CONFIG_NODES)
    if depth > limits.MAX_CONFIG_DEPTH:
        return Msg(
            "the config is nested more than {max_config_depth} levels deep", max_config_depth=limits.MAX_CONFIG_DEPTH
        )
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for _, child in children:
        why = _too_big(child, depth + 1, budget)
        if why:
            return why
    return None


def read_config_text(path: Path) -> str:
    """The config's text: a regular file of at most ``limits.MAX_CONFIG_BYTES``, UTF-8 (BOM allowed)."""
    shown = str(path)
    kind = path_kind(path)
    if kind is None:
        if "\0" in shown:
            raise ValidationError(
                [
                    Problem(
                        shown.replace("\0", "\\0"),
                        None,
                        None,
                        Msg("the path contains a NUL byte"),
                        hint=Msg("give the path of the config file"),
                    )
                ]
            )
        raise ValidationError(
            [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("config file not found"),
                    hint=Msg("check the path; configs/zhugen.yaml is the bundled example"),
                )
            ]
        )
    if kind != "file":
        raise ValidationError(
            [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("the config is {kind}, not a file", kind=KIND_WORDS[kind]),
                    hint=Msg("give the path of a YAML config file"),
                )
            ]
        )
    try:
        data = read_limited(path, limits.MAX_CONFIG_BYTES)
    except TooLarge:
        raise ValidationError(
            [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("the config is larger than {size}, the limit", size=size_text(limits.MAX_CONFIG_BYTES)),
                    hint=Msg("a config holds settings only; the tables go in the data folder"),
                )
            ]
        ) from None
    except OSError as exc:
        raise ValidationError(
            [
                Problem(
                    shown,
                    None,
                    None,
                    Msg("cannot read the config: {error}", error=exc.strerror or exc),
                    hint=Msg("check that the file is readable"),
                )
            ]
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            [
                Problem(
                    shown,
                    line,
                    None,
                    Msg("cannot read the config: invalid UTF-8 at byte offset {start:,}", start=exc.start),
                    hint=Msg("save it as UTF-8 text"),
                )
            ]
        ) from None


def parse_yaml(text: str, source: str) -> object:
    """The YAML document of a config (safe loading), or a ValidationError: every duplicate key (both lines),
    a syntax error (line and column), or a document too deep or too large to validate."""
    loader = ConfigLoader(text)
    try:
        raw = loader.get_single_data()
    except _TooDeep as exc:
        raise ValidationError(
            [
                Problem(
                    source,
                    exc.line,
                    None,
                    Msg(
                        "the config is nested more than {max_config_depth} levels deep",
                        max_config_depth=limits.MAX_CONFIG_DEPTH,
                    ),
                    hint=Msg("see configs/zhugen.yaml for the shape of a config"),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        col = str(mark.column + 1) if mark is not None else None
        raise ValidationError(
            [
                Problem(
                    source,
                    row,
                    col,
                    Msg("not valid YAML: {error}", error=getattr(exc, "problem", None) or "syntax error"),
                    hint=Msg("check indentation and quoting on that line"),
                )
            ]
        ) from None
    except RecursionError:
        raise ValidationError(
            [
                Problem(
                    source,
                    None,
                    None,
                    Msg("the config refers to itself (a recursive YAML alias)"),
                    hint=Msg("remove the alias"),
                )
            ]
        ) from None
    finally:
        loader.dispose()
    problems = [
        Problem(
            source,
            line,
            None,
            Msg("duplicate key {key!r} (first on row {first})", key=key, first=first),
            hint=Msg("keep one of them: YAML would silently use the last"),
            value=None,
        )
        for key, first, line in loader.duplicates
    ]
    why = _too_big(raw)
    if why:
        problems.append(Problem(source, None, None, why, hint=Msg("see configs/zhugen.yaml for the shape of a config")))
        raise ValidationError(problems)
    if problems:
        try:
            parse_config(raw, source)
        except ValidationError as exc:  # everything in one pass
            problems += exc.problems
        raise ValidationError(problems)
    return raw


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file; every problem in one :class:`ValidationError`."""
    try:
        path = Path(path)
    except TypeError:
        raise ValidationError(
            [
                Problem(
                    repr(path),
                    None,
                    None,
                    Msg("the config path must be a file path"),
                    hint=Msg("give a str or pathlib.Path"),
                )
            ]
        ) from None
    text = read_config_text(path)
    return parse_config(parse_yaml(text, str(path)), str(path))


# What each config key means (rendered into docs/data.md by linkage_opt.inputs.docgen; a test keeps them in step).
KEY_DOCS: dict[str, str] = {
    "name": "Scenario name shown in reports.",
    "period": "Planning period, `YYYY-MM` (e.g. `2026-12`), in the years 1900-2199.",
    "data": "Folder of CSV files (`units.csv`, `needs.csv`, ...) or one `.xlsx` workbook with a sheet per table; relative to the config file.",
    "tables": "Optional per-table override: file name in the folder, or sheet name in the workbook, e.g. `{needs: needs_dec.csv}`.",
    "categories": "Need categories, keyed by name (letters, digits, `_`, `-`, Chinese).",
    "categories.<name>.label": "Chinese display name, e.g. 养老服务.",
    "categories.<name>.label_en": "English display name.",
    "categories.<name>.unit": "Unit of measure of needs in this category (hours, yuan, packages, ...).",
    "categories.<name>.weight": "Party-led priority weight (e.g. from `linkage-opt weights ahp`).",
    "categories.<name>.professional": "Professional category: volunteers with only the `general` skill may not serve it, and volunteer hours need social-worker supervision.",
    "categories.<name>.hours_per_unit": "Provider hours per unit of need for social workers and volunteers.",
    "categories.<name>.funds_per_unit": "Yuan per unit of need; when set, funds lots may serve this category directly.",
    "categories.<name>.items": "Goods items usable for this category and items per unit of need, e.g. `{rice_bag: 1}`.",
    "tag_multipliers": "Unit tag -> priority multiplier (product over a unit's tags; unlisted tags count 1).",
    "tier_multipliers": "Priority multiplier per tier; all three tiers must be given.",
    "reach.max_km.social_worker": "Default travel radius of social workers (km).",
    "reach.max_km.volunteer": "Default travel radius of volunteers (km).",
    "reach.max_km.organization": "Default service radius of organizations (km).",
    "reach.same_town_km": "Distance assumed between units of one town when either has no coordinates (other towns: unreachable).",
    "costs.travel_per_km": "Travel allowance in yuan per km per hour of service.",
    "costs.travel_overhead_per_km": "Extra provider hours per hour of service per km travelled.",
    "costs.volunteer_cost_per_hour": "Subsidy per volunteer hour paid by the district.",
    **{f"rules.{rule.KEY}.{k}": v for rule in RULES for k, v in rule.KEY_DOCS.items()},
    "rules.expiry.enabled": "Use lots that lapse soon first.",
    "rules.expiry.horizon_days": "Lots whose `expires` date falls within this many days of the period start count as expiring.",
    "rules.expiry.penalty_per_unit": "Cost-stage penalty per unit of an expiring lot left unused.",
    "objective.mode": "`lexicographic` (stage by stage) or `weighted` (one blended objective).",
    "objective.order": "Stage order for lexicographic mode, from `coverage`, `equity`, `cost`.",
    "objective.tolerance": "Relative slack when an earlier stage's optimum is fixed.",
    "objective.weights": "Weights of the terms in weighted mode (coverage and equity maximised, cost minimised).",
    "equity.mode": "`maxmin` (raise the lowest unit's weighted coverage ratio) or `floor` (minimise shortfalls below `floor`).",
    "equity.floor": "Equity floor for `floor` mode and for the `units below floor` figure.",
    "carry_over.enabled": "Carry unmet needs of the previous period into this one (`linkage-opt run`).",
    "carry_over.tiers": "Tiers whose unmet needs are carried.",
    "carry_over.cap": "Carry at most this share of a need row's original quantity.",
    "carry_over.months": "Window (periods) for the cumulative shortfall that raises a unit's priority.",
    "carry_over.shortfall_boost": "Unit multiplier = 1 + boost x cumulative weighted shortfall ratio.",
    "stability.enabled": "Keep volunteers and social workers with the units they served last period.",
    "stability.penalty_per_hour": "Cost-stage penalty per hour given in a new (provider, unit) pairing.",
    "stability.max_new_pairings": "Hard cap on new pairings (blank = no cap).",
    "solver.backend": "`highs` (default), `cbc`, `scip` or `cpsat` (any other name is an input error).",
    "solver.time_limit": "Seconds for the whole solve, from its start (model building, every stage, LP rounding, the diagnosis; split across stages): a wall for every backend (docs/operations.md, Time limits); more than 0 and at most 2,592,000 (30 days); blank = none.",
    "solver.mip_gap": "Relative MIP gap at which a stage counts as solved, from 0 to 1.",
    "solver.threads": "Solver threads, 1 to 1024 (blank = solver default).",
    "solver.seed": "Random seed, 0 to 2147483647 (fixed for reproducible plans).",
    "solver.log": "Show the solver's own log.",
    "solver.lp_rounding": "In each stage: solve the LP relaxation, restrict program instances (first stage: between the LP's value rounded down and rounded up, the MIP choosing which to round up, with organization engagement rounded up; later stages: fixed as the previous stage's plan has them), solve that smaller MIP, and use its plan as the start -- or as the stage's answer when it is already within `mip_gap` of the LP bound. `auto` does it for models of 20,000 columns or more (where HiGHS's own root is slow); `always`, `never`.",
    "dispatch.enabled": "Round the plan to amounts one can hand out (`linkage_opt/solving/dispatch.py`): people's hours per unit and category in multiples of `step`, at least `min_hours`; goods in whole items, money in whole yuan. Guaranteed needs, program inputs and indivisible cases keep their exact amounts (a fraction left by them stays with one person: an *odd amount*); what rounding down costs is in `summary.json` `dispatch`, and the objective figures are recomputed from the rounded plan.",
    "dispatch.step": "Hours are handed out in multiples of this (hours, more than 0, at most 24).",
    "dispatch.min_hours": "No person gets less than this many hours in a unit and category (or nothing).",
    "privacy.personal": "Input columns (headers as written, any table) that hold personal details -- names, phone numbers, addresses. They are shown only on the action sheets that need them (a volunteer's roster, the task sheet of the unit they go to, an organization's or donor's notice) and never in `report.html`, the CSVs, `summary.json`, logs or messages; `plan --redact` / `report --redact` write the sheets without them. Default: common Chinese and English names of such columns (`姓名`, `联系人`, `联系电话`, `电话`, `手机`, `phone`, `contact`, ...).",
    "timezone": "Time zone (IANA name) of the times shown in `report.html`, `plan.xlsx`, the action sheets and `runs show` (`runs list`, which reads no config, uses Asia/Shanghai); the ledger and `summary.json` keep UTC.",
    "solver.strong_linking": "Per-edge rows `x <= z` tying an organization's flows to its engagement: a tighter LP bound, but one row per edge. `auto` adds them while there are at most 20,000; `always`, `never`.",
    "solver.aggregate": "Merge identical volunteers (and charity lots) into classes before building the model; exact, and the plan lists every person and lot.",
}
