"""Solving a scenario into a Plan: the stages, the backends' calls, dispatchable rounding, the rule-of-thumb baseline, decomposition, the independent check, infeasibility diagnosis."""
