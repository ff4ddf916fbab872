"""MASE compatibility: the vocabulary MASE material uses, MASE's names, and ``carve port``.

* :mod:`carve.compat.vocabulary` - MASE keys and flags carve accepts (what each does);
* :mod:`carve.compat.names` - the ``chop`` name -> carve name table (``carve port``, docs);
* :mod:`carve.compat.utils`, :mod:`carve.compat.quantizers`, :mod:`carve.compat.toys` -
  helpers, quantizer functions and toy models under MASE's names and signatures;
* :mod:`carve.compat.quantized` - MASE's quantized layers (``LinearInteger(..., config=)``)
  and functions (``add_integer``), generated from carve's format catalog.
"""
