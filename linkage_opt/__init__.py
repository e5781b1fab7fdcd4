"""linkage-opt: optimization engine for five-community linkage (五社联动) resource planning.

    >>> import linkage_opt as lo
    >>> scenario = lo.load_scenario("configs/zhugen.yaml")
    >>> plan = lo.solve(scenario)
    >>> plan.coverage.head()
    >>> plan.write("plans/zhugen")
"""

__version__ = "0.1.0"

from .errors import InfeasibleError, LinkageError, Problem, SolverError, ValidationError  # noqa: E402

__all__ = [
    "__version__",
    "InfeasibleError",
    "LinkageError",
    "Problem",
    "SolverError",
    "ValidationError",
    "load_scenario",
    "solve",
    "Plan",
]


def __getattr__(name):  # lazy: `import linkage_opt` stays cheap for the CLI's --help
    if name == "load_scenario":
        from .load import load_scenario

        return load_scenario
    if name == "solve":
        from .solve import solve

        return solve
    if name == "Plan":
        from .plan import Plan

        return Plan
    raise AttributeError(name)
