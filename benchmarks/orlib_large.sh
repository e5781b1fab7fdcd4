#!/usr/bin/env bash
# Large OR-Library instances through the ordinary CLI, 300 s limit each (issue 6). Writes one JSON line
# per instance to benchmarks/out/orlib_large.jsonl. Usage: bash benchmarks/orlib_large.sh [LIMIT_SECONDS]
set -u
cd "$(dirname "$0")/.."
LIMIT=${1:-300}
SHARED=../shared/benchmarks
OUT=benchmarks/out
mkdir -p "$OUT"
PY=${PYTHON:-.venv/bin/python}
run_one() {  # name, converter args...
  local name=$1; shift
  local sc=$OUT/sc-$name plan=$OUT/plan-$name
  rm -rf "$sc" "$plan"
  $PY benchmarks/orlib.py "$@" "$sc" > /dev/null
  local t0=$(date +%s.%N)
  $PY cli.py plan "$sc/config.yaml" --out "$plan" --time-limit "$LIMIT" > /dev/null 2>&1
  local rc=$? t1=$(date +%s.%N)
  $PY - "$name" "$plan" "$sc" "$rc" "$t0" "$t1" <<'PYEOF' >> "$OUT/orlib_large.jsonl"
import json, sys, importlib.util
name, plan, sc, rc, t0, t1 = sys.argv[1:]
spec = importlib.util.spec_from_file_location("orlib", "benchmarks/orlib.py"); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
s = json.load(open(f"{plan}/summary.json", encoding="utf-8"))
meta = json.load(open(f"{sc}/meta.json"))
val = m.original_objective(plan, sc)
bound = s["best_bound"]
obound = meta["offset"] + meta["scale"] * bound if bound is not None else None
print(json.dumps({"instance": name, "exit": int(rc), "status": s["status"], "objective": val, "bound": obound, "gap": s["gap"],
                  "wall_s": round(float(t1) - float(t0), 1), "solve_s": s["timings"]["solve_s"], "build_s": s["timings"]["build_s"],
                  "variables": s["model"]["variables"], "integers": s["model"]["integer_variables"]}))
PYEOF
}
run_one capa-8000 cflp $SHARED/cflp/capa.txt --capacity 8000
run_one capb-5000 cflp $SHARED/cflp/capb.txt --capacity 5000
run_one capc-5000 cflp $SHARED/cflp/capc.txt --capacity 5000
run_one gapd-d05100 gap $SHARED/gap/orlib/gapd.txt 1
run_one gapd-d10100 gap $SHARED/gap/orlib/gapd.txt 3
run_one gapd-d20100 gap $SHARED/gap/orlib/gapd.txt 5
