"""The ``FORMATS`` registry: MASE format name -> format object (lazily imported).

Entries carry their MASE config keys and a one-line summary as metadata, so
``carve --info formats`` lists them without importing torch.
"""

from __future__ import annotations

from carve.registry import Registry

FORMATS: Registry = Registry("format")

# name, module:attr, MASE config keys, straight-through kind, summary
_ENTRIES: list[tuple[str, str, tuple[str, ...], str, str]] = [
    (
        "integer",
        "carve.quant.formats.integer:INTEGER",
        ("width", "frac_width", "floor"),
        "identity",
        "fixed point, round half to even, saturating (signed; unsigned for ReLU inputs)",
    ),
    (
        "minifloat_ieee",
        "carve.quant.formats.minifloat:MINIFLOAT_IEEE",
        ("width", "exponent_width", "exponent_bias"),
        "identity",
        "minifloat, implicit bit + subnormals, saturating, no inf/NaN codes",
    ),
    (
        "minifloat_denorm",
        "carve.quant.formats.minifloat:MINIFLOAT_DENORM",
        ("width", "exponent_width", "exponent_bias"),
        "identity",
        "minifloat without implicit bit, saturating",
    ),
    (
        "log",
        "carve.quant.formats.log:LOG",
        ("width", "exponent_bias"),
        "identity",
        "sign + power of two (log-domain rounding); no zero: 0 -> +2**-bias",
    ),
    (
        "block_fp",
        "carve.quant.formats.block:BLOCK_FP",
        ("width", "exponent_width", "exponent_bias", "block_size", "skip_first_dim"),
        "identity",
        "MSFP: shared exponent floor(log2 max)+1 per block, sign + (width-1)-bit mantissa",
    ),
    (
        "block_minifloat",
        "carve.quant.formats.block:BLOCK_MINIFLOAT",
        ("width", "exponent_width", "exponent_bias_width", "block_size", "skip_first_dim"),
        "identity",
        "minifloat_ieee elements, shared bias per block puts the block max in the top binade",
    ),
    (
        "block_log",
        "carve.quant.formats.block:BLOCK_LOG",
        ("width", "exponent_bias_width", "block_size", "skip_first_dim"),
        "identity",
        "log elements with a shared bias per block",
    ),
    (
        "scaled_integer",
        "carve.quant.formats.scaled_integer:SCALED_INTEGER",
        ("width", "granularity", "symmetric", "channel_dim"),
        "identity",
        "integer codes x data-derived scale (per tensor/channel, symmetric/asymmetric)",
    ),
    (
        "binary",
        "carve.quant.formats.binary:BINARY",
        ("width", "stochastic", "bipolar", "scaled"),
        "clipped",
        "one bit: +-1 (x>=0), +-alpha, or {0, alpha} (x>0); alpha = mean|x| per dim-0 slice",
    ),
    (
        "ternary",
        "carve.quant.formats.ternary:TERNARY",
        ("width", "scaling_factor", "mean", "median", "max", "threshold"),
        "clipped",
        "{-1, 0, +1} (x alpha); threshold, else 0.75 mean / 0.05 max / 0.75 median",
    ),
    (
        "mxint",
        "carve.quant.formats.mx:MXINT",
        ("width", "block_size"),
        "identity",
        "OCP MX: int elements, E8M0 scale 2**(floor(log2 amax)) per 32 elements",
    ),
    (
        "mxfp",
        "carve.quant.formats.mx:MXFP",
        ("width", "exponent_width", "block_size"),
        "identity",
        "OCP MX: FP8/6/4 elements, E8M0 scale 2**(floor(log2 amax) - emax_elem) per 32",
    ),
]

# MASE's other names for a format: the same object and metadata, listed as aliases
_ALIASES: dict[str, tuple[str, ...]] = {"integer": ("fixed",)}

for _name, _target, _keys, _ste, _summary in _ENTRIES:
    FORMATS.add_lazy(_name, _target, keys=_keys, ste=_ste, summary=_summary)
    for _alias in _ALIASES.get(_name, ()):
        FORMATS.add_lazy(_alias, _target, keys=_keys, ste=_ste, summary=f"alias of {_name} (MASE)")
