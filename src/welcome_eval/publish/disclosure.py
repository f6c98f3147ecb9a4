"""Statistical disclosure control: the one gate every report table passes through.

The reports for the regional agency and the 59 municipalities must never make
an individual recognisable. Every table is passed through :func:`suppress`
before it is formatted; the result (a :class:`SuppressedTable`) carries the
table with hidden cells as ``NaN``, a boolean mask of the hidden cells and the
reason for each, and renders the German marks and footnote with
:meth:`SuppressedTable.display`.

Two table shapes are supported:

*Tidy tables* (one row per group, a count column such as ``n`` and value
columns such as shares or means; ``counts=`` names the count column). Rows with
fewer than ``min_n`` respondents lose their values (primary suppression). If a
total row is published (``totals=``), a single hidden group could be recovered
as ``n_total · value_total − Σ n_g · value_g``, so a second group — the one with
the smallest ``n`` — is hidden too (secondary suppression).

*Two-way frequency tables* (rows × columns of counts, e.g. districts × answer
categories, with optional total row/column; ``counts=None``). Primary
suppression hides every cell with ``0 < n < min_n``. Zeros are not disclosive
on their own and stay visible, except in a row whose total is below ``min_n``:
there all cells (zeros included) are hidden, because zeros shown next to a
single hidden cell and a row total of 3 would tell that all three respondents
gave the same answer. Only rows are treated as groups of people; transpose a
table whose groups are its columns.
Secondary suppression then hides further cells so that no hidden cell can be
recovered from the published cells and the row and column totals (which are
always assumed to be published, even when they are not part of the table):

1. *Line rule* — every row and column with a hidden cell must contain at least
   two hidden cells; the additional cell is the visible cell with the smallest
   positive count (zeros only as a last resort), iterated until stable. This
   stops recovery by simple subtraction.
2. *Linear-programming audit* — for every hidden cell the attacker's feasibility
   interval ``[lower, upper]`` is computed with :func:`scipy.optimize.linprog`
   (all published cells fixed, row and column sums equal to the totals, every
   cell ≥ 0). A cell counts as protected when
   ``upper − lower ≥ min(protection, w_max)``, where ``w_max`` is the width of
   its Fréchet bounds ``[max(0, r + c − N), min(r, c)]`` — the widest interval
   possible with these totals. Two-way tables with integer totals have a
   totally unimodular constraint matrix, so these bounds are integers and
   attained by integer tables: with the default ``protection=2`` an attacker
   cannot narrow a hidden count down to fewer than three candidate values
   (e.g. "0, 1 or 2") unless the totals themselves allow fewer. Cells failing
   the criterion get a further secondary cell (smallest count in the same row
   or column), and both steps repeat until every hidden cell is protected.

A cell that cannot be protected at all while the totals are published (for
instance the only non-empty column: each of its cells equals its row total)
raises :class:`DisclosureError`; merge categories or drop the totals.

All hidden cells get the same mark in :meth:`SuppressedTable.display`: marking
primary cells "<5" and secondary cells differently would tell the attacker
which cells are small, which narrows the intervals again. The default mark is
the point "." that the Statistisches Bundesamt uses for "Zahlenwert unbekannt
oder geheim zu halten"; "–" means "nichts vorhanden" in German tables and is
what :mod:`welcome_eval.present.german_format` prints for missing values.

Across waves, :func:`consistent_across` hides the same cell positions in all
tables of the same population (waves and their cumulation), so that no hidden
cell can be recovered by differencing two published tables.

:func:`check_forbidden` refuses cross-tabulations that identify people by
design (municipality × respondent role); :func:`suppress` runs it on the
table's dimension names.

Across reports, :func:`audit_published` treats every value a build publishes
(cells and sums of cells, in all reports) as one system of linear equations
in the counts and computes, by integer programming, how far each hidden
cell's counts can still move; :mod:`welcome_eval.publish.disclosure_plan` uses it to
decide, once per newcomer-survey wave, what the municipal reports may show.
:func:`counts_from_rounded` shows why a rounded share with its rounded Wilson
interval counts as a published count.

Not covered: attacks that use knowledge of the suppression algorithm itself
(e.g. "zeros are shown, so a hidden cell is at least 1", or re-running the
algorithm), tables of more than two dimensions, group disclosure in
:func:`suppress` (all of a large group giving the same answer; the union
audit does find it), and bounds on shares or means of hidden groups in tidy
tables beyond the subtraction attack (weighted shares are not linear in the
counts). The secondary
pattern is a greedy heuristic, not the minimum-loss pattern of an
integer-programming model (Fischetti & Salazar-González 2000).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from welcome_eval.errors import WelcomeEvalError
from welcome_eval.present.german_format import HIDDEN_MARK

__all__ = [
    "DEFAULT_MARK",
    "FOOTNOTE_DE",
    "FORBIDDEN_CROSSINGS",
    "DisclosureError",
    "ForbiddenCrossTabulation",
    "SuppressedTable",
    "audit",
    "audit_published",
    "check_forbidden",
    "consistent_across",
    "counts_from_rounded",
    "feasibility_intervals",
    "footnote_de",
    "suppress",
]

#: Mark for hidden cells (Destatis: "Zahlenwert unbekannt oder geheim zu halten").
DEFAULT_MARK = HIDDEN_MARK

_FOOTNOTE_TEMPLATE_DE = (
    "{mark} = Werte für weniger als {min_n} {unit} werden nicht ausgewiesen; "
    "weitere Zellen sind ausgeblendet, damit sich diese nicht zurückrechnen lassen."
)


def footnote_de(min_n: int = 5, mark: str = DEFAULT_MARK, unit: str = "Antwortende") -> str:
    """The German footnote explaining hidden cells, for a threshold, a mark and
    the unit counted (``"Antwortende"``, ``"Kommunen"``, ``"Personen"``).

    Examples
    --------
    >>> footnote_de(10)[:50]
    '. = Werte für weniger als 10 Antwortende werden ni'
    """
    return _FOOTNOTE_TEMPLATE_DE.format(min_n=min_n, mark=mark, unit=unit)


#: Footnote for the default threshold (5) and mark.
FOOTNOTE_DE = footnote_de()

_MUNICIPALITY = frozenset({"municipality", "ags", "gemeinde", "kommune", "kommunen"})
_ROLE = frozenset({"role", "rolle", "respondent_role", "funktion"})

#: Pairs of dimension-name sets that must never be crossed, with the reason.
FORBIDDEN_CROSSINGS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (
        _MUNICIPALITY,
        _ROLE,
        "with one to three respondents per municipality and role, each cell is a person",
    ),
)

_TOL = 1e-6


class DisclosureError(WelcomeEvalError, ValueError):
    """A table cannot be published without revealing an individual."""


class ForbiddenCrossTabulation(DisclosureError):
    """A cross-tabulation that identifies people by design was requested."""


def check_forbidden(
    dims: Iterable[str | None],
    *,
    forbidden: Sequence[tuple[Iterable[str], Iterable[str], str]] = FORBIDDEN_CROSSINGS,
) -> None:
    """Raise :class:`ForbiddenCrossTabulation` if ``dims`` cross a forbidden pair.

    Dimension names are compared case-insensitively; ``None`` (an unnamed
    index) is ignored. The default list, :data:`FORBIDDEN_CROSSINGS`, forbids
    municipality (``municipality``, ``ags``, ``gemeinde``, …) × respondent role
    (``role``, ``rolle``, …).

    Examples
    --------
    >>> check_forbidden(["district", "answer"])  # fine
    >>> check_forbidden(["ags", "Rolle"])
    Traceback (most recent call last):
    ...
    welcome_eval.publish.disclosure.ForbiddenCrossTabulation: the cross-tabulation ags × Rolle ...
    """
    names = [str(d) for d in dims if d is not None]
    lowered = {name.lower(): name for name in names}
    for left, right, reason in forbidden:
        a = [lowered[n] for n in lowered if n in {x.lower() for x in left}]
        b = [lowered[n] for n in lowered if n in {x.lower() for x in right}]
        if a and b:
            raise ForbiddenCrossTabulation(
                f"the cross-tabulation {a[0]} × {b[0]} must not be published: {reason}. "
                f"Aggregate one of the two dimensions (e.g. municipalities to districts, "
                f"or drop the role) before tabulating."
            )


# ---------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class SuppressedTable:
    """A table after disclosure control.

    Attributes
    ----------
    table
        The table with every hidden cell set to ``NaN`` (numeric columns as float).
    suppressed
        Boolean mask of the same shape: ``True`` where a cell is hidden.
    reason
        ``"primary"`` (too few respondents), ``"secondary"`` (hidden so that the
        primary cells cannot be recalculated), ``"linked"`` (hidden because it is
        hidden in a related table, see :func:`consistent_across`) or ``""``.
    min_n
        The threshold used.
    kind
        ``"tidy"`` or ``"two-way"``.
    totals
        Labels of the total rows/columns.
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    reason: pd.DataFrame
    min_n: int
    kind: Literal["tidy", "two-way"]
    totals: tuple[Any, ...] = ()
    count_columns: tuple[str, ...] = ()
    row_totals: pd.Series | None = field(default=None, repr=False)
    col_totals: pd.Series | None = field(default=None, repr=False)
    #: What the counts count, for the footnote (German, plural).
    unit: str = "Antwortende"

    @property
    def footnote(self) -> str:
        """German footnote for this table's threshold and unit (:func:`footnote_de`)."""
        return footnote_de(self.min_n, unit=self.unit)

    @property
    def any_suppressed(self) -> bool:
        """Whether any cell is hidden (then the footnote must be printed)."""
        return bool(self.suppressed.to_numpy().any())

    def display(
        self,
        *,
        mark: str = DEFAULT_MARK,
        formatter: Callable[[Any], str] | None = None,
    ) -> pd.DataFrame:
        """A copy for reports: hidden cells replaced by ``mark``.

        All hidden cells get the same mark, primary and secondary alike
        (different marks would tell which cells are small). ``formatter``, if
        given, is applied to every visible numeric cell (e.g.
        :func:`welcome_eval.present.german_format.integer`). Print :attr:`footnote`
        under the table whenever :attr:`any_suppressed` is true.

        Examples
        --------
        >>> t = pd.DataFrame({"n": [3, 12], "share": [0.33, 0.5]}, index=["A", "B"])
        >>> suppress(t, counts="n").display()
            n share
        A   .     .
        B  12   0.5
        """
        out = self.table.astype(object).copy()
        for column in out.columns:
            hidden = self.suppressed[column].to_numpy(bool)
            values = out[column]
            numeric = pd.api.types.is_numeric_dtype(self.table[column])
            whole = numeric and (self.kind == "two-way" or column in self.count_columns)
            cells = []
            for value, hide in zip(values, hidden, strict=True):
                if hide:
                    cells.append(mark)
                    continue
                if whole:
                    value = _as_int_if_whole(value)
                if numeric and formatter is not None and not pd.isna(value):
                    value = formatter(value)
                cells.append(value)
            out[column] = pd.Series(cells, index=out.index, dtype=object)
        return out


def _as_int_if_whole(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------------------
# feasibility intervals (the attacker's view)


def _lp_intervals(
    values: np.ndarray,
    mask: np.ndarray,
    row_totals: np.ndarray | None,
    col_totals: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of every hidden cell given visible cells, totals and x ≥ 0.

    ``values`` only needs to be correct where ``mask`` is False.
    """
    cells = np.argwhere(mask)
    k = len(cells)
    if k == 0:
        return np.empty(0), np.empty(0)
    index = {tuple(cell): pos for pos, cell in enumerate(cells)}
    visible = np.where(mask, 0.0, np.nan_to_num(values.astype(float)))
    rows_eq: list[np.ndarray] = []
    rhs: list[float] = []
    if row_totals is not None:
        for i in np.unique(cells[:, 0]):
            a = np.zeros(k)
            for j in np.flatnonzero(mask[i]):
                a[index[(i, j)]] = 1.0
            rows_eq.append(a)
            rhs.append(float(row_totals[i] - visible[i].sum()))
    if col_totals is not None:
        for j in np.unique(cells[:, 1]):
            a = np.zeros(k)
            for i in np.flatnonzero(mask[:, j]):
                a[index[(i, j)]] = 1.0
            rows_eq.append(a)
            rhs.append(float(col_totals[j] - visible[:, j].sum()))
    a_eq = np.array(rows_eq) if rows_eq else None
    b_eq = np.array(rhs) if rows_eq else None
    lower = np.zeros(k)
    upper = np.full(k, np.inf)
    for pos in range(k):
        for sign in (1.0, -1.0):
            c = np.zeros(k)
            c[pos] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 2:
                raise ValueError(
                    "the published cells contradict the totals (no non-negative table fits); "
                    "check that the totals are the sums of the cells shown"
                )
            if res.status == 3:  # unbounded
                if sign < 0:
                    upper[pos] = np.inf
                continue
            if res.status != 0:
                raise RuntimeError(f"linear programme failed: {res.message}")
            if sign > 0:
                lower[pos] = res.fun
            else:
                upper[pos] = -res.fun
    return lower, upper


def _split_published(
    published: pd.DataFrame | SuppressedTable, totals: Sequence[Any]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Inner cells, hidden mask, and the row/column totals known to an attacker."""
    if isinstance(published, SuppressedTable):
        if published.kind != "two-way":
            raise ValueError("audit works on two-way frequency tables, not tidy tables")
        inner = _inner(published.table, published.totals)
        mask = _inner(published.suppressed, published.totals).to_numpy(bool)
        rt = published.row_totals
        ct = published.col_totals
        return (
            inner,
            mask,
            None if rt is None else rt.to_numpy(float),
            None if ct is None else ct.to_numpy(float),
        )
    if not isinstance(published, pd.DataFrame):
        raise TypeError(
            f"published must be a DataFrame or SuppressedTable, got {type(published).__name__}"
        )
    totals = tuple(totals)
    inner = _inner(published, totals)
    mask = inner.isna().to_numpy()
    total_cols = [c for c in published.columns if c in totals]
    total_rows = [r for r in published.index if r in totals]
    rt = published.loc[inner.index, total_cols[0]].to_numpy(float) if total_cols else None
    ct = published.loc[total_rows[0], inner.columns].to_numpy(float) if total_rows else None
    if (rt is not None and np.isnan(rt).any()) or (ct is not None and np.isnan(ct).any()):
        raise ValueError("totals in the published table must not be hidden (NaN)")
    return inner, mask, rt, ct


def feasibility_intervals(
    published: pd.DataFrame | SuppressedTable, *, totals: Sequence[Any] = ()
) -> pd.DataFrame:
    """The attacker's bounds for every hidden cell of a two-way frequency table.

    For each hidden (``NaN``) cell, the minimum and maximum value it can take in
    a non-negative table that agrees with every visible cell and with the
    published row and column totals (the labels in ``totals``; for a
    :class:`SuppressedTable` the totals are always assumed known). Computed by
    linear programming (:func:`scipy.optimize.linprog`, HiGHS). For a two-way
    table with integer totals the constraints are totally unimodular, so the
    bounds are integers and equal the bounds over integer tables.

    References
    ----------
    Cox, L. H. (1980). Suppression methodology and statistical disclosure
    control. *JASA* 75, 377–385. — Hundepool, A. et al. (2012). *Statistical
    Disclosure Control*, ch. 4–5. Wiley.

    Examples
    --------
    >>> t = pd.DataFrame({"ja": [3, 10, 13], "nein": [7, 20, 27], "Gesamt": [10, 30, 40]},
    ...                  index=["Nord", "Süd", "Gesamt"])
    >>> feasibility_intervals(suppress(t, totals=["Gesamt"]))
        row column  lower  upper
    0  Nord     ja    0.0   10.0
    1  Nord   nein    0.0   10.0
    2   Süd     ja    3.0   13.0
    3   Süd   nein   17.0   27.0
    """
    inner, mask, rt, ct = _split_published(published, totals)
    lower, upper = _lp_intervals(inner.to_numpy(float), mask, rt, ct)
    cells = np.argwhere(mask)
    return pd.DataFrame(
        {
            "row": [inner.index[i] for i, _ in cells],
            "column": [inner.columns[j] for _, j in cells],
            "lower": lower,
            "upper": upper,
        }
    )


def audit(
    published: pd.DataFrame | SuppressedTable,
    *,
    totals: Sequence[Any] = (),
    tolerance: float = _TOL,
) -> pd.DataFrame:
    """Try to recover hidden cells of a two-way frequency table; return those pinned down.

    The attack first subtracts along rows and columns (any row or column with a
    single hidden cell gives it away, repeated until nothing changes) and then
    computes the linear-programming bounds of :func:`feasibility_intervals`
    for the rest; a cell whose bounds coincide (within ``tolerance``) is
    recovered. An empty result means no hidden cell can be recalculated.

    Returns a tidy frame with columns ``row``, ``column``, ``value`` and
    ``method`` (``"subtraction"`` or ``"linear programme"``).

    References
    ----------
    Cox, L. H. (1980). Suppression methodology and statistical disclosure
    control. *JASA* 75, 377–385.

    Examples
    --------
    A single hidden cell is given away by its row total:

    >>> t = pd.DataFrame({"ja": [3.0, 10.0, 13.0], "nein": [7, 20, 27],
    ...                   "Gesamt": [10, 30, 40]}, index=["Nord", "Süd", "Gesamt"])
    >>> t.loc["Nord", "ja"] = float("nan")
    >>> audit(t, totals=["Gesamt"])
        row column  value       method
    0  Nord     ja    3.0  subtraction

    After :func:`suppress` nothing can be recovered:

    >>> audit(suppress(t.fillna(3), totals=["Gesamt"])).empty
    True
    """
    inner, mask, rt, ct = _split_published(published, totals)
    values = np.nan_to_num(inner.to_numpy(float))
    known = ~mask
    found: list[tuple[Any, Any, float, str]] = []
    changed = True
    while changed:
        changed = False
        for axis, line_totals in ((1, rt), (0, ct)):
            if line_totals is None:
                continue
            for line in range(mask.shape[1 - axis]):
                open_ = np.flatnonzero(~known[line] if axis == 1 else ~known[:, line])
                if len(open_) != 1:
                    continue
                i, j = (line, open_[0]) if axis == 1 else (open_[0], line)
                shown = values[line][known[line]] if axis == 1 else values[:, line][known[:, line]]
                values[i, j] = line_totals[line] - shown.sum()
                known[i, j] = True
                changed = True
                found.append((inner.index[i], inner.columns[j], float(values[i, j]), "subtraction"))
    rest = ~known
    if rest.any():
        lower, upper = _lp_intervals(values, rest, rt, ct)
        for (i, j), lo, hi in zip(np.argwhere(rest), lower, upper, strict=True):
            if hi - lo <= tolerance:
                found.append((inner.index[i], inner.columns[j], float(lo), "linear programme"))
    return pd.DataFrame(found, columns=["row", "column", "value", "method"])


# ---------------------------------------------------------------------------
# suppression


def _inner(table: pd.DataFrame, totals: Sequence[Any]) -> pd.DataFrame:
    rows = [r for r in table.index if r not in totals]
    cols = [c for c in table.columns if c not in totals]
    return table.loc[rows, cols]


def _dims_of(table: pd.DataFrame, kind: str) -> list[str | None]:
    dims: list[str | None] = list(table.index.names)
    if kind == "two-way":
        dims += list(table.columns.names)
    else:
        dims += [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    return dims


def _check_min_n(min_n: int, protection: float) -> None:
    if not isinstance(min_n, int | np.integer) or isinstance(min_n, bool) or min_n < 1:
        raise ValueError(f"min_n must be a positive integer (e.g. 5), got {min_n!r}")
    if not (isinstance(protection, int | float) and protection >= 0):
        raise ValueError(f"protection must be a non-negative number (e.g. 2), got {protection!r}")


def suppress(
    table: pd.DataFrame,
    *,
    counts: str | Mapping[str, str] | None = None,
    min_n: int = 5,
    totals: Sequence[Any] = (),
    values: Sequence[str] | None = None,
    hide_counts: bool = True,
    protection: float = 2,
    force: pd.DataFrame | None = None,
    dims: Sequence[str | None] | None = None,
) -> SuppressedTable:
    """Hide cells that would reveal individuals (primary and secondary suppression).

    Parameters
    ----------
    table
        Either a tidy table (one row per group) — then ``counts`` names the count
        column — or a two-way frequency table of non-negative integer counts
        (``counts=None``), optionally with a total row and/or column.
    counts
        Tidy tables: the count column governing all value columns (``"n"``), or a
        mapping ``{value column: count column}`` when items have their own n.
        ``None`` for a two-way frequency table.
    min_n
        Threshold: groups or cells with fewer respondents are hidden.
    totals
        Labels of total rows (tidy: index labels, or values of a text key
        column) and, in two-way tables, of total columns. Totals are published
        and never hidden; in two-way tables they are checked against the sums.
    values
        Tidy tables with a single count column: the value columns to hide
        (default: all numeric columns except the count column).
    hide_counts
        Tidy tables: also hide the count of a hidden group.
    protection
        Two-way tables: required width of the attacker's feasibility interval
        for every hidden cell, capped by the widest interval the totals allow
        (see the module docstring).
    force
        Boolean mask (aligned by labels) of cells that must be hidden and
        protected in any case; used by :func:`consistent_across`.
    dims
        Dimension names checked by :func:`check_forbidden`; default: the index
        names, the column-axis name (two-way) or text columns (tidy).

    Notes
    -----
    Primary: tidy rows with ``n < min_n``; two-way cells with ``0 < n < min_n``
    and all cells of a row whose total is below ``min_n``. Secondary (two-way):
    every row and column with a hidden cell gets at least two, choosing the
    smallest counts, then the linear-programming audit adds cells until every
    hidden cell's interval is at least ``protection`` wide. Secondary (tidy):
    if a total row is published and exactly one group is hidden, the group with
    the smallest n is hidden too.

    References
    ----------
    Cox, L. H. (1980). Suppression methodology and statistical disclosure
    control. *JASA* 75, 377–385. — Hundepool, A. et al. (2012). *Statistical
    Disclosure Control*, ch. 5. Wiley. — Fischetti, M. & Salazar-González, J. J.
    (2000). Models and algorithms for optimizing cell suppression in tabular
    data with linear constraints. *JASA* 95, 916–928.

    Examples
    --------
    >>> t = pd.DataFrame({"ja": [3, 10, 12], "nein": [7, 20, 9]},
    ...                  index=pd.Index(["Nord", "Süd", "West"], name="district"))
    >>> s = suppress(t)
    >>> s.reason  # doctest: +NORMALIZE_WHITESPACE
                     ja       nein
    district
    Nord        primary  secondary
    Süd       secondary  secondary
    West
    >>> s.display()  # doctest: +NORMALIZE_WHITESPACE
              ja nein
    district
    Nord       .    .
    Süd        .    .
    West      12    9
    >>> audit(s).empty
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    _check_min_n(min_n, protection)
    if table.index.has_duplicates or table.columns.has_duplicates:
        raise ValueError("table has duplicate row or column labels; make them unique first")
    totals = tuple(totals)
    kind: Literal["tidy", "two-way"] = "two-way" if counts is None else "tidy"
    check_forbidden(_dims_of(table, kind) if dims is None else dims)
    if force is not None:
        force = force.reindex(index=table.index, columns=table.columns).fillna(False).astype(bool)
    if counts is None:
        return _suppress_two_way(table, min_n, totals, protection, force)
    return _suppress_tidy(table, counts, min_n, totals, values, hide_counts, force)


def _suppress_tidy(
    table: pd.DataFrame,
    counts: str | Mapping[str, str],
    min_n: int,
    totals: tuple[Any, ...],
    values: Sequence[str] | None,
    hide_counts: bool,
    force: pd.DataFrame | None,
) -> SuppressedTable:
    if isinstance(counts, str):
        if counts not in table.columns:
            raise KeyError(f"count column {counts!r} not found; columns: {list(table.columns)}")
        if values is None:
            values = [
                c
                for c in table.columns
                if c != counts
                and pd.api.types.is_numeric_dtype(table[c])
                and not pd.api.types.is_bool_dtype(table[c])
            ]
        groups: dict[str, list[str]] = {counts: list(values)}
    else:
        if values is not None:
            raise ValueError("pass values only with a single count column; the mapping names them")
        groups = {}
        for value_col, count_col in counts.items():
            groups.setdefault(count_col, []).append(value_col)
    for count_col, value_cols in groups.items():
        missing = [c for c in [count_col, *value_cols] if c not in table.columns]
        if missing:
            raise KeyError(f"column(s) {missing} not found; columns: {list(table.columns)}")
        n = table[count_col]
        if not pd.api.types.is_numeric_dtype(n) or n.isna().any() or (n < 0).any():
            raise ValueError(
                f"count column {count_col!r} must hold non-negative numbers without NaN"
            )
    key_cols = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    is_total = pd.Series(table.index.isin(totals), index=table.index)
    for c in key_cols:
        is_total |= table[c].isin(totals).to_numpy()

    out = table.copy()
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    reason = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    for count_col, value_cols in groups.items():
        n = table[count_col].astype(float)
        primary = (n < min_n) & ~is_total
        linked = pd.Series(False, index=table.index)
        if force is not None:
            linked = force[[count_col, *value_cols]].any(axis=1) & ~is_total & ~primary
        hidden = primary | linked
        secondary = pd.Series(False, index=table.index)
        if is_total.any() and int(hidden.sum()) == 1:
            candidates = n[~hidden & ~is_total]
            if len(candidates) == 0:
                raise DisclosureError(
                    f"only one group besides the total row; its values ({count_col}) equal the "
                    "total and cannot be hidden — drop the total row"
                )
            secondary[candidates.idxmin()] = True
        hidden_cols = [*value_cols, count_col] if hide_counts else value_cols
        for label, rows in (("primary", primary), ("linked", linked), ("secondary", secondary)):
            for col in hidden_cols:
                take = rows & ~mask[col]
                mask.loc[take, col] = True
                reason.loc[take, col] = label
    for col in mask.columns:
        if mask[col].any():
            out[col] = out[col].astype(float).where(~mask[col])
    return SuppressedTable(out, mask, reason, min_n, "tidy", totals, tuple(groups))


def _suppress_two_way(
    table: pd.DataFrame,
    min_n: int,
    totals: tuple[Any, ...],
    protection: float,
    force: pd.DataFrame | None,
) -> SuppressedTable:
    inner = _inner(table, totals)
    if inner.empty:
        raise ValueError("the table has no cells besides the totals")
    bad = [c for c in inner.columns if not pd.api.types.is_numeric_dtype(inner[c])]
    if bad:
        raise ValueError(
            f"two-way tables must hold counts only; column(s) {bad} are not numeric. For a "
            "table with group labels and shares, pass counts='n' (tidy table)."
        )
    x = inner.to_numpy(float)
    if np.isnan(x).any() or (x < 0).any() or not np.allclose(x, np.round(x)):
        raise ValueError("two-way tables must hold non-negative whole counts without NaN")
    r, c = x.sum(axis=1), x.sum(axis=0)
    total_cols = [col for col in table.columns if col in totals]
    total_rows = [row for row in table.index if row in totals]
    for col in total_cols:
        if not np.allclose(table.loc[inner.index, col].to_numpy(float), r):
            raise ValueError(
                f"total column {col!r} differs from the row sums; the protection assumes "
                "totals are the sums of the cells — add the missing category as a column"
            )
    for row in total_rows:
        if not np.allclose(table.loc[row, inner.columns].to_numpy(float), c):
            raise ValueError(
                f"total row {row!r} differs from the column sums; the protection assumes "
                "totals are the sums of the cells — add the missing group as a row"
            )

    primary = (x > 0) & (x < min_n)
    small_rows = (r > 0) & (r < min_n)
    primary |= small_rows[:, None] & (c[None, :] > 0)
    linked = np.zeros_like(primary)
    if force is not None:
        linked = force.loc[inner.index, inner.columns].to_numpy(bool) & ~primary
    mask = primary | linked
    if mask.any() and min(x.shape) < 2:
        raise DisclosureError(
            "a frequency table with a single row or column cannot hide a cell behind its "
            "totals; publish it as a tidy table (counts='n') or merge groups"
        )
    secondary = _protect(x, mask, r, c, protection) & ~mask
    full = mask | secondary

    out = table.astype(float)
    out.loc[inner.index, inner.columns] = inner.astype(float).where(~full)
    mask_df = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask_df.loc[inner.index, inner.columns] = full
    reason = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    labels = np.where(primary, "primary", np.where(linked, "linked", ""))
    labels = np.where(secondary, "secondary", labels).astype(object)
    reason.loc[inner.index, inner.columns] = labels
    return SuppressedTable(
        out,
        mask_df,
        reason,
        min_n,
        "two-way",
        totals,
        row_totals=pd.Series(r, index=inner.index),
        col_totals=pd.Series(c, index=inner.columns),
    )


def _pick(
    x: np.ndarray, mask: np.ndarray, cand: list[tuple[int, int]], along: str = ""
) -> tuple[int, int] | None:
    """The candidate cell to hide next.

    Smallest positive count first (zeros last, as they give little cover); among
    cells of similar rank, one whose other row/column also needs a second hidden
    cell is preferred, which closes the pattern with fewer cells.
    """
    if not cand:
        return None
    per_row = mask.sum(axis=1)
    per_col = mask.sum(axis=0)

    def key(cell: tuple[int, int]) -> tuple[bool, bool, float]:
        i, j = cell
        if along == "row":  # candidates lie in one row; look at their columns
            closes = per_col[j] == 1
        elif along == "col":
            closes = per_row[i] == 1
        else:
            closes = per_row[i] == 1 or per_col[j] == 1
        return (x[i, j] == 0, not closes, x[i, j])

    return min(cand, key=key)


def _line_rule(x: np.ndarray, mask: np.ndarray, r: np.ndarray, c: np.ndarray) -> None:
    """Until stable: every row/column with a hidden cell gets a second one (in place)."""
    changed = True
    while changed:
        changed = False
        for i in range(x.shape[0]):
            if mask[i].sum() == 1:
                cand = [(i, j) for j in range(x.shape[1]) if not mask[i, j] and c[j] > 0]
                cell = _pick(x, mask, cand, "row")
                if cell is not None:
                    mask[cell] = changed = True
        for j in range(x.shape[1]):
            if mask[:, j].sum() == 1:
                cand = [(i, j) for i in range(x.shape[0]) if not mask[i, j] and r[i] > 0]
                cell = _pick(x, mask, cand, "col")
                if cell is not None:
                    mask[cell] = changed = True


def _protect(
    x: np.ndarray, start: np.ndarray, r: np.ndarray, c: np.ndarray, protection: float
) -> np.ndarray:
    """Secondary suppression: line rule, then LP audit, repeated until protected."""
    mask = start.copy()
    if not mask.any():
        return mask
    big_n = x.sum()
    frechet = np.minimum(r[:, None], c[None, :]) - np.maximum(0.0, r[:, None] + c[None, :] - big_n)
    while True:
        _line_rule(x, mask, r, c)
        lower, upper = _lp_intervals(x, mask, r, c)
        cells = np.argwhere(mask)
        need = np.minimum(protection, frechet[mask])
        weak = [
            tuple(cell)
            for cell, lo, hi, w in zip(cells, lower, upper, need, strict=True)
            if hi - lo < w - _TOL
        ]
        if not weak:
            break
        added = False
        for i, j in weak:
            cand = [(i, k) for k in range(x.shape[1]) if not mask[i, k] and c[k] > 0]
            cand += [(k, j) for k in range(x.shape[0]) if not mask[k, j] and r[k] > 0]
            cell = _pick(x, mask, cand)
            if cell is not None:
                mask[cell] = added = True
        if not added:
            rows, cols = mask.any(axis=1), mask.any(axis=0)
            cand = [
                (i, j)
                for i, j in np.argwhere(~mask)
                if (rows[i] or cols[j]) and r[i] > 0 and c[j] > 0
            ]
            cell = _pick(x, mask, [(int(i), int(j)) for i, j in cand])
            if cell is None:
                break
            mask[cell] = True
    unprotectable = mask & (frechet < 1 - _TOL) & (r[:, None] > 0) & (c[None, :] > 0)
    if unprotectable.any():
        i, j = np.argwhere(unprotectable)[0]
        raise DisclosureError(
            f"cell ({i}, {j}) cannot be hidden while row and column totals are published: "
            "it is determined by them (e.g. the only non-empty column). Merge categories "
            "or groups, or publish the table without totals as a tidy table."
        )
    return mask


# ---------------------------------------------------------------------------
# several tables of the same population


def consistent_across(
    tables: Mapping[str, pd.DataFrame],
    *,
    counts: str | Mapping[str, str] | None = None,
    min_n: int = 5,
    totals: Sequence[Any] = (),
    max_rounds: int = 20,
    **kwargs: Any,
) -> dict[str, SuppressedTable]:
    """Suppress several tables of the same population with a common pattern.

    Rule: a cell (same row and column labels) hidden in any of the tables is
    hidden in all of them (reason ``"linked"`` where it would otherwise be
    shown) and protected there like a primary cell; this is repeated until the
    union of hidden cells no longer changes. Differencing two published
    tables — e.g. a wave and the cumulative table of all waves, or two waves
    and their sum — then never isolates a hidden cell: if every table is
    protected on its own and they share the hidden positions, any table that is
    a cell-wise sum of the others keeps those cells hidden too.

    Guaranteed for tables with the same rows and columns related by cell-wise
    sums; a joint linear-programming audit of all tables together is not run.

    Examples
    --------
    >>> w1 = pd.DataFrame({"ja": [3, 10, 12], "nein": [7, 20, 9]}, index=["N", "S", "W"])
    >>> w2 = pd.DataFrame({"ja": [6, 10, 12], "nein": [7, 20, 9]}, index=["N", "S", "W"])
    >>> out = consistent_across({"2025": w1, "2026": w2, "kumuliert": w1 + w2})
    >>> out["kumuliert"].reason.loc["N", "ja"]
    'linked'
    """
    if not tables:
        raise ValueError("tables is empty; pass at least one table")
    union: pd.DataFrame | None = None
    result: dict[str, SuppressedTable] = {}
    for _ in range(max_rounds):
        result = {
            name: suppress(t, counts=counts, min_n=min_n, totals=totals, force=union, **kwargs)
            for name, t in tables.items()
        }
        masks = [s.suppressed for s in result.values()]
        new_union = masks[0]
        for m in masks[1:]:
            a, b = new_union.align(m, fill_value=False)
            new_union = a.astype(bool) | b.astype(bool)
        if union is not None and new_union.equals(union):
            return result
        union = new_union
    raise DisclosureError(
        f"the hidden cells did not settle within {max_rounds} rounds; raise max_rounds"
    )


# ---------------------------------------------------------------------------
# the whole published set: one system of linear constraints in counts


def _solve_bound(
    c: np.ndarray,
    a: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    var_lower: np.ndarray,
    var_upper: np.ndarray,
) -> float:
    """Minimum of ``c·z`` over integer ``z`` with ``lower ≤ A z ≤ upper`` and box bounds."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    res = milp(
        c,
        constraints=LinearConstraint(a, lower, upper) if len(a) else None,
        integrality=np.ones(len(c)),
        bounds=Bounds(var_lower, var_upper),
    )
    if res.status == 2:
        raise ValueError(
            "the published values contradict each other (no table of non-negative counts "
            "fits them); check that aggregates are the sums of their cells"
        )
    if res.status == 3 or res.x is None:  # unbounded (only when n is unknown)
        return -np.inf
    if res.status != 0:
        raise RuntimeError(f"integer programme failed: {res.message}")
    return float(res.fun)


def audit_published(
    cells: pd.DataFrame,
    published: pd.DataFrame,
    *,
    min_n: int = 5,
    protection: float = 2,
    known_n: bool = True,
) -> pd.DataFrame:
    r"""The attacker's bounds for every hidden cell of a whole published set.

    Every value a build publishes anywhere — a municipality's own result in
    its report, a district or region total in every report of that district,
    a figure drawn from the same counts — is one linear equation in the
    underlying counts. This audit puts all of them into one system and asks,
    for every cell that is *not* published on its own, how far its counts
    can still move.

    ``cells`` has one row per finest cell (e.g. municipality × item × wave):
    ``system`` (cells of different systems never share an equation, e.g.
    ``"2023/willkommen"``), ``cell`` (its id within the system) and ``n``
    (its true number of answers). ``published`` has one row per published
    value: ``system``, ``members`` (tuple of the cell ids it sums over — one
    id for a cell published on its own), ``n`` (the published number of
    answers, ``NaN`` if not shown) and ``x`` (the published number of "yes"
    answers, ``NaN`` if not shown). A published share rounded to whole
    percent together with its rounded Wilson interval pins ``x`` for the
    sample sizes of these reports, so a shown share counts as a published
    ``x`` (see :func:`counts_from_rounded`); the same value published in
    several reports may appear once or many times.

    For every hidden cell :math:`c` the integer programme

    .. math::

        \min / \max \; x_c \text{ and } n_c - x_c \quad\text{s.t.}\quad
        \sum_{c \in S} x_c = X_S,\; \sum_{c \in S} n_c = N_S \;(\text{all published } S),
        \; 0 \le x_c \le n_c

    is solved with HiGHS (:func:`scipy.optimize.milp`). With ``known_n``
    (default) the attacker is assumed to know every cell's ``n`` exactly —
    the worst case, e.g. from published numbers of answers — so only the
    "yes" counts are unknown.

    Returns one row per hidden cell: ``system``, ``cell``, ``n``, the
    intervals ``x_lower``/``x_upper`` ("yes" answers), ``no_lower``/``no_upper``
    (other answers) and ``n_lower``/``n_upper``, ``small`` (``n < min_n``),
    ``pinned`` (the "yes" or the other count is determined exactly) and
    ``protected`` (both intervals at least ``min(protection, n)`` wide).

    Examples
    --------
    A district total next to all but one of its municipalities gives the
    last one away; a second hidden municipality protects it:

    >>> cells = pd.DataFrame({"system": "s", "cell": ["A", "B", "C"], "n": [3, 20, 30]})
    >>> pub = pd.DataFrame({"system": "s", "members": [("A", "B", "C"), ("B",), ("C",)],
    ...                     "n": [53, 20, 30], "x": [30, 12, 16]})
    >>> audit_published(cells, pub)[["cell", "x_lower", "x_upper", "pinned"]]
      cell  x_lower  x_upper  pinned
    0    A      2.0      2.0    True
    >>> r = audit_published(cells, pub.iloc[[0, 2]])
    >>> r[["cell", "x_lower", "x_upper", "pinned", "protected"]]
      cell  x_lower  x_upper  pinned  protected
    0    A      0.0      3.0   False       True
    1    B     11.0     14.0   False       True
    """
    _check_min_n(min_n, protection)
    for frame, needed in ((cells, ("system", "cell", "n")), (published, ("system", "members"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise KeyError(f"column(s) {missing} missing; columns: {list(frame.columns)}")
    columns = [
        "system", "cell", "n", "x_lower", "x_upper", "no_lower", "no_upper",
        "n_lower", "n_upper", "small", "pinned", "protected",
    ]  # fmt: skip
    rows: list[dict[str, Any]] = []
    for system, group in cells.groupby("system", sort=True):
        ids = list(group["cell"])
        if len(set(ids)) != len(ids):
            raise ValueError(f"system {system!r} lists a cell twice")
        index = {cell: pos for pos, cell in enumerate(ids)}
        n_true = group["n"].to_numpy(float)
        k = len(ids)
        equations: dict[tuple[tuple[int, ...], str], float] = {}
        alone: set[int] = set()
        for members, n, x in _published_rows(published, system):
            try:
                positions = tuple(sorted({index[m] for m in members}))
            except KeyError as exc:
                raise ValueError(f"published value of {system!r} names unknown cell {exc}") from exc
            for what, value in (("x", x), ("n", n)):
                if value is None or pd.isna(value):
                    continue
                key = (positions, what)
                if key in equations and not math.isclose(equations[key], float(value)):
                    raise ValueError(
                        f"{system!r}: the same sum over {[ids[p] for p in positions]} is "
                        f"published as {equations[key]:g} and {float(value):g}"
                    )
                equations[key] = float(value)
            if len(positions) == 1 and x is not None and not pd.isna(x):
                alone.add(positions[0])
        hidden = [pos for pos in range(k) if pos not in alone]
        if not hidden:
            continue
        # variables: x_0..x_{k-1}, n_0..n_{k-1}
        a_rows: list[np.ndarray] = []
        lo: list[float] = []
        hi: list[float] = []
        for (positions, what), value in sorted(equations.items()):
            row = np.zeros(2 * k)
            offset = 0 if what == "x" else k
            row[[offset + p for p in positions]] = 1.0
            a_rows.append(row)
            lo.append(value)
            hi.append(value)
        for pos in range(k):  # x_c - n_c <= 0
            row = np.zeros(2 * k)
            row[pos], row[k + pos] = 1.0, -1.0
            a_rows.append(row)
            lo.append(-np.inf)
            hi.append(0.0)
        a = np.array(a_rows)
        var_lower = np.zeros(2 * k)
        var_upper = np.full(2 * k, np.inf)
        if known_n:
            var_lower[k:] = var_upper[k:] = n_true
        linked = {
            p for (positions, _), _v in equations.items() if len(positions) > 1 for p in positions
        }
        for pos in hidden:
            bounds: dict[str, tuple[float, float]] = {}
            if pos not in linked and pos not in alone:
                n_hi = n_true[pos] if known_n else _n_alone(equations, pos)
                n_lo = n_true[pos] if known_n else (n_hi if np.isfinite(n_hi) else 0.0)
                bounds = {"x": (0.0, n_hi), "no": (0.0, n_hi), "n": (n_lo, n_hi)}
            else:
                for name, weights in (
                    ("x", {pos: 1.0}),
                    ("no", {k + pos: 1.0, pos: -1.0}),
                    ("n", {k + pos: 1.0}),
                ):
                    if name == "n" and known_n:
                        bounds[name] = (n_true[pos], n_true[pos])
                        continue
                    c = np.zeros(2 * k)
                    for var, weight in weights.items():
                        c[var] = weight
                    low = _solve_bound(c, a, np.array(lo), np.array(hi), var_lower, var_upper)
                    high = -_solve_bound(-c, a, np.array(lo), np.array(hi), var_lower, var_upper)
                    bounds[name] = (max(low, 0.0), high)
            need = min(protection, n_true[pos])
            x_width = bounds["x"][1] - bounds["x"][0]
            no_width = bounds["no"][1] - bounds["no"][0]
            rows.append(
                {
                    "system": system,
                    "cell": ids[pos],
                    "n": n_true[pos],
                    "x_lower": bounds["x"][0],
                    "x_upper": bounds["x"][1],
                    "no_lower": bounds["no"][0],
                    "no_upper": bounds["no"][1],
                    "n_lower": bounds["n"][0],
                    "n_upper": bounds["n"][1],
                    "small": bool(n_true[pos] < min_n),
                    "pinned": bool(n_true[pos] > 0 and min(x_width, no_width) < 0.5),
                    "protected": bool(min(x_width, no_width) >= need - _TOL),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def _published_rows(published: pd.DataFrame, system: Any) -> list[tuple[tuple, Any, Any]]:
    part = published[published["system"] == system]
    n = part["n"] if "n" in part else pd.Series(np.nan, index=part.index)
    x = part["x"] if "x" in part else pd.Series(np.nan, index=part.index)
    return [
        (tuple(m) if isinstance(m, list | tuple | set | frozenset) else (m,), nn, xx)
        for m, nn, xx in zip(part["members"], n, x, strict=True)
    ]


def _n_alone(equations: Mapping[tuple[tuple[int, ...], str], float], pos: int) -> float:
    return equations.get(((pos,), "n"), np.inf)


def counts_from_rounded(
    n: int, share: float, low: float | None = None, high: float | None = None, *, digits: int = 0
) -> list[int]:
    """The "yes" counts consistent with a published share and Wilson interval.

    ``share``, ``low`` and ``high`` are the values as a report shows them, in
    percent rounded to ``digits`` decimals (e.g. 47, 38, 58). Returns every
    ``x`` in ``0..n`` whose share and 95 % Wilson interval round to the
    published numbers — a single value means the published cell gives its
    count away. For *n* up to about 100 the share alone pins ``x``; for
    larger *n* the interval bounds usually do.

    Examples
    --------
    >>> counts_from_rounded(245, 71, 65, 77)
    [175]
    >>> counts_from_rounded(5, 40, 12, 77)
    [2]
    """
    from welcome_eval.stats import proportion_ci

    def same(value: float, shown: float | None) -> bool:
        # as german_format.percent rounds: Python's correctly rounded fixed-point format
        return shown is None or f"{value * 100:.{digits}f}" == f"{float(shown):.{digits}f}"

    found = []
    for x in range(int(n) + 1):
        if not same(x / n, share):
            continue
        ci_low, ci_high = proportion_ci(x, int(n))
        if same(ci_low, low) and same(ci_high, high):
            found.append(x)
    return found
