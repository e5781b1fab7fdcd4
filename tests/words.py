"""What may stay in Latin letters in Chinese text (messages, --help, the Chinese sheets), shared by
tests/test_i18n.py and the tests of the Chinese outputs."""

from __future__ import annotations

import re

# What may stay in Latin letters inside a Chinese message: ids, keys, values, option names, file names and
# units -- a placeholder, text in quotes or backticks, --options, identifiers with _ . / or digits, file names,
# upper-case acronyms and a few product names.
ALLOWED = re.compile(
    r"""
    \{[^}]*\}                        # a placeholder
  | `[^`]*` | '[^']*' | "[^"]*" | “[^”]*”   # quoted: a key, value or command
  | [\w.]*\[[^\]]*\][\w.]*             # rich markup, or a literal with brackets: [a, b, value], table[column=value].column
  | \.(?:xlsx|xls|html|csv|pdf|json|yaml|mo|po)\b   # a file kind (.xlsx)
  | --?[a-z][\w-]*                   # an option
  | \$?[A-Za-z][\w.-]*[_./\d<>*+=:][\w.<>/*+=:,-]*   # identifiers, paths, file names, key=value
  | \b[A-Z][A-Z0-9]+s?\b             # acronyms: CSV, UTF-8, MIP, HiGHS's parts
  | \b(?:HiGHS|Excel|WPS|Dask|Saaty|linkage-opt|pandas|pydantic|YAML|highs|cbc|scip|cpsat|sha256|dask|local|
        town|district|city|county|real|province|pid|tcp|ledger|sqlite|true|false|current|next|general|
        interrupted|elderly_care|lat|lon|km|stderr|Config|DataFrame|Scenario|str|pathlib|Path|x|e|g|json|text|
        en|zh|lambda_max|lots|max|min|vs|A|B|s|[a-z]|
        validate|plan|explain|check|whatif|generate|template|report|run|runs|list|show|diff|publish|restore|weights|
        sweep|config|λmax)\b
""",
    re.X,
)


def latin_left(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", ALLOWED.sub(" ", text))
