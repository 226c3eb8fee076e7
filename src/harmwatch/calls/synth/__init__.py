"""SYNTHETIC county-lines scenarios: parameters, the generator, its files, a naive baseline."""

from .baseline import naive_bulk_sms
from .files import write_scenario
from .generator import GENERATOR_VERSION, Scenario, generate
from .params import ScenarioParams

__all__ = [
    "GENERATOR_VERSION",
    "Scenario",
    "ScenarioParams",
    "generate",
    "naive_bulk_sms",
    "write_scenario",
]
