"""The scenario's table contract, declared once.

Every input table is described here: its columns, their types, whether they are required, their
defaults and their meaning. The loader validates against it, ``docs/data.md`` documents it, and the
input template (``linkage-opt template``) is generated from it. Chinese header aliases and enum spellings
(accepted input, data) live here too; each column's ``doc`` is an English message id (``N_``) whose Chinese is
in the gettext catalog (the notes row of the Chinese input template, the loader's hints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .i18n import N_

ColType = Literal["id", "str", "float", "int", "bool", "list", "date", "enum"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    required: bool = False
    default: object = None
    doc: str = ""  # English, a message id (N_): its Chinese is in the catalog
    unit: str = ""
    min: float | None = None  # inclusive lower bound for numbers
    choices: tuple[str, ...] = ()  # for enum columns
    ref: str | None = None  # foreign key: "units", "organizations", "categories", "providers", "towns"
    aliases: tuple[str, ...] = ()  # accepted alternative headers (Chinese first)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: str | None = None  # primary key column (unique)
    optional: bool = False  # the whole table may be absent
    may_be_empty: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TIERS = ("guaranteed", "basic", "improvement")
UNIT_KINDS = ("community", "village")
LOT_KINDS = ("funds", "goods")
PROVIDER_KINDS = ("social_worker", "volunteer", "organization", "program", "charity")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "units",
            "Grassroots units: urban communities (社区) and rural villages (村).",
            (
                Column("unit_id", "id", True, doc=N_("Unique unit code."), aliases=("单位编号", "社区编号", "编号")),
                Column(
                    "name",
                    "str",
                    True,
                    doc=N_("Unit name as planners know it (Chinese welcome)."),
                    aliases=("名称", "单位名称"),
                ),
                Column(
                    "name_en",
                    "str",
                    default="",
                    doc=N_("Name in English or pinyin, shown by English reports; blank = `name`."),
                    aliases=("英文名称",),
                ),
                Column("town", "str", True, doc=N_("Town or street the unit belongs to."), aliases=("乡镇", "镇街")),
                Column(
                    "kind",
                    "enum",
                    True,
                    choices=UNIT_KINDS,
                    doc=N_("`community` (urban) or `village` (rural)."),
                    aliases=("类型",),
                ),
                Column(
                    "population", "int", True, min=0, doc=N_("Resident population."), unit="persons", aliases=("人口",)
                ),
                Column(
                    "lat",
                    "float",
                    doc=N_("Latitude; with `lon`, places the unit for distances."),
                    unit="degrees",
                    aliases=("纬度",),
                ),
                Column("lon", "float", doc=N_("Longitude."), unit="degrees", aliases=("经度",)),
                Column(
                    "x_km",
                    "float",
                    doc=N_("Planar x coordinate, an alternative to lat/lon."),
                    unit="km",
                    aliases=("横坐标公里", "x坐标"),
                ),
                Column("y_km", "float", doc=N_("Planar y coordinate."), unit="km", aliases=("纵坐标公里", "y坐标")),
                Column(
                    "tags",
                    "list",
                    default="",
                    doc=N_(
                        "`;`-separated tags, e.g. `pilot;weak_party_org`; each tag's multiplier (config `tag_multipliers`) scales the unit's priority."
                    ),
                    aliases=("标签",),
                ),
                Column(
                    "party_capacity",
                    "float",
                    min=0,
                    doc=N_("Program instances the unit's party branch can coordinate per period; blank = no limit."),
                    unit="instances",
                    aliases=("党组织统筹能力",),
                ),
            ),
            key="unit_id",
        ),
        Table(
            "needs",
            "What each unit needs this period, by category and tier.",
            (
                Column(
                    "need_id",
                    "id",
                    doc=N_(
                        "Optional unique id; generated as `<unit_id>/<category>/<tier>` (with a row suffix if repeated) when blank."
                    ),
                    aliases=("需求编号",),
                ),
                Column(
                    "unit_id", "id", True, ref="units", doc=N_("The unit in need."), aliases=("单位编号", "社区编号")
                ),
                Column(
                    "category",
                    "id",
                    True,
                    ref="categories",
                    doc=N_("A category defined in the config."),
                    aliases=("类别", "服务类别"),
                ),
                Column(
                    "quantity",
                    "float",
                    True,
                    min=0,
                    doc=N_("Amount needed, in the category's unit of measure."),
                    aliases=("数量", "需求量"),
                ),
                Column(
                    "tier",
                    "enum",
                    default="basic",
                    choices=TIERS,
                    doc=N_("`guaranteed` (must be met in full), `basic` or `improvement`."),
                    aliases=("层级", "保障层级"),
                ),
                Column(
                    "indivisible",
                    "bool",
                    default=False,
                    doc=N_(
                        "True: one provider must serve the whole row (e.g. a household case paired with one worker)."
                    ),
                    aliases=("不可拆分",),
                ),
            ),
            key="need_id",
        ),
        Table(
            "volunteers",
            "Community volunteers (社区志愿者) and their monthly hours.",
            (
                Column("volunteer_id", "id", True, doc=N_("Unique volunteer id."), aliases=("志愿者编号",)),
                Column(
                    "home_unit", "id", True, ref="units", doc=N_("Unit the volunteer lives in."), aliases=("所在单位",)
                ),
                Column(
                    "hours",
                    "float",
                    True,
                    min=0,
                    doc=N_("Hours available this period."),
                    unit="hours",
                    aliases=("时长", "可用时长"),
                ),
                Column(
                    "skills",
                    "list",
                    True,
                    doc=N_(
                        "`;`-separated categories the volunteer can serve, or `general` (any non-professional category)."
                    ),
                    aliases=("技能",),
                ),
                Column("party_member", "bool", True, doc=N_("Party-member volunteer (党员志愿者)."), aliases=("党员",)),
                Column(
                    "max_km",
                    "float",
                    min=0,
                    doc=N_("Furthest the volunteer travels; blank = config `reach.max_km.volunteer`."),
                    unit="km",
                    aliases=("最远距离",),
                ),
            ),
            key="volunteer_id",
            may_be_empty=True,
        ),
        Table(
            "social_workers",
            "Professional social workers (社会工作者).",
            (
                Column("worker_id", "id", True, doc=N_("Unique social worker id."), aliases=("社工编号",)),
                Column(
                    "base_unit",
                    "id",
                    True,
                    ref="units",
                    doc=N_("Unit (or station) the worker is based in."),
                    aliases=("驻点单位",),
                ),
                Column(
                    "hours",
                    "float",
                    True,
                    min=0,
                    doc=N_("Hours available this period."),
                    unit="hours",
                    aliases=("时长", "可用时长"),
                ),
                Column(
                    "skills",
                    "list",
                    True,
                    doc=N_("`;`-separated categories, or `general` (any category)."),
                    aliases=("技能",),
                ),
                Column(
                    "org_id",
                    "id",
                    ref="organizations",
                    doc=N_("Employing organization, if any (reported; does not restrict service)."),
                    aliases=("所属机构",),
                ),
                Column(
                    "max_units",
                    "int",
                    min=1,
                    doc=N_("Most units the worker may serve this period; blank = no limit."),
                    aliases=("最多服务单位数",),
                ),
                Column(
                    "cost_per_hour",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Paid from the district budget per hour used."),
                    unit="yuan/hour",
                    aliases=("时薪",),
                ),
                Column(
                    "max_km",
                    "float",
                    min=0,
                    doc=N_("Furthest the worker travels; blank = config `reach.max_km.social_worker`."),
                    unit="km",
                    aliases=("最远距离",),
                ),
            ),
            key="worker_id",
            may_be_empty=True,
        ),
        Table(
            "organizations",
            "Social organizations (社会组织) that serve directly or run programs.",
            (
                Column("org_id", "id", True, doc=N_("Unique organization id."), aliases=("机构编号",)),
                Column("name", "str", True, doc=N_("Organization name."), aliases=("机构名称", "名称")),
                Column(
                    "name_en",
                    "str",
                    default="",
                    doc=N_("Name in English, shown by English reports; blank = `name`."),
                    aliases=("英文名称",),
                ),
                Column(
                    "base_unit",
                    "id",
                    True,
                    ref="units",
                    doc=N_("Unit the organization is based in."),
                    aliases=("所在单位",),
                ),
                Column(
                    "capacity",
                    "float",
                    min=0,
                    doc=N_(
                        "Service capacity per period: direct service uses `load_per_unit` per unit of need, each program instance uses 1; blank = no limit."
                    ),
                    aliases=("服务能力",),
                ),
                Column(
                    "fixed_cost",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Contract cost paid if the organization is engaged at all."),
                    unit="yuan",
                    aliases=("固定成本",),
                ),
                Column(
                    "max_km",
                    "float",
                    min=0,
                    doc=N_("Furthest unit it serves; blank = config `reach.max_km.organization`."),
                    unit="km",
                    aliases=("最远距离",),
                ),
                Column(
                    "skills",
                    "list",
                    default="",
                    doc=N_("`;`-separated categories it serves directly (blank: programs only)."),
                    aliases=("技能",),
                ),
            ),
            key="org_id",
            may_be_empty=True,
        ),
        Table(
            "programs",
            "Service projects (服务项目) an organization can run inside a unit, in whole instances.",
            (
                Column("program_id", "id", True, doc=N_("Unique program id."), aliases=("项目编号",)),
                Column(
                    "name", "str", default="", doc=N_("Project name as planners know it."), aliases=("项目名称", "名称")
                ),
                Column(
                    "name_en",
                    "str",
                    default="",
                    doc=N_("Name in English, shown by English reports; blank = `name`."),
                    aliases=("英文名称",),
                ),
                Column(
                    "org_id",
                    "id",
                    True,
                    ref="organizations",
                    doc=N_("Organization that runs it."),
                    aliases=("机构编号",),
                ),
                Column(
                    "category", "id", True, ref="categories", doc=N_("Category its output serves."), aliases=("类别",)
                ),
                Column(
                    "output_per_instance",
                    "float",
                    True,
                    min=0,
                    doc=N_("Need served by one instance, in the category's unit."),
                    aliases=("单次产出",),
                ),
                Column(
                    "fixed_cost",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Cost per instance (government purchase)."),
                    unit="yuan",
                    aliases=("单次成本",),
                ),
                Column(
                    "worker_hours",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Social-worker hours per instance, allocated in the same unit."),
                    unit="hours",
                    aliases=("单次社工时长",),
                ),
                Column(
                    "volunteer_hours",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Volunteer hours per instance, allocated in the same unit."),
                    unit="hours",
                    aliases=("单次志愿者时长",),
                ),
                Column(
                    "funds",
                    "float",
                    default=0.0,
                    min=0,
                    doc=N_("Money per instance, from charity funds lots or the district budget."),
                    unit="yuan",
                    aliases=("单次资金",),
                ),
                Column(
                    "max_per_unit",
                    "int",
                    min=0,
                    doc=N_("Most instances in one unit; blank = as many as the unit's need absorbs."),
                    aliases=("单位上限",),
                ),
                Column(
                    "eligible_units",
                    "list",
                    default="",
                    ref="units",
                    doc=N_(
                        "`;`-separated unit ids where it may run; blank = every unit within the organization's reach."
                    ),
                    aliases=("适用单位",),
                ),
            ),
            key="program_id",
            optional=True,
            may_be_empty=True,
        ),
        Table(
            "charity",
            "Charity resources (慈善资源): donated funds and goods, in lots.",
            (
                Column("lot_id", "id", True, doc=N_("Unique lot id."), aliases=("批次编号",)),
                Column("donor", "str", True, doc=N_("Donor name."), aliases=("捐赠方",)),
                Column(
                    "kind",
                    "enum",
                    True,
                    choices=LOT_KINDS,
                    doc=N_("`funds` (yuan) or `goods` (items)."),
                    aliases=("类型",),
                ),
                Column(
                    "quantity", "float", True, min=0, doc=N_("Yuan for funds, item count for goods."), aliases=("数量",)
                ),
                Column(
                    "item",
                    "str",
                    default="",
                    doc=N_("For goods: the item, matched against categories' `items` in the config."),
                    aliases=("物品",),
                ),
                Column(
                    "category",
                    "id",
                    ref="categories",
                    doc=N_("Earmark: may serve only this category."),
                    aliases=("定向类别",),
                ),
                Column(
                    "town",
                    "str",
                    ref="towns",
                    doc=N_("Earmark: may serve only units in this town."),
                    aliases=("定向乡镇",),
                ),
                Column(
                    "unit_id", "id", ref="units", doc=N_("Earmark: may serve only this unit."), aliases=("定向单位",)
                ),
                Column(
                    "expires",
                    "date",
                    doc=N_(
                        "Last day the lot can be used (YYYY-MM-DD, 1900-01-01 to 2199-12-31; blank = no expiry); lots lapsing soon are used first, a lot that lapsed before the period's first day is left out of the plan (with a warning)."
                    ),
                    aliases=("有效期",),
                ),
            ),
            key="lot_id",
            optional=True,
            may_be_empty=True,
        ),
        Table(
            "reach",
            "Explicit provider-to-unit edges. A provider listed here may serve only the units listed for it.",
            (
                Column(
                    "provider_id",
                    "id",
                    True,
                    ref="providers",
                    doc=N_("A volunteer, worker, organization or lot id."),
                    aliases=("资源编号",),
                ),
                Column("unit_id", "id", True, ref="units", doc=N_("A unit it may serve."), aliases=("单位编号",)),
                Column(
                    "cost_per_unit",
                    "float",
                    min=0,
                    doc=N_("Cost per unit of need served; overrides the distance-derived cost."),
                    unit="yuan",
                    aliases=("单位成本",),
                ),
                Column(
                    "load_per_unit",
                    "float",
                    min=0,
                    doc=N_("Provider capacity used per unit of need served; overrides the default."),
                    unit="provider units",
                    aliases=("单位占用",),
                ),
            ),
            optional=True,
            may_be_empty=True,
        ),
    )
}

# Chinese names of the tables: accepted as sheet names in a workbook and as file stems in a folder
# (单位.csv), and used by the Chinese input template.
TABLE_LABELS: dict[str, str] = {
    "units": "单位",
    "needs": "需求",
    "volunteers": "志愿者",
    "social_workers": "社工",
    "organizations": "社会组织",
    "programs": "服务项目",
    "charity": "慈善资源",
    "reach": "服务范围",
}

# Chinese (and other) spellings accepted for enum values; the value on the right is what is stored.
CHOICE_ALIASES: dict[str, str] = {
    "兜底保障": "guaranteed",
    "兜底": "guaranteed",
    "保障": "guaranteed",
    "基本服务": "basic",
    "基本": "basic",
    "提升服务": "improvement",
    "提升": "improvement",
    "社区": "community",
    "村": "village",
    "村庄": "village",
    "资金": "funds",
    "物资": "goods",
}

# A row whose first cell starts with this is a comment (the notes row of the input template, say):
# it is skipped, and row numbers of the rows below stay those the spreadsheet shows.
COMMENT_PREFIX = "#"

# Order in which tables are loaded and documented.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

# The id column of each provider table, and the provider kind its rows are.
PROVIDER_TABLES: dict[str, tuple[str, str]] = {
    "social_workers": ("worker_id", "social_worker"),
    "volunteers": ("volunteer_id", "volunteer"),
    "organizations": ("org_id", "organization"),
    "charity": ("lot_id", "charity"),
}

# The `general` skill.
GENERAL = "general"
