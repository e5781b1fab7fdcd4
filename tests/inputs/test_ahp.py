"""AHP weights: a published worked example, consistency, refusal of inconsistent judgements, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from linkage_opt.cli.commands import app
from linkage_opt.inputs.ahp import AhpInputError, ahp_weights, load_pairwise, write_weights

DRINKS = [
    ["coffee", "wine", 9],
    ["coffee", "tea", 5],
    ["coffee", "beer", 2],
    ["coffee", "soda", 1],
    ["coffee", "milk", 1],
    ["coffee", "water", "1/2"],
    ["wine", "tea", "1/3"],
    ["wine", "beer", "1/9"],
    ["wine", "soda", "1/9"],
    ["wine", "milk", "1/9"],
    ["wine", "water", "1/9"],
    ["tea", "beer", "1/3"],
    ["tea", "soda", "1/4"],
    ["tea", "milk", "1/3"],
    ["tea", "water", "1/9"],
    ["beer", "soda", "1/2"],
    ["beer", "milk", 1],
    ["beer", "water", "1/3"],
    ["soda", "milk", 2],
    ["soda", "water", "1/2"],
    ["milk", "water", "1/3"],
]


def write(tmp_path, doc) -> str:
    p = tmp_path / "pairwise.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return str(p)


def test_saaty_drinks_example(tmp_path):
    """T. L. Saaty, 'Decision making with the analytic hierarchy process', International Journal of
    Services Sciences 1(1), 2008, 83-98, Table 1 (relative consumption of drinks in the United States):
    eigenvector estimates coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129, water .327."""
    crit, A = load_pairwise(
        write(tmp_path, {"criteria": ["coffee", "wine", "tea", "beer", "soda", "milk", "water"], "judgements": DRINKS})
    )
    r = ahp_weights(crit, A)
    published = {
        "coffee": 0.177,
        "wine": 0.019,
        "tea": 0.042,
        "beer": 0.116,
        "soda": 0.190,
        "milk": 0.129,
        "water": 0.327,
    }
    for c, v in published.items():
        assert r.weights[c] == pytest.approx(v, abs=5e-4), c
    assert r.consistent and r.cr == pytest.approx(0.022, abs=5e-4)


def test_inconsistent_matrix_is_refused_naming_the_broken_pair(tmp_path):
    w = np.array([0.4, 0.3, 0.2, 0.1])
    crit = ["a", "b", "c", "d"]
    A = w[:, None] / w[None, :]
    A[0, 3], A[3, 0] = 1 / 9, 9.0  # a "much less important" than d: contradicts every other judgement
    r = ahp_weights(crit, A)
    assert not r.consistent and r.cr > 0.1
    assert {r.inconsistent_pairs[0][0], r.inconsistent_pairs[0][1]} == {"a", "d"}
    path = write(tmp_path, {"criteria": crit, "matrix": A.tolist()})
    res = CliRunner().invoke(app, ["weights", "ahp", path], terminal_width=200)
    # A has off-scale entries (4/3 ...): the CLI reports those as input problems, exit 2
    assert res.exit_code == 2


def test_cli_refuses_inconsistent_judgements_with_exit_2(tmp_path):
    doc = {"criteria": ["a", "b", "c"], "judgements": [["a", "b", 9], ["b", "c", 9], ["a", "c", "1/9"]]}
    res = CliRunner().invoke(app, ["weights", "ahp", write(tmp_path, doc)], terminal_width=200)
    assert res.exit_code == 2 and "refused" in res.output and "a vs c" in res.output


def test_input_problems_all_reported(tmp_path):
    doc = {
        "criteria": ["elderly_care", "culture", "relief"],
        "judgements": [["elderly_care", "cultur", 3], ["elderly_care", "relief", 12]],
    }
    with pytest.raises(AhpInputError) as info:
        load_pairwise(write(tmp_path, doc))
    text = "\n".join(info.value.problems)
    assert "unknown criterion 'cultur' (did you mean 'culture'?)" in text
    assert "12 is not on Saaty's 1-9 scale" in text
    assert "the pair culture/relief is missing" in text
    doc = {"criteria": ["a", "b"], "matrix": [[1, 3], [3, 1]]}
    with pytest.raises(AhpInputError, match="not reciprocal"):
        load_pairwise(write(tmp_path, doc))


def test_write_weights_keeps_comments_and_other_keys(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "period: '2026-12'   # month\ndata: data\ncategories:\n  # the party's priorities\n"
        "  elderly_care:\n    label: 养老服务\n    weight: 0.5   # was agreed in May\n"
        "  culture: {unit: hours, weight: 0.5}\nsolver: {backend: highs}\n",
        encoding="utf-8",
    )
    write_weights(cfg, {"elderly_care": 0.71234, "culture": 0.28766})
    text = cfg.read_text(encoding="utf-8")
    assert "weight: 0.7123   # was agreed in May" in text and "culture: {unit: hours, weight: 0.2877}" in text
    assert "# the party's priorities" in text and "label: 养老服务" in text and "solver: {backend: highs}" in text
    with pytest.raises(AhpInputError, match="mental_health"):
        write_weights(cfg, {"elderly_care": 0.5, "mental_health": 0.5})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 10.0), min_size=2, max_size=9))
def test_consistent_matrices_recover_their_weights(raw):
    w = np.array(raw) / np.sum(raw)
    A = w[:, None] / w[None, :]
    r = ahp_weights([f"c{i}" for i in range(len(w))], A)
    assert np.allclose([r.weights[f"c{i}"] for i in range(len(w))], w, atol=1e-9)
    assert r.cr == pytest.approx(0.0, abs=1e-9)
