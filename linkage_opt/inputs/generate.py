"""Synthetic scenarios of any size, for benchmarks and tests (issue 6).

This module is the entry: the presets, the sizes (:func:`resolve_sizes`), :func:`generate` and
:func:`generate_command`, and the command line. It picks one of two generators, which write the files:

* :mod:`linkage_opt.inputs.generate_classic`: the ``town``, ``district`` and ``city`` presets (tidy rolls:
  towns on a grid, nine volunteer skill profiles; its module docstring tells what it writes);
* :mod:`linkage_opt.inputs.generate_real`: **realistic rolls**, the ``real_town``, ``real_district``
  (Wutongqiao-like: 8 towns, 170 units), ``real_city`` and ``province`` presets, or ``realistic=True`` /
  ``--realistic`` with any sizes: individual skill sets, skewed hours, party shares varying by unit, towns
  as dense clusters, demand ~1.3x supply, a binding budget, every rule on, written county by county. It
  builds on the classic generator's tables of names and helpers. The classic presets stay byte for byte
  as they were (tests pin them).

Both write an ordinary scenario -- ``out_dir/config.yaml`` referencing the CSV folder ``out_dir/data`` --
plus ``out_dir/meta.json``, feasible by construction, and the same arguments and seed give byte-identical
files.

Command line (the ``linkage-opt generate`` command wraps :func:`generate_command`)::

    python -m linkage_opt.inputs.generate --preset district --seed 1 OUT
    python -m linkage_opt.inputs.generate --units 60 --volunteers 1500 --seed 3 OUT
    python -m linkage_opt.inputs.generate --preset real_district --seed 1 OUT
    python -m linkage_opt.inputs.generate --realistic --units 400 --seed 1 OUT
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..i18n import Msg
from .generate_classic import CLASSIC_PRESETS, GENERATOR, PER_UNIT, generate_classic
from .generate_real import REAL_PER_UNIT, REAL_PRESETS, generate_realistic

# --------------------------------------------------------------------------------------------------
# Presets and sizes
# --------------------------------------------------------------------------------------------------

PRESETS: dict[str, dict] = {**CLASSIC_PRESETS, **REAL_PRESETS}  # each generator's own, the classic first
REALISTIC_PRESETS = tuple(REAL_PRESETS)
MAX_UNITS = 20_000  # the model keeps a units x units distance matrix
MAX_REALISTIC_UNITS = 40_000  # realistic rolls stream county by county; so many units need `plan --decompose`


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def resolve_sizes(
    preset: str | None = None,
    *,
    units: int | None = None,
    volunteers: int | None = None,
    workers: int | None = None,
    orgs: int | None = None,
    lots: int | None = None,
    realistic: bool = False,
) -> dict[str, int]:
    """Sizes from a preset and/or explicit counts (explicit ones win); ValueError on bad combinations.

    Without a preset, providers not given follow ``--units`` in the ``district`` preset's proportions, or
    the ``real_district`` preset's with ``realistic``."""
    given = {"units": units, "volunteers": volunteers, "workers": workers, "orgs": orgs, "lots": lots}
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(
                Msg("unknown preset {preset!r}; choose one of: {presets}", preset=preset, presets=", ".join(PRESETS))
            )
        base = dict(PRESETS[preset])
        if units is not None and any(v is None for k, v in given.items() if k != "units"):
            # scaling a preset's unit count without its providers would starve or flood the units
            raise ValueError(
                Msg(
                    "--units with --preset {preset}: give every provider count too "
                    "(--volunteers --workers --orgs --lots), or drop --preset to scale them with --units",
                    preset=preset,
                )
            )
    else:
        if units is None:
            raise ValueError(Msg("give --preset ({presets}) or at least --units", presets=", ".join(PRESETS)))
        per_unit = REAL_PER_UNIT if realistic else PER_UNIT
        base = {"units": units, **{k: int(round(r * units)) for k, r in per_unit.items()}}
    sizes = {k: int(v if v is not None else base[k]) for k, v in given.items()}
    for k, v in given.items():
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise ValueError(Msg("--{option} must be a whole number, got {value!r}", option=k, value=v))
    if sizes["units"] < 1:
        raise ValueError(Msg("--units must be at least 1, got {units}", units=sizes["units"]))
    limit = MAX_REALISTIC_UNITS if realistic else MAX_UNITS
    if sizes["units"] > limit:
        if realistic:
            raise ValueError(
                Msg(
                    "--units {units:,} is more than {limit:,}: the model keeps a units x units "
                    "distance matrix; split the area into several scenarios",
                    units=sizes["units"],
                    limit=limit,
                )
            )
        raise ValueError(
            Msg(
                "--units {units:,} is more than {limit:,}: the model keeps a units x units distance "
                "matrix; split the area into several scenarios, or write realistic rolls (--realistic) "
                "and plan them with `plan --decompose town`",
                units=sizes["units"],
                limit=limit,
            )
        )
    for k in ("volunteers", "workers", "orgs", "lots"):
        if sizes[k] < 0:
            raise ValueError(Msg("--{option} cannot be negative, got {value}", option=k, value=sizes[k]))
    if sizes["volunteers"] + sizes["workers"] + sizes["orgs"] + sizes["lots"] == 0:
        raise ValueError(Msg("no providers at all: give some volunteers, workers, organizations or lots"))
    return sizes


def generate_command(
    out: str | Path,
    preset: str | None = None,
    units: int | None = None,
    volunteers: int | None = None,
    workers: int | None = None,
    orgs: int | None = None,
    lots: int | None = None,
    seed: int = 0,
    realistic: bool = False,
) -> Path:
    """What ``linkage-opt generate`` runs: check the arguments, then :func:`generate`. Returns the config path.

    ``realistic`` (implied by the ``real_*`` presets) writes realistic rolls (:mod:`linkage_opt.inputs.generate_real`).

    Raises ValueError (with a message for the user) on an unknown preset, missing or negative sizes, a
    negative seed, or an ``out`` folder holding anything other than an earlier generated scenario.
    """
    realistic = bool(realistic) or preset in REALISTIC_PRESETS
    if preset is not None and preset in PRESETS and preset not in REALISTIC_PRESETS and realistic:
        raise ValueError(
            Msg(
                "--realistic with --preset {preset}: the realistic presets are {presets}; or give "
                "--units with --realistic",
                preset=preset,
                presets=", ".join(REALISTIC_PRESETS),
            )
        )
    sizes = resolve_sizes(
        preset, units=units, volunteers=volunteers, workers=workers, orgs=orgs, lots=lots, realistic=realistic
    )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(Msg("--seed must be a whole number >= 0, got {seed!r}", seed=seed))
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise ValueError(Msg("{out} exists and is not a folder", out=out))
        if any(out.iterdir()) and not _is_generated(out):
            raise ValueError(
                Msg(
                    "{out} exists and holds files that are not a generated scenario; choose an empty or new folder",
                    out=out,
                )
            )
    return generate(out, seed=int(seed), preset_name=preset, realistic=realistic, **sizes)


def generate(
    out_dir: str | Path,
    *,
    units: int,
    volunteers: int,
    workers: int,
    orgs: int,
    lots: int,
    seed: int,
    preset_name: str | None = None,
    realistic: bool | None = None,
) -> Path:
    """Write a synthetic scenario into ``out_dir`` (``config.yaml``, ``data/*.csv``, ``meta.json``).

    ``realistic`` (default: whether ``preset_name`` is one of the ``real_*`` presets) writes realistic
    rolls with :func:`linkage_opt.inputs.generate_real.generate_realistic`; otherwise the classic generator
    runs (:func:`linkage_opt.inputs.generate_classic.generate_classic`).
    Returns the config path. Deterministic: same arguments, same bytes.
    """
    if realistic is None:
        realistic = preset_name in REALISTIC_PRESETS
    sizes = resolve_sizes(
        None, units=units, volunteers=volunteers, workers=workers, orgs=orgs, lots=lots, realistic=bool(realistic)
    )
    if realistic:
        return generate_realistic(out_dir, seed=seed, preset_name=preset_name, **sizes)
    return generate_classic(out_dir, seed=seed, preset_name=preset_name, **sizes)


def _is_generated(folder: Path) -> bool:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("generator") == GENERATOR


# --------------------------------------------------------------------------------------------------
# python -m linkage_opt.inputs.generate
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m linkage_opt.inputs.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder to write (config.yaml, data/, meta.json)")
    ap.add_argument("--preset", choices=list(PRESETS))
    for k in ("units", "volunteers", "workers", "orgs", "lots"):
        ap.add_argument(f"--{k}", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--realistic",
        action="store_true",
        help="realistic rolls (implied by the real_* presets): individual skills, skewed hours, ...",
    )
    a = ap.parse_args(argv)
    try:
        path = generate_command(
            a.out, a.preset, a.units, a.volunteers, a.workers, a.orgs, a.lots, a.seed, realistic=a.realistic
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
