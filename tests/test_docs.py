"""The documentation stays in step with the code it describes."""

from pathlib import Path

from linkage_opt.inputs.config import KEY_DOCS, Config
from linkage_opt.inputs.docgen import _walk, render
from linkage_opt.rules import RULES

ROOT = Path(__file__).resolve().parents[1]


def test_data_md_is_generated_from_the_schema():
    assert (ROOT / "docs" / "data.md").read_text(encoding="utf-8") == render(), (
        "docs/data.md is out of step: run `python -m linkage_opt.inputs.docgen > docs/data.md`"
    )


def test_every_config_key_is_documented():
    missing = [p for p, _, _ in _walk(Config, "") if p not in KEY_DOCS]
    assert not missing, f"add these keys to config.KEY_DOCS: {missing}"


def test_model_md_names_every_row_block_the_code_builds():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for block in (
        "coverage",
        "service",
        "arrivals",
        "pool_balance",
        "capacity",
        "member_capacity",
        "program_output",
        "pool_funds",
        "org_link_flow",
        "org_link_case",
        "org_link_program",
        "worker_units",
        "worker_link_flow",
        "worker_link_case",
        *(rule.KEY for rule in RULES),
        "equity",
        "new_pairing_link",
        "new_pairings",
    ):
        assert f"`{block}`" in text, f"docs/model.md does not mention row block {block}"


def test_model_md_names_every_row_and_column_block_of_the_sample_model():
    from linkage_opt.inputs.load import load_scenario
    from linkage_opt.model.formulation import build

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    m = build(load_scenario(ROOT / "configs" / "zhugen.yaml")).model
    for block in [*m.row_blocks, *m.var_blocks]:
        assert f"`{block}" in text, f"docs/model.md does not mention block {block}"


def test_each_example_row_has_a_value_per_header():
    import csv
    import io
    import re

    text = (Path(__file__).parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"`(\w+)\.csv`\n\n```csv\n(.*?)\n```", text, re.S)
    assert len(blocks) == 8
    for name, body in blocks:
        header, row = list(csv.reader(io.StringIO(body)))
        assert len(row) == len(header), (name, len(header), len(row))
