"""MLOps Lifecycle Sandbox: simulated public-sector AI projects for training."""

__version__ = "0.1.0"
