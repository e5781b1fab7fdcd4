"""Transitional: Chinese for messages still formatted as plain English text, by regular expressions.

Every message made as a :class:`linkage_opt.i18n.Msg` (a message id and its parameters) is translated by the
gettext catalog and never comes here. What does (pydantic's own messages, the config's hint tables, the
AHP reader's and a few other modules' texts not yet converted) is translated segment by segment as before;
tests fail on a segment no pattern knows. This module shrinks as call sites move to ``Msg``; it is used
only by :func:`linkage_opt.i18n.render` for plain strings that are not message ids.
"""

from __future__ import annotations

import re as _re

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
    """An already formatted English message in Chinese, by the pattern table (the old way)."""
    if not text or lang == "en":
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


