"""Vectorised assembly of a linear model from labelled blocks.

A *variable block* is a contiguous range of columns, one per row of an index frame (e.g. one flow per
eligible (provider, need) edge). A *row block* is a contiguous range of constraints, likewise labelled.
Coefficients are added as whole arrays (COO triplets) and assembled once into a CSR matrix, so model
building costs a few numpy operations per block, never a Python loop per element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..solvers.base import MipProblem


@dataclass
class Block:
    name: str
    start: int
    size: int
    index: pd.DataFrame  # one row per column/row of the block: what it means

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def ids(self) -> np.ndarray:
        """Global column (or row) numbers of the block."""
        return np.arange(self.start, self.stop, dtype=np.int64)

    def take(self, values: np.ndarray) -> np.ndarray:
        return values[self.start : self.stop]


@dataclass
class LinearModel:
    var_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    _lb: list[np.ndarray] = field(default_factory=list)
    _ub: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _row_lo: list[np.ndarray] = field(default_factory=list)
    _row_hi: list[np.ndarray] = field(default_factory=list)
    _ri: list[np.ndarray] = field(default_factory=list)
    _ci: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    # -- variables -------------------------------------------------------------------------------
    def add_vars(self, name: str, index: pd.DataFrame, lb, ub, integer: bool | np.ndarray = False) -> Block:
        if name in self.var_blocks:
            raise ValueError(f"variable block {name!r} exists")
        n = len(index)
        block = Block(name, self.n_cols, n, index.reset_index(drop=True))
        self._lb.append(np.broadcast_to(np.asarray(lb, float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, float), (n,)).copy())
        self._int.append(np.broadcast_to(np.asarray(integer, bool), (n,)).copy())
        self.var_blocks[name] = block
        self.n_cols += n
        return block

    def var(self, name: str) -> Block:
        return self.var_blocks[name]

    # -- constraints -----------------------------------------------------------------------------
    def add_rows(self, name: str, index: pd.DataFrame, lo, hi) -> Block:
        if name in self.row_blocks:
            raise ValueError(f"row block {name!r} exists")
        n = len(index)
        block = Block(name, self.n_rows, n, index.reset_index(drop=True))
        self._row_lo.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        self._row_hi.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        self.row_blocks[name] = block
        self.n_rows += n
        return block

    def add_coefs(self, rows: np.ndarray, cols: np.ndarray, vals) -> None:
        rows = np.asarray(rows, np.int64)
        cols = np.asarray(cols, np.int64)
        vals = np.broadcast_to(np.asarray(vals, float), rows.shape)
        if rows.shape != cols.shape:
            raise ValueError("rows and cols differ in length")
        keep = vals != 0
        self._ri.append(rows[keep])
        self._ci.append(cols[keep])
        self._v.append(vals[keep])

    # -- assembly --------------------------------------------------------------------------------
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return _cat(self._lb), _cat(self._ub)

    def integrality(self) -> np.ndarray:
        return _cat(self._int, bool)

    def matrix(self) -> sp.csr_matrix:
        A = sp.coo_matrix(
            (_cat(self._v), (_cat(self._ri, np.int64), _cat(self._ci, np.int64))),
            shape=(self.n_rows, self.n_cols),
        ).tocsr()
        A.sum_duplicates()
        return A

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return _cat(self._row_lo), _cat(self._row_hi)

    def problem(
        self,
        c: np.ndarray,
        sense: Literal["min", "max"],
        offset: float = 0.0,
        A: sp.csr_matrix | None = None,
        extra_rows: list[tuple[np.ndarray, float, float]] | None = None,
        name: str = "linkage",
    ) -> MipProblem:
        """The model with objective ``c`` (and optional extra dense rows, e.g. fixed stage optima)."""
        A = self.matrix() if A is None else A
        lo, hi = self.row_bounds()
        if extra_rows:
            dense = sp.csr_matrix(np.vstack([r for r, _, _ in extra_rows]))
            A = sp.vstack([A, dense], format="csr")
            lo = np.concatenate([lo, [l for _, l, _ in extra_rows]])
            hi = np.concatenate([hi, [h for _, _, h in extra_rows]])
        lb, ub = self.bounds()
        return MipProblem(
            c=np.asarray(c, float),
            A=A,
            row_lo=lo,
            row_hi=hi,
            col_lo=lb,
            col_hi=ub,
            integrality=self.integrality(),
            sense=sense,
            offset=float(offset),
            name=name,
        )


def _cat(parts: list[np.ndarray], dtype=float) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
