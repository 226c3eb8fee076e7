"""SYNTHETIC county-lines scenarios: parameters, the generator, its files, shards, a baseline."""

from .baseline import naive_bulk_sms
from .files import write_scenario
from .generator import GENERATOR_VERSION, Scenario, generate
from .params import ScenarioParams
from .shards import ShardPlan, iter_shards, plan_for_rows, write_shards

__all__ = [
    "GENERATOR_VERSION",
    "Scenario",
    "ScenarioParams",
    "ShardPlan",
    "generate",
    "iter_shards",
    "naive_bulk_sms",
    "plan_for_rows",
    "write_scenario",
    "write_shards",
]
