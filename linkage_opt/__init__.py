"""linkage-opt: optimization engine for five-community linkage (五社联动) resource planning.

    >>> import linkage_opt as lo
    >>> scenario = lo.load_scenario("configs/zhugen.yaml")
    >>> plan = lo.solve(scenario)
    >>> plan.coverage.head()
    >>> plan.write("plans/zhugen")
"""

from ._version import __version__
from .errors import InfeasibleError, LinkageError, OutputError, OutputPathError, Problem, SolverError, ValidationError
from .load import load_scenario, scenario_from_frames
from .plan import Plan
from .scenario import Scenario
from .solve import solve  # (binds the function over the submodule of the same name)
from .sweep import SweepResult, sweep  # (likewise; dask is imported only when a sweep runs)

__all__ = [
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
                     "__version__",
                     "load_scenario",
                     "scenario_from_frames",
                     "solve",
                     "sweep",
]
