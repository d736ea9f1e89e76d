"""Physics-based simulator of SHREC-style cryo-electron tomograms.

A library usable without the service: ``simulate_dataset`` writes N tomograms with exact
ground truth; ``simulate_tomogram`` writes one; ``load_template`` gives a class's potential.
"""

from simulation.dataset import simulate_dataset
from simulation.parameters import SimulationParameters
from simulation.placement import PlacementError
from simulation.templates import load_template
from simulation.tomogram import simulate_tomogram
from simulation.version import SIMULATOR_VERSION

__all__ = [
    "SIMULATOR_VERSION",
    "PlacementError",
    "SimulationParameters",
    "load_template",
    "simulate_dataset",
    "simulate_tomogram",
]
