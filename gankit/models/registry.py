"""Generators and discriminators by name, built from a ModelConfig and a DataSpec.

Adding an architecture is one builder function and one ``register`` line.
"""

from __future__ import annotations

from typing import Callable

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, Generator
from gankit.models.biggan import BigGANDiscriminator, BigGANGenerator
from gankit.models.coarse_code import CoarseCodeNet, WithCoarseCode
from gankit.models.cyclegan import build_cycle_discriminator, build_cycle_generator
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.encoder_decoder import build_encoder_decoder, build_encoder_decoder_discriminator
from gankit.models.heads import DiscriminatorHeads
from gankit.models.layers import apply_spectral_norm
from gankit.models.mlp import MLPDiscriminator, MLPGenerator
from gankit.models.patchgan import build_patchgan
from gankit.models.r3gan import R3GANDiscriminator, R3GANGenerator
from gankit.models.resnet import ResNetDiscriminator, ResNetGenerator
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
                            cfg.embed_dim, cfg.aux_classifier, cfg.d_dropout)


@GENERATORS.register("dcgan")
def _dcgan_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """DCGAN transposed-conv generator, 16–256 px (options: upsample transposed | nearest)"""
    _require_images(spec, "dcgan")
    return DCGANGenerator(spec, cfg.z_dim, cfg.g_width, cfg.g_norm, cfg.g_cond, cfg.embed_dim,
                          **_options(cfg, "dcgan"))


@DISCRIMINATORS.register("dcgan")
def _dcgan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """DCGAN strided-conv discriminator / critic, 16–256 px"""
    _require_images(spec, "dcgan")
    return DCGANDiscriminator(spec, cfg.d_width, cfg.d_norm, cfg.d_cond, cfg.embed_dim,
                              cfg.aux_classifier, cfg.d_dropout, cfg.d_mbstd)


@GENERATORS.register("resnet")
def _resnet_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """SNGAN / WGAN-GP ResNet generator, 32–128 px (g_cond cbn: conditional BatchNorm)"""
    _require_images(spec, "resnet")
    return ResNetGenerator(spec, cfg.z_dim, cfg.g_width, cfg.g_norm, cfg.g_cond, cfg.embed_dim)


@DISCRIMINATORS.register("resnet")
def _resnet_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """SNGAN / WGAN-GP ResNet discriminator, 32–128 px (d_norm none | layer)"""
    _require_images(spec, "resnet")
    return ResNetDiscriminator(spec, cfg.d_width, cfg.d_norm, cfg.d_cond, cfg.embed_dim,
                               cfg.aux_classifier)


@GENERATORS.register("biggan")
def _biggan_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """BigGAN generator, 32–128 px: hierarchical z, shared-embedding cBN, always SN
    (conditional whenever the data has labels; options: attention)"""
    _require_images(spec, "biggan")
    return BigGANGenerator(spec, cfg.z_dim, cfg.g_width, cfg.g_norm, cfg.g_cond, cfg.embed_dim,
                           **_options(cfg, "biggan"))


@DISCRIMINATORS.register("biggan")
def _biggan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """BigGAN discriminator, 32–128 px: projection when labelled, always SN
    (options: attention)"""
    _require_images(spec, "biggan")
    # always spectrally normalised: by build_discriminator when model.spectral_norm is
    # set, by the network itself otherwise (never twice)
    return BigGANDiscriminator(spec, cfg.d_width, cfg.d_norm, cfg.d_cond, cfg.embed_dim,
                               cfg.aux_classifier, spectral_norm=not cfg.spectral_norm,
                               **_options(cfg, "biggan"))


@GENERATORS.register("r3gan")
def _r3gan_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """R3GAN generator (Huang et al., 2024), 32–128 px, no norms
    (options: blocks, group_channels, expansion)"""
    _require_images(spec, "r3gan")
    return R3GANGenerator(spec, cfg.z_dim, cfg.g_width, cfg.g_norm, cfg.g_cond, cfg.embed_dim,
                          **_options(cfg, "r3gan"))


@DISCRIMINATORS.register("r3gan")
def _r3gan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """R3GAN discriminator (Huang et al., 2024), 32–128 px, no norms
    (options: blocks, group_channels, expansion)"""
    _require_images(spec, "r3gan")
    return R3GANDiscriminator(spec, cfg.d_width, cfg.d_norm, cfg.d_cond, cfg.embed_dim,
                              cfg.aux_classifier, **_options(cfg, "r3gan"))


@GENERATORS.register("unet")
def _unet_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """pix2pix U-Net (paired data; options: depth, dropout)"""
    return build_unet(spec, width=cfg.g_width, norm=cfg.g_norm,
                      **_options(cfg, "unet"))


@DISCRIMINATORS.register("patchgan")
def _patchgan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """pix2pix 70×70 PatchGAN on (source, image) pairs (options: n_layers)"""
    return build_patchgan(spec, width=cfg.d_width, norm=cfg.d_norm,
                          **_options(cfg, "patchgan"))


@GENERATORS.register("encoder-decoder")
def _encdec_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """ResNet-18 sketch encoder + label → transposed-conv decoder (options: pretrained)"""
    return build_encoder_decoder(spec, width=cfg.g_width, z_dim=cfg.z_dim,
                                 **_options(cfg, "encoder-decoder"))


@DISCRIMINATORS.register("dropout-conv")
def _dropout_conv_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """conv discriminator with dropout after every conv, sees image + label (use_source)"""
    return build_encoder_decoder_discriminator(spec, width=cfg.d_width, dropout=cfg.d_dropout,
                                               **_options(cfg, "dropout-conv"))


@GENERATORS.register("cyclegan")
def _cyclegan_g(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """CycleGAN's two ResNet-block generators A→B, B→A (unpaired data; options: blocks,
    dropout)"""
    options = _options(cfg, "cyclegan")
    return build_cycle_generator(spec, width=cfg.g_width, norm=cfg.g_norm,
                                 **{k: options[k] for k in ("blocks", "dropout") if k in options})


@DISCRIMINATORS.register("cyclegan")
def _cyclegan_d(cfg: ModelConfig, spec: DataSpec) -> Discriminator:
    """CycleGAN's two 70×70 PatchGANs, one per domain (options: n_layers)"""
    options = _options(cfg, "cyclegan")
    return build_cycle_discriminator(spec, width=cfg.d_width, norm=cfg.d_norm,
                                     **{k: options[k] for k in ("n_layers",) if k in options})


#: the ``model.options`` keys each architecture takes (G and D share one options map)
OPTION_KEYS: dict[str, tuple[str, ...]] = {
    "unet": ("depth", "dropout", "dropout_blocks"),
    "patchgan": ("n_layers",),
    "encoder-decoder": ("pretrained",),
    "dropout-conv": ("use_source",),
    "cyclegan": ("blocks", "dropout", "n_layers"),
    "dcgan": ("upsample",),
    "resnet": (),
    "biggan": ("attention",),
    "r3gan": ("blocks", "group_channels", "expansion"),
}


#: options of an architecture's generator that its discriminator does not take
GENERATOR_ONLY_OPTIONS = {"upsample"}


def _options(cfg: ModelConfig, arch: str) -> dict:
    """The keys of ``model.options`` that architecture ``arch`` accepts."""
    return {key: cfg.options[key] for key in OPTION_KEYS[arch] if key in cfg.options}


#: architectures whose conditioning is chosen by ``g_cond`` / ``d_cond`` / ``aux_classifier``
#: (the image-to-image ones always take the label as input maps)
CONFIGURABLE_CONDITIONING = ("mlp", "dcgan", "resnet", "biggan", "r3gan")
#: where InfoGAN's code head reads the fakes: D's features, or its own coarse view
CODE_HEADS = ("shared", "coarse")
#: discriminators that can append a minibatch standard deviation channel (model.d_mbstd)
MBSTD_DISCRIMINATORS = ("dcgan",)


def check_options(cfg: ModelConfig) -> None:
    """Reject settings the chosen networks would silently ignore: an unknown
    ``model.options`` key, or a conditioning choice on an image-to-image network."""
    ignored = [name for name, value, arch in (
        ("g_cond", cfg.g_cond != "none", cfg.generator),
        ("d_cond", cfg.d_cond != "none", cfg.discriminator),
        ("aux_classifier", cfg.aux_classifier, cfg.discriminator))
        if value and arch not in CONFIGURABLE_CONDITIONING]
    if ignored:
        raise GankitError(f"model.{ignored[0]} applies to "
                          f"{', '.join(CONFIGURABLE_CONDITIONING)} networks only; "
                          "image-to-image networks take the label as input maps")
    if cfg.d_mbstd and cfg.discriminator not in MBSTD_DISCRIMINATORS:
        raise GankitError(f"model.d_mbstd applies to {', '.join(MBSTD_DISCRIMINATORS)} "
                          f"discriminators, not {cfg.discriminator}; set model.d_mbstd=0")
    known = (set(OPTION_KEYS.get(cfg.generator, ()))
             | set(OPTION_KEYS.get(cfg.discriminator, ())) - GENERATOR_ONLY_OPTIONS)
    unknown = sorted(set(cfg.options) - known)
    if unknown:
        raise GankitError(f"model.options.{unknown[0]} is not an option of "
                          f"{cfg.generator}/{cfg.discriminator}; they take: "
                          f"{', '.join(sorted(known)) or 'none'}")


def _require_images(spec: DataSpec, arch: str) -> None:
    if spec.kind != "image":
        raise GankitError(f"the {arch} architecture needs image data, not {spec.kind}; "
                          "use model.generator=mlp / model.discriminator=mlp for 2-D points")


def build_generator(cfg: ModelConfig, spec: DataSpec) -> Generator:
    """The generator named by ``cfg.generator`` (its last ``cfg.latent_codes`` latent
    dimensions a one-hot code when that is set)."""
    G = GENERATORS.get(cfg.generator)(cfg, spec)
    if cfg.latent_codes:
        if cfg.latent_codes >= G.z_dim:
            raise GankitError(f"model.latent_codes={cfg.latent_codes} needs a larger z: the "
                              f"code takes that many of z's {G.z_dim} dimensions; set "
                              f"model.z_dim above {cfg.latent_codes}")
        G.latent_codes = cfg.latent_codes
    return G


def _heads(D: Discriminator, cfg: ModelConfig, who_needs: str) -> DiscriminatorHeads:
    """D's configurable heads, or a user error saying who needs them."""
    heads = getattr(D, "heads", None)
    if not isinstance(heads, DiscriminatorHeads):
        raise GankitError(f"{who_needs} a discriminator with configurable heads "
                          f"({', '.join(CONFIGURABLE_CONDITIONING)}), not {cfg.discriminator!r}")
    return heads


def build_discriminator(cfg: ModelConfig, spec: DataSpec,
                        twin_classifier: bool = False) -> Discriminator:
    """The discriminator named by ``cfg.discriminator`` (with InfoGAN's code head when
    ``cfg.latent_codes`` is set, a twin of its auxiliary classifier with
    ``twin_classifier``; spectral norm on every conv and linear weight when
    ``cfg.spectral_norm``, whatever the architecture)."""
    D = DISCRIMINATORS.get(cfg.discriminator)(cfg, spec)
    if twin_classifier:
        _heads(D, cfg, "loss.aux_mode tac / adc need").add_twin_head()
    if cfg.code_head not in CODE_HEADS:
        raise GankitError(f"unknown model.code_head {cfg.code_head!r}; choose one of: "
                          f"{', '.join(CODE_HEADS)}")
    if cfg.code_head != "shared" and not cfg.latent_codes:
        raise GankitError(f"model.code_head={cfg.code_head} reads a latent code; set "
                          "model.latent_codes (e.g. 4) or leave model.code_head=shared")
    if cfg.latent_codes and cfg.code_head == "coarse":
        _require_images(spec, "coarse code head")
        D = apply_spectral_norm(D) if cfg.spectral_norm else D
        return WithCoarseCode(D, CoarseCodeNet(spec.channels, spec.resolution,
                                               cfg.latent_codes))
    if cfg.latent_codes:
        _heads(D, cfg, "model.latent_codes needs").add_code_head(cfg.latent_codes)
    return apply_spectral_norm(D) if cfg.spectral_norm else D
