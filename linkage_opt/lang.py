"""Languages of what linkage-opt writes for people: CLI messages, workbook headers, the HTML report.

Two languages, ``en`` and ``zh``, both complete: every key below carries both texts, and a test fails
when one is missing. The language comes from ``--lang`` or, failing that, the ``LINKAGE_OPT_LANG``
environment variable (``en`` when neither is set). Machine-read files (CSV headers, ``summary.json``
keys) stay in English so that scripts and ``linkage-opt check`` read every plan the same way.

    >>> t("plan.written", "zh", path="plans/x")
    '方案已写入 plans/x'
"""

from __future__ import annotations

import os
import re as _re

LANGS = ("en", "zh")
DEFAULT = "en"
ENV = "LINKAGE_OPT_LANG"


def resolve(lang: str | None = None) -> str:
    """The language to use: ``lang`` if given, else ``$LINKAGE_OPT_LANG``, else English."""
    value = (lang or os.environ.get(ENV) or DEFAULT).strip().lower()
    if value in ("cn", "zh-cn", "zh_cn", "chinese", "中文"):
        value = "zh"
    if value in ("english", "en-us", "en_us", "en-gb"):
        value = "en"
    if value not in LANGS:
        raise ValueError(f"unknown language {value!r}: use en or zh")
    return value


def t(key: str, lang: str | None = None, /, **kw) -> str:
    """The message ``key`` in ``lang``, formatted with ``kw``."""
    entry = MESSAGES[key]
    return entry[resolve(lang)].format(**kw)


def t_or(key: str, fallback: str, lang: str | None = None) -> str:
    """The message ``key`` in ``lang``, or ``fallback`` when there is no such message (an unknown status, say)."""
    return t(key, lang) if key in MESSAGES else fallback


def column(name: str, lang: str | None = None) -> str:
    """A human header for an output column (the machine name when none is known)."""
    entry = COLUMNS.get(name)
    return entry[resolve(lang)] if entry else name


def category_label(config, category: str, lang: str | None = None) -> str:
    """A category's name as planners know it: ``label`` (Chinese) or ``label_en`` from the config."""
    cat = getattr(config, "categories", {}).get(category)
    if cat is None:
        return category
    if resolve(lang) == "zh":
        return getattr(cat, "label", None) or category
    return getattr(cat, "label_en", None) or category


# Output columns, as headers of the workbook and the report.
COLUMNS: dict[str, dict[str, str]] = {
    "provider_kind": {"en": "Provider kind", "zh": "资源类型"},
    "provider_id": {"en": "Provider", "zh": "资源编号"},
    "provider_name": {"en": "Provider name", "zh": "资源名称"},
    "unit_id": {"en": "Unit ID", "zh": "单位编号"},
    "unit_name": {"en": "Unit", "zh": "单位名称"},
    "town": {"en": "Town", "zh": "乡镇"},
    "category": {"en": "Category", "zh": "服务类别"},
    "category_label": {"en": "Category name", "zh": "类别名称"},
    "need_id": {"en": "Need ID", "zh": "需求编号"},
    "program_id": {"en": "Program", "zh": "项目编号"},
    "org_id": {"en": "Organization", "zh": "机构编号"},
    "quantity": {"en": "Quantity", "zh": "数量"},
    "load": {"en": "Capacity used", "zh": "占用能力"},
    "cost": {"en": "Cost (yuan)", "zh": "费用（元）"},
    "tier": {"en": "Tier", "zh": "保障层级"},
    "need": {"en": "Need", "zh": "需求量"},
    "covered": {"en": "Covered", "zh": "已满足"},
    "unmet": {"en": "Unmet", "zh": "未满足"},
    "coverage_ratio": {"en": "Coverage ratio", "zh": "满足率"},
    "weight": {"en": "Weight", "zh": "权重"},
    "priority": {"en": "Priority", "zh": "优先度"},
    "capacity": {"en": "Capacity", "zh": "能力"},
    "used": {"en": "Used", "zh": "已用"},
    "utilization": {"en": "Utilisation", "zh": "利用率"},
    "fixed_cost": {"en": "Fixed cost (yuan)", "zh": "固定成本（元）"},
    "instances": {"en": "Instances", "zh": "场次"},
    "output": {"en": "Output", "zh": "产出"},
    "delivered": {"en": "Delivered", "zh": "实际服务量"},
    "reason_code": {"en": "Reason code", "zh": "原因代码"},
    "reason": {"en": "Why", "zh": "原因"},
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "optimized": {"en": "Optimized plan", "zh": "优化方案"},
    "baseline": {"en": "Rule of thumb", "zh": "经验分配"},
}

TIER_LABELS = {
    "guaranteed": {"en": "guaranteed", "zh": "兜底保障"},
    "basic": {"en": "basic", "zh": "基本服务"},
    "improvement": {"en": "improvement", "zh": "提升服务"},
}

KIND_LABELS = {
    "social_worker": {"en": "social worker", "zh": "社工"},
    "volunteer": {"en": "volunteer", "zh": "志愿者"},
    "organization": {"en": "organization", "zh": "社会组织"},
    "program": {"en": "program", "zh": "服务项目"},
    "charity": {"en": "charity lot", "zh": "慈善资源"},
    "budget": {"en": "district budget", "zh": "区级预算"},
    "community": {"en": "community", "zh": "社区"},
    "village": {"en": "village", "zh": "村"},
    "funds": {"en": "funds", "zh": "资金"},
    "goods": {"en": "goods", "zh": "物资"},
}


UOM_ZH = {"hours": "小时", "yuan": "元", "items": "件", "households": "户", "persons": "人", "sessions": "场次",
          "packages": "份", "cases": "例"}


def uom(name: str, lang: str | None = None) -> str:
    """A unit of measure (``hours``) in ``lang``."""
    return UOM_ZH.get(name, name) if resolve(lang) == "zh" else name


def tier(name: str, lang: str | None = None) -> str:
    entry = TIER_LABELS.get(name)
    return entry[resolve(lang)] if entry else name


def kind(name: str, lang: str | None = None) -> str:
    entry = KIND_LABELS.get(name)
    return entry[resolve(lang)] if entry else name


def plural(count: int, word: str, lang: str | None = None, plural_word: str | None = None) -> str:
    """``3 units`` in English, ``3 个单位`` in Chinese (``word`` is a MESSAGES key prefix ``n.``)."""
    entry = MESSAGES[f"n.{word}"]
    if resolve(lang) == "zh":
        return f"{count:,} {entry['zh']}"
    one, many = entry["en"].split("|")
    return f"{count:,} {one if count == 1 else many}"


# CLI and report messages.
MESSAGES: dict[str, dict[str, str]] = {
    # errors and exit paths
    "err.problems": {"en": "{n} input problem{s} found", "zh": "发现 {n} 处输入问题"},
    "err.infeasible": {"en": "No plan can satisfy every requirement.", "zh": "没有任何方案能同时满足全部要求。"},
    "err.error": {"en": "error:", "zh": "错误："},
    "err.internal": {"en": "internal error:", "zh": "内部错误："},
    "err.warning": {"en": "warning:", "zh": "警告："},
    "err.report": {"en": "Please report this with the command you ran.", "zh": "请连同所运行的命令一起报告此问题。"},
    "err.interrupted": {"en": "interrupted; nothing was written", "zh": "已中断；未写入任何文件"},
    "err.not_a_plan_out": {"en": "{path} exists and is not a linkage-opt plan; choose another --out or pass --force",
                           "zh": "{path} 已存在且不是 linkage-opt 方案文件夹；请换一个 --out 或加 --force"},
    "err.not_plan_dir": {"en": "not a linkage-opt plan folder (no summary.json)",
                         "zh": "不是 linkage-opt 方案文件夹（没有 summary.json）"},
    "err.not_plan_dir_hint": {"en": "give the --out folder of `linkage-opt plan`",
                              "zh": "请给出 `linkage-opt plan` 的 --out 文件夹"},
    "err.no_explanations": {"en": "this plan has no explanations.csv; re-run `linkage-opt plan`",
                            "zh": "该方案没有 explanations.csv；请重新运行 `linkage-opt plan`"},
    "err.no_config": {"en": "give --config: the plan does not record its config",
                      "zh": "请给出 --config：该方案没有记录配置文件"},
    "err.bad_lang": {"en": "unknown language {value!r}: use en or zh", "zh": "未知语言 {value!r}：请用 en 或 zh"},
    # problem locations
    "loc.sheet": {"en": " [sheet {sheet}]", "zh": "［工作表 {sheet}］"},
    "loc.row": {"en": ", row {row}", "zh": "，第 {row} 行"},
    "loc.column": {"en": ", column {column}", "zh": "，列 {column}"},
    "loc.value": {"en": " (value: {value})", "zh": "（值：{value}）"},
    "loc.hint": {"en": " -- hint: {hint}", "zh": " —— 提示：{hint}"},
    "loc.sep": {"en": ": ", "zh": "："},
    # validate
    "validate.ok": {"en": "[green]OK[/]: the scenario is valid.", "zh": "[green]通过[/]：场景数据有效。"},
    "sum.scenario": {"en": "[bold]Scenario {name}[/] · period {period}", "zh": "[bold]场景 {name}[/] · 规划月份 {period}"},
    "sum.units_title": {"en": "Units: {total} ({communities}, {villages})", "zh": "单位：{total} 个（{communities}，{villages}）"},
    "sum.town": {"en": "town", "zh": "乡镇"},
    "sum.communities": {"en": "communities", "zh": "社区"},
    "sum.villages": {"en": "villages", "zh": "村"},
    "sum.population": {"en": "population", "zh": "人口"},
    "sum.total": {"en": "total", "zh": "合计"},
    "sum.no_coords": {"en": "{units} without coordinates: reachable within their town only",
                      "zh": "{units}没有坐标：只能由本乡镇内的资源服务"},
    "sum.needs_tier_title": {"en": "Needs by tier: {rows} in {units}", "zh": "按层级的需求：{units}共 {rows}"},
    "sum.tier": {"en": "tier", "zh": "层级"},
    "sum.rows": {"en": "rows", "zh": "行数"},
    "sum.units": {"en": "units", "zh": "单位数"},
    "sum.indivisible": {"en": "indivisible", "zh": "不可拆分"},
    "sum.needs_cat_title": {"en": "Needs by category (in the category's unit)", "zh": "按类别的需求（按类别计量单位）"},
    "sum.category": {"en": "category", "zh": "类别"},
    "sum.unit": {"en": "unit", "zh": "计量单位"},
    "sum.providers": {"en": "Providers", "zh": "服务资源"},
    "sum.kind": {"en": "kind", "zh": "类型"},
    "sum.count": {"en": "count", "zh": "数量"},
    "sum.hours": {"en": "hours", "zh": "时长"},
    "sum.volunteers": {"en": "volunteers", "zh": "志愿者"},
    "sum.party": {"en": "  of whom party members", "zh": "  其中党员"},
    "sum.workers": {"en": "social workers", "zh": "社工"},
    "sum.orgs": {"en": "organizations ({n} serving directly)", "zh": "社会组织（{n} 个直接服务）"},
    "sum.programs": {"en": "programs", "zh": "服务项目"},
    "sum.charity_title": {"en": "Charity: {lots}", "zh": "慈善资源：{lots}"},
    "sum.resource": {"en": "resource", "zh": "资源"},
    "sum.lots": {"en": "lots", "zh": "批次"},
    "sum.quantity": {"en": "quantity", "zh": "数量"},
    "sum.funds": {"en": "funds (yuan)", "zh": "资金（元）"},
    "sum.goods": {"en": "goods: {item}", "zh": "物资：{item}"},
    "sum.earmarked": {"en": "{earmarked} earmarked, {expiring} with an expiry date",
                      "zh": "{earmarked}有定向用途，{expiring}有有效期"},
    "sum.reach": {"en": "Reach: {rows} for {providers}", "zh": "服务范围：{providers}共 {rows}"},
    "sum.reach_default": {"en": " (reach follows distance, skills and earmarks)", "zh": "（服务范围按距离、技能和定向用途确定）"},
    "n.unit": {"en": "unit|units", "zh": "个单位"},
    "n.community": {"en": "community|communities", "zh": "个社区"},
    "n.village": {"en": "village|villages", "zh": "个村"},
    "n.row": {"en": "row|rows", "zh": "行"},
    "n.lot": {"en": "lot|lots", "zh": "个批次"},
    "n.provider": {"en": "provider|providers", "zh": "个资源"},
    "n.reach_row": {"en": "explicit provider-unit row|explicit provider-unit rows", "zh": "条指定服务关系"},
    # plan
    "plan.loading": {"en": "loading scenario", "zh": "正在读取场景"},
    "plan.explaining": {"en": "explaining unmet needs", "zh": "正在分析未满足的需求"},
    "plan.output_skipped": {"en": "{output} not written: it needs about {estimated_s} s and {left_s} s of the time "
                                  "limit's margin were left; make it with: {later}",
                            "zh": "未生成 {output}：约需 {estimated_s} 秒，时限余量仅剩 {left_s} 秒；之后可用此命令生成：{later}"},
    "plan.baseline": {"en": "computing the rule-of-thumb baseline", "zh": "正在计算经验分配基线"},
    "plan.workbook": {"en": "writing the workbook and report", "zh": "正在生成工作簿和报告"},
    "plan.writing": {"en": "writing the plan", "zh": "正在写入方案"},
    "plan.title": {"en": "Plan {scenario} · {period}", "zh": "方案 {scenario} · {period}"},
    "plan.status": {"en": "status", "zh": "求解状态"},
    "plan.coverage": {"en": "weighted coverage", "zh": "加权满足率"},
    "plan.guaranteed": {"en": "guaranteed needs met", "zh": "兜底保障需求已满足"},
    "plan.min_ratio": {"en": "min unit coverage ratio", "zh": "最低单位满足率"},
    "plan.below_floor": {"en": "units below equity floor", "zh": "低于公平底线的单位数"},
    "plan.money": {"en": "money spent (yuan)", "zh": "资金支出（元）"},
    "plan.idle": {"en": "idle volunteer/worker hours", "zh": "志愿者/社工闲置时长"},
    "plan.stage_bound_gap": {"en": "final stage / bound / gap", "zh": "最终阶段 / 最优界 / 间隙"},
    "plan.kept": {"en": "stages stopped by the time limit", "zh": "受时间上限影响的阶段"},
    "plan.kept_time_limit": {"en": "{stage}: kept the plan it started from", "zh": "{stage}：沿用起始方案"},
    "plan.kept_skipped": {"en": "{stage}: not run (no time left)", "zh": "{stage}：未运行（时间已用尽）"},
    "plan.times": {"en": "load / build / solve / write (s)", "zh": "读取 / 建模 / 求解 / 写入（秒）"},
    "plan.model": {"en": "model", "zh": "模型规模"},
    "plan.model_size": {"en": "{vars} vars, {rows} rows, {ints} integer", "zh": "{vars} 个变量，{rows} 个约束，{ints} 个整数变量"},
    "plan.written": {"en": "Plan written to [bold]{path}[/]", "zh": "方案已写入 [bold]{path}[/]"},
    "plan.rule_best": {"en": "note: no plan better than the repaired rule of thumb was found in the time given; it is the plan",
                       "zh": "提示：在给定时间内未找到优于修正后经验做法的方案，本方案即修正后的经验做法"},
    "status.optimal": {"en": "optimal", "zh": "最优"},
    "status.feasible": {"en": "feasible (time limit; see gap)", "zh": "可行（达到时间上限，见间隙）"},
    "status.infeasible": {"en": "infeasible", "zh": "不可行"},
    "status.failed": {"en": "failed", "zh": "失败"},
    "status.not run": {"en": "not run", "zh": "未运行"},
    "stage.coverage": {"en": "coverage", "zh": "覆盖"},
    "stage.equity": {"en": "equity", "zh": "公平"},
    "stage.cost": {"en": "cost", "zh": "成本"},
    "stage.weighted": {"en": "weighted", "zh": "加权"},
    # baseline
    "base.title": {"en": "Optimized plan vs rule of thumb", "zh": "优化方案与经验分配对比"},
    "base.metric": {"en": "metric", "zh": "指标"},
    "base.optimized": {"en": "optimized", "zh": "优化方案"},
    "base.rule": {"en": "rule of thumb", "zh": "经验分配"},
    "base.difference": {"en": "difference", "zh": "差值"},
    "metric.weighted_coverage": {"en": "weighted coverage", "zh": "加权满足率"},
    "metric.guaranteed_met": {"en": "guaranteed needs met", "zh": "兜底保障需求已满足"},
    "metric.guaranteed_needs": {"en": "guaranteed needs", "zh": "兜底保障需求数"},
    "metric.units_below_equity_floor": {"en": "units below equity floor", "zh": "低于公平底线的单位数"},
    "metric.min_unit_ratio": {"en": "lowest unit coverage ratio", "zh": "最低单位满足率"},
    "metric.idle_hours": {"en": "idle volunteer/worker hours", "zh": "志愿者/社工闲置时长"},
    "metric.unmet_need_rows": {"en": "needs not fully met", "zh": "未完全满足的需求数"},
    "metric.money": {"en": "money spent (yuan)", "zh": "资金支出（元）"},
    "metric.status": {"en": "status", "zh": "求解状态"},
    # explain
    "explain.unmet_title": {"en": "Unmet needs ({n})", "zh": "未满足的需求（{n} 项）"},
    "explain.unit": {"en": "unit", "zh": "单位"},
    "explain.category": {"en": "category", "zh": "类别"},
    "explain.tier": {"en": "tier", "zh": "层级"},
    "explain.unmet_need": {"en": "unmet / need", "zh": "未满足 / 需求"},
    "explain.why": {"en": "why", "zh": "原因"},
    "explain.mv_title": {"en": "Marginal value of more capacity (weighted coverage)",
                         "zh": "增加能力的边际价值（加权满足率）"},
    "explain.mv_none": {"en": "no extra hour, yuan or item would raise the weighted coverage",
                        "zh": "增加任何时长、资金或物资都不会提高加权满足率"},
    "explain.group": {"en": "group", "zh": "资源组"},
    "explain.members": {"en": "members", "zh": "人数"},
    "explain.per": {"en": "per extra", "zh": "每增加"},
    "explain.effect": {"en": "effect", "zh": "效果"},
    # check
    "check.violations": {"en": "[red]{n} violation(s)[/]", "zh": "[red]发现 {n} 处违反[/]"},
    "check.ok": {"en": "[green]OK[/]: every capacity, reach, skill, earmark, guarantee and rule holds; "
                       "the summary's objective terms recompute from the tables.",
                 "zh": "[green]通过[/]：所有能力、服务范围、技能、定向用途、兜底保障和联动规则均满足；"
                       "汇总中的目标值可由各表重新算出。"},
    # whatif
    "whatif.planning": {"en": "planning variants", "zh": "正在计算各个方案变体"},
    "whatif.title": {"en": "What-if: change against the base plan", "zh": "假设分析：与基准方案相比的变化"},
    "whatif.variant": {"en": "variant", "zh": "变体"},
    "whatif.status": {"en": "status", "zh": "状态"},
    "whatif.pt": {"en": "pt", "zh": "个百分点"},
    "whatif.base": {"en": "base", "zh": "基准方案"},
    "whatif.was": {"en": "base", "zh": "基准"},
    "whatif.own_score": {"en": "weighted score (own weights)", "zh": "加权得分（各自权重）"},
    # sweep
    "sweep.running": {"en": "planning variants", "zh": "正在计算各个变体"},
    "sweep.title": {"en": "Sweep: {n} variants", "zh": "多方案扫描：共 {n} 个变体"},
    "sweep.col.variant": {"en": "#", "zh": "序号"},
    "sweep.col.changes": {"en": "changes", "zh": "修改"},
    "sweep.col.status": {"en": "status", "zh": "状态"},
    "sweep.col.coverage": {"en": "weighted coverage", "zh": "加权满足率"},
    "sweep.col.rule": {"en": "rule of thumb", "zh": "经验分配"},
    "sweep.col.min_ratio": {"en": "lowest unit", "zh": "最低单位"},
    "sweep.col.guaranteed": {"en": "guaranteed met", "zh": "兜底已满足"},
    "sweep.col.money": {"en": "money (yuan)", "zh": "资金（元）"},
    "sweep.col.gap": {"en": "gap", "zh": "间隙"},
    "sweep.col.seconds": {"en": "s", "zh": "秒"},
    "sweep.reused_mark": {"en": " (reused)", "zh": "（复用）"},
    "sweep.more": {"en": "{n} more variants in sweep.csv", "zh": "另有 {n} 个变体，见 sweep.csv"},
    "sweep.counts": {"en": "{n} variants: {solved} solved, {reused} reused, {failed} failed; {seconds} s",
                     "zh": "共 {n} 个变体：求解 {solved} 个，复用 {reused} 个，失败 {failed} 个；用时 {seconds} 秒"},
    "sweep.worker": {"en": "worker {worker}: {n} variants, peak memory {mb} MB",
                     "zh": "计算节点 {worker}：{n} 个变体，内存峰值 {mb} MB"},
    "sweep.robustness": {"en": "Robustness: {samples} samples (weights within ±{pctw}); {changing} of {units} units change "
                               "rank in some sample; widest range of a unit's coverage {widest}",
                         "zh": "稳健性：共 {samples} 个样本（权重变动不超过 ±{pctw}）；{units} 个单位中有 {changing} 个在某些样本中"
                               "排名变化；单位满足率的最大变动幅度 {widest}"},
    "sweep.robust_unit": {"en": "  {unit}: {lo} .. {hi} (base {base}); rank {rank} ({worst}..{best})",
                          "zh": "  {unit}：{lo} .. {hi}（基准 {base}）；排名 {rank}（{worst}..{best}）"},
    "sweep.written": {"en": "Sweep written to [bold]{path}[/] (sweep.csv, sweep.xlsx, sweep.html)",
                      "zh": "扫描结果已写入 [bold]{path}[/]（sweep.csv、sweep.xlsx、sweep.html）"},
    "sweep.interrupted": {"en": "interrupted; the {n} finished variants are kept in {path} (a re-run reuses them)",
                          "zh": "已中断；已完成的 {n} 个变体保存在 {path} 中（重新运行时会复用）"},
    # generate
    "generate.running": {"en": "generating", "zh": "正在生成"},
    "generate.wrote": {"en": "wrote [bold]{path}[/]; plan it with: linkage-opt plan {path}",
                       "zh": "已写入 [bold]{path}[/]；用以下命令规划：linkage-opt plan {path}"},
    # weights
    "ahp.lambda_max": {"en": "lambda_max", "zh": "最大特征值 λmax"},
    "ahp.consistency index CI": {"en": "consistency index CI", "zh": "一致性指标 CI"},
    "ahp.random index RI": {"en": "random index RI", "zh": "随机一致性指标 RI"},
    "ahp.consistency ratio CR": {"en": "consistency ratio CR", "zh": "一致性比率 CR"},
    "ahp.title": {"en": "AHP weights", "zh": "层次分析法（AHP）权重"},
    "ahp.refused": {"en": "[red]refused:[/] consistency ratio {cr:.3f} exceeds {threshold:g}; "
                          "revise the most inconsistent judgements:",
                    "zh": "[red]拒绝：[/]一致性比率 {cr:.3f} 超过 {threshold:g}；请修改最不一致的判断："},
    "ahp.pair": {"en": "  - {a} vs {b}: judged {given:.3g}, the other judgements imply {implied:.3g} ({ratio:.2f}x off)",
                 "zh": "  - {a} 对 {b}：判断为 {given:.3g}，其他判断推出 {implied:.3g}（相差 {ratio:.2f} 倍）"},
    "ahp.written": {"en": "weights written to [bold]{path}[/]", "zh": "权重已写入 [bold]{path}[/]"},
    # template and report
    "template.written": {"en": "template written to [bold]{path}[/]: fill it in, set `data: {name}` in a config, "
                                "then run linkage-opt validate",
                         "zh": "模板已写入 [bold]{path}[/]：填写后在配置文件中设置 `data: {name}`，"
                               "再运行 linkage-opt validate"},
    "report.written": {"en": "report written to [bold]{path}[/]", "zh": "报告已写入 [bold]{path}[/]"},
    "run.recorded": {"en": "recorded as run [bold]{run_id}[/] ({status})", "zh": "已记录为运行 [bold]{run_id}[/]（{status}）"},
    "run.where": {"en": " in [bold]{path}[/]", "zh": "，位于 [bold]{path}[/]"},
    "run.published": {"en": "run [bold]{run_id}[/]: {status}, published{where}", "zh": "运行 [bold]{run_id}[/]：{status}，已发布{where}"},
    "run.reused": {"en": "run [bold]{run_id}[/]{where}", "zh": "运行 [bold]{run_id}[/]{where}"},
    "runs.interrupted": {"en": "interrupted; the run is recorded as failed and nothing was published",
                         "zh": "已中断；该运行记录为失败，未发布任何方案"},
    "runs.none": {"en": "no runs recorded in {runs}", "zh": "{runs} 中没有运行记录"},
    "runs.title": {"en": "Runs in {runs}  (★ published)", "zh": "{runs} 中的运行（★ 已发布）"},
    "runs.col.run": {"en": "run", "zh": "运行"},
    "runs.col.state": {"en": "state", "zh": "状态"},
    "runs.col.started": {"en": "started", "zh": "开始时间"},
    "runs.col.exit": {"en": "exit", "zh": "退出码"},
    "runs.col.inputs": {"en": "inputs", "zh": "输入"},
    "runs.col.message": {"en": "message", "zh": "信息"},
    "runs.run": {"en": "Run {run_id}", "zh": "运行 {run_id}"},
    "runs.row.state": {"en": "state", "zh": "状态"},
    "runs.row.period_revision": {"en": "period / revision", "zh": "规划月份 / 版本"},
    "runs.row.started_finished": {"en": "started / finished (UTC)", "zh": "开始 / 结束（UTC）"},
    "runs.row.took": {"en": "took (s)", "zh": "用时（秒）"},
    "runs.row.exit_code": {"en": "exit code", "zh": "退出码"},
    "runs.row.plan_folder": {"en": "plan folder", "zh": "方案文件夹"},
    "runs.row.config": {"en": "config", "zh": "配置文件"},
    "runs.row.fingerprint": {"en": "input fingerprint", "zh": "输入指纹"},
    "runs.row.inputs": {"en": "inputs", "zh": "输入文件"},
    "runs.row.solver": {"en": "solver", "zh": "求解器"},
    "runs.row.package_version": {"en": "package version", "zh": "软件版本"},
    "runs.row.history": {"en": "history used", "zh": "使用的历史"},
    "runs.row.process": {"en": "process", "zh": "进程"},
    "runs.row.message": {"en": "message", "zh": "信息"},
    "runs.row.weighted_coverage": {"en": "weighted coverage", "zh": "加权满足率"},
    "runs.row.guaranteed": {"en": "guaranteed needs met", "zh": "兜底保障需求已满足"},
    "runs.row.min_ratio": {"en": "min unit coverage ratio", "zh": "最低单位满足率"},
    "runs.row.money": {"en": "money (yuan)", "zh": "资金（元）"},
    "runs.row.stability": {"en": "stability", "zh": "稳定性"},
    "runs.row.files": {"en": "files", "zh": "文件"},
    "runs.not_present": {"en": "  (not present)", "zh": "（不存在）"},
    "runs.published_mark": {"en": "  ★ published", "zh": "  ★ 已发布"},
    "runs.history_value": {"en": "previous plan {previous}; coverage of {coverage}",
                           "zh": "上期方案 {previous}；满足率参考 {coverage}"},
    "runs.process_value": {"en": "pid {pid} on {host}", "zh": "进程 {pid}，主机 {host}"},
    "runs.stability_value": {"en": "{kept} pairings kept, {changed} changed", "zh": "保留 {kept} 个结对，变更 {changed} 个"},
    "runs.files_ok": {"en": "all intact", "zh": "全部完好"},
    "runs.files_bad": {"en": "  (runs restore rebuilds from the ledger)", "zh": "（runs restore 可从台账重建）"},
    "runs.published": {"en": "[green]published[/] {run_id} for {period} ({path})", "zh": "[green]已发布[/] {run_id}，规划月份 {period}（{path}）"},
    "runs.restored": {"en": "[green]restored[/] {run_id} into {path} ({n} files, sha256 verified)",
                      "zh": "[green]已恢复[/] {run_id} 到 {path}（{n} 个文件，sha256 已核对）"},
    "diff.headline": {"en": "Headline figures", "zh": "核心指标"},
    "diff.figure": {"en": "figure", "zh": "指标"},
    "diff.change": {"en": "change", "zh": "变化"},
    "diff.coverage": {"en": "Coverage by unit and category: {n} changed", "zh": "各单位分类别满足情况：{n} 项有变化"},
    "diff.cov.0": {"en": "unit", "zh": "单位"},
    "diff.cov.1": {"en": "category", "zh": "类别"},
    "diff.cov.2": {"en": "need A→B", "zh": "需求 A→B"},
    "diff.cov.3": {"en": "covered A", "zh": "已满足 A"},
    "diff.cov.4": {"en": "covered B", "zh": "已满足 B"},
    "diff.cov.5": {"en": "Δ covered", "zh": "满足量变化"},
    "diff.cov.6": {"en": "ratio A→B", "zh": "满足率 A→B"},
    "diff.providers": {"en": "Capacity used by provider: {n} changed", "zh": "各资源已用能力：{n} 项有变化"},
    "diff.prov.0": {"en": "kind", "zh": "类型"},
    "diff.prov.1": {"en": "provider", "zh": "资源"},
    "diff.prov.2": {"en": "capacity", "zh": "能力"},
    "diff.prov.3": {"en": "used A", "zh": "已用 A"},
    "diff.prov.4": {"en": "used B", "zh": "已用 B"},
    "diff.prov.5": {"en": "Δ used", "zh": "已用变化"},
    "diff.only_in": {"en": " (only in {side})", "zh": "（仅在 {side} 中）"},
    "diff.unlimited": {"en": "unlimited", "zh": "不限"},
    "diff.pairings": {"en": "Pairings: {added} added, {removed} removed, {kept} kept",
                      "zh": "结对：新增 {added}，取消 {removed}，保留 {kept}"},
    "diff.more": {"en": "{n} more (--limit, or --json for all)", "zh": "还有 {n} 行（用 --limit，或 --json 查看全部）"},
    "diff.in_words": {"en": "What changed, in words", "zh": "变化说明"},
    "files.written": {"en": "also written: {files}", "zh": "同时写入：{files}"},
}


# ---------------------------------------------------------------------------------------------------
# Input problems in Chinese. The loader words its messages in English (they are also what the library
# raises); for ``--lang zh`` each message and hint is translated here, segment by segment, by pattern.
# A segment no pattern knows is shown as it is: tests/test_lang.py runs the broken-input corpus in
# Chinese and fails on any untranslated segment.
# ---------------------------------------------------------------------------------------------------


_Q = r"(?P<{}>'[^']*'|\"[^\"]*\"|\S+)"


def _p(pattern: str) -> _re.Pattern:
    for name in ("v", "w", "x", "y", "z"):
        pattern = pattern.replace("{" + name + "}", _Q.format(name))
    return _re.compile(pattern + r"\Z", _re.S)


PROBLEMS_ZH: list[tuple[_re.Pattern, str]] = [(_p(a), b) for a, b in (
    # limits (docs/operations.md, "Limits"), file kinds, strict reading
    (r"the cell is longer than (?P<n>[\d,]+) characters \((?P<m>[\d,]+)\)", "单元格超过 {n} 个字符（实际 {m} 个）"),
    (r"a cell is longer than (?P<n>[\d,]+) characters", "有单元格超过 {n} 个字符"),
    (r"shorten it: a cell holds at most (?P<n>[\d,]+) characters", "请缩短：一个单元格最多 {n} 个字符"),
    (r"shorten it \(a cell holds at most (?P<n>[\d,]+) characters\)", "请缩短（一个单元格最多 {n} 个字符）"),
    (r"a quote that is never closed also makes the rest of the file one cell", "未闭合的引号也会让文件其余部分变成一个单元格"),
    (r"this is not the (?P<t>\w+) table: none of its column headers is a (?P<t2>\w+) column",
     "这不是 {t} 表：没有一个列名是 {t2} 表的列"),
    (r"check which file the config names", "请检查配置文件指定的是哪个文件"),
    (r"the table has more than (?P<n>[\d,]+) rows", "该表超过 {n} 行"),
    (r"the table has more than (?P<n>[\d,]+) cells", "该表超过 {n} 个单元格"),
    (r"the row has a value in column (?P<c>[\d,]+), past the limit of (?P<n>[\d,]+) columns",
     "该行第 {c} 列有值，超过 {n} 列的上限"),
    (r"split the table, or remove the empty rows at its end", "请拆分该表，或删除表末尾的空行"),
    (r"split the table", "请拆分该表"),
    (r"remove the cells far to the right", "请删除右侧多余的单元格"),
    (r"the (?P<t>\w+) table is (?P<kind>a folder|a device|a named pipe \(FIFO\)|a socket|not a regular file), "
     r"not a CSV file", "{t} 表是{kind}，不是 CSV 文件"),
    (r"give a CSV file for the (?P<t>\w+) table \(tables: in the config names it\)",
     "请为 {t} 表提供 CSV 文件（配置中的 tables: 指定文件名）"),
    (r"data is (?P<kind>a folder|a device|a named pipe \(FIFO\)|a socket|not a regular file), not a folder or an "
     r"\.xlsx workbook: (?P<p>.+)", "data 是{kind}，不是文件夹或 .xlsx 工作簿：{p}"),
    (r"the file is larger than (?P<s>.+), the limit for one table", "文件超过 {s}（单个表的上限）"),
    (r"the workbook is larger than (?P<s>.+), the limit", "工作簿超过 {s}（上限）"),
    (r"the config is larger than (?P<s>.+), the limit", "配置文件超过 {s}（上限）"),
    (r"check that this is the table meant", "请确认这是要用的表"),
    (r"check that this is the workbook meant", "请确认这是要用的工作簿"),
    (r"see 'Limits' in docs/operations\.md", "见 docs/operations.md 的“Limits”一节"),
    (r"the workbook holds more than (?P<n>[\d,]+) files", "工作簿包含超过 {n} 个文件"),
    (r"the workbook unpacks to (?P<a>.+), more than the limit of (?P<b>.+)", "工作簿解压后为 {a}，超过上限 {b}"),
    (r"the workbook has more than (?P<n>[\d,]+) shared strings", "工作簿的共享字符串超过 {n} 个"),
    (r"a real workbook is far smaller: re-save it from Excel/WPS", "真实的工作簿远小于此：请用 Excel/WPS 重新保存"),
    (r"the sheet is hidden in the workbook", "该工作表在工作簿中是隐藏的"),
    (r"it was read as the (?P<t>\w+) table", "已作为 {t} 表读取"),
    (r"unhide it in Excel/WPS \(or remove it\) so that what is planned can be seen",
     "请在 Excel/WPS 中取消隐藏（或删除该表），以便看到规划所用的数据"),
    (r"is larger than the limit of (?P<n>\S+)", "超过上限 {n}"),
    (r"give an ordinary amount", "请填写正常大小的数值"),
    (r"numbers up to (?P<n>\S+) are accepted", "可接受的数最大为 {n}"),
    (r"the date is outside (?P<a>\S+) \.\. (?P<b>\S+)", "日期超出 {a} 至 {b} 的范围"),
    (r"give the real date \(a lot that never expires: leave expires blank\)", "请填写真实日期（永不过期的批次：有效期留空）"),
    (r"the path contains a NUL byte", "路径中含有 NUL 字节"),
    (r"give the path of the config file", "请给出配置文件的路径"),
    (r"the config is (?P<kind>a folder|a device|a named pipe \(FIFO\)|a socket|not a regular file), not a file",
     "配置文件路径是{kind}，不是文件"),
    (r"give the path of a YAML config file", "请给出 YAML 配置文件的路径"),
    (r"a config holds settings only", "配置文件只存放设置"),
    (r"the tables go in the data folder", "各表放在数据文件夹中"),
    (r"cannot read the config: invalid UTF-8 at byte offset (?P<o>[\d,]+)", "无法读取配置文件：第 {o} 字节不是有效的 UTF-8"),
    (r"check that the file is readable", "请确认文件可读"),
    (r"the config is nested more than (?P<n>\d+) levels deep", "配置文件嵌套超过 {n} 层"),
    (r"the config has more than (?P<n>[\d,]+) values \(counting each use of an alias\)",
     "配置文件的值超过 {n} 个（别名每使用一次计一次）"),
    (r"see configs/zhugen\.yaml for the shape of a config", "配置文件的结构见 configs/zhugen.yaml"),
    (r"the config refers to itself \(a recursive YAML alias\)", "配置文件引用了自身（递归的 YAML 别名）"),
    (r"remove the alias", "请删除该别名"),
    (r"duplicate key {v} \(first on row (?P<r>\d+)\)", "键 {v} 重复（首次出现在第 {r} 行）"),
    (r"keep one of them: YAML would silently use the last", "只保留一个：YAML 会不加提示地使用最后一个"),
    (r"the config path must be a file path", "配置文件路径必须是文件路径"),
    (r"give a str or pathlib\.Path", "请给出 str 或 pathlib.Path"),
    (r"period {v} is outside the years (?P<a>\d+)-(?P<b>\d+)", "规划月份 {v} 超出 {a}–{b} 年的范围"),
    (r"choose one of: (?P<list>.+)", "请选择以下之一：{list}"),
    (r"Input should be a finite number", "应为有限的数"),
    (r"Unable to parse input string as an integer, exceeded maximum size", "整数过大，无法读取"),
    (r"give a folder of CSV files or an \.xlsx workbook", "请给出存放 CSV 文件的文件夹或一个 .xlsx 工作簿"),
    (r"old \.xls workbooks are not read: save it as \.xlsx \(Excel Workbook\)",
     "不读取旧的 .xls 工作簿：请另存为 .xlsx（Excel 工作簿）"),
    (r"give the folder that holds the CSV files, not one file", "请给出存放 CSV 文件的文件夹，而不是单个文件"),
    (r"seconds for the whole solve: more than 0, at most (?P<n>[\d,]+) \(blank in the config: no limit\)",
     "整个求解的秒数：大于 0，最多 {n}（配置中留空：不限时）"),
    (r"a relative gap from 0 to (?P<n>\S+), e\.g\. 0\.001", "相对间隙，0 到 {n}，如 0.001"),
    (r"a whole number from (?P<a>\d+) to (?P<b>\d+) \(blank in the config: the solver's default\)",
     "{a} 到 {b} 的整数（配置中留空：求解器默认值）"),
    (r"a whole number from (?P<a>\d+) to (?P<b>\d+)", "{a} 到 {b} 的整数"),
    (r"see --help", "见 --help"),
    (r"cannot read the plan file: (?P<e>.+)", "无法读取方案文件：{e}"),
    (r"the plan folder is damaged: plan again, or `linkage-opt runs restore`",
     "方案文件夹已损坏：请重新规划，或使用 `linkage-opt runs restore`"),
    (r"expected a Scenario, got (?P<t>\S+)", "应为 Scenario，实际为 {t}"),
    (r"load one with linkage_opt\.load_scenario\(config_path\)", "请用 linkage_opt.load_scenario(config_path) 读取"),
    # values
    (r"not a finite number", "不是有限的数"),
    (r"not a number", "不是数字"),
    (r"not a yes/no value", "不是“是/否”值"),
    (r"not a date", "不是日期"),
    (r"not a real date", "不是真实存在的日期"),
    (r"required value is blank", "必填值为空"),
    (r"must be a whole number", "必须是整数"),
    (r"must not be negative", "不能为负数"),
    (r"must be at least (?P<n>\S+)", "不能小于 {n}"),
    (r"{v} is not one of (?P<list>.+)", "{v} 不是允许的取值（{list}）"),
    (r"(?P<a>\S+) must be between (?P<lo>\S+) and (?P<hi>\S+)", "{a} 必须在 {lo} 到 {hi} 之间"),
    (r"(?P<a>\S+) is given without (?P<b>\S+)", "给了 {a} 却没有给 {b}"),
    (r"duplicate (?P<k>\S+) {v} \(first on row (?P<r>\d+)\)", "{k} {v} 重复（首次出现在第 {r} 行）"),
    (r"unknown (?P<noun>[\w ]+?) {v}", "未知的{noun} {v}"),
    (r"provider id {v} is also used in (?P<src>.+), row (?P<r>\d+)", "资源编号 {v} 也出现在 {src} 第 {r} 行"),
    (r"provider {v} and unit {w} are listed twice \(first on row (?P<r>\d+)\)", "资源 {v} 与单位 {w} 重复列出（首次在第 {r} 行）"),
    (r"this unit is placed by x_km/y_km but others \(first on row (?P<r>\d+)\) only by lat/lon",
     "该单位用 x_km/y_km 定位，而其他单位（首次在第 {r} 行）只用经纬度定位"),
    (r"an indivisible need must have quantity > 0", "不可拆分的需求数量必须大于 0"),
    (r"a goods lot needs an item", "物资批次必须写明物品"),
    (r"no category uses item {v}", "没有类别使用物品 {v}"),
    (r"a funds lot must not have an item", "资金批次不应填写物品"),
    (r"earmarked unit {v} is in town {w}, not {x}", "定向单位 {v} 属于乡镇 {w}，而不是 {x}"),
    (r"lot {v} lapsed on (?P<d>\S+), before the period (?P<p>\S+) starts: it is left out of the plan",
     "批次 {v} 已于 {d} 过期，早于规划月份 {p} 的第一天：不纳入本次方案"),
    (r"correct its expires date, or remove the lot", "请更正其有效期，或删除该批次"),
    (r"(?P<c>\S+) is required: (?P<doc>.+)", "{c} 为必填：{doc}"),
    (r"(?P<c>\S+) is required", "{c} 为必填"),
    # tables, files, headers
    (r"the table is empty: no header row", "表为空：没有列名行"),
    (r"the (?P<t>\w+) table has no rows", "{t} 表没有数据行"),
    (r"the (?P<t>\w+) table is missing: file not found", "缺少 {t} 表：找不到文件"),
    (r"the (?P<t>\w+) table is missing: no sheet {v}", "缺少 {t} 表：没有工作表 {v}"),
    (r"missing required column {v}", "缺少必填列 {v}"),
    (r"unknown column {v} \(did you mean {w}\?\)", "未知列 {v}（是否想写 {w}？）"),
    (r"column {v} appears twice \(headers {w} and {x}\)", "列 {v} 出现两次（列名 {w} 和 {x}）"),
    (r"the row has (?P<a>\d+) cells but the header has (?P<b>\d+) columns", "该行有 {a} 个单元格，但列名只有 {b} 列"),
    (r"cannot open the workbook: not a valid \.xlsx file", "无法打开工作簿：不是有效的 .xlsx 文件"),
    (r"cannot open the workbook: (?P<e>.+)", "无法打开工作簿：{e}"),
    (r"cannot read the workbook: (?P<e>.+)", "无法读取工作簿：{e}"),
    (r"cannot read the sheet: (?P<e>.+)", "无法读取工作表：{e}"),
    (r"cannot read the file as CSV: the text encoding is not UTF-8 or GBK/GB18030",
     "无法按 CSV 读取：文本编码不是 UTF-8 或 GBK/GB18030"),
    (r"cannot read the file as CSV: invalid (?P<enc>UTF-8|GBK/GB18030|UTF-16) at byte offset (?P<o>[\d,]+) "
     r"\((?P<b>0x[0-9A-F]{2})\)", "无法按 CSV 读取：第 {o} 字节（{b}）不是有效的 {enc} 编码"),
    (r"cannot read the file as CSV: invalid (?P<enc>UTF-8|GBK/GB18030|UTF-16) at byte offset (?P<o>[\d,]+)",
     "无法按 CSV 读取：第 {o} 字节不是有效的 {enc} 编码"),
    (r"the file is not (?P<enc>UTF-8|GBK/GB18030) text either", "该文件也不是 {enc} 文本"),
    (r"cannot read the file as CSV: (?P<e>.+)", "无法按 CSV 读取：{e}"),
    (r"cannot read the file: (?P<e>.+)", "无法读取文件：{e}"),
    (r"cannot parse the CSV: (?P<e>.+)", "无法解析 CSV：{e}"),
    (r"data folder or workbook not found: (?P<p>.+)", "找不到数据文件夹或工作簿：{p}"),
    (r"data must be a folder or an \.xlsx workbook: (?P<p>.+)", "data 必须是文件夹或 .xlsx 工作簿：{p}"),
    (r"not a linkage-opt plan folder \(no summary\.json\)", "不是 linkage-opt 方案文件夹（没有 summary.json）"),
    # outputs: folders only, disk full, read-only (linkage_opt/outdir.py)
    (r"the runs folder {v} exists and is (?P<noun>a [\w ()]+?), not a folder", "运行文件夹 {v} 已存在，是{noun}，不是文件夹"),
    (r"{v} exists and is (?P<noun>a [\w ()]+?), not a folder", "{v} 已存在，是{noun}，不是文件夹"),
    (r"{v} exists and is (?P<noun>a [\w ()]+?), not a regular file", "{v} 已存在，是{noun}，不是普通文件"),
    (r"(?:the runs folder )?{v} is a symbolic link to {w}, which does not exist", "{v} 是指向 {w} 的符号链接，而 {w} 不存在"),
    (r"(?:the runs folder )?{v} is a loop of symbolic links", "{v} 是循环的符号链接"),
    (r"(?:the runs folder )?{v} cannot be a plan folder", "{v} 不能作为方案文件夹"),
    (r"{v} cannot be written \((?P<e>[^)]*)\)", "{v} 无法写入（{e}）"),
    (r"{v} exists", "{v} 已存在"),
    (r"nothing was changed", "未做任何改动"),
    (r"nothing was recorded", "未记录任何内容"),
    (r"no plan was changed", "方案没有任何改动"),
    (r"give the path of a folder \(new, or a plan folder to replace\)", "请给出文件夹路径（新文件夹，或要替换的方案文件夹）"),
    (r"give the path of a folder \(it is created if missing\)", "请给出文件夹路径（不存在时会自动创建）"),
    (r"give the path of a folder whose parents are folders", "请给出上级路径都是文件夹的文件夹路径"),
    (r"give the path of a folder", "请给出文件夹路径"),
    (r"give the path of a file", "请给出文件路径"),
    (r"a new folder is written only where nothing exists yet", "新文件夹只会写在尚不存在的路径上"),
    (r"cannot write the plan {v}", "无法写入方案 {v}"),
    (r"cannot write the file {v}", "无法写入文件 {v}"),
    (r"cannot write the runs folder {v}", "无法写入运行文件夹 {v}"),
    (r"cannot write the run ledger {v}", "无法写入运行台账 {v}"),
    (r"the disk is full \((?P<e>.*)\)", "磁盘已满（{e}）"),
    (r"the disk quota is exceeded \((?P<e>.*)\)", "超出磁盘配额（{e}）"),
    (r"the file system is read-only \((?P<e>.*)\)", "文件系统为只读（{e}）"),
    (r"the ledger is read-only \((?P<e>.*)\)", "台账为只读（{e}）"),
    (r"the ledger file cannot be opened \((?P<e>.*)\)", "无法打开台账文件（{e}）"),
    (r"permission denied \((?P<e>.*)\)", "没有写入权限（{e}）"),
    (r"an input/output error \((?P<e>.*)\)", "输入/输出错误（{e}）"),
    (r"{v} still holds the earlier plan", "{v} 仍是原来的方案"),
    (r"{v} was not created", "{v} 未被创建"),
    (r"{v} is as it was", "{v} 保持原样"),
    (r"another process has held the lock {v} for (?P<n>\S+) s", "另一个进程已占用锁 {v} 达 {n} 秒"),
    (r"try again later", "请稍后再试"),
    # config
    (r"config file not found", "找不到配置文件"),
    (r"cannot read the config: (?P<e>.+)", "无法读取配置文件：{e}"),
    (r"not valid YAML: (?P<e>.+)", "不是有效的 YAML：{e}"),
    (r"the config must be a YAML mapping \(key: value lines\)", "配置文件必须是 YAML 映射（“键: 值”行）"),
    (r"unknown key {v}", "未知的键 {v}"),
    (r"missing required key {v}", "缺少必填键 {v}"),
    (r"period must look like 2026-12 \(YYYY-MM\), got {v}", "规划月份应写作 2026-12（YYYY-MM），实际为 {v}"),
    (r"unknown time zone {v}, e\.g\. Asia/Shanghai", "未知的时区 {v}，例如 Asia/Shanghai"),
    (r"at least one category is needed", "至少需要一个服务类别"),
    (r"category name {v}: use letters, digits, _ or -", "类别名 {v}：只能用字母、数字、_ 或 -"),
    (r"unknown table {v}", "未知的表 {v}"),
    (r"tier_multipliers: unknown tier {v}", "tier_multipliers：未知的层级 {v}"),
    (r"tier_multipliers: give a multiplier for every tier \(missing (?P<list>.+)\)",
     "tier_multipliers：每个层级都要给出系数（缺少 {list}）"),
    (r"rules\.supervision\.categories: unknown category {v}", "rules.supervision.categories：未知的类别 {v}"),
    (r"order must list each of coverage, equity, cost at most once", "order 中 coverage、equity、cost 每项最多出现一次"),
    (r"Field required", "缺少必填项"),
    (r"Input should be a valid number.*", "应为有效数字"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid boolean.*", "应为是/否（true/false）"),
    (r"Input should be a valid string", "应为文本"),
    (r"Input should be a valid (dictionary|mapping).*", "应为“键: 值”映射"),
    (r"Input should be a valid list.*", "应为列表"),
    (r"Input should be greater than or equal to (?P<n>\S+)", "应不小于 {n}"),
    (r"Input should be greater than (?P<n>\S+)", "应大于 {n}"),
    (r"Input should be less than or equal to (?P<n>\S+)", "应不大于 {n}"),
    (r"Input should be less than (?P<n>\S+)", "应小于 {n}"),
    (r"Input should be (?P<list>.+)", "应为 {list}"),
    (r"Extra inputs are not permitted", "不允许的键"),
    (r"remove it, or check its indentation", "请删除它，或检查缩进"),
    (r"add it; see docs/data\.md", "请添加；见 docs/data.md"),
    (r"see docs/data\.md for the allowed values", "允许的取值见 docs/data.md"),
    # what-if changes (--set)
    (r"cannot read the change {v}", "无法读取修改 {v}"),
    (r"write TARGET=VALUE, TARGET\*=FACTOR or TARGET\+=AMOUNT, e\.g\. (?P<ex>.+)",
     "写作 TARGET=VALUE、TARGET*=FACTOR 或 TARGET+=AMOUNT，如 {ex}"),
    (r"{v} is not a number", "{v} 不是数字"),
    (r"\*= and \+= take a number", "*= 和 += 后面要跟数字"),
    (r"\*= and \+= apply to numeric columns", "*= 和 += 只能用于数值列"),
    (r"table (?P<t>\w+) has no column {v}", "表 {t} 没有列 {v}"),
    (r"see docs/data\.md for config keys", "配置键见 docs/data.md"),
    (r"see docs/data\.md", "见 docs/data.md"),
    (r"no column {v} to filter on", "没有可用于筛选的列 {v}"),
    (r"filter as table\[column=value\]\.column", "筛选写作 table[column=value].column"),
    (r"no (?P<t>\w+) row has (?P<cv>\S+)", "{t} 表中没有 {cv} 的行"),
    (r"check the id", "请检查编号"),
    (r"(?P<tc>[\w.]+) is not numeric", "{tc} 不是数值列"),
    (r"{v} makes (?P<tc>[\w.]+) negative", "{v} 使 {tc} 变为负数"),
    (r"(?P<c>\w+) must be >= (?P<n>\S+)", "{c} 必须不小于 {n}"),
    (r"no config key {v}", "没有配置键 {v}"),
    (r"give a table column \(volunteers\.hours\) or a config path \(rules\.budget\.amount\)",
     "请给出表的列（如 volunteers.hours）或配置路径（如 rules.budget.amount）"),
    (r"use = to set it", "请用 = 直接设置"),
    # sweeps (--grid, --perturb-weights, --scheduler, the sweep folder)
    (r"cannot read the grid {v}", "无法读取扫描维度 {v}"),
    (r"write KEY=V1,V2,\.\.\., KEY\*=F1,F2,\.\.\. or KEY\+=A1,A2,\.\.\., e\.g\. (?P<ex>.+)",
     "写作 KEY=V1,V2,...、KEY*=F1,F2,... 或 KEY+=A1,A2,...，如 {ex}"),
    (r"the grid {v} has an empty value", "扫描维度 {v} 中有空值"),
    (r"separate the values with commas, e\.g\. (?P<ex>.+)", "各取值用逗号分隔，如 {ex}"),
    (r"the grid {v} lists a value twice", "扫描维度 {v} 中有重复的取值"),
    (r"give each value once", "每个取值只写一次"),
    (r"the grid sweeps (?P<k>\S+) twice", "扫描维度 {k} 出现了两次"),
    (r"give each KEY once, with all its values", "每个 KEY 只写一次，列出它的全部取值"),
    (r"nothing to sweep", "没有要扫描的内容"),
    (r"give --grid KEY=V1,V2,\.\.\. \(repeatable\) or --perturb-weights A --sample N",
     "请给出 --grid KEY=V1,V2,...（可重复）或 --perturb-weights A --sample N"),
    (r"the number of workers must be a whole number from 1 to 256", "计算节点数必须是 1 到 256 的整数"),
    (r"--workers applies to --scheduler local only", "--workers 只适用于 --scheduler local"),
    (r"the workers of a scheduler are started with `dask worker ADDRESS`", "调度器的计算节点用 `dask worker ADDRESS` 启动"),
    (r"e\.g\. (?P<ex>--\S+ \S+)", "如 {ex}"),
    (r"the sample size must be a whole number of at least 1", "样本数必须是不小于 1 的整数"),
    (r"the perturbation must be from 0 to less than 1", "扰动幅度必须不小于 0 且小于 1"),
    (r"e\.g\. --perturb-weights 0\.2 \(each weight within ±20 %\)", "如 --perturb-weights 0.2（每个权重变动不超过 ±20%）"),
    (r"--perturb-weights and --grid cannot be combined", "--perturb-weights 与 --grid 不能同时使用"),
    (r"sweep the grid, or perturb the weights of one scenario", "请扫描维度网格，或对一个场景扰动权重"),
    (r"{v} is not a scheduler", "{v} 不是调度器"),
    (r"local \(a cluster of worker processes on this machine\) or tcp://HOST:PORT",
     "local（在本机启动一组计算进程）或 tcp://HOST:PORT"),
    (r"cannot reach the scheduler (?P<a>\S+) or it has no workers \((?P<e>[^)]*)\)",
     "无法连接调度器 {a}，或它没有计算节点（{e}）"),
    (r"start one with `dask scheduler` and `dask worker ADDRESS`, or use --scheduler local",
     "请用 `dask scheduler` 和 `dask worker ADDRESS` 启动，或使用 --scheduler local"),
    (r"the sweep folder {v} exists and is (?P<noun>a [\w ()]+?), not a folder", "扫描文件夹 {v} 已存在，是{noun}，不是文件夹"),
    (r"the sweep folder {v} is a symbolic link to {w}, which does not exist", "扫描文件夹 {v} 是指向 {w} 的符号链接，而 {w} 不存在"),
    (r"the sweep folder {v} exists and is not a linkage-opt sweep folder", "扫描文件夹 {v} 已存在，且不是 linkage-opt 扫描文件夹"),
    (r"choose another --out or pass --force", "请换一个 --out 或加 --force"),
    (r"cannot write the sweep folder {v}", "无法写入扫描文件夹 {v}"),
    # the monthly run
    (r"period must look like 2026-12 \(YYYY-MM\), or be 'current' or 'next'",
     "规划月份应写作 2026-12（YYYY-MM），或写 current / next"),
    (r"unknown solver backend {v}", "未知的求解器 {v}"),
    # AHP pairwise comparisons
    (r"a category is listed twice", "某个类别列了两次"),
    (r"give `criteria:` \(a list of at least two categories\) and `matrix:` or `judgements:`",
     "请给出 `criteria:`（至少两个类别的列表）以及 `matrix:` 或 `judgements:`"),
    (r"give `matrix:` or `judgements:`", "请给出 `matrix:` 或 `judgements:`"),
    (r"judgement (?P<k>\d+): compares {v} with itself", "第 {k} 条判断：{v} 与自身比较"),
    (r"judgement (?P<k>\d+): the pair (?P<p>\S+) was already judged in judgement (?P<j>\d+)",
     "第 {k} 条判断：{p} 这一对已在第 {j} 条判断中比较过"),
    (r"judgement (?P<k>\d+): unknown criterion {v}", "第 {k} 条判断：未知的准则 {v}"),
    (r"judgement (?P<k>\d+): write \[a, b, value\]", "第 {k} 条判断：请写作 [a, b, value]"),
    (r"judgement (?P<k>\d+): {v} is not a number", "第 {k} 条判断：{v} 不是数字"),
    (r"judgement (?P<k>\d+): {v} is not on Saaty's 1-9 scale \(1\.\.9 or 1/2\.\.1/9\)",
     "第 {k} 条判断：{v} 不在 Saaty 1–9 标度上（1..9 或 1/2..1/9）"),
    (r"the pair (?P<p>\S+) is missing \(every pair once\)", "缺少 {p} 这一对（每对比较一次）"),
    (r"matrix row (?P<i>\d+), column (?P<j>\d+) and row (?P<i2>\d+), column (?P<j2>\d+): (?P<a>\S+) and "
     r"(?P<b>\S+) are not reciprocal \(their product must be 1\)",
     "矩阵第 {i} 行第 {j} 列与第 {i2} 行第 {j2} 列：{a} 与 {b} 不互为倒数（乘积须为 1）"),
    (r"matrix row (?P<i>\d+), column (?P<j>\d+): the diagonal must be 1", "矩阵第 {i} 行第 {j} 列：对角线必须为 1"),
    (r"matrix row (?P<i>\d+), column (?P<j>\d+): {v} is not a number", "矩阵第 {i} 行第 {j} 列：{v} 不是数字"),
    (r"matrix row (?P<i>\d+), column (?P<j>\d+): {v} is not on Saaty's 1-9 scale \(1\.\.9 or 1/2\.\.1/9\)",
     "矩阵第 {i} 行第 {j} 列：{v} 不在 Saaty 1–9 标度上（1..9 或 1/2..1/9）"),
    (r"must be (?P<n>\d+) rows of (?P<m>\d+) values \(one per criterion\)", "必须是 {n} 行、每行 {m} 个值（每个准则一个）"),
    (r"no `weight:` line found for categor(?:y|ies) (?P<list>.+)", "没有找到类别 {list} 的 `weight:` 行"),
    (r"add `weight: 0` under each first", "请先在每个类别下添加 `weight: 0`"),
    # progress lines of the solver (status spinner)
    (r"building the model", "正在建立模型"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): coverage \(LP rounding\)", "正在求解第 {i}/{n} 阶段：覆盖（线性松弛取整）"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): equity \(LP rounding\)", "正在求解第 {i}/{n} 阶段：公平（线性松弛取整）"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): cost \(LP rounding\)", "正在求解第 {i}/{n} 阶段：成本（线性松弛取整）"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): weighted \(LP rounding\)", "正在求解第 {i}/{n} 阶段：加权（线性松弛取整）"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): (?P<s>\S+) \(LP rounding\)", "正在求解第 {i}/{n} 阶段：{s}（线性松弛取整）"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): weighted", "正在求解第 {i}/{n} 阶段：加权"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): coverage", "正在求解第 {i}/{n} 阶段：覆盖"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): equity", "正在求解第 {i}/{n} 阶段：公平"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): cost", "正在求解第 {i}/{n} 阶段：成本"),
    (r"solving stage (?P<i>\d+)/(?P<n>\d+): (?P<s>\S+)", "正在求解第 {i}/{n} 阶段：{s}"),
    (r"planning (?P<v>.+)", "正在计算 {v}"),
    (r"reach refers to providers by id: volunteer, social worker, organization and lot ids must all differ",
     "服务范围表按编号指代资源：志愿者、社工、社会组织和慈善批次的编号必须互不相同"),
    # hints
    (r"give a number, or leave the cell blank where a blank is allowed", "请填写数字；允许留空的单元格可以留空"),
    (r"use '\.' for decimals; commas only separate thousands \(1,200\)", "小数点用“.”；逗号只用作千位分隔（1,200）"),
    (r"write digits only, e\.g\. 1200, 1,200 or 12\.5 \(no units or text\)", "只写数字，如 1200、1,200 或 12.5（不要单位或文字）"),
    (r"give a number of ordinary size", "请填写大小正常的数字"),
    (r"write dates as YYYY-MM-DD \(e\.g\. 2026-12-31\) or YYYY/MM/DD", "日期写作 YYYY-MM-DD（如 2026-12-31）或 YYYY/MM/DD"),
    (r"check the month and day", "请检查月份和日期"),
    (r"write a whole number such as 3", "请写整数，如 3"),
    (r"give 0 or more", "请填写 0 或更大的数"),
    (r"give (?P<n>\S+) or more, or leave it blank", "请填写不小于 {n} 的数，或留空"),
    (r"give (?P<n>\S+) or more", "请填写不小于 {n} 的数"),
    (r"give one or more values separated by ';'", "请填写一个或多个取值，用分号 ; 分隔"),
    (r"write one of (?P<list>.+)", "请填写以下之一：{list}"),
    (r"did you mean {v}", "是否想写 {v}"),
    (r"no unit {v} in this plan", "本方案中没有单位 {v}"),
    (r"no category {v} in this plan", "本方案中没有类别 {v}"),
    (r"one of: (?P<list>.+)", "可选：{list}"),
    (r"it must be one of (?P<list>.+) \(from (?P<src>[^()]+)\)", "必须是以下之一：{list}（来自 {src}）"),
    (r"it must be one of (?P<list>.+)", "必须是以下之一：{list}"),
    (r"keep one of them", "只保留其中一列"),
    (r"keep one row per provider and unit", "每个资源与单位的组合只保留一行"),
    (r"ids must all differ", "编号必须互不相同"),
    (r"each (?P<k>\S+) must be unique in the table", "表中每个 {k} 必须唯一"),
    (r"give degrees in decimal form, e\.g\. 30\.2741", "请用十进制度数，如 30.2741"),
    (r"give both (?P<a>\S+) and (?P<b>\S+), or neither", "{a} 和 {b} 要么都填，要么都不填"),
    (r"give the quantity, or set indivisible to false", "请填写数量，或把“不可拆分”设为否"),
    (r"name the item and list it under a category's items in the config", "请写明物品，并在配置中某个类别的 items 下列出"),
    (r"name the item, e\.g\. one of (?P<list>.+)", "请写明物品，例如以下之一：{list}"),
    (r"add it to a category's items in the config \(categories\.<name>\.items\)", "请把它加入配置中某个类别的 items（categories.<name>.items）"),
    (r"clear the item, or set kind to goods", "请清空物品，或把类型改为物资"),
    (r"the lot could serve no unit: fix the town or the unit earmark, or clear one", "该批次无法服务任何单位：请修正定向乡镇或定向单位，或清空其一"),
    (r"a value with a comma must be quoted, or a header is missing", "含逗号的值必须加引号，或缺少列名"),
    (r"add at least one row below the header", "请在列名下至少添加一行数据"),
    (r"the first row must hold the column names, e\.g\. (?P<list>.+)", "第一行必须是列名，例如 {list}"),
    (r"rename the header to {v}", "请把列名改为 {v}"),
    (r"add a column headed {v}(?P<rest>.*)", "请添加列名为 {v} 的列{rest}"),
    (r"check quoting: a value with a comma or a quote must be quoted", "请检查引号：含逗号或引号的值必须加引号"),
    (r"check that the file is readable \(close it in Excel/WPS if locked\)", "请确认文件可读（如被 Excel/WPS 占用请先关闭）"),
    (r"check that the file is readable and not locked by another program", "请确认文件可读且未被其他程序占用"),
    (r"re-save the workbook from Excel/WPS", "请用 Excel/WPS 重新保存工作簿"),
    (r"the bytes there are damaged or in another encoding \(no other encoding is guessed\): fix that cell, or "
     r"save the file again as 'CSV UTF-8'", "该处字节已损坏或为其他编码（不会猜测其他编码）：请修正该单元格，或重新另存为“CSV UTF-8”"),
    (r"save it from Excel/WPS as 'CSV UTF-8' \(or CSV\), one table per file", "请用 Excel/WPS 另存为“CSV UTF-8”（或 CSV），每个表一个文件"),
    (r"save it from Excel/WPS as 'Excel Workbook \(\*\.xlsx\)'", "请用 Excel/WPS 另存为“Excel 工作簿 (*.xlsx)”"),
    (r"data is relative to the config file's folder", "data 路径相对于配置文件所在文件夹"),
    (r"check the path; configs/zhugen\.yaml is the bundled example", "请检查路径；configs/zhugen.yaml 是自带示例"),
    (r"save it as UTF-8 text", "请保存为 UTF-8 文本"),
    (r"check indentation and quoting on that line", "请检查该行的缩进和引号"),
    (r"see configs/zhugen\.yaml for an example", "示例见 configs/zhugen.yaml"),
    (r"give the --out folder of `linkage-opt plan`", "请给出 `linkage-opt plan` 的 --out 文件夹"),
    (r"CSV files found: (?P<list>.+)", "找到的 CSV 文件：{list}"),
    (r"the folder has no CSV files", "文件夹中没有 CSV 文件"),
    (r"sheets found: (?P<list>.+)", "找到的工作表：{list}"),
    (r"name the file (?P<f>\S+) or set tables: (?P<rest>.+) in the config", "请把文件命名为 {f}，或在配置中设置 tables: {rest}"),
    (r"name a sheet {v} or set tables: (?P<rest>.+) in the config", "请把工作表命名为 {v}，或在配置中设置 tables: {rest}"),
)]

KINDS_ZH = {"a folder": "文件夹", "a device": "设备文件", "a named pipe (FIFO)": "命名管道（FIFO）", "a socket": "套接字",
            "not a regular file": "非普通文件"}

NOUNS_ZH = {"unit": "单位", "organization": "社会组织", "category": "类别", "provider": "资源", "town": "乡镇",
            "skill": "技能", "tag": "标签", "unit id": "单位编号",
            # what an output path is instead of a folder (linkage_opt/outdir.py)
            "a regular file": "普通文件", "a named pipe (FIFO)": "命名管道（FIFO）", "a character device": "字符设备",
            "a block device": "块设备", "a socket": "套接字", "a special file": "特殊文件", "a folder": "文件夹"}

_SEGMENT = _re.compile(r"(; |\? |\. (?=[A-Z]))")
_DID_YOU_MEAN = _re.compile(r" \(did you mean ('[^']*'|\S+)\?\)")
_KEYED = _re.compile(r"(?P<key>'[^']*'|[\w.<>/\-]+): (?:Value error, )?(?P<rest>.+)\Z", _re.S)
_MISSES: list[str] = []   # untranslated segments, for tests


def problem_text(text: str, lang: str | None = None) -> str:
    """A loader message or hint in ``lang`` (English as it is; Chinese by the pattern table)."""
    if not text or resolve(lang) == "en":
        return text
    parts = _SEGMENT.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1:    # a separator
            out.append({"; ": "；", "? ": "？", ". ": "。"}[part])
            continue
        if not part:
            continue
        out.append(_translate_segment(part))
    return "".join(out)


def _translate_segment(seg: str, _depth: int = 0) -> str | None:
    m = _DID_YOU_MEAN.search(seg)
    if m:   # "unknown table 'x' (did you mean 'y'?)": translate around the suggestion
        rest = _translate_segment(seg[:m.start()] + seg[m.end():], _depth)
        return None if rest is None else rest + f"（是否想写 {m.group(1)}？）"
    core = seg.rstrip("?")
    tail = seg[len(core):]
    for pattern, zh in PROBLEMS_ZH:
        m = pattern.match(core)
        if m:
            groups = {k: NOUNS_ZH.get(v, v) if k == "noun" else KINDS_ZH.get(v, v) if k == "kind" else v
                      for k, v in m.groupdict().items()}
            return zh.format(**groups) + ("？" if tail else "")
    keyed = _KEYED.match(core)
    if keyed and _depth < 2:   # "period: <message>", "'x*=2': <message>", "ahp.yaml: criteria: <message>"
        inner = _translate_segment(keyed.group("rest"), _depth + 1)
        if inner is not None:
            return f"{keyed.group('key')}：{inner}" + ("？" if tail else "")
    if _depth:
        return None
    _MISSES.append(seg)
    return seg


def problem_str(problem, lang: str | None = None) -> str:
    """One input problem in ``lang``: location, message, value and hint."""
    lang = resolve(lang)
    if lang == "en":
        return str(problem)
    where = problem.file
    if problem.sheet:
        where += t("loc.sheet", lang, sheet=problem.sheet)
    if problem.row is not None:
        where += t("loc.row", lang, row=problem.row)
    if problem.column:
        where += t("loc.column", lang, column=problem.column)
    text = where + t("loc.sep", lang) + problem_text(problem.message, lang)
    if problem.value is not None and problem.value != "":
        text += t("loc.value", lang, value=repr(problem.value))
    if problem.hint:
        text += t("loc.hint", lang, hint=problem_text(problem.hint, lang))
    return text


# ---------------------------------------------------------------------------------------------------
# The CLI's --help in Chinese: each command's and option's English help text -> Chinese.
# tests/test_desk.py walks every command and fails on a help text missing here.
# ---------------------------------------------------------------------------------------------------

HELP_ZH: dict[str, str] = {
    "Load and check a scenario; print what was loaded. Exit 2 with every problem listed if anything is wrong.":
        "读取并检查场景数据，显示读取到的内容。如有问题，一次列出全部问题并以退出码 2 结束。",
    "Scenario config YAML.":
        "场景配置文件（YAML）。",
    "Language of messages, workbook and report: en or zh (default $LINKAGE_OPT_LANG, else en).":
        "消息、工作簿和报告的语言：en 或 zh（默认取 $LINKAGE_OPT_LANG，否则为 en）。",
    "Solve a scenario and write the allocation plan (atomically) into --out.\n\nExit codes: 0 optimal, 1 feasible with a gap, 2 bad input, 3 infeasible (with the conflicting\nrequirements named), 4 solver or internal error. Beside the CSVs and summary.json it writes plan.xlsx\nand report.html in the chosen language.":
        "求解场景，把资源配置方案（原子地）写入 --out。\n\n退出码：0 最优，1 可行但有间隙，2 输入有误，3 不可行（会指出相互冲突的要求），4 求解器或内部错误。\n除 CSV 和 summary.json 外，还按所选语言写出 plan.xlsx 和 report.html。",
    "Folder for the plan (default plans/<config name>).":
        "方案文件夹（默认 plans/<配置文件名>）。",
    "Solver backend: highs (default), cbc, scip, cpsat.":
        "求解器：highs（默认）、cbc、scip、cpsat。",
    "Seconds for the whole solve.":
        "整个求解的时间上限（秒）。",
    "Relative MIP gap, e.g. 0.001.":
        "相对 MIP 间隙，如 0.001。",
    "Solver threads.":
        "求解器线程数。",
    "Solver random seed.":
        "求解器随机种子。",
    "Show the solver's own log.":
        "显示求解器自身的日志。",
    "Also compute the rule-of-thumb plan and compare.":
        "同时计算经验分配方案并进行对比。",
    "Replace an --out folder that is not a linkage-opt plan.":
        "替换一个不是 linkage-opt 方案的 --out 文件夹。",
    "Why needs are unmet, and what one more hour or yuan would buy (from the model, not guessed).":
        "需求为何未被满足，以及多一小时或多一元能换来什么（由模型算出，而非猜测）。",
    "A plan folder written by `linkage-opt plan`.":
        "由 `linkage-opt plan` 写出的方案文件夹。",
    "Only this unit (id or name).":
        "只看这个单位（编号或名称）。",
    "Only this category.":
        "只看这个类别。",
    "How many marginal values to show.":
        "显示多少条边际价值。",
    "Re-check a plan against its scenario independently of the model: exit 0 valid, 1 violations found.":
        "独立于模型重新检查方案是否符合场景：退出码 0 表示有效，1 表示发现违反。",
    "Scenario config (default: the one recorded in summary.json).":
        "场景配置文件（默认：summary.json 中记录的那个）。",
    "Plan variants and tabulate each metric's change against the base plan.":
        "计算方案变体，并列出各项指标相对基准方案的变化。",
    "A change, e.g. volunteers.hours*=1.1 or categories.elderly_care.weight=0.4 (repeatable: one variant each).":
        "一项修改，如 volunteers.hours*=1.1 或 categories.elderly_care.weight=0.4（可重复：每项一个变体）。",
    "Also plan all changes together.":
        "同时把所有修改合在一起再算一次。",
    "Write the comparison as CSV here.":
        "把对比结果写入这个 CSV 文件。",
    "Write a seeded synthetic scenario with realistic structure (towns, villages, skills, party members).":
        "按随机种子生成结构逼真的合成场景（乡镇、村、技能、党员）。",
    "Folder for the generated scenario (new, empty, or an earlier generated one).":
        "生成场景的文件夹（新的、空的，或之前生成过的）。",
    "town (~15 units), district (200 units) or city (2,000 units); realistic rolls: real_town (22), real_district (170), real_city (2,000), province (30,000; written county by county, planned with plan --decompose).":
        "town（约 15 个单位）、district（200 个单位）或 city（2,000 个单位）；逼真名册：real_town（22）、real_district（170）、real_city（2,000）、province（30,000；逐县写出，用 plan --decompose 规划）。",
    "Plan the parts of a units column (town, county, ...) separately on Dask and merge them (docs/model.md).":
        "按单位表的某一列（town、county 等）分片，在 Dask 上分别规划后合并（见 docs/model.md）。",
    "With --decompose: a Dask scheduler address (tcp://host:8786); default a local cluster of --workers processes.":
        "配合 --decompose：Dask 调度器地址（tcp://host:8786）；默认在本机启动 --workers 个进程。",
    "With --decompose: local worker processes (default 2; 0 = in this process).":
        "配合 --decompose：本机工作进程数（默认 2；0 表示在当前进程中逐个求解）。",
    "Realistic rolls with --units (implied by the real_* presets): individual skills, skewed hours, clustered towns, a binding budget.":
        "配合 --units 生成逼真名册（real_* 预设自带）：个人技能组合、偏态时长、成簇的乡镇、有约束力的预算。",
    "Number of units (overrides the preset).":
        "单位数（覆盖预设）。",
    "Random seed: the same seed writes the same files, byte for byte.":
        "随机种子：同一种子逐字节写出相同的文件。",
    "Write a blank input workbook: every sheet, headers, a notes row, drop-down lists (tiers, kinds, categories).":
        "写出空白输入工作簿：所有工作表、列名、说明行和下拉列表（层级、类型、类别）。",
    "The .xlsx file to write.":
        "要写出的 .xlsx 文件。",
    "Take the category drop-down from this config.":
        "从这个配置文件读取类别下拉列表。",
    "Overwrite an existing file.":
        "覆盖已有文件。",
    "Re-write a plan's report.html, plan.xlsx and action sheets (sheets.html, sheets.pdf), e.g. in the other\nlanguage.":
        "重新生成方案的 report.html、plan.xlsx 和工作单（sheets.html、sheets.pdf），例如换一种语言。",
    "Write the action sheets (plan.xlsx, sheets.html, sheets.pdf) without the personal columns named by the config's privacy.personal: a plan to share.":
        "写出不含个人信息列（配置 privacy.personal 所列）的工作单（plan.xlsx、sheets.html、sheets.pdf），便于分享。",
    "Where to write (default: report.html and plan.xlsx in the plan folder; a .html path writes the report only).":
        "写到哪里（默认：方案文件夹中的 report.html 和 plan.xlsx；给 .html 路径则只写报告）。",
    "Plan one period: locked, recorded in the run ledger, written to RUNS/PERIOD/rN/ atomically, published.\n\nThe same inputs (config, input files, solver options, history) planned before are not planned\nagain unless --force: the earlier run is shown and its exit code returned. Exit codes: 0 optimal,\n1 feasible with a gap, 2 bad input, 3 infeasible, 4 solver/internal error, 5 another run of this\nperiod is in progress, 130 interrupted.":
        "规划一个月份：加锁、记入运行台账、原子地写入 RUNS/PERIOD/rN/ 并发布。\n\n相同输入（配置、输入文件、求解器选项、历史）已经规划过的，除非加 --force，不会再次规划：显示之前的运行并返回其退出码。\n退出码：0 最优，1 可行但有间隙，2 输入有误，3 不可行，4 求解器/内部错误，5 同一月份的另一运行正在进行，130 被中断。",
    "Scenario config YAML (one config serves every month).":
        "场景配置文件（YAML，一个配置文件可用于每个月）。",
    "Period to plan: YYYY-MM, or 'current' / 'next'.":
        "要规划的月份：YYYY-MM，或 'current' / 'next'。",
    "Runs folder (plan folders and ledger.sqlite).":
        "运行文件夹（方案文件夹和 ledger.sqlite）。",
    "Plan again even if these exact inputs were planned already.":
        "即使这些输入已经规划过，也重新规划。",
    "Seconds to wait for another run of the same period (default: exit 5 at once).":
        "等待同一月份另一运行结束的秒数（默认：立即以退出码 5 结束）。",
    "Log lines on stderr: text, or json (one object per line).":
        "stderr 上的日志行：text，或 json（每行一个对象）。",
    "Solver backend (default: the config's).":
        "求解器（默认：配置文件中的）。",
    "Seconds for the whole solve (default: the config's).":
        "整个求解的时间上限（秒，默认：配置文件中的）。",
    "Ledger file (default RUNS/ledger.sqlite).":
        "台账文件（默认 RUNS/ledger.sqlite）。",
    "Language of plan.xlsx, report.html and messages: en or zh (default $LINKAGE_OPT_LANG, else en).":
        "plan.xlsx、report.html 和消息的语言：en 或 zh（默认取 $LINKAGE_OPT_LANG，否则为 en）。",
    "Derive category weights from a party committee's pairwise comparisons (principal eigenvector).\n\nRefuses (exit 2) when the consistency ratio exceeds the threshold, naming the most inconsistent pairs.":
        "根据党委的两两比较判断推导类别权重（主特征向量法）。\n\n一致性比率超过阈值时拒绝（退出码 2），并指出最不一致的几对判断。",
    "Pairwise comparison YAML (Saaty 1-9 scale), see docs/ahp.md.":
        "两两比较 YAML（Saaty 1–9 标度），见 docs/ahp.md。",
    "Write the weights into this scenario config.":
        "把权重写入这个场景配置文件。",
    "With --write: write the updated config here instead.":
        "与 --write 一起用：把更新后的配置写到这里。",
    "Largest consistency ratio accepted.":
        "可接受的最大一致性比率。",
    "Every recorded run, oldest first. A run whose process died shows as [magenta]interrupted[/].":
        "所有已记录的运行，按时间先后。进程已中止的运行显示为 [magenta]interrupted[/]。",
    "Only this period (YYYY-MM).":
        "只看这个月份（YYYY-MM）。",
    "Machine-readable output.":
        "机器可读的输出。",
    "Language of messages: en or zh.":
        "消息语言：en 或 zh。",
    "One run: status, inputs fingerprint, history used, headline figures, and whether its folder is intact.":
        "一次运行：状态、输入指纹、使用的历史、核心指标，以及其文件夹是否完好。",
    "Run id, e.g. 2026-12-r3.":
        "运行编号，如 2026-12-r3。",
    "What changed from plan A to plan B.\n\nCoverage per unit and category, capacity used per provider, (provider, unit) pairings added and\nremoved, and the headline figures. A and B are run ids or plan folders.":
        "从方案 A 到方案 B 有哪些变化。\n\n各单位分类别的满足情况、各资源已用能力、新增和取消的（资源，单位）结对，以及核心指标。A 和 B 可以是运行编号或方案文件夹。",
    "Earlier plan: run id (e.g. 2026-11-r2) or plan folder.":
        "较早的方案：运行编号（如 2026-11-r2）或方案文件夹。",
    "Later plan: run id or plan folder.":
        "较晚的方案：运行编号或方案文件夹。",
    "Rows shown per table (JSON: all).":
        "每个表显示的行数（JSON：全部）。",
    "Make a recorded optimal or feasible run the published plan of its period (e.g. to roll back).\n\nThe next month's carry-over and stability read the published plan.":
        "把已记录的最优或可行运行设为该月份的发布方案（例如用于回退）。\n\n下个月的结转和稳定性读取已发布的方案。",
    "Run id to publish, e.g. 2026-12-r2.":
        "要发布的运行编号，如 2026-12-r2。",
    "Seconds to wait for a run of that period to finish.":
        "等待该月份运行结束的秒数。",
    "Rebuild a plan folder byte for byte from the ledger; every file is checked against its recorded sha256.":
        "从台账逐字节重建方案文件夹；每个文件都按记录的 sha256 核对。",
    "Run id whose plan folder to rebuild from the ledger.":
        "要从台账重建其方案文件夹的运行编号。",
    "Write here instead of the run's own folder (must not exist).":
        "写到这里，而不是该运行自己的文件夹（必须不存在）。",
    "Party-led category weights.":
        "党委主导的类别权重。",
    "The run ledger: list, show, diff, publish and restore recorded runs.":
        "运行台账：列出、查看、对比、发布和恢复已记录的运行。",
    "Plan how a district's social resources reach its communities and villages (五社联动).":
        "规划一个区的社会资源如何到达各社区和村（五社联动）。",
    "Examples:\n\n  linkage-opt validate configs/zhugen.yaml\n\n  linkage-opt plan configs/zhugen.yaml --out plans/zhugen\n\n  linkage-opt plan configs/zhugen.yaml --out plans/zhugen --backend cbc --time-limit 30":
        "示例：\n\n  linkage-opt validate configs/zhugen.yaml\n\n  linkage-opt plan configs/zhugen.yaml --out plans/zhugen --lang zh\n\n  linkage-opt plan configs/zhugen.yaml --out plans/zhugen --backend cbc --time-limit 30",
    "Plan many variants of a scenario on Dask and tabulate them: a grid of changes, or perturbed weights.\n\nWrites a sweep folder: one row per variant in sweep.csv and sweep.xlsx, trade-off charts in sweep.html,\nand each finished variant in variants/ (reused by a re-run). Exit codes: 0 every variant planned,\n1 some variants failed (see their error), 2 bad input or option, 4 internal error, 130 interrupted\n(finished variants kept).":
        "在 Dask 上计算一个场景的多个变体并列表比较：按修改的网格，或按扰动后的权重。\n\n写出扫描文件夹：sweep.csv 和 sweep.xlsx 中每个变体一行，sweep.html 中是权衡曲线，\nvariants/ 中保存每个已完成的变体（重新运行时复用）。退出码：0 全部变体已计算，\n1 部分变体失败（见其错误信息），2 输入或选项有误，4 内部错误，130 被中断（已完成的变体保留）。",
    "An axis: KEY=V1,V2,... in the syntax of whatif --set (*=, +=, table filters); repeatable: every combination is one variant.":
        "一个扫描维度：KEY=V1,V2,...，写法同 whatif --set（*=、+=、表筛选）；可重复：每种组合为一个变体。",
    "Solve this many variants drawn at random from the grid (with --perturb-weights: the number of samples, default 20).":
        "从网格中随机抽取这么多个变体来计算（与 --perturb-weights 一起用：样本数，默认 20）。",
    "Move every category weight by up to this share (e.g. 0.2) in each sample and report how stable each unit's coverage and rank are.":
        "每个样本中把各类别权重最多变动这个比例（如 0.2），并报告各单位满足率和排名的稳定程度。",
    "Random seed of --sample and --perturb-weights.":
        "--sample 和 --perturb-weights 的随机种子。",
    "Sweep folder (default sweeps/<config name>); the variants finished in it before are reused.":
        "扫描文件夹（默认 sweeps/<配置文件名>）；其中已完成的变体会被复用。",
    "local (worker processes on this machine) or the address of a running Dask scheduler, tcp://HOST:PORT.":
        "local（在本机启动计算进程）或正在运行的 Dask 调度器地址 tcp://HOST:PORT。",
    "Worker processes of the local cluster (default 2).":
        "本地集群的计算进程数（默认 2）。",
    "Seconds for each variant's solve (default: the config's).":
        "每个变体求解的时间上限（秒，默认：配置文件中的）。",
    "Write into an --out folder that is not a sweep folder.":
        "写入一个不是扫描文件夹的 --out 文件夹。",
    "Print the version and exit.":
        "显示版本并退出。",
    "Number of volunteers (overrides the preset).":
        "志愿者人数（覆盖预设）。",
    "Number of social workers (overrides the preset).":
        "社工人数（覆盖预设）。",
    "Number of social organizations (overrides the preset).":
        "社会组织数（覆盖预设）。",
    "Number of charity lots (overrides the preset).":
        "慈善批次数（覆盖预设）。",
    "Show this message and exit.":
        "显示本帮助并退出。",
    "linkage-opt: five-community linkage resource planning.":
        "linkage-opt：五社联动资源规划。",
}

TYPER_PANELS_ZH = {"ARGUMENTS_PANEL_TITLE": "参数", "OPTIONS_PANEL_TITLE": "选项", "COMMANDS_PANEL_TITLE": "命令",
                   "ERRORS_PANEL_TITLE": "错误", "ABORTED_TEXT": "已中止。", "REQUIRED_LONG_STRING": "[必填]",
                   "DEFAULT_STRING": "[默认：{}]", "ENVVAR_STRING": "[环境变量：{}]",
                   "RICH_HELP": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。"}


def help_zh(text: str | None) -> str | None:
    return HELP_ZH.get(text, text) if text else text
