"""Search spaces: each turns sampled choices into a candidate a runner can evaluate.

A space class is built as ``Space(spec, context)`` (see
:class:`carve.search.spaces.base.SpaceContext`) and offers ``params`` (the
:class:`~carve.search.spaces.base.Param` choice lists) and
``candidate(values) -> Candidate``. Registered in :data:`carve.search.SPACES`.
"""
