"""Benchmarks for one municipality: its results against the anonymous distribution of its peers.

A municipality's benchmark report shows its own values (only where at least
``min_n`` respondents stand behind them) next to the median and quartiles of
the *other* municipalities — never another municipality's value with its name.
Peers count only with at least ``min_n`` respondents themselves, and the
quartiles are shown only when at least ``min_peers`` peers remain, so that no
single peer's value can be read off.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval._checks import renamed_arguments
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present.german_format import percent
from welcome_eval.stats import proportion_ci

__all__ = [
    "DEFAULT_MIN_PEERS",
    "POSITION_LABELS",
    "catalogue_entries",
    "checklist_history",
    "describe_own_change",
    "district_shares",
    "file_digest",
    "municipal_shares",
    "own_change",
    "peer_position",
    "position_label",
    "wave_shares",
]

#: Peers needed before quartiles of their values are shown.
DEFAULT_MIN_PEERS = 5

POSITION_LABELS = {
    "top": "oberes Viertel",
    "above": "über dem Median",
    "below": "unter dem Median",
    "bottom": "unteres Viertel",
    "median": "im Median",
}


@renamed_arguments(level="conf_level")
def municipal_shares(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    by: str = "ags",
    k: int = 2,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Share of the top-*k* answers per municipality (or other group ``by``) and
    item, with Wilson intervals.

    For municipality *m* and item *j* with :math:`x_{mj}` answers among the
    highest *k* valid codes out of :math:`n_{mj}` valid answers,
    :math:`\hat p_{mj} = x_{mj} / n_{mj}`; the interval is Wilson's score
    interval (as R's ``prop.test(x, n, correct = FALSE)``). Unweighted: within
    one municipality the survey's weights (district × stratum) are constant
    or nearly so.

    Returns one row per group and item: the ``by`` column (e.g. ``ags``),
    ``item``, ``label``, ``n``, ``share``, ``ci_low``, ``ci_high``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209–212.

    Examples
    --------
    >>> from welcome_eval.ingest.codebook import Codebook
    >>> cb = Codebook.for_survey("neubuerger")
    >>> d = pd.DataFrame({"ags": ["A"] * 4 + ["B"] * 2, "willkommen": [5, 4, 2, 1, 5, 5]})
    >>> municipal_shares(d, ["willkommen"], codebook=cb)[["ags", "n", "share"]]
      ags  n  share
    0   A  4    0.5
    1   B  2    1.0
    """
    if by not in data.columns:
        raise KeyError(f"grouping column {by!r} is not in the data")
    frames = []
    for item_id in items:
        if item_id not in data.columns:
            raise KeyError(f"item {item_id!r} is not in the data")
        item = codebook[item_id]
        top = item.valid_codes[-k:]
        valid = data[[by, item_id]].dropna()
        valid = valid[valid[item_id].isin(item.valid_codes)]
        grouped = (
            valid.assign(hit=valid[item_id].isin(top).astype(int))
            .groupby(by, observed=True)["hit"]
            .agg(["size", "sum"])
            .reset_index()
        )
        grouped.columns = [by, "n", "hits"]
        intervals = [
            proportion_ci(int(x), int(n), conf_level=conf_level)
            for x, n in zip(grouped["hits"], grouped["n"], strict=True)
        ]
        grouped["item"] = item_id
        grouped["label"] = item.short or item.label
        grouped["share"] = grouped["hits"] / grouped["n"]
        grouped["ci_low"] = [low for low, _ in intervals]
        grouped["ci_high"] = [high for _, high in intervals]
        frames.append(grouped.drop(columns="hits"))
    columns = [by, "item", "label", "n", "share", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    out[by] = out[by].astype(str)
    out["n"] = out["n"].astype(int)
    return out


def position_label(own: float, q1: float, median: float, q3: float) -> str:
    """Where a value stands among its peers, in German.

    Above the upper quartile: "oberes Viertel"; above the median: "über dem
    Median"; equal to it: "im Median"; below it: "unter dem Median"; below the
    lower quartile: "unteres Viertel". Missing values give "–".

    Examples
    --------
    >>> position_label(0.8, 0.4, 0.5, 0.6)
    'oberes Viertel'
    >>> position_label(0.45, 0.4, 0.5, 0.6)
    'unter dem Median'
    """
    if any(pd.isna(v) for v in (own, q1, median, q3)):
        return "–"
    if own > q3:
        return POSITION_LABELS["top"]
    if own < q1:
        return POSITION_LABELS["bottom"]
    if own > median:
        return POSITION_LABELS["above"]
    if own < median:
        return POSITION_LABELS["below"]
    return POSITION_LABELS["median"]


def peer_position(
    values: pd.DataFrame,
    *,
    ags: str,
    value: str = "share",
    count: str = "n",
    min_n: int = 5,
    min_peers: int = DEFAULT_MIN_PEERS,
    key: str = "ags",
    peers: Collection[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One municipality's values against the anonymous distribution of the others.

    ``values`` has one row per municipality and item (``key``, ``item``, the
    ``count`` and ``value`` columns, optionally ``label``, ``ci_low``,
    ``ci_high``), e.g. from :func:`municipal_shares`. For every item the
    peers are the *other* municipalities with ``count >= min_n``; their
    median and quartiles (linear interpolation, R's type 7) are returned when
    there are at least ``min_peers`` of them. ``peers``, if given, restricts
    them to these ``(key, item)`` pairs — the values published anyway (e.g.
    :attr:`welcome_eval.publish.disclosure_plan.SuppressionPlan.published`), so that
    the quartiles, shown in every report with one municipality left out each
    time, are functions of published values and reveal nothing hidden. The
    municipality's own value is
    returned as it is — pass the result through
    :func:`welcome_eval.publish.privacy.protect` with ``counts="n"`` so it is hidden
    when fewer than ``min_n`` answered.

    Returns one row per item: ``item``, ``label``, ``n`` (own), ``value``,
    ``ci_low``, ``ci_high`` (own, if given), ``peers``, ``q1``, ``median``,
    ``q3``, ``position`` (German, see :func:`position_label`; "–" when the own
    value has too few answers or there are too few peers).

    Examples
    --------
    >>> v = pd.DataFrame({"ags": list("ABCDEFG"), "item": "x", "n": [9, 9, 9, 9, 9, 9, 2],
    ...                   "share": [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.0]})
    >>> row = peer_position(v, ags="A").iloc[0]
    >>> int(row["peers"]), float(row["median"]), row["position"]
    (5, 0.3, 'oberes Viertel')
    """
    for column in (key, "item", count, value):
        if column not in values.columns:
            raise KeyError(f"values needs a column {column!r}")
    if not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n must be a positive whole number, got {min_n!r}")
    ags = str(ags)
    rows = []
    for item, group in values.groupby("item", sort=False):
        own = group[group[key].astype(str) == ags]
        keep = (group[key].astype(str) != ags) & (group[count] >= min_n)
        if peers is not None:
            keep &= np.array([(str(k), str(item)) in peers for k in group[key]], dtype=bool)
        others = group[keep][value].dropna()
        enough = len(others) >= min_peers
        q1, median, q3 = (
            np.quantile(others.to_numpy(float), [0.25, 0.5, 0.75]) if enough else (np.nan,) * 3
        )
        n = int(own[count].iloc[0]) if len(own) else 0
        own_value = float(own[value].iloc[0]) if len(own) else np.nan
        shown = n >= min_n
        rows.append(
            {
                "item": item,
                "label": group["label"].iloc[0] if "label" in group else item,
                "n": n,
                "value": own_value,
                "ci_low": float(own["ci_low"].iloc[0]) if len(own) and "ci_low" in own else np.nan,
                "ci_high": float(own["ci_high"].iloc[0])
                if len(own) and "ci_high" in own
                else np.nan,
                "peers": len(others),
                "q1": q1,
                "median": median,
                "q3": q3,
                "position": position_label(own_value, q1, median, q3) if shown else "–",
            }
        )
    return pd.DataFrame(rows)


def own_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    ags: str,
    min_n: int = 5,
) -> pd.DataFrame:
    r"""Change of one municipality's shares since its previous wave.

    ``current`` and ``previous`` come from :func:`municipal_shares`. The
    difference :math:`\hat p_1 - \hat p_0` gets Newcombe's hybrid score
    interval (method 10 of Newcombe 1998), built from the two Wilson
    intervals :math:`(l_i, u_i)`:

    .. math::

        \left[\Delta - \sqrt{(\hat p_1 - l_1)^2 + (u_0 - \hat p_0)^2},\;
        \Delta + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_0 - l_0)^2}\right]

    Items where either wave has fewer than ``min_n`` answers are left out
    (their values must not be shown). Returns ``item``, ``label``, ``n``
    (the smaller of the two), ``n_previous``, ``n_current``, ``previous``,
    ``current``, ``difference``, ``ci_low``, ``ci_high``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions. *Statistics in Medicine* 17, 873–890.

    Examples
    --------
    >>> now = pd.DataFrame({"ags": ["A"], "item": ["x"], "label": ["X"], "n": [20],
    ...                     "share": [0.6], "ci_low": [0.387], "ci_high": [0.781]})
    >>> before = now.assign(n=[25], share=[0.4], ci_low=[0.234], ci_high=[0.593])
    >>> round(float(own_change(now, before, ags="A")["difference"].iloc[0]), 2)
    0.2
    """
    a = current[current["ags"].astype(str) == str(ags)]
    b = previous[previous["ags"].astype(str) == str(ags)]
    both = a.merge(b, on="item", suffixes=("_1", "_0"), how="inner").set_index("item")
    both = both[(both["n_1"] >= min_n) & (both["n_0"] >= min_n)]
    difference = both["share_1"] - both["share_0"]
    low = difference - np.sqrt(
        (both["share_1"] - both["ci_low_1"]) ** 2 + (both["ci_high_0"] - both["share_0"]) ** 2
    )
    high = difference + np.sqrt(
        (both["ci_high_1"] - both["share_1"]) ** 2 + (both["share_0"] - both["ci_low_0"]) ** 2
    )
    return pd.DataFrame(
        {
            "item": both.index,
            "label": both["label_1"].to_numpy() if "label_1" in both else both.index,
            "n": np.minimum(both["n_1"], both["n_0"]).to_numpy(int),
            "n_previous": both["n_0"].to_numpy(int),
            "n_current": both["n_1"].to_numpy(int),
            "previous": both["share_0"].to_numpy(float),
            "current": both["share_1"].to_numpy(float),
            "difference": difference.to_numpy(float),
            "ci_low": low.to_numpy(float),
            "ci_high": high.to_numpy(float),
        }
    )


def describe_own_change(row: pd.Series | dict) -> str:
    """One German sentence on the change of one item's share (see :func:`own_change`).

    Examples
    --------
    >>> describe_own_change({"label": "Willkommensgefühl", "previous": 0.4, "current": 0.6,
    ...                      "ci_low": 0.05, "ci_high": 0.35})
    '„Willkommensgefühl“: 40\u202f% → 60\u202f%; der Anstieg ist statistisch belastbar.'
    """
    change = f"„{row['label']}“: {percent(row['previous'])} → {percent(row['current'])}"
    if row["ci_low"] > 0:
        return f"{change}; der Anstieg ist statistisch belastbar."
    if row["ci_high"] < 0:
        return f"{change}; der Rückgang ist statistisch belastbar."
    return f"{change}; kein belastbarer Unterschied (das Intervall schließt null ein)."


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes: the key of the per-kernel caches (a file's time and
    size can stay the same while its content changes)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _wave_stamp(manifest: str | Path) -> tuple[str, str]:
    """The content of a wave: its manifest and its raw file."""
    from welcome_eval.ingest.wave import Manifest

    return file_digest(manifest), file_digest(Manifest.load(manifest).file)


@functools.lru_cache(maxsize=16)
def _shares_cached(manifest: str, stamp: tuple[str, str], k: int) -> pd.DataFrame:
    from welcome_eval.ingest.wave import read_wave

    wave = read_wave(manifest)
    items = wave.codebook.likert_items
    return municipal_shares(
        wave.data, items, codebook=wave.codebook, by=wave.codebook.municipality or "ags", k=k
    )


def wave_shares(manifest: str | Path, *, k: int = 2) -> pd.DataFrame:
    """:func:`municipal_shares` of every Likert item and municipality of a wave.

    Cached per manifest and the content (sha256) of manifest and raw file: the
    benchmark reports of all municipalities read a wave once per report kernel,
    not once per municipality. Returns a copy.
    """
    return _shares_cached(str(Path(manifest).resolve()), _wave_stamp(manifest), k).copy()


@functools.lru_cache(maxsize=16)
def _district_shares_cached(
    manifest: str, stamp: tuple[str, str], items: tuple[str, ...], k: int
) -> pd.DataFrame:
    from welcome_eval.ingest.wave import read_wave
    from welcome_eval.municipalities import municipalities

    wave = read_wave(manifest)
    key = wave.codebook.municipality or "ags"
    districts = municipalities().set_index("ags")["district"]
    data = wave.data.assign(Kreis=wave.data[key].astype(str).map(districts))
    present = [i for i in items if i in wave.codebook]
    by_district = municipal_shares(data, present, codebook=wave.codebook, by="Kreis", k=k)
    region = municipal_shares(
        data.assign(Kreis="Südwestfalen"), present, codebook=wave.codebook, by="Kreis", k=k
    )
    return pd.concat([by_district, region], ignore_index=True)


def district_shares(manifest: str | Path, items: Sequence[str], *, k: int = 2) -> pd.DataFrame:
    """:func:`municipal_shares` per district (column ``Kreis``) plus the whole
    region (``Kreis == "Südwestfalen"``), cached like :func:`wave_shares`."""
    return _district_shares_cached(
        str(Path(manifest).resolve()), _wave_stamp(manifest), tuple(items), k
    ).copy()


def _stamp(paths: Sequence[Path]) -> tuple[tuple[str, str], ...]:
    return tuple((str(p), file_digest(p)) for p in paths)


@functools.lru_cache(maxsize=4)
def _checklist_history_cached(data_dir: str, stamp: tuple) -> pd.DataFrame:
    from welcome_eval.analysis import checklist

    return checklist.score_history(checklist.checklist_waves(data_dir))


def checklist_history(data_dir: str | Path) -> pd.DataFrame:
    """Scores of every self-assessment wave under ``data_dir`` (see
    :func:`welcome_eval.analysis.checklist.score_history`), cached per kernel like
    :func:`wave_shares`; empty when there are no checklist waves."""
    from welcome_eval.ingest.wave import Manifest, find_manifests

    manifests = find_manifests(data_dir, "checkliste")
    if not manifests:
        return pd.DataFrame()
    files = [*manifests, *(Manifest.load(m).file for m in manifests)]
    return _checklist_history_cached(str(Path(data_dir).resolve()), _stamp(files)).copy()


@functools.lru_cache(maxsize=2)
def _catalogue_cached(directory: str, stamp: tuple) -> pd.DataFrame:
    from welcome_eval.analysis.catalogue import read_catalogue

    return read_catalogue(directory)


def catalogue_entries(directory: str | Path | None = None) -> pd.DataFrame:
    """:func:`welcome_eval.analysis.catalogue.read_catalogue`, cached per kernel until an
    entry file changes (the municipal reports all match against it)."""
    from welcome_eval.config import surveys_dir

    folder = Path(directory) if directory else surveys_dir() / "beispiele"
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return _catalogue_cached(str(folder), _stamp(files)).copy()
