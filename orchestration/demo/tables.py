"""A column table that grows by rows or by arrays while the population is built, then freezes
into numpy arrays (compact: a few bytes per person, never one Python object per row)."""
from __future__ import annotations

import numpy as np


class Table:
    def __init__(self, **dtypes: str):
        self.dtypes = dtypes
        self._chunks: dict[str, list[np.ndarray]] = {c: [] for c in dtypes}
        self._rows: dict[str, list] = {c: [] for c in dtypes}
        self._n = 0
        self.cols: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self._n

    def add(self, **values) -> int:
        """Append one row; columns not given get 0. Returns the row index."""
        for col in self.dtypes:
            self._rows[col].append(values.pop(col, 0))
        if values:
            raise KeyError(f"unknown columns {sorted(values)}")
        self._n += 1
        return self._n - 1

    def extend(self, n: int, **arrays) -> np.ndarray:
        """Append n rows from arrays (or scalars); returns their indices."""
        self._flush_rows()
        for col, dtype in self.dtypes.items():
            value = arrays.pop(col, 0)
            arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
            self._chunks[col].append(arr)
        if arrays:
            raise KeyError(f"unknown columns {sorted(arrays)}")
        first = self._n
        self._n += n
        return np.arange(first, self._n)

    def _flush_rows(self) -> None:
        if self._rows and any(self._rows.values()):
            for col, dtype in self.dtypes.items():
                self._chunks[col].append(np.asarray(self._rows[col], dtype=dtype))
                self._rows[col] = []

    def freeze(self) -> dict[str, np.ndarray]:
        self._flush_rows()
        self.cols = {
            col: (np.concatenate(chunks) if chunks else np.empty(0, dtype=self.dtypes[col]))
            for col, chunks in self._chunks.items()
        }
        self._chunks = {c: [v] for c, v in self.cols.items()}
        return self.cols

    def __getitem__(self, col: str) -> np.ndarray:
        return self.cols[col]
