"""The scenario's table contract, declared once.

Every input table is described here: its columns, their types, whether they are required, their
defaults and their meaning. The loader validates against it, ``docs/data.md`` documents it, and the
input template (``linkage-opt template``) is generated from it. Chinese header aliases live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColType = Literal["id", "str", "float", "int", "bool", "list", "date", "enum"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    required: bool = False
    default: object = None
    doc: str = ""
    unit: str = ""
    min: float | None = None          # inclusive lower bound for numbers
    choices: tuple[str, ...] = ()     # for enum columns
    ref: str | None = None            # foreign key: "units", "organizations", "categories", "providers", "towns"
    aliases: tuple[str, ...] = ()     # accepted alternative headers (Chinese first)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: str | None = None            # primary key column (unique)
    optional: bool = False            # the whole table may be absent
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
                Column("unit_id", "id", True, doc="Unique unit code.", aliases=("单位编号", "社区编号", "编号")),
                Column("name", "str", True, doc="Unit name as planners know it (Chinese welcome).", aliases=("名称", "单位名称")),
                Column("name_en", "str", default="", doc="Name in English or pinyin, shown by English reports; blank = `name`.", aliases=("英文名称",)),
                Column("town", "str", True, doc="Town or street the unit belongs to.", aliases=("乡镇", "镇街")),
                Column("kind", "enum", True, choices=UNIT_KINDS, doc="`community` (urban) or `village` (rural).", aliases=("类型",)),
                Column("population", "int", True, min=0, doc="Resident population.", unit="persons", aliases=("人口",)),
                Column("lat", "float", doc="Latitude; with `lon`, places the unit for distances.", unit="degrees", aliases=("纬度",)),
                Column("lon", "float", doc="Longitude.", unit="degrees", aliases=("经度",)),
                Column("x_km", "float", doc="Planar x coordinate, an alternative to lat/lon.", unit="km", aliases=("横坐标公里", "x坐标")),
                Column("y_km", "float", doc="Planar y coordinate.", unit="km", aliases=("纵坐标公里", "y坐标")),
                Column("tags", "list", default="", doc="`;`-separated tags, e.g. `pilot;weak_party_org`; each tag's multiplier (config `tag_multipliers`) scales the unit's priority.", aliases=("标签",)),
                Column("party_capacity", "float", min=0, doc="Program instances the unit's party branch can coordinate per period; blank = no limit.", unit="instances", aliases=("党组织统筹能力",)),
            ),
            key="unit_id",
        ),
        Table(
            "needs",
            "What each unit needs this period, by category and tier.",
            (
                Column("need_id", "id", doc="Optional unique id; generated as `<unit_id>/<category>/<tier>` (with a row suffix if repeated) when blank.", aliases=("需求编号",)),
                Column("unit_id", "id", True, ref="units", doc="The unit in need.", aliases=("单位编号", "社区编号")),
                Column("category", "id", True, ref="categories", doc="A category defined in the config.", aliases=("类别", "服务类别")),
                Column("quantity", "float", True, min=0, doc="Amount needed, in the category's unit of measure.", aliases=("数量", "需求量")),
                Column("tier", "enum", default="basic", choices=TIERS, doc="`guaranteed` (must be met in full), `basic` or `improvement`.", aliases=("层级", "保障层级")),
                Column("indivisible", "bool", default=False, doc="True: one provider must serve the whole row (e.g. a household case paired with one worker).", aliases=("不可拆分",)),
            ),
            key="need_id",
        ),
        Table(
            "volunteers",
            "Community volunteers (社区志愿者) and their monthly hours.",
            (
                Column("volunteer_id", "id", True, doc="Unique id.", aliases=("志愿者编号",)),
                Column("home_unit", "id", True, ref="units", doc="Unit the volunteer lives in.", aliases=("所在单位",)),
                Column("hours", "float", True, min=0, doc="Hours available this period.", unit="hours", aliases=("时长", "可用时长")),
                Column("skills", "list", True, doc="`;`-separated categories the volunteer can serve, or `general` (any non-professional category).", aliases=("技能",)),
                Column("party_member", "bool", True, doc="Party-member volunteer (党员志愿者).", aliases=("党员",)),
                Column("max_km", "float", min=0, doc="Furthest the volunteer travels; blank = config `reach.max_km.volunteer`.", unit="km", aliases=("最远距离",)),
            ),
            key="volunteer_id",
            may_be_empty=True,
        ),
        Table(
            "social_workers",
            "Professional social workers (社会工作者).",
            (
                Column("worker_id", "id", True, doc="Unique id.", aliases=("社工编号",)),
                Column("base_unit", "id", True, ref="units", doc="Unit (or station) the worker is based in.", aliases=("驻点单位",)),
                Column("hours", "float", True, min=0, doc="Hours available this period.", unit="hours", aliases=("时长", "可用时长")),
                Column("skills", "list", True, doc="`;`-separated categories, or `general` (any category).", aliases=("技能",)),
                Column("org_id", "id", ref="organizations", doc="Employing organization, if any (reported; does not restrict service).", aliases=("所属机构",)),
                Column("max_units", "int", min=1, doc="Most units the worker may serve this period; blank = no limit.", aliases=("最多服务单位数",)),
                Column("cost_per_hour", "float", default=0.0, min=0, doc="Paid from the district budget per hour used.", unit="yuan/hour", aliases=("时薪",)),
                Column("max_km", "float", min=0, doc="Furthest the worker travels; blank = config `reach.max_km.social_worker`.", unit="km", aliases=("最远距离",)),
            ),
            key="worker_id",
            may_be_empty=True,
        ),
        Table(
            "organizations",
            "Social organizations (社会组织) that serve directly or run programs.",
            (
                Column("org_id", "id", True, doc="Unique id.", aliases=("机构编号",)),
                Column("name", "str", True, doc="Organization name.", aliases=("机构名称", "名称")),
                Column("name_en", "str", default="", doc="Name in English, shown by English reports; blank = `name`.", aliases=("英文名称",)),
                Column("base_unit", "id", True, ref="units", doc="Unit the organization is based in.", aliases=("所在单位",)),
                Column("capacity", "float", min=0, doc="Service capacity per period: direct service uses `load_per_unit` per unit of need, each program instance uses 1; blank = no limit.", aliases=("服务能力",)),
                Column("fixed_cost", "float", default=0.0, min=0, doc="Contract cost paid if the organization is engaged at all.", unit="yuan", aliases=("固定成本",)),
                Column("max_km", "float", min=0, doc="Furthest unit it serves; blank = config `reach.max_km.organization`.", unit="km", aliases=("最远距离",)),
                Column("skills", "list", default="", doc="`;`-separated categories it serves directly (blank: programs only).", aliases=("技能",)),
            ),
            key="org_id",
            may_be_empty=True,
        ),
        Table(
            "programs",
            "Service projects (服务项目) an organization can run inside a unit, in whole instances.",
            (
                Column("program_id", "id", True, doc="Unique id.", aliases=("项目编号",)),
                Column("name", "str", default="", doc="Project name as planners know it.", aliases=("项目名称", "名称")),
                Column("name_en", "str", default="", doc="Name in English, shown by English reports; blank = `name`.", aliases=("英文名称",)),
                Column("org_id", "id", True, ref="organizations", doc="Organization that runs it.", aliases=("机构编号",)),
                Column("category", "id", True, ref="categories", doc="Category its output serves.", aliases=("类别",)),
                Column("output_per_instance", "float", True, min=0, doc="Need served by one instance, in the category's unit.", aliases=("单次产出",)),
                Column("fixed_cost", "float", default=0.0, min=0, doc="Cost per instance (government purchase).", unit="yuan", aliases=("单次成本",)),
                Column("worker_hours", "float", default=0.0, min=0, doc="Social-worker hours per instance, allocated in the same unit.", unit="hours", aliases=("单次社工时长",)),
                Column("volunteer_hours", "float", default=0.0, min=0, doc="Volunteer hours per instance, allocated in the same unit.", unit="hours", aliases=("单次志愿者时长",)),
                Column("funds", "float", default=0.0, min=0, doc="Money per instance, from charity funds lots or the district budget.", unit="yuan", aliases=("单次资金",)),
                Column("max_per_unit", "int", min=0, doc="Most instances in one unit; blank = as many as the unit's need absorbs.", aliases=("单位上限",)),
                Column("eligible_units", "list", default="", ref="units", doc="`;`-separated unit ids where it may run; blank = every unit within the organization's reach.", aliases=("适用单位",)),
            ),
            key="program_id",
            optional=True,
            may_be_empty=True,
        ),
        Table(
            "charity",
            "Charity resources (慈善资源): donated funds and goods, in lots.",
            (
                Column("lot_id", "id", True, doc="Unique id.", aliases=("批次编号",)),
                Column("donor", "str", True, doc="Donor name.", aliases=("捐赠方",)),
                Column("kind", "enum", True, choices=LOT_KINDS, doc="`funds` (yuan) or `goods` (items).", aliases=("类型",)),
                Column("quantity", "float", True, min=0, doc="Yuan for funds, item count for goods.", aliases=("数量",)),
                Column("item", "str", default="", doc="For goods: the item, matched against categories' `items` in the config.", aliases=("物品",)),
                Column("category", "id", ref="categories", doc="Earmark: may serve only this category.", aliases=("定向类别",)),
                Column("town", "str", ref="towns", doc="Earmark: may serve only units in this town.", aliases=("定向乡镇",)),
                Column("unit_id", "id", ref="units", doc="Earmark: may serve only this unit.", aliases=("定向单位",)),
                Column("expires", "date", doc="Last day the lot can be used (YYYY-MM-DD, 1900-01-01 to 2199-12-31; blank = no expiry); lots lapsing soon are used first, a lot that lapsed before the period's first day is left out of the plan (with a warning).", aliases=("有效期",)),
            ),
            key="lot_id",
            optional=True,
            may_be_empty=True,
        ),
        Table(
            "reach",
            "Explicit provider-to-unit edges. A provider listed here may serve only the units listed for it.",
            (
                Column("provider_id", "id", True, ref="providers", doc="A volunteer, worker, organization or lot id.", aliases=("资源编号",)),
                Column("unit_id", "id", True, ref="units", doc="A unit it may serve.", aliases=("单位编号",)),
                Column("cost_per_unit", "float", min=0, doc="Cost per unit of need served; overrides the distance-derived cost.", unit="yuan", aliases=("单位成本",)),
                Column("load_per_unit", "float", min=0, doc="Provider capacity used per unit of need served; overrides the default.", unit="provider units", aliases=("单位占用",)),
            ),
            optional=True,
            may_be_empty=True,
        ),
    )
}

# Chinese names of the tables: accepted as sheet names in a workbook and as file stems in a folder
# (单位.csv), and used by the Chinese input template.
TABLE_LABELS: dict[str, str] = {
    "units": "单位", "needs": "需求", "volunteers": "志愿者", "social_workers": "社工",
    "organizations": "社会组织", "programs": "服务项目", "charity": "慈善资源", "reach": "服务范围",
}

# Chinese (and other) spellings accepted for enum values; the value on the right is what is stored.
CHOICE_ALIASES: dict[str, str] = {
    "兜底保障": "guaranteed", "兜底": "guaranteed", "保障": "guaranteed",
    "基本服务": "basic", "基本": "basic",
    "提升服务": "improvement", "提升": "improvement",
    "社区": "community", "村": "village", "村庄": "village",
    "资金": "funds", "物资": "goods",
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

# Each column's meaning in Chinese (the notes row of the Chinese input template); tests check that
# every column has one.
DOCS_ZH: dict[tuple[str, str], str] = {
    ("units", "unit_id"): "单位唯一编号。",
    ("units", "name"): "单位名称（社区或村）。",
    ("units", "name_en"): "英文或拼音名称，用于英文报告；留空则用名称。",
    ("units", "town"): "所属乡镇或街道。",
    ("units", "kind"): "社区（城市）或村（农村）。",
    ("units", "population"): "常住人口（人）。",
    ("units", "lat"): "纬度；与经度一起用于计算距离。",
    ("units", "lon"): "经度。",
    ("units", "x_km"): "平面横坐标（公里），可代替经纬度。",
    ("units", "y_km"): "平面纵坐标（公里）。",
    ("units", "tags"): "标签，用分号分隔，如 pilot;weak_party_org；配置中的标签系数会放大该单位的优先度。",
    ("units", "party_capacity"): "本月党组织可统筹的服务项目场次；留空表示不限。",
    ("needs", "need_id"): "需求编号，可留空（自动生成 单位/类别/层级）。",
    ("needs", "unit_id"): "有需求的单位编号。",
    ("needs", "category"): "服务类别，须为配置中定义的类别。",
    ("needs", "quantity"): "需求量，按该类别的计量单位。",
    ("needs", "tier"): "保障层级：兜底保障（必须全部满足）、基本服务或提升服务。",
    ("needs", "indivisible"): "是：整行需求须由同一个资源承担（如一户个案对应一名社工）。",
    ("volunteers", "volunteer_id"): "志愿者唯一编号。",
    ("volunteers", "home_unit"): "志愿者所在单位编号。",
    ("volunteers", "hours"): "本月可服务时长（小时）。",
    ("volunteers", "skills"): "可服务的类别，用分号分隔；general 表示任一非专业类别。",
    ("volunteers", "party_member"): "是否党员志愿者（是/否）。",
    ("volunteers", "max_km"): "最远服务距离（公里）；留空用配置默认值。",
    ("social_workers", "worker_id"): "社工唯一编号。",
    ("social_workers", "base_unit"): "社工驻点单位（或站点）编号。",
    ("social_workers", "hours"): "本月可服务时长（小时）。",
    ("social_workers", "skills"): "专业类别，用分号分隔；general 表示任一类别。",
    ("social_workers", "org_id"): "所属社会组织编号（仅用于报告，不限制服务）。",
    ("social_workers", "max_units"): "本月最多服务的单位数；留空表示不限。",
    ("social_workers", "cost_per_hour"): "每服务一小时由区级预算支付的费用（元/小时）。",
    ("social_workers", "max_km"): "最远服务距离（公里）；留空用配置默认值。",
    ("organizations", "org_id"): "社会组织唯一编号。",
    ("organizations", "name"): "社会组织名称。",
    ("organizations", "name_en"): "英文名称，用于英文报告；留空则用名称。",
    ("organizations", "base_unit"): "机构所在单位编号。",
    ("organizations", "capacity"): "本月服务能力：直接服务按每单位需求占用，每场服务项目占用 1；留空表示不限。",
    ("organizations", "fixed_cost"): "一旦承接服务即需支付的合同费用（元）。",
    ("organizations", "max_km"): "最远服务距离（公里）；留空用配置默认值。",
    ("organizations", "skills"): "可直接服务的类别，用分号分隔（留空：只承接服务项目）。",
    ("programs", "program_id"): "服务项目唯一编号。",
    ("programs", "name"): "服务项目名称。",
    ("programs", "name_en"): "英文名称，用于英文报告；留空则用名称。",
    ("programs", "org_id"): "承接项目的社会组织编号。",
    ("programs", "category"): "项目服务的类别。",
    ("programs", "output_per_instance"): "每场项目满足的需求量（按类别计量单位）。",
    ("programs", "fixed_cost"): "每场项目费用（政府购买，元）。",
    ("programs", "worker_hours"): "每场需要的社工时长（小时），在同一单位内安排。",
    ("programs", "volunteer_hours"): "每场需要的志愿者时长（小时），在同一单位内安排。",
    ("programs", "funds"): "每场需要的资金（元），来自慈善资金或区级预算。",
    ("programs", "max_per_unit"): "同一单位最多场次；留空表示按需求而定。",
    ("programs", "eligible_units"): "可开展的单位编号，用分号分隔；留空表示机构服务范围内的所有单位。",
    ("charity", "lot_id"): "批次唯一编号。",
    ("charity", "donor"): "捐赠方名称。",
    ("charity", "kind"): "资金（元）或物资（件）。",
    ("charity", "quantity"): "资金为元数，物资为件数。",
    ("charity", "item"): "物资名称，与配置中类别的 items 对应。",
    ("charity", "category"): "定向类别：只能用于该类别。",
    ("charity", "town"): "定向乡镇：只能用于该乡镇的单位。",
    ("charity", "unit_id"): "定向单位：只能用于该单位。",
    ("charity", "expires"): "有效期最后一天（YYYY-MM-DD，1900-01-01 至 2199-12-31；留空表示不过期）；临期批次优先使用，规划月份第一天之前已过期的批次不纳入方案（并给出警告）。",
    ("reach", "provider_id"): "志愿者、社工、社会组织或慈善批次编号。",
    ("reach", "unit_id"): "该资源可服务的单位编号。",
    ("reach", "cost_per_unit"): "每单位需求的服务成本（元），覆盖按距离计算的成本。",
    ("reach", "load_per_unit"): "每单位需求占用的资源能力，覆盖默认值。",
}
