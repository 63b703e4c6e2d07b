"""The percentile bootstrap over persons of the matched effect (docs/rendement.md, effect contract).

The estimate is a function of sums over persons: per group g (initiative, start month, cell) the
matched participants m_g and their outcomes, the controls n_g and theirs. A bootstrap resample
draws n persons with replacement; a person drawn c times brings all their participant and control
records c times. So a resample is a vector of person weights (multinomial counts), and the group
sums of B resamples are one gather of those weights by record and one segment sum by group
(numpy), not a loop over persons.

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


def _group_sum_layout(records: EffectRecords, side: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How to sum person weights into group sums for one side (participant or control records):
    the output column of each term (group g: column g*(1+J) for the records, g*(1+J)+1+j for
    those with outcome j), sorted; each term's person; and the columns with their first term."""
    width = 1 + records.estimates
    person, base = records.person[side], records.group[side] * width
    hits = [records.outcomes[side, j] != 0 for j in range(records.estimates)]
    column = np.concatenate([base, *(base[hit] + 1 + j for j, hit in enumerate(hits))])
    term_person = np.concatenate([person, *(person[hit] for hit in hits)])
    order = np.argsort(column, kind="stable")
    columns, first = np.unique(column[order], return_index=True)
    return term_person[order], columns, first


def _group_sums(weights: np.ndarray, records: EffectRecords, layout) -> np.ndarray:
    """(R x groups x (1+J)): per weight row and group, the weighted records of one side (0) and
    the weighted records with outcome j (1+j). A weighted sum of the records is a gather of person
    weights and a segment sum: no loop over persons or resamples."""
    term_person, columns, first = layout
    width = 1 + records.estimates
    sums = np.zeros((weights.shape[0], records.groups * width))
    if term_person.size:
        sums[:, columns] = np.add.reduceat(weights[:, term_person], first, axis=1)
    return sums.reshape(weights.shape[0], records.groups, width)


def effects(records: EffectRecords, weights: np.ndarray, layouts=None) -> np.ndarray:
    """The matched effect p - c of every estimate for each row of person weights (R x persons):
    an (R x J) array, NaN where no participant is matched. Weights of ones give the estimate itself.
    layouts: the participant and control layouts (_group_sum_layout), computed here if not given."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if layouts is None:
        layouts = (_group_sum_layout(records, records.is_participant), _group_sum_layout(records, ~records.is_participant))
    part = _group_sums(weights, records, layouts[0])
    ctrl = _group_sums(weights, records, layouts[1])
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
    chunks of resamples so that a chunk's weights, terms and group sums stay under `max_cells` numbers."""
    cells_per_resample = max(records.persons, records.person.size * 2, records.groups * (1 + records.estimates), 1)
    chunk = max(1, min(resamples, max_cells // cells_per_resample))
    rng = resample_generator(seed, label)
    layouts = (_group_sum_layout(records, records.is_participant), _group_sum_layout(records, ~records.is_participant))
    out = np.empty((resamples, records.estimates))
    for first in range(0, resamples, chunk):
        count = min(chunk, resamples - first)
        out[first:first + count] = effects(records, resample_weights(rng, records.persons, count), layouts)
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
