"""The rule registry (linkage_opt.rules): every rule is one module with all its parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage_opt import rules
from linkage_opt.config import KEY_DOCS, Config
from linkage_opt.rules import RULES
from linkage_opt.rules.base import LANGS, TEXT_KINDS

from factories import make_scenario

ROOT = Path(__file__).resolve().parents[1]


# -- the registry --------------------------------------------------------------------------------------------

def test_every_rule_is_one_module_named_by_its_config_key():
    keys = [r.KEY for r in RULES]
    assert len(set(keys)) == len(keys)
    rules_model = Config.model_fields["rules"].annotation
    for rule in RULES:
        assert rule.__name__ == f"linkage_opt.rules.{rule.KEY}"            # type: ignore[attr-defined]
        assert (ROOT / "linkage_opt" / "rules" / f"{rule.KEY}.py").is_file()
        assert rules_model.model_fields[rule.KEY].annotation is rule.Settings
        assert "enabled" in rule.Settings.model_fields
        for name in ("active", "params", "aggregation", "add_rows", "check", "explains"):
            assert callable(getattr(rule, name)), (rule.KEY, name)


def test_every_rule_documents_its_settings_and_has_texts_in_both_languages():
    cfg = make_scenario().config
    for rule in RULES:
        assert set(rule.KEY_DOCS) == set(rule.Settings.model_fields), rule.KEY
        for field in rule.KEY_DOCS:
            assert f"rules.{rule.KEY}.{field}" in KEY_DOCS
        assert set(rule.TEXTS) == set(LANGS), rule.KEY
        for lang in LANGS:
            assert set(rule.TEXTS[lang]) == set(TEXT_KINDS), (rule.KEY, lang)
            for what in TEXT_KINDS:
                assert rules.text(rule, what, cfg, lang, category="c", category_zh="c"), (rule.KEY, lang, what)


def test_old_row_names_are_gone_and_the_config_rejects_unknown_rules():
    from linkage_opt.config import parse_config
    from linkage_opt.errors import ValidationError

    from factories import BASE_CONFIG

    with pytest.raises(ValidationError):
        parse_config({**BASE_CONFIG, "rules": {"max_hours_per_uint": {"hours": 3}}}, "test-config")
