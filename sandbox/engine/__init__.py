"""The SimPy engine: plays a project forward day by day (see runner.Simulation)."""

from sandbox.engine.runner import Simulation, SimulationError

__all__ = ["Simulation", "SimulationError"]
