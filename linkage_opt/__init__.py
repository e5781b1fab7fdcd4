"""linkage-opt: optimization engine for five-community linkage (五社联动) resource planning.

>>> import linkage_opt as lo
>>> scenario = lo.load_scenario("configs/zhugen.yaml")
>>> plan = lo.solve(scenario)
>>> plan.coverage.head()
>>> plan.write("plans/zhugen")
"""

from . import _clock  # noqa: F401  (first: the imports after it count against a command's wall)
from ._version import __version__
from .errors import InfeasibleError, LinkageError, OutputError, OutputPathError, Problem, SolverError, ValidationError
from .inputs.load import load_scenario, scenario_from_frames
from .inputs.scenario import Scenario
from .outputs import writing as _writing  # noqa: F401  (registers Plan.write's outputs: attach_outputs)
from .runs.sweep import SweepResult, sweep  # (likewise; dask is imported only when a sweep runs)
from .solving.api import solve  # one plan, or with decompose= a plan per part merged (solving/api.py)
from .solving.plan import Plan
from .solving.summary import Summary

__all__ = [
    "InfeasibleError",
    "LinkageError",
    "OutputError",
    "OutputPathError",
    "Plan",
    "Problem",
    "Scenario",
    "SolverError",
    "Summary",
    "SweepResult",
    "ValidationError",
    "__version__",
    "load_scenario",
    "scenario_from_frames",
    "solve",
    "sweep",
]
