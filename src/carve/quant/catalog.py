"""The ``FORMATS`` registry and the one table of format metadata.

Every fact about a format that is not numerics lives here, once: its MASE
config keys (``keys``: MASE's ``precision`` list order; ``extra_keys``: carve
extensions; ``optional_keys``), its straight-through kind, a one-line summary,
MASE's other names for it, and which spec fields may be filled from profiled
statistics. The format objects read their metadata from :data:`FORMAT_INFO`
(see :class:`carve.quant.base.NumberFormat`), and ``carve --info formats``
lists it without importing torch.

>>> FORMAT_INFO["integer"].config_keys
('width', 'frac_width', 'floor')
>>> FORMATS.meta("fixed")["summary"]
'alias of integer (MASE)'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carve.registry import Registry


@dataclass(frozen=True)
class FormatInfo:
    """Metadata of one number format (torch-free; the format object reads it)."""

    name: str
    target: str  # "module:attr" of the format object
    keys: tuple[str, ...]  # MASE config fields (<operand>_<key>), in MASE's precision order
    ste: str  # "identity", or "clipped": gradient zero where |x| > 1
    summary: str
    extra_keys: tuple[str, ...] = ()  # carve extensions, optional, not in precision
    optional_keys: tuple[str, ...] = ()  # MASE keys a config may leave out
    aliases: tuple[str, ...] = ()  # MASE's other names for the format
    # the format's part of quantized class names (``Linear<suffix>``), MASE's spelling;
    # empty: the name in CamelCase (block_log -> BlockLog)
    class_suffix: str = ""
    # spec field -> (statistic, entry) of profile_statistics that fills it when None
    profiled_fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def config_keys(self) -> tuple[str, ...]:
        """Every field a config may give per operand: ``keys`` then ``extra_keys``."""
        return (*self.keys, *self.extra_keys)

    @property
    def class_name(self) -> str:
        """How quantized class names spell the format (``MinifloatIEEE``, ``BlockLog``)."""
        return self.class_suffix or "".join(p[:1].upper() + p[1:] for p in self.name.split("_"))


_F = "carve.quant.formats"
_BLOCK_EXTRA = ("skip_first_dim",)  # MASE reads data_in_skip_first_dim too

FORMAT_TABLE: tuple[FormatInfo, ...] = (
    FormatInfo("integer", f"{_F}.integer:INTEGER", ("width", "frac_width"), "identity",
               "fixed point, round half to even, saturating (signed; unsigned for ReLU inputs)",
               extra_keys=("floor",), aliases=("fixed",)),
    FormatInfo("minifloat_ieee", f"{_F}.minifloat:MINIFLOAT_IEEE",
               ("width", "exponent_width", "exponent_bias"), "identity",
               "minifloat, implicit bit + subnormals, saturating, no inf/NaN codes",
               class_suffix="MinifloatIEEE"),
    FormatInfo("minifloat_denorm", f"{_F}.minifloat:MINIFLOAT_DENORM",
               ("width", "exponent_width", "exponent_bias"), "identity",
               "minifloat without implicit bit, saturating"),
    FormatInfo("log", f"{_F}.log:LOG", ("width", "exponent_bias"), "identity",
               "sign + power of two (log-domain rounding); no zero: 0 -> +2**-bias"),
    FormatInfo("block_fp", f"{_F}.block:BLOCK_FP",
               ("width", "exponent_width", "exponent_bias", "block_size"), "identity",
               "MSFP: shared exponent floor(log2 max)+1 per block, sign + (width-1)-bit mantissa",
               extra_keys=_BLOCK_EXTRA, class_suffix="BlockFP"),
    FormatInfo("block_minifloat", f"{_F}.block:BLOCK_MINIFLOAT",
               ("width", "exponent_width", "exponent_bias_width", "block_size"), "identity",
               "minifloat_ieee elements, shared bias per block puts the block max in the top "
               "binade",
               extra_keys=_BLOCK_EXTRA),
    FormatInfo("block_log", f"{_F}.block:BLOCK_LOG",
               ("width", "exponent_bias_width", "block_size"), "identity",
               "log elements with a shared bias per block", extra_keys=_BLOCK_EXTRA),
    FormatInfo("scaled_integer", f"{_F}.scaled_integer:SCALED_INTEGER", ("width",), "identity",
               "integer codes x data-derived scale (per tensor/channel, symmetric/asymmetric)",
               extra_keys=("granularity", "symmetric", "channel_dim")),
    FormatInfo("binary", f"{_F}.binary:BINARY", ("width", "stochastic", "bipolar"), "clipped",
               "one bit: +-1 (x>=0), +-alpha, or {0, alpha} (x>0); alpha = mean|x| per dim-0 slice",
               extra_keys=("scaled",)),
    FormatInfo("ternary", f"{_F}.ternary:TERNARY",
               ("width", "scaling_factor", "mean", "median", "max"), "clipped",
               "{-1, 0, +1} (x alpha); threshold, else 0.75 mean / 0.05 max / 0.75 median",
               extra_keys=("threshold",),
               profiled_fields={"mean": ("abs_mean", "abs_mean"),
                                "median": ("range_quantile", "max"),
                                "max": ("range_min_max", "max")}),
    FormatInfo("mxint", f"{_F}.mx:MXINT", ("width", "block_size"), "identity",
               "OCP MX: int elements, E8M0 scale 2**(floor(log2 amax)) per 32 elements",
               optional_keys=("block_size",)),
    FormatInfo("mxfp", f"{_F}.mx:MXFP", ("width", "exponent_width", "block_size"), "identity",
               "OCP MX: FP8/6/4 elements, E8M0 scale 2**(floor(log2 amax) - emax_elem) per 32",
               optional_keys=("block_size",)),
)  # fmt: skip

# the quantized layer ops: kind ("module": replaces an nn.Module; "function": a quantized
# callable for a call_function node) -> mase_op -> class-name stem (MASE's spelling). The
# layer classes take their names from here, so MASE's names are known without torch.
LAYER_STEMS: dict[str, dict[str, str]] = {
    "module": {
        "linear": "Linear",
        "conv1d": "Conv1d",
        "conv2d": "Conv2d",
        "relu": "ReLU",
        "batch_norm1d": "BatchNorm1d",
        "batch_norm2d": "BatchNorm2d",
        "max_pool1d": "MaxPool1d",
        "max_pool2d": "MaxPool2d",
        "avg_pool1d": "AvgPool1d",
        "avg_pool2d": "AvgPool2d",
        "adaptive_avg_pool1d": "AdaptiveAvgPool1d",
        "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
        "adaptive_max_pool1d": "AdaptiveMaxPool1d",
        "adaptive_max_pool2d": "AdaptiveMaxPool2d",
    },
    "function": {
        "add": "Add",
        "sub": "Sub",
        "mul": "Mul",
        "matmul": "Matmul",
        "bmm": "Bmm",
        "relu": "ReLUFunction",
    },
}


def layer_class_name(kind: str, mase_op: str, format_name: str) -> str:
    """The name of a quantized layer class (``LinearInteger``, ``Conv2dMinifloatIEEE``).

    >>> layer_class_name("module", "linear", "fixed")
    'LinearInteger'
    >>> layer_class_name("module", "conv2d", "block_fp")
    'Conv2dBlockFP'
    """
    return LAYER_STEMS[kind][mase_op] + FORMAT_INFO[format_name].class_name


def function_name(mase_op: str, format_name: str) -> str:
    """MASE's name of a quantized function (``add_integer``; an alias keeps its name)."""
    return f"{mase_op}_{format_name}"


# format name (aliases included) -> its metadata
FORMAT_INFO: dict[str, FormatInfo] = {}
FORMATS: Registry = Registry("format")

for _info in FORMAT_TABLE:
    for _name in (_info.name, *_info.aliases):
        FORMAT_INFO[_name] = _info
        summary = _info.summary if _name == _info.name else f"alias of {_info.name} (MASE)"
        FORMATS.add_lazy(_name, _info.target, keys=_info.config_keys, ste=_info.ste,
                         summary=summary)  # fmt: skip
