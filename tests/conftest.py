"""Shared fixtures. ``write_scenario`` writes a tiny valid scenario (config + CSVs or one workbook)."""

from __future__ import annotations

import copy
import csv
import os
from pathlib import Path

import pytest
import yaml

# Printing sheets.pdf through headless Chromium takes seconds a plan: only tests/outputs/test_sheets.py asks for it.
os.environ.setdefault("LINKAGE_OPT_NO_PDF", "1")

TINY_CONFIG: dict = {
    "name": "tiny",
    "period": "2026-12",
    "data": "data",
    "categories": {
        "elderly_care": {"label": "养老服务", "weight": 0.4},
        "mental_health": {"weight": 0.3, "professional": True},
        "relief": {"unit": "yuan", "weight": 0.2, "funds_per_unit": 1.0},
        "material_aid": {"unit": "packages", "weight": 0.1, "items": {"rice": 1.0}},
    },
}

# Rows as the user would type them (every cell text). Row k of a table is spreadsheet row k + 2.
TINY_TABLES: dict[str, list[dict[str, str]]] = {
    "units": [
        {
            "unit_id": "U1",
            "name": "东门社区",
            "town": "Dongcheng",
            "kind": "community",
            "population": "3200",
            "lat": "30.2741",
            "lon": "120.1551",
            "tags": "pilot",
        },
        {
            "unit_id": "U2",
            "name": "西岭村",
            "town": "Dongcheng",
            "kind": "village",
            "population": "850",
            "lat": "30.2800",
            "lon": "120.1700",
            "tags": "",
        },
        {
            "unit_id": "U3",
            "name": "南湖社区",
            "town": "Nanhu",
            "kind": "community",
            "population": "4100",
            "lat": "30.2500",
            "lon": "120.1400",
            "tags": "pilot;weak_party_org",
        },
    ],
    "needs": [
        {
            "need_id": "",
            "unit_id": "U1",
            "category": "elderly_care",
            "quantity": "40",
            "tier": "guaranteed",
            "indivisible": "false",
        },
        {
            "need_id": "",
            "unit_id": "U2",
            "category": "material_aid",
            "quantity": "12",
            "tier": "basic",
            "indivisible": "false",
        },
        {
            "need_id": "",
            "unit_id": "U3",
            "category": "mental_health",
            "quantity": "6",
            "tier": "improvement",
            "indivisible": "true",
        },
    ],
    "volunteers": [
        {"volunteer_id": "V1", "home_unit": "U1", "hours": "20", "skills": "general", "party_member": "true"},
        {
            "volunteer_id": "V2",
            "home_unit": "U3",
            "hours": "12.5",
            "skills": "elderly_care;general",
            "party_member": "false",
        },
    ],
    "social_workers": [
        {
            "worker_id": "W1",
            "base_unit": "U1",
            "hours": "80",
            "skills": "mental_health;elderly_care",
            "org_id": "O1",
            "max_units": "3",
            "cost_per_hour": "35",
        },
    ],
    "organizations": [
        {
            "org_id": "O1",
            "name": "阳光社工服务中心",
            "base_unit": "U1",
            "capacity": "10",
            "fixed_cost": "2000",
            "skills": "elderly_care",
        },
    ],
    "programs": [
        {
            "program_id": "P1",
            "org_id": "O1",
            "category": "elderly_care",
            "output_per_instance": "10",
            "fixed_cost": "500",
            "worker_hours": "2",
            "volunteer_hours": "4",
            "eligible_units": "U1;U2",
        },
    ],
    "charity": [
        {
            "lot_id": "L1",
            "donor": "慈善总会",
            "kind": "funds",
            "quantity": "5000",
            "item": "",
            "category": "relief",
            "town": "",
            "unit_id": "",
            "expires": "",
        },
        {
            "lot_id": "L2",
            "donor": "超市",
            "kind": "goods",
            "quantity": "30",
            "item": "rice",
            "category": "",
            "town": "Dongcheng",
            "unit_id": "",
            "expires": "2026-12-20",
        },
    ],
    "reach": [
        {"provider_id": "W1", "unit_id": "U1", "cost_per_unit": "", "load_per_unit": ""},
        {"provider_id": "W1", "unit_id": "U3", "cost_per_unit": "5", "load_per_unit": ""},
    ],
}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _grid(rows: list[dict[str, str]], header: list[str] | None) -> list[list[str]]:
    if header is None:
        header = list(dict.fromkeys(k for r in rows for k in r))
    return [header] + [[str(r.get(h, "")) for h in header] for r in rows]


def write_scenario(
    root: Path,
    *,
    fmt: str = "csv",
    config: dict | None = None,
    tables: dict[str, list[dict[str, str]]] | None = None,
    drop: tuple[str, ...] = (),
    encoding: str = "utf-8",
) -> Path:
    """Write the tiny scenario (with ``tables`` replacing some tables' rows, ``drop`` leaving tables out)
    into ``root``: ``root/scenario.yaml`` and ``root/data/<table>.csv`` (``fmt="csv"``) or
    ``root/data.xlsx`` (``fmt="xlsx"``). Returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    cfg = _merge(copy.deepcopy(TINY_CONFIG), config or {})
    data = {**copy.deepcopy(TINY_TABLES), **(tables or {})}
    grids = {
        name: _grid(rows, None if rows else list(TINY_TABLES[name][0]))
        for name, rows in data.items()
        if name not in drop
    }
    if fmt == "csv":
        folder = root / "data"
        folder.mkdir(exist_ok=True)
        for name, grid in grids.items():
            with open(folder / f"{name}.csv", "w", encoding=encoding, newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(grid)
    elif fmt == "xlsx":
        import openpyxl

        cfg.setdefault("data", "data.xlsx")
        if cfg["data"] == "data":
            cfg["data"] = "data.xlsx"
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, grid in grids.items():
            ws = wb.create_sheet(name)
            for row in grid:
                ws.append([_excel_value(c) for c in row])
        wb.save(root / cfg["data"])
    else:
        raise ValueError(fmt)
    path = root / "scenario.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _excel_value(text: str):
    """Numbers and dates as Excel stores them, so the workbook is a real one and not text only."""
    import datetime as dt

    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return text


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """Config path of the tiny valid scenario, as CSVs in ``tmp_path / "data"``."""
    return write_scenario(tmp_path)


# People's details in extra columns, as a planner adds them to the template (tests/outputs/test_sheets.py,
# tests/outputs/test_privacy.py): names and phones are personal (config privacy.personal's defaults), 备注 is not.
PHONE_V1, PHONE_W1, PHONE_U1, PHONE_L1 = "13800001111", "13900002222", "02883330000", "02884440000"


def desk_tables() -> dict:
    tables = copy.deepcopy(TINY_TABLES)
    tables["volunteers"][0].update({"姓名": "张小红", "联系电话": PHONE_V1, "备注": "周末可到"})
    tables["volunteers"][1].update({"姓名": "李明", "联系电话": "13700003333", "备注": ""})
    tables["social_workers"][0].update({"姓名": "王芳", "联系电话": PHONE_W1})
    for u in tables["units"]:
        u.update(
            {
                "联系人": "赵书记" if u["unit_id"] == "U1" else "钱主任",
                "联系电话": PHONE_U1 if u["unit_id"] == "U1" else "",
            }
        )
    tables["charity"][0].update({"联系人": "孙会长", "联系电话": PHONE_L1})
    tables["charity"][1].update({"联系人": "", "联系电话": ""})
    return tables


@pytest.fixture(scope="session")
def desk_scenario(tmp_path_factory):
    """(config path, scenario, solved and explained plan) of the tiny scenario with people's details."""
    from linkage_opt.analysis.explain import attach_explanations
    from linkage_opt.inputs.load import load_scenario
    from linkage_opt.solving.api import solve

    root = tmp_path_factory.mktemp("desk")
    cfg = write_scenario(root, tables=desk_tables(), config={"rules": {"budget": {"amount": 20000}}})
    scenario = load_scenario(cfg)
    plan = solve(scenario, time_limit=20)
    attach_explanations(plan)
    return cfg, scenario, plan
