"""Sweeps on Dask (linkage_opt/runs/sweep.py, linkage_opt/analysis/robustness.py, `linkage-opt sweep`).

The in-process tests share one LocalCluster of one worker process; the CLI tests start their own (the
default `--scheduler local`); ``test_a_sweep_runs_on_a_real_scheduler_and_two_workers`` starts a real
`dask scheduler` and two `dask worker` processes on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

import linkage_opt as lo
from linkage_opt.analysis.robustness import robustness
from linkage_opt.cli.commands import app
from linkage_opt.runs.sweep import (
    STORE,
    Variant,
    grid_variants,
    parse_axis,
    read_store,
    scenario_digest,
    variant_fingerprint,
    weight_variants,
)

ROOT = Path(__file__).resolve().parents[2]


def scarce(tmp_path: Path) -> Path:
    """The tiny scenario with more need than supply, so that coverage moves with hours and weights."""
    tables = {
        "needs": [
            {
                "need_id": "g1",
                "unit_id": "U1",
                "category": "elderly_care",
                "quantity": "20",
                "tier": "guaranteed",
                "indivisible": "false",
            },
            {
                "need_id": "b1",
                "unit_id": "U1",
                "category": "elderly_care",
                "quantity": "120",
                "tier": "basic",
                "indivisible": "false",
            },
            {
                "need_id": "b2",
                "unit_id": "U3",
                "category": "elderly_care",
                "quantity": "90",
                "tier": "basic",
                "indivisible": "false",
            },
            {
                "need_id": "b3",
                "unit_id": "U3",
                "category": "mental_health",
                "quantity": "60",
                "tier": "basic",
                "indivisible": "false",
            },
            {
                "need_id": "m1",
                "unit_id": "U2",
                "category": "material_aid",
                "quantity": "12",
                "tier": "basic",
                "indivisible": "false",
            },
        ]
    }
    return write_scenario(tmp_path / "sc", tables=tables)


def env() -> dict:
    e = {**os.environ, "COLUMNS": "200"}
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


# ---------------------------------------------------------------------------------------------------
# What is swept
# ---------------------------------------------------------------------------------------------------


def test_grid_axes_take_the_whatif_syntax_and_make_every_combination():
    a = parse_axis("volunteers[home_unit=U1].hours*=0.5, 1.0")
    assert (a.target, a.op, a.values) == ("volunteers[home_unit=U1].hours", "*=", ("0.5", "1.0"))
    assert a.key == "volunteers[home_unit=U1].hours*="
    b = parse_axis("rules.budget.amount=100,1000,5000")
    assert b.key == "rules.budget.amount"
    vs = grid_variants([a, b])
    assert len(vs) == 6 and vs[0].changes == ("volunteers[home_unit=U1].hours*=0.5", "rules.budget.amount=100")
    assert vs[0].inputs == {"volunteers[home_unit=U1].hours*=": 0.5, "rules.budget.amount": 100.0}
    picked = grid_variants([a, b], sample=3, seed=7)
    assert len(picked) == 3 and set(p.changes for p in picked) <= set(v.changes for v in vs)
    assert [p.changes for p in picked] == [p.changes for p in grid_variants([a, b], sample=3, seed=7)]
    with pytest.raises(lo.ValidationError):
        parse_axis("volunteers.hours")
    with pytest.raises(lo.ValidationError):
        parse_axis("volunteers.hours*=1,,2")


def test_fingerprints_follow_the_inputs_not_the_files(tmp_path):
    s = lo.load_scenario(scarce(tmp_path))
    d = scenario_digest(s)
    assert d == scenario_digest(lo.load_scenario(scarce(tmp_path / "copy")))  # same content elsewhere
    changed = s.replace(needs=s.needs.assign(quantity=s.needs["quantity"] + 1))
    assert scenario_digest(changed) != d
    fp = variant_fingerprint(d, ["volunteers.hours*=0.5"], {"time_limit": 60, "threads": 1})
    assert fp == variant_fingerprint(d, ["volunteers.hours*=0.5"], {"threads": 1, "time_limit": 60})
    assert fp != variant_fingerprint(d, ["volunteers.hours*=0.6"], {"time_limit": 60, "threads": 1})
    assert fp != variant_fingerprint(d, ["volunteers.hours*=0.5"], {"time_limit": 30, "threads": 1})


def test_a_scenario_travels_pickled_validated_and_read_only(tmp_path):
    import pickle

    s = lo.load_scenario(scarce(tmp_path))
    back = pickle.loads(pickle.dumps(s))
    assert back.is_validated and scenario_digest(back) == scenario_digest(s)
    assert dict(back.origins) == dict(s.origins) and dict(back.input_hashes) == dict(s.input_hashes)
    with pytest.raises(TypeError):
        back.needs["quantity"] = 0
    changed = s.replace(needs=s.needs.assign(quantity=-1.0))  # not validated: solve() checks it again
    assert not pickle.loads(pickle.dumps(changed)).is_validated


def test_weight_samples_keep_the_total_and_stay_within_the_perturbation(tmp_path):
    cfg = lo.load_scenario(scarce(tmp_path)).config
    vs = weight_variants(cfg, 0.2, 5, seed=3)
    assert len(vs) == 6 and vs[0].changes == ()
    base = {c: cfg.categories[c].weight for c in cfg.categories}
    for v in vs[1:]:
        w = {c: v.inputs[f"weight.{c}"] for c in base}
        assert sum(w.values()) == pytest.approx(sum(base.values()))
        for c in base:  # each factor within ±20 %, then all rescaled together by less than 1.2/0.8
            assert 0.8 * 0.8 / 1.2 - 1e-9 <= w[c] / base[c] <= 1.2 * 1.2 / 0.8 + 1e-9
    zero = weight_variants(cfg, 0.0, 3)
    assert len({v.changes for v in zero[1:]}) == 1
    assert all(v.inputs[f"weight.{c}"] == base[c] for v in zero for c in base)


# ---------------------------------------------------------------------------------------------------
# Sweeps from Python
# ---------------------------------------------------------------------------------------------------


def test_sweep_writes_one_row_per_variant_as_csv_xlsx_and_html(tmp_path, client):
    out = tmp_path / "sweep"
    res = lo.sweep(
        scarce(tmp_path),
        ["volunteers.hours*=0.5,1", "rules.budget.amount=1000,5000"],
        out=out,
        client=client,
        time_limit=30,
    )
    assert isinstance(res, lo.SweepResult)
    t = res.table
    assert len(t) == 4 and res.solved == 4 and res.reused == 0 and res.failed == 0 and res.ok
    assert list(t.columns[:4]) == ["variant", "label", "volunteers.hours*=", "rules.budget.amount"]
    for col in (
        "status",
        "weighted_coverage",
        "rule_of_thumb_coverage",
        "min_unit_ratio",
        "guaranteed_met",
        "money",
        "gap",
        "seconds",
        "worker_peak_mb",
        "fingerprint",
        "error",
    ):
        assert col in t.columns
    assert set(t["status"]) <= {"optimal", "feasible"}
    # more volunteer hours never lower coverage; the optimizer is never below the rule of thumb
    for _budget, g in t.groupby("rules.budget.amount"):
        g = g.sort_values("volunteers.hours*=")
        assert g["weighted_coverage"].is_monotonic_increasing
    assert (t["weighted_coverage"] >= t["rule_of_thumb_coverage"] - 1e-9).all()
    assert len(res.workers) == 1 and res.workers["peak_mb"].iat[0] > 0
    csv = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(csv) == 4 and list(csv["fingerprint"]) == list(t["fingerprint"])
    wb = openpyxl.load_workbook(out / "sweep.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["Sweep", "Workers"]
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "rule of thumb" in html and "http" not in html.replace("http://www.w3.org", "")
    files = sorted((out / STORE).glob("*.json"))
    assert {f.stem for f in files} == set(t["fingerprint"])
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["variants"] == 4 and meta["solver"]["threads"] == 1 and meta["solver"]["time_limit"] == 30


def test_a_failed_variant_is_recorded_with_its_error_and_the_others_are_kept(tmp_path, client):
    out = tmp_path / "sweep"
    res = lo.sweep(scarce(tmp_path), ["needs[need_id=b1].quantity=-5,40"], out=out, client=client)
    t = res.table.set_index("needs[need_id=b1].quantity")
    assert t.loc[-5.0, "status"] == "failed" and "must not be negative" in t.loc[-5.0, "error"]
    assert t.loc[40.0, "status"] == "optimal" and not t.loc[40.0, "error"]
    assert res.failed == 1 and not res.ok
    assert len(list((out / STORE).glob("*.json"))) == 2  # the failure is on disk too
    again = lo.sweep(scarce(tmp_path), ["needs[need_id=b1].quantity=-5,40"], out=out, client=client)
    t2 = again.table.set_index("needs[need_id=b1].quantity")
    assert bool(t2.loc[40.0, "reused"]) and not bool(t2.loc[-5.0, "reused"])  # a failure is tried again
    assert again.solved == 1 and again.reused == 1


def test_a_rerun_reuses_the_finished_variants_by_fingerprint(tmp_path, client):
    out = tmp_path / "sweep"
    cfg = scarce(tmp_path)
    first = lo.sweep(cfg, ["volunteers.hours*=0.5,1"], out=out, client=client)
    stamps = {
        p.name: (p.stat().st_mtime_ns, json.loads(p.read_text())["finished_at"]) for p in (out / STORE).glob("*.json")
    }
    assert len(stamps) == 2
    second = lo.sweep(cfg, ["volunteers.hours*=0.5,1,1.5"], out=out, client=client)
    assert second.reused == 2 and second.solved == 1
    t = second.table
    assert list(t["reused"]) == [True, True, False]
    assert list(t["fingerprint"][:2]) == list(first.table["fingerprint"])
    for name, (mtime, finished) in stamps.items():  # the finished records were read, not rewritten
        p = out / STORE / name
        assert p.stat().st_mtime_ns == mtime and json.loads(p.read_text())["finished_at"] == finished
    assert t["weighted_coverage"].iloc[:2].tolist() == first.table["weighted_coverage"].tolist()
    # other solver options are other inputs: nothing is reused
    third = lo.sweep(cfg, ["volunteers.hours*=0.5"], out=out, client=client, time_limit=45)
    assert third.reused == 0 and third.solved == 1
    assert read_store(out, third.table["fingerprint"].iat[0])["status"] == "optimal"


def test_robustness_of_the_weights_has_one_row_per_unit_and_zero_range_without_perturbation(tmp_path, client):
    cfg = scarce(tmp_path)
    zero = lo.sweep(cfg, perturb_weights=0.0, sample=3, out=tmp_path / "zero", client=client)
    assert zero.solved == 1 and len(zero.table) == 4  # four samples, one distinct variant
    rob = zero.robustness
    assert set(rob.units["unit_id"]) == {"U1", "U2", "U3"}
    assert (rob.units["range"] == 0).all() and (rob.unit_categories["range"] == 0).all()
    assert not rob.units["rank_changed"].any() and rob.summary["units_changing_rank"] == 0
    moved = lo.sweep(cfg, perturb_weights=0.6, sample=4, seed=1, out=tmp_path / "moved", client=client)
    r = moved.robustness
    assert list(r.units.columns) == [
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
    assert len(r.unit_categories) == 4 and (r.unit_categories["samples"] == 5).all()
    assert (r.units["min_ratio"] <= r.units["base_ratio"] + 1e-9).all()
    assert (r.units["base_ratio"] <= r.units["max_ratio"] + 1e-9).all()
    for f in ("robustness_units.csv", "robustness_unit_categories.csv", "sweep.html", "sweep.xlsx"):
        assert (tmp_path / "moved" / f).is_file()
    assert "Unit stability" in openpyxl.load_workbook(tmp_path / "moved" / "sweep.xlsx", read_only=True).sheetnames


def test_robustness_names_the_units_that_change_rank():
    def rec(ratios):
        cov = {
            "unit_id": list(ratios),
            "unit_name": list(ratios),
            "category": ["c"] * len(ratios),
            "need": [10.0] * len(ratios),
            "covered": [10.0 * r for r in ratios.values()],
            "wn": [1.0] * len(ratios),
            "wc": [float(r) for r in ratios.values()],
        }
        return {"coverage": cov, "status": "optimal"}

    variants = [
        Variant(1, (), {"sample": 0}, "a"),
        Variant(2, ("x",), {"sample": 1}, "b"),
        Variant(3, ("y",), {"sample": 2}, "c"),
    ]
    records = {
        "a": rec({"A": 0.2, "B": 0.5, "C": 0.9}),
        "b": rec({"A": 0.6, "B": 0.5, "C": 0.9}),
        "c": rec({"A": 0.2, "B": 0.5, "C": 0.9}),
    }
    r = robustness(pd.DataFrame({"weighted_coverage": [0.5, 0.6, 0.5]}), records, variants)
    u = r.units.set_index("unit_id")
    assert u.loc["A", "range"] == pytest.approx(0.4) and u.loc["C", "range"] == 0
    assert (
        bool(u.loc["A", "rank_changed"]) and bool(u.loc["B", "rank_changed"]) and not bool(u.loc["C", "rank_changed"])
    )
    assert (u.loc["A", "base_rank"], u.loc["A", "worst_rank"], u.loc["A", "best_rank"]) == (1, 1, 2)
    assert u.loc["A", "samples_rank_changed"] == 1 and r.summary["units_changing_rank"] == 2
    assert r.units["unit_id"].iat[0] == "A"  # widest range first


# ---------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(app, ["sweep", *args], terminal_width=200)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--grid", "volunteers.hours"], "cannot read the grid 'volunteers.hours'"),
        (
            ["--grid", "volunteers.hourz*=0.5,1"],
            "table volunteers has no column 'hourz' -- hint: did you mean 'hours'?",
        ),
        (["--grid", "rules.budget.amount=1,x"], ""),
        (["--grid", "volunteers.hours*=0.5,x"], "'x' is not a number"),
        (["--grid", "rules.nothing.here=1,2"], "no config key 'rules.nothing.here'"),
        (["--grid", "volunteers.hours*=1,1"], "lists a value twice"),
        ([], "nothing to sweep"),
        (["--perturb-weights", "0.2", "--grid", "volunteers.hours*=1,2"], "cannot be combined"),
        (["--perturb-weights", "1.5"], "the perturbation must be from 0 to less than 1"),
        (["--grid", "volunteers.hours*=1,2", "--workers", "0"], "--workers: the number of workers must be"),
        (
            ["--grid", "volunteers.hours*=1,2", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
            "--workers applies to --scheduler local only",
        ),
        (["--grid", "volunteers.hours*=1,2", "--scheduler", "nowhere"], "'nowhere' is not a scheduler"),
        (["--grid", "volunteers.hours*=1,2", "--time-limit", "0"], "--time-limit"),
    ],
)
def test_bad_grid_or_option_exits_2_with_a_located_message(tiny_scenario, tmp_path, args, expected):
    out = tmp_path / "sweep"
    r = run(str(tiny_scenario), "--out", str(out), *args)
    if expected == "":  # rules.budget.amount=x is a YAML string: the config refuses it, located
        assert r.exit_code == 2 and "--grid rules.budget.amount=x" in r.output, r.output
        return
    assert r.exit_code == 2, r.output
    assert expected in r.output and "Traceback" not in r.output
    assert not out.exists()  # nothing written, nothing solved


def test_bad_grid_in_chinese_and_an_out_that_is_a_file(tiny_scenario, tmp_path):
    from linkage_opt import lang as L

    L.MISSES.clear()
    r = run(str(tiny_scenario), "--grid", "volunteers.hours*=0.5,x", "--out", str(tmp_path / "s"), "--lang", "zh")
    assert r.exit_code == 2 and "发现 1 处输入问题" in r.output and "不是数字" in r.output
    for args in (
        ["--grid", "volunteers.hours"],
        ["--grid", "volunteers.hours*=1,1"],
        [],
        ["--perturb-weights", "0.2", "--grid", "volunteers.hours*=1,2"],
        ["--perturb-weights", "1.5"],
        ["--grid", "volunteers.hours*=1,2", "--workers", "0", "--sample", "0", "--scheduler", "nowhere"],
    ):
        r = run(str(tiny_scenario), "--out", str(tmp_path / "s"), "--lang", "zh", *args)
        assert r.exit_code == 2 and "发现" in r.output, r.output
    assert not L.MISSES, L.MISSES  # every sweep problem reads in Chinese
    f = tmp_path / "notes.txt"
    f.write_text("keep", encoding="utf-8")
    r = run(str(tiny_scenario), "--grid", "volunteers.hours*=1,2", "--out", str(f))
    assert r.exit_code == 2 and "is a regular file, not a folder" in r.output and f.read_text() == "keep"
    assert "it is created if missing" in r.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.txt").write_text("x")
    r = run(str(tiny_scenario), "--grid", "volunteers.hours*=1,2", "--out", str(other))
    assert r.exit_code == 2 and "not a linkage-opt sweep folder" in r.output
    assert sorted(p.name for p in other.iterdir()) == ["mine.txt"]


def test_unreachable_scheduler_exits_2(tiny_scenario, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules["linkage_opt.runs.sweep"], "CONNECT_TIMEOUT", 2.0)
    r = run(
        str(tiny_scenario),
        "--grid",
        "volunteers.hours*=1,2",
        "--out",
        str(tmp_path / "s"),
        "--scheduler",
        f"tcp://127.0.0.1:{free_port()}",
    )
    assert r.exit_code == 2, r.output
    assert "cannot reach the scheduler" in r.output and "Traceback" not in r.output


def test_sigterm_mid_sweep_keeps_every_finished_variant(tmp_path):
    cfg = scarce(tmp_path)
    out = tmp_path / "sweep"
    values = ",".join(f"{0.3 + 0.02 * k:.2f}" for k in range(40))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkage_opt.cli.commands",
            "sweep",
            str(cfg),
            "--grid",
            f"volunteers.hours*={values}",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / STORE).is_dir() or len(list((out / STORE).glob("*.json"))) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no variant finished in 60 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "finished variants are kept" in stderr and "Traceback" not in stderr
    kept = list((out / STORE).glob("*.json"))
    assert 2 <= len(kept) < 40
    for p in kept:  # every record complete (written atomically)
        rec = json.loads(p.read_text(encoding="utf-8"))
        assert rec["fingerprint"] == p.stem and rec["status"] == "optimal"
    assert not [p for p in (out / STORE).iterdir() if p.suffix != ".json"]  # no temporary files left
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 40 and (table["status"] == "optimal").sum() >= len(kept)
    assert (table["status"] == "not run").any()


# ---------------------------------------------------------------------------------------------------
# A real scheduler and two real workers on loopback
# ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def dask_cluster(tmp_path_factory, request):
    """A `dask scheduler` and two `dask worker --nthreads 1` processes on 127.0.0.1, in a folder of their own
    (they share no files with the sweep); stopped in the finalizer."""
    port = free_port()
    where = tmp_path_factory.mktemp("dask-cluster")
    procs: list[subprocess.Popen] = []

    logs: list = []

    def stop():
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in logs:
            f.close()

    request.addfinalizer(stop)
    logs += [open(where / f"{name}.log", "w") for name in ("scheduler", "worker1", "worker2")]  # noqa: SIM115
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            cwd=where,
            env=env(),
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        )
    )
    deadline = time.monotonic() + 30
    while not _listening(port):
        assert procs[0].poll() is None, (where / "scheduler.log").read_text()
        assert time.monotonic() < deadline, "the scheduler did not start in 30 s"
        time.sleep(0.1)
    address = f"tcp://127.0.0.1:{port}"
    for i in (1, 2):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                ],
                cwd=where,
                env=env(),
                stdout=logs[i],
                stderr=subprocess.STDOUT,
            )
        )
    from distributed import Client

    with Client(address, timeout=30) as c:
        c.wait_for_workers(2, timeout=30)
        workers = set(c.scheduler_info()["workers"])
    return address, workers


@pytest.mark.cluster
def test_a_sweep_runs_on_a_real_scheduler_and_two_workers(tmp_path, dask_cluster):
    address, workers = dask_cluster
    cfg = scarce(tmp_path)
    out = tmp_path / "sweep"
    started = time.monotonic()
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "linkage_opt.cli.commands",
            "sweep",
            str(cfg),
            "--grid",
            "volunteers.hours*=0.5,0.75,1,1.25",
            "--grid",
            "rules.budget.amount=1000,5000",
            "--scheduler",
            address,
            "--out",
            str(out),
            "--time-limit",
            "20",
        ],
        cwd=tmp_path,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 8 and set(table["status"]) == {"optimal"}
    assert set(table["worker"]) <= workers  # solved on the cluster's workers, not here
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["scheduler"] == address and meta["solved"] == 8
    assert all(w["peak_mb"] > 0 for w in meta["workers"])
    assert time.monotonic() - started < 60


def test_ahp_samples_move_each_judgement_at_most_one_saaty_step_and_keep_the_total(tmp_path, client):
    from linkage_opt.inputs.ahp import ahp_weights, load_pairwise
    from linkage_opt.runs.sweep import SAATY_STEPS, ahp_variants, saaty_step

    assert saaty_step(1.0, 1) == 2.0 and saaty_step(1.0, -1) == 0.5 and saaty_step(9.0, 1) == 9.0
    assert saaty_step(1 / 3, 1) == 0.5 and saaty_step(1 / 9, -1) == pytest.approx(1 / 9)
    cfg = scarce(tmp_path)
    ahp = tmp_path / "ahp.yaml"
    ahp.write_text(
        "criteria: [elderly_care, mental_health, material_aid]\njudgements:\n"
        "  - [elderly_care, mental_health, 3]\n  - [elderly_care, material_aid, 5]\n"
        "  - [mental_health, material_aid, 2]\n",
        encoding="utf-8",
    )
    crit, A = load_pairwise(ahp)
    sc = lo.load_scenario(cfg)
    total = sum(sc.config.categories[c].weight for c in crit)
    vs = ahp_variants(sc.config, crit, A, 12, seed=3)
    assert vs[0].changes == () and vs[0].inputs["sample"] == 0
    idx = {v: i for i, v in enumerate(SAATY_STEPS)}
    for v in vs[1:]:
        w = {c: v.inputs[f"weight.{c}"] for c in crit}
        assert sum(w.values()) == pytest.approx(total)
        # some matrix within one step of each judgement gives these weights: check the ones sampled
        assert 0 <= v.inputs["judgements_moved"] <= 3
    # the weights of an unmoved matrix are the AHP weights scaled to the total
    assert ahp_weights(crit, A).weights["elderly_care"] > 0.5
    assert max(abs(idx[saaty_step(3.0, s)] - idx[3.0]) for s in (-1, 0, 1)) == 1
    res = lo.sweep(cfg, perturb_ahp=ahp, sample=3, seed=1, out=tmp_path / "ahp", client=client)
    rob = res.robustness
    assert rob is not None and set(rob.units["unit_id"]) == {"U1", "U2", "U3"}
    assert (rob.units["min_ratio"] <= rob.units["base_ratio"] + 1e-9).all()
    assert (tmp_path / "ahp" / "robustness_units.csv").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "criteria: [elderly_care, nonsense]\njudgements:\n  - [elderly_care, nonsense, 3]\n", encoding="utf-8"
    )
    with pytest.raises(lo.ValidationError, match="nonsense"):
        lo.sweep(cfg, perturb_ahp=bad, sample=2, client=client)
    with pytest.raises(lo.ValidationError, match="cannot be combined"):
        lo.sweep(cfg, perturb_ahp=ahp, perturb_weights=0.2, client=client)
