"""Party-led category weights by AHP (Saaty's principal-eigenvector method), see ``docs/ahp.md``.

Input (YAML, safe-loaded): ``criteria`` plus either a full ``matrix`` or ``judgements`` (each pair once,
``[a, b, value]`` meaning a is ``value`` times as important as b; ``"1/3"`` allowed). Values must be on
Saaty's 1-9 scale or reciprocals. Weights are the normalised principal right eigenvector; the
consistency ratio is CR = CI / RI with CI = (lambda_max - n) / (n - 1) and Saaty's random index RI.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import yaml

from ..i18n import Msg

# Saaty's random consistency index by matrix size (Saaty 1980, The Analytic Hierarchy Process, McGraw-Hill).
RANDOM_INDEX = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
SCALE = {float(Fraction(k)) for k in range(1, 10)} | {1.0 / k for k in range(1, 10)}


class AhpInputError(ValueError):
    def __init__(self, problems: list[Msg]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class AhpResult:
    criteria: list[str]
    weights: dict[str, float]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    consistent: bool
    inconsistent_pairs: list[tuple[str, str, float, float, float]]  # (a, b, given, implied, deviation)


def _value(v) -> float:
    if isinstance(v, str):
        return float(Fraction(v.strip()))
    return float(v)


def _on_scale(v: float) -> bool:
    return any(abs(v - s) <= 1e-6 * max(1.0, s) for s in SCALE)


def load_pairwise(path: str | Path) -> tuple[list[str], np.ndarray]:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise AhpInputError([Msg("{path}: cannot read the file: {error}", path=path, error=exc)]) from None
    problems: list[str] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("criteria"), list) or len(raw["criteria"]) < 2:
        raise AhpInputError(
            [
                Msg(
                    "{path}: give `criteria:` (a list of at least two categories) and `matrix:` or `judgements:`",
                    path=path,
                )
            ]
        )
    crit = [str(c) for c in raw["criteria"]]
    if len(set(crit)) != len(crit):
        problems.append(Msg("{path}: criteria: a category is listed twice", path=path))
    n = len(crit)
    A = np.ones((n, n))
    if "matrix" in raw:
        M = raw["matrix"]
        if not isinstance(M, list) or len(M) != n or any(not isinstance(r, list) or len(r) != n for r in M):
            raise AhpInputError(
                [Msg("{path}: matrix: must be {n} rows of {n} values (one per criterion)", path=path, n=n)]
            )
        for i in range(n):
            for j in range(n):
                try:
                    A[i, j] = _value(M[i][j])
                except (ValueError, ZeroDivisionError):
                    problems.append(
                        Msg(
                            "{path}: matrix row {v}, column {v2}: {j!r} is not a number",
                            path=path,
                            v=i + 1,
                            v2=j + 1,
                            j=M[i][j],
                        )
                    )
                    continue
                if i == j and A[i, j] != 1:
                    problems.append(
                        Msg("{path}: matrix row {v}, column {v2}: the diagonal must be 1", path=path, v=i + 1, v2=j + 1)
                    )
                elif not _on_scale(A[i, j]):
                    problems.append(
                        Msg(
                            "{path}: matrix row {v}, column {v2}: {j!r} is not on Saaty's 1-9 scale (1..9 or 1/2..1/9)",
                            path=path,
                            v=i + 1,
                            v2=j + 1,
                            j=M[i][j],
                        )
                    )
        for i in range(n):
            for j in range(i + 1, n):
                if abs(A[i, j] * A[j, i] - 1) > 1e-3:
                    problems.append(
                        Msg(
                            "{path}: matrix row {v}, column {v2} and row {v2}, column {v}: {a:g} and {a2:g} are not reciprocal (their product must be 1)",
                            path=path,
                            v=i + 1,
                            v2=j + 1,
                            a=A[i, j],
                            a2=A[j, i],
                        )
                    )
    elif "judgements" in raw:
        seen: dict[frozenset, int] = {}
        for k, item in enumerate(raw["judgements"] or [], start=1):
            if not isinstance(item, list) or len(item) != 3:
                problems.append(Msg("{path}: judgement {k}: write [a, b, value]", path=path, k=k))
                continue
            a, b, v = str(item[0]), str(item[1]), item[2]
            bad = [c for c in (a, b) if c not in crit]
            for c in bad:
                m = difflib.get_close_matches(c, crit, n=1)
                problems.append(
                    Msg("{path}: judgement {k}: unknown criterion {c!r}", path=path, k=k, c=c)
                    + (Msg(" (did you mean {m!r}?)", m=m[0]) if m else "")
                )
            if bad:
                continue
            if a == b:
                problems.append(Msg("{path}: judgement {k}: compares {a!r} with itself", path=path, k=k, a=a))
                continue
            key = frozenset((a, b))
            if key in seen:
                problems.append(
                    Msg(
                        "{path}: judgement {k}: the pair {a}/{b} was already judged in judgement {key}",
                        path=path,
                        k=k,
                        a=a,
                        b=b,
                        key=seen[key],
                    )
                )
                continue
            seen[key] = k
            try:
                val = _value(v)
            except (ValueError, ZeroDivisionError):
                problems.append(Msg("{path}: judgement {k}: {v!r} is not a number", path=path, k=k, v=v))
                continue
            if not _on_scale(val):
                problems.append(
                    Msg(
                        "{path}: judgement {k}: {v!r} is not on Saaty's 1-9 scale (1..9 or 1/2..1/9)",
                        path=path,
                        k=k,
                        v=v,
                    )
                )
                continue
            i, j = crit.index(a), crit.index(b)
            A[i, j], A[j, i] = val, 1.0 / val
        for i in range(n):
            for j in range(i + 1, n):
                if frozenset((crit[i], crit[j])) not in seen:
                    problems.append(
                        Msg(
                            "{path}: judgements: the pair {i}/{j} is missing (every pair once)",
                            path=path,
                            i=crit[i],
                            j=crit[j],
                        )
                    )
    else:
        problems.append(Msg("{path}: give `matrix:` or `judgements:`", path=path))
    if problems:
        raise AhpInputError(problems)
    return crit, A


def ahp_weights(criteria: list[str], A: np.ndarray, threshold: float = 0.1) -> AhpResult:
    n = len(criteria)
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ri = RANDOM_INDEX.get(n, RANDOM_INDEX[15])
    cr = ci / ri if ri > 0 else 0.0
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            implied = w[i] / w[j]
            dev = max(A[i, j] / implied, implied / A[i, j])
            pairs.append((criteria[i], criteria[j], float(A[i, j]), float(implied), float(dev)))
    pairs.sort(key=lambda p: -p[4])
    return AhpResult(
        list(criteria), {c: float(x) for c, x in zip(criteria, w)}, lam, ci, cr, ri, cr <= threshold, pairs
    )


def format_result(r: AhpResult) -> list[tuple[str, str]]:
    rows = [(c, f"{r.weights[c]:.4f}") for c in sorted(r.criteria, key=lambda c: -r.weights[c])]
    rows += [
        ("lambda_max", f"{r.lambda_max:.4f}"),
        ("consistency index CI", f"{r.ci:.4f}"),
        ("random index RI", f"{r.ri:.2f}"),
        ("consistency ratio CR", f"{r.cr:.4f}"),
    ]
    return rows


def rounded_weights(weights: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Rounded weights that still sum to 1 (the largest absorbs the rounding)."""
    out = {c: round(v, digits) for c, v in weights.items()}
    top = max(out, key=out.get)
    out[top] = round(out[top] + 1.0 - sum(out.values()), digits)
    return out


def write_weights(config_path: str | Path, weights: dict[str, float], out_path: str | Path | None = None) -> Path:
    """Set ``categories.<name>.weight`` in a config, keeping every other line (comments included)."""
    config_path = Path(config_path)
    lines = config_path.read_text(encoding="utf-8").splitlines(keepends=True)
    w = rounded_weights(weights)
    done: set[str] = set()
    in_cats, current, cat_indent = False, None, None
    for k, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if re.match(r"^categories:\s*(#.*)?$", line):
            in_cats = True
            continue
        if in_cats and stripped and not stripped.startswith("#") and indent == 0:
            in_cats = False
        if not in_cats or not stripped or stripped.startswith("#"):
            continue
        m = re.match(r"^(\s*)([\w\-\u4e00-\u9fff]+):\s*(\{.*\})?\s*(#.*)?$", line.rstrip("\n"))
        if m and (cat_indent is None or len(m.group(1)) == cat_indent):
            cat_indent = len(m.group(1))
            current = m.group(2)
            if m.group(3) and current in w:  # flow style: {unit: hours, weight: 0.2}
                new = re.sub(r"(weight:\s*)[-+0-9.eE]+", rf"\g<1>{w[current]}", line)
                if new != line:
                    lines[k] = new
                    done.add(current)
            continue
        wm = re.match(r"^(\s*weight:\s*)[-+0-9.eE]+(.*)$", line.rstrip("\n"))
        if wm and current in w and indent > (cat_indent or 0):
            lines[k] = f"{wm.group(1)}{w[current]}{wm.group(2)}\n"
            done.add(current)
    missing = sorted(set(w) - done)
    if missing:
        found = (
            Msg("{path}: no `weight:` line found for category {categories}", path=config_path, categories=missing[0])
            if len(missing) == 1
            else Msg(
                "{path}: no `weight:` line found for categories {categories}",
                path=config_path,
                categories=", ".join(missing),
            )
        )
        raise AhpInputError([Msg("{found}; add `weight: 0` under each first", found=found)])
    target = Path(out_path) if out_path else config_path
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
    os.replace(tmp, target)
    return target
