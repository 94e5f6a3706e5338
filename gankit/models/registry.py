"""Generators and discriminators by name, built from a ModelConfig and a DataSpec.

Adding an architecture is one builder function and one ``register`` line.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, Generator
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.encoder_decoder import (build_encoder_decoder,
                                           build_encoder_decoder_discriminator)
from gankit.models.mlp import MLPDiscriminator, MLPGenerator
from gankit.models.patchgan import build_patchgan
from gankit.models.unet import build_unet
from gankit.registry import Registry

GENERATORS: Registry[Callable[[ModelConfig, DataSpec], Generator]] = Registry("generator")
DISCRIMINATORS: Registry[Callable[[ModelConfig, DataSpec], Discriminator]] = Registry(
    "discriminator")


@GENERATORS.register("mlp")
def _mlp_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """fully connected generator (simple GAN)"""
    return MLPGenerator(spec, cfg.z_dim, cfg.g_width, cfg.depth, cfg.g_norm, cfg.g_cond,
                        cfg.embed_dim)


@DISCRIMINATORS.register("mlp")
def _mlp_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """fully connected discriminator (simple GAN)"""
    return MLPDiscriminator(spec, cfg.d_width, cfg.depth, cfg.d_norm, cfg.d_cond,
                            cfg.embed_dim, cfg.aux_classifier, cfg.d_dropout,
                            cfg.spectral_norm)


@GENERATORS.register("dcgan")
def _dcgan_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """DCGAN transposed-conv generator, 16–256 px"""
    _require_images(spec, "dcgan")
    return DCGANGenerator(spec, cfg.z_dim, cfg.g_width, cfg.g_norm, cfg.g_cond, cfg.embed_dim)


@DISCRIMINATORS.register("dcgan")
def _dcgan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """DCGAN strided-conv discriminator / critic, 16–256 px"""
    _require_images(spec, "dcgan")
    return DCGANDiscriminator(spec, cfg.d_width, cfg.d_norm, cfg.d_cond, cfg.embed_dim,
                              cfg.aux_classifier, cfg.d_dropout, cfg.spectral_norm)


@GENERATORS.register("unet")
def _unet_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """pix2pix U-Net (paired data; options: depth, dropout)"""
    return build_unet(spec, width=cfg.g_width, norm=cfg.g_norm,
                      **_options(cfg, "depth", "dropout", "dropout_blocks"))


@DISCRIMINATORS.register("patchgan")
def _patchgan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """pix2pix 70×70 PatchGAN on (source, image) pairs (options: n_layers)"""
    return build_patchgan(spec, width=cfg.d_width, norm=cfg.d_norm,
                          **_options(cfg, "n_layers"))


@GENERATORS.register("encoder-decoder")
def _encdec_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """ResNet-18 sketch encoder + label → transposed-conv decoder (options: pretrained)"""
    return build_encoder_decoder(spec, width=cfg.g_width, z_dim=cfg.z_dim,
                                 **_options(cfg, "pretrained"))


@DISCRIMINATORS.register("dropout-conv")
def _dropout_conv_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """conv discriminator with dropout after every conv, sees image + label (use_source)"""
    return build_encoder_decoder_discriminator(spec, width=cfg.d_width, dropout=cfg.d_dropout,
                                               **_options(cfg, "use_source"))


def _options(cfg: ModelConfig, *known: str) -> dict:
    """The architecture-specific keys of ``model.options`` that a builder accepts."""
    return {key: cfg.options[key] for key in known if key in cfg.options}


def _require_images(spec: DataSpec, arch: str) -> None:
    if spec.kind != "image":
        raise GankitError(f"the {arch} architecture needs image data, not {spec.kind}; "
                          "use model.generator=mlp / model.discriminator=mlp for 2-D points")


def build_generator(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """The generator named by ``cfg.generator``."""
    return GENERATORS.get(cfg.generator)(cfg, spec)


def build_discriminator(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """The discriminator named by ``cfg.discriminator``."""
    return DISCRIMINATORS.get(cfg.discriminator)(cfg, spec)


def count_parameters(module: nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())
