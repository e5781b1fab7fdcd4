"""linkage-opt: optimization engine for five-community linkage (五社联动) resource planning.

    >>> import linkage_opt as lo
    >>> scenario = lo.load_scenario("configs/zhugen.yaml")
    >>> plan = lo.solve(scenario)
    >>> plan.coverage.head()
    >>> plan.write("plans/zhugen")
"""

__version__ = "0.1.0"

from .errors import (InfeasibleError, LinkageError, OutputError, OutputPathError, Problem, SolverError,  # noqa: E402
                     ValidationError)
from .load import load_scenario  # noqa: E402
from .plan import Plan  # noqa: E402
from .scenario import Scenario  # noqa: E402
from .solve import solve  # noqa: E402  (binds the function over the submodule of the same name)
from .sweep import SweepResult, sweep  # noqa: E402  (likewise; dask is imported only when a sweep runs)

__all__ = [
    "__version__",
    "InfeasibleError",
    "LinkageError",
    "OutputError",
    "OutputPathError",
    "Plan",
    "Problem",
    "Scenario",
    "SolverError",
    "SweepResult",
    "ValidationError",
    "load_scenario",
    "solve",
    "sweep",
]
