"""The percentile bootstrap over persons of the matched effect (docs/rendement.md, effect contract).

The estimate is a function of sums over persons: per group g (initiative, start month, cell) the
matched participants m_g and their outcomes, the controls n_g and theirs. A bootstrap resample
draws n persons with replacement; a person drawn c times brings all their participant and control
records c times. So a resample is a vector of person weights (multinomial counts), and every group
sum of that resample is one product of the weights with a sparse person x group matrix: B
resamples are one sparse matrix product, not a loop over persons.

Within a resample the estimator is the contract's, recomputed: a participant is matched when
their group has a control with positive weight; p, c and p - c over the matched participants.
A resample without any matched participant (possible only for very small groups) gives no value;
the interval uses the others and says how many it used.

Deterministic: the resamples of an initiative come from one generator seeded from (seed,
initiative code), one draw call per resample in order, so an interval depends neither on the
chunking nor on other initiatives, and a rerun on the same data gives the same bytes."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class EffectRecords:
    """The records of one initiative, as int_effect_records holds them.

    person: index 0..n-1 of each record's person (n = persons with a record);
    group: index 0..G-1 of each record's group (only groups with at least one control);
    is_participant: participant record (else control record);
    outcomes: (records, J) 0/1, the outcome of estimate j for the record;
    counts: (G, J) bool, group g counts at estimate j (its start month plus the horizon is loaded)."""

    person: np.ndarray
    group: np.ndarray
    is_participant: np.ndarray
    outcomes: np.ndarray
    counts: np.ndarray

    @property
    def persons(self) -> int:
        return int(self.person.max()) + 1 if self.person.size else 0

    @property
    def groups(self) -> int:
        return self.counts.shape[0]

    @property
    def estimates(self) -> int:
        return self.counts.shape[1]


def _group_sums_matrix(records: EffectRecords, side: np.ndarray):
    """Sparse (persons x groups*(1+J)) matrix: per person and group, their records of one side
    (column 0) and those records' outcomes (column 1+j). Weights @ matrix = the group sums."""
    from scipy import sparse

    width = 1 + records.estimates
    person = records.person[side]
    base = records.group[side] * width
    rows = [person]
    cols = [base]
    vals = [np.ones(person.size)]
    for j in range(records.estimates):
        hit = records.outcomes[side, j] != 0
        rows.append(person[hit])
        cols.append(base[hit] + 1 + j)
        vals.append(np.ones(int(hit.sum())))
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(records.persons, records.groups * width),
    )


def effects(records: EffectRecords, weights: np.ndarray) -> np.ndarray:
    """The matched effect p - c of every estimate for each row of person weights (R x persons):
    an (R x J) array, NaN where no participant is matched. Weights of ones give the estimate itself."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    width = 1 + records.estimates
    shape = (weights.shape[0], records.groups, width)
    part = np.asarray(weights @ _group_sums_matrix(records, records.is_participant)).reshape(shape)
    ctrl = np.asarray(weights @ _group_sums_matrix(records, ~records.is_participant)).reshape(shape)
    m, n = part[:, :, 0], ctrl[:, :, 0]
    result = np.full((weights.shape[0], records.estimates), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(records.estimates):
            matched = (n > 0) & records.counts[:, j]
            matched_participants = np.where(matched, m, 0.0).sum(axis=1)
            participant_exits = np.where(matched, part[:, :, 1 + j], 0.0).sum(axis=1)
            comparison_exits = np.where(matched, m * ctrl[:, :, 1 + j] / np.where(n > 0, n, 1.0), 0.0).sum(axis=1)
            ok = matched_participants > 0
            result[ok, j] = (participant_exits[ok] - comparison_exits[ok]) / matched_participants[ok]
    return result


def resample_generator(seed: int, label: str) -> np.random.Generator:
    """The generator of an estimate's resamples: seeded from (seed, label), label = the initiative."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(label.encode())])))


def resample_weights(rng: np.random.Generator, persons: int, count: int) -> np.ndarray:
    """Multinomial person counts of the next `count` resamples (count x persons): each resample
    draws `persons` persons with replacement, one draw call per resample, so the weights of
    resample b do not depend on how the resamples are split into chunks."""
    weights = np.empty((count, persons))
    for i in range(count):
        weights[i] = np.bincount(rng.integers(0, persons, size=persons), minlength=persons)
    return weights


def bootstrap_effects(records: EffectRecords, resamples: int, seed: int, label: str,
                      max_cells: int = 4_000_000) -> np.ndarray:
    """The effects of `resamples` bootstrap resamples over persons (resamples x J), computed in
    chunks of resamples so that a chunk's weights and group sums stay under `max_cells` numbers."""
    cells_per_resample = max(records.persons, records.groups * (1 + records.estimates), 1)
    chunk = max(1, min(resamples, max_cells // cells_per_resample))
    rng = resample_generator(seed, label)
    out = np.empty((resamples, records.estimates))
    for first in range(0, resamples, chunk):
        count = min(chunk, resamples - first)
        out[first:first + count] = effects(records, resample_weights(rng, records.persons, count))
    return out


def percentile_interval(replicates: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per estimate (column): the (1-confidence)/2 and (1+confidence)/2 percentiles of the
    resampled effects (numpy's default linear interpolation), ignoring resamples without a
    value, and how many resamples had one."""
    tail = 100 * (1 - confidence) / 2
    valid = np.isfinite(replicates)
    low = np.full(replicates.shape[1], np.nan)
    high = np.full(replicates.shape[1], np.nan)
    for j in range(replicates.shape[1]):
        values = replicates[valid[:, j], j]
        if values.size:
            low[j], high[j] = np.percentile(values, [tail, 100 - tail])
    return low, high, valid.sum(axis=0)
