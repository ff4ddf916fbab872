"""A physics-inspired generator of synthetic JSC-like jets (numpy only).

This is *not* real data. It mimics the schema and the shape of the real task
(OpenML 42468 / hls4ml jets at pT ~ 1 TeV) so that training, quantization and
search behave as on the real data when the real file cannot be downloaded.

Each jet draws a class, then a *prong structure* (how many hard subjets the
groomed jet kept: W/Z usually two, top usually three, quark/gluon one, with
grooming sometimes losing prongs), and from those a few latent quantities:
groomed mass (peaks near W 80, Z 91, top 173 GeV with resolution tails and a
W shoulder for tops), two-/three-prong likeness, jet width and a radiation
level (gluons radiate more than quarks, heavier one-prong jets have more
constituents, and heavy QCD jets look more two-prong: "mass sculpting"). The
16 observables are noisy, correlated, heavy-tailed functions of these latents,
built like the real energy-correlation ratios (C2 = e3/e2^2, D2 = e3/e2^3, ...);
``d2_a1_b1_mmdt`` equals ``d2_b1_mmdt`` exactly, as in the real data. The
class overlaps (W vs Z, quark vs gluon) are calibrated so that a float
16-64-32-32-5 MLP reaches about the real task's accuracy (see
``benchmarks/jsc_synth_calibration.py``).

>>> x, y = generate_jsc_synth(1000, seed=1)
>>> x.shape, x.dtype.name, y.dtype.name, bool((x[:, 6] == x[:, 8]).all())
((1000, 16), 'float32', 'int64', True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Class fractions of the hls4ml 2019 test split (g, q, w, z, t); ~20 % each.
CLASS_FRACTIONS = np.array([39_833, 38_461, 39_602, 39_667, 39_799], dtype=np.float64)
CLASS_FRACTIONS /= CLASS_FRACTIONS.sum()

# P(prongs kept after grooming | class): columns 1, 2, 3 prongs.
PRONG_PROBABILITIES = np.array(
    [
        [0.93, 0.07, 0.00],  # gluon: occasional hard splitting looks two-prong
        [0.95, 0.05, 0.00],  # quark
        [0.07, 0.93, 0.00],  # W: grooming sometimes drops a prong
        [0.07, 0.93, 0.00],  # Z
        [0.03, 0.10, 0.87],  # top: sometimes only the W subjet survives
    ]
)

# Groomed mass per (class, prongs): (log-normal?, centre GeV, width).
# Log-normal rows use centre = median and width = sigma of log(mass).
MASS_MODEL = {
    (0, 1): (True, 30.0, 0.80),
    (1, 1): (True, 18.0, 0.80),
    (2, 1): (True, 22.0, 0.85),
    (3, 1): (True, 24.0, 0.85),
    (4, 1): (True, 30.0, 0.85),
    (0, 2): (True, 75.0, 0.45),
    (1, 2): (True, 65.0, 0.45),
    (2, 2): (False, 80.4, 7.0),
    (3, 2): (False, 91.2, 7.5),
    (4, 2): (False, 82.0, 12.0),
    (4, 3): (False, 173.0, 17.0),
}

# Mean constituent multiplicity per class at 25 GeV (one prong) or per boson/top jet.
MULTIPLICITY_MEAN = np.array([46.0, 32.0, 38.0, 41.0, 55.0])
# Jet width (radiation spread) per class, relative units.
WIDTH_MEDIAN = np.array([1.5, 1.0, 0.9, 0.92, 1.05])


def generate_jsc_synth(num_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``num_rows`` synthetic jets: raw features ``[N, 16]`` float32, labels int64.

    Deterministic for a given ``(num_rows, seed)``; features are in physical
    units (GeV for the mass, counts for the multiplicity), not standardized.
    """
    rng = np.random.default_rng(seed)
    jets = _draw_latents(rng, num_rows)
    return _observables(rng, jets), jets.label.astype(np.int64)


@dataclass
class _Latents:
    """Per-jet hidden quantities from which the observables are built."""

    label: np.ndarray  # class index in g, q, w, z, t order
    prongs: np.ndarray  # hard subjets kept by grooming: 1, 2 or 3
    mass: np.ndarray  # groomed mass, GeV
    rho: np.ndarray  # mass / pT
    radiation: np.ndarray  # shared fluctuation of softer emissions
    width: np.ndarray  # angular spread of the radiation
    two_prong: np.ndarray  # tau21-like in (0, 1): low = two-prong
    three_prong: np.ndarray  # tau32-like in (0, 1): low = three-prong


def _draw_latents(rng: np.random.Generator, n: int) -> _Latents:
    label = rng.choice(5, size=n, p=CLASS_FRACTIONS)
    prongs = _draw_prongs(rng, label)
    mass = _draw_mass(rng, label, prongs)

    pt = 1000.0 * _lognormal(rng, 0.08, n)
    rho = mass / pt
    radiation = _lognormal(rng, 0.22, n)  # shared fluctuation of softer emissions
    width = WIDTH_MEDIAN[label] * radiation**0.7 * _lognormal(rng, 0.18, n)

    # Two-prong (tau21-like) and three-prong (tau32-like) ratios in (0, 1).
    # Beta shapes by prongs: low values = that many prongs (QCD two-prong fakes less clean).
    fake = (prongs == 2) & (label <= 1)
    two_a = np.where(fake, 4.0, np.where(prongs >= 2, 3.0, 5.0))
    two_b = np.where(fake, 4.5, np.where(prongs >= 2, 5.0, 3.0))
    two_prong = rng.beta(two_a, two_b)
    # Mass sculpting: heavy one-prong (QCD) jets look more two-prong, so a low N2/D2 only
    # points to a W/Z together with a mass in the boson window.
    sculpt = np.clip(mass / 40.0, 0.5, 4.0) ** -0.35
    two_prong = np.where(prongs == 1, two_prong * sculpt, two_prong)
    three_prong = rng.beta(np.where(prongs == 3, 3.0, 5.0), np.where(prongs == 3, 5.0, 3.2))
    return _Latents(label, prongs, mass, rho, radiation, width, two_prong, three_prong)


def _observables(rng: np.random.Generator, jets: _Latents) -> np.ndarray:
    """The 16 features (physical units) as noisy functions of the latents."""
    n = len(jets.label)
    label, prongs, mass, rho, width = jets.label, jets.prongs, jets.mass, jets.rho, jets.width
    radiation, two_prong, three_prong = jets.radiation, jets.two_prong, jets.three_prong

    # One-prong jets get their mass from radiation: more constituents when heavier.
    mass_factor = np.where(prongs == 1, np.sqrt(mass / 25.0), 1.0)
    lam = MULTIPLICITY_MEAN[label] * radiation * mass_factor * (1.0 + 0.15 * (prongs - 1))
    lam = _saturate(lam, 120.0)
    multiplicity = rng.poisson(rng.gamma(20.0, lam / 20.0)).astype(np.float64) + 2.0

    # zlogz = sum z log z: -log(n) for an even share, nearer 0 for one hard constituent.
    evenness = np.maximum(rng.beta(10.0, 3.5, n), 0.45)
    zlogz = -np.log(multiplicity) * evenness
    sum_z2 = _saturate(np.exp(0.9 * zlogz) * _lognormal(rng, 0.2, n), 0.4)
    c1_b0 = 0.5 * (1.0 - sum_z2)

    c1_b2 = rho**1.3 * _lognormal(rng, 0.10, n)  # e2(beta=2): grows with m / pT
    c1_b1 = rho**0.7 * width**0.5 * _lognormal(rng, 0.15, n)  # e2(beta=1)
    e3 = two_prong * np.sqrt(three_prong) * width
    c2_b1 = 0.12 * e3 * _lognormal(rng, 0.25, n) * (0.08 / (rho + 0.01)) ** 0.15
    c2_b2 = 0.12 * e3 * _lognormal(rng, 0.35, n) * (0.08 / (rho + 0.005)) ** 0.4
    d2_b1 = (c2_b1 / np.sqrt(c1_b1 + 1e-3)) ** 0.4 * _lognormal(rng, 0.1, n)  # e3 / e2^3
    d2_b2 = (c2_b2 / (c1_b2 + 2e-3) ** 0.35) ** 0.6 * _lognormal(rng, 0.15, n)
    # Angular observables whose spread, not centre, differs: one-prong (and gluon) jets
    # scatter more widely around the same centre than clean two/three-prong jets.
    spread = np.where(prongs == 1, 1.1, 0.45) * (1.0 + 0.3 * (label == 0))
    d2_a1_b2 = _sigmoid(spread * rng.standard_normal(n) + 0.25 * _logit(two_prong))
    m2_b1 = _sigmoid(
        0.7 * spread * rng.standard_normal(n) + 0.3 * _logit(three_prong) - 0.2 * np.log(width)
    )
    m2_b2 = 0.05 * three_prong * rng.gamma(12.0, 1.0 / 12.0, n) * np.minimum(width, 2.5) ** 0.3
    n2_b1 = np.clip(two_prong**0.6 * _lognormal(rng, 0.08, n), 0.0, 1.0)
    n2_b2 = np.clip(two_prong**1.2 * _lognormal(rng, 0.15, n), 0.0, 1.0)

    # Real observables saturate (finite jet radius, pT cuts): bounded tails.
    c1_b1, c1_b2 = _saturate(c1_b1, 0.52), _saturate(c1_b2, 0.27)
    c2_b1, c2_b2 = _saturate(c2_b1, 0.195), _saturate(c2_b2, 0.56)
    d2_b2, m2_b2 = _saturate(d2_b2, 2.95), _saturate(m2_b2, 0.06)
    columns = [
        zlogz,
        c1_b0,
        c1_b1,
        c1_b2,
        c2_b1,
        c2_b2,
        d2_b1,
        d2_b2,
        d2_b1,  # d2_a1_b1 == d2_b1 by definition (alpha = 1, beta = 1)
        d2_a1_b2,
        m2_b1,
        m2_b2,
        n2_b1,
        n2_b2,
        mass,
        multiplicity,
    ]
    return np.stack(columns, axis=1).astype(np.float32)


def _draw_prongs(rng: np.random.Generator, label: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(PRONG_PROBABILITIES, axis=1)[label]
    u = rng.random(label.shape[0])[:, None]
    return 1 + (u > cumulative[:, :2]).sum(axis=1)


def _draw_mass(rng: np.random.Generator, label: np.ndarray, prongs: np.ndarray) -> np.ndarray:
    table = np.zeros((5, 4, 3))  # [class, prongs] -> (is_lognormal, centre, width)
    for (cls, k), (lognormal, centre, width) in MASS_MODEL.items():
        table[cls, k] = (float(lognormal), centre, width)
    is_log, centre, width = table[label, prongs].T
    z = np.clip(rng.standard_normal(label.shape[0]), -3.0, 3.5)
    tail = np.minimum(rng.exponential(1.0, label.shape[0]), 6.0) * (
        rng.random(label.shape[0]) < 0.1
    )
    gaussian = centre + width * (z + 1.5 * tail)  # resolution tail towards high mass
    lognormal = centre * np.exp(width * z)
    return np.where(is_log > 0, lognormal, np.maximum(gaussian, 1.0))


def _lognormal(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """Log-normal noise of median 1 with the normal clipped at 3.5 sigma (bounded tails)."""
    return np.exp(sigma * np.clip(rng.standard_normal(n), -3.5, 3.5))


def _saturate(v: np.ndarray, cap: float) -> np.ndarray:
    """Linear for small values, smoothly bounded by ``cap`` (shortens extreme tails)."""
    return cap * np.tanh(v / cap)


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-t))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
