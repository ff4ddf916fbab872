"""MASE compatibility: MASE's names, toy models, quantizers and ``carve port``.

The vocabulary itself (MASE keys and flags carve accepts, what each does) is data
at the bottom layer, :mod:`carve.vocabulary` and :mod:`carve.mase_scope`, so the
config, quant and passes layers read it without importing this package.

* :mod:`carve.compat.names` - the ``chop`` name -> carve name table (``carve port``, docs);
* :mod:`carve.compat.utils`, :mod:`carve.compat.quantizers`, :mod:`carve.compat.toys` -
  helpers, quantizer functions and toy models under MASE's names and signatures;
* :mod:`carve.compat.quantized` - MASE's quantized layers (``LinearInteger(..., config=)``)
  and functions (``add_integer``), generated from carve's format catalog.
"""
