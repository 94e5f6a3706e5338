"""gankit: train, evaluate and use GANs for images, offline first."""

__version__ = "0.1.0"
