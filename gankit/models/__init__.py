"""Generators and discriminators, chosen by registry name."""

from gankit.models.base import DataSpec, Discriminator, DOutput, Generator
from gankit.models.registry import (DISCRIMINATORS, GENERATORS, build_discriminator,
                                    build_generator)

__all__ = ["DataSpec", "Discriminator", "DOutput", "Generator", "DISCRIMINATORS",
           "GENERATORS", "build_discriminator", "build_generator"]
