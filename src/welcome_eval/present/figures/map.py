"""Map of the region: the 59 municipalities of Südwestfalen coloured by a value.

Drawn with matplotlib alone (no geopandas, no shapely) from the boundaries
shipped in ``welcome_eval/data/suedwestfalen_gemeinden.geojson`` (BKG VG250,
simplified by OpenDataLab; sources and licence in ``data/SOURCES.md``). In the
style of seaborn, :func:`region_map` takes tidy data — one row per municipality
with its key (AGS) and a value — draws into ``ax`` and returns the Axes.

Every map carries the source note the licence (dl-de/by-2-0) requires, printed
under the map; :func:`map_attribution` returns the same text for captions.

Examples
--------
>>> frame = pd.DataFrame({"ags": ["05970040", "05966008"], "teilnahme": [True, False]})
>>> ax = region_map(frame, value="teilnahme", legend_title="Teilnahme 2021")
>>> len(municipality_patches(ax))
59
>>> plt.close(ax.figure)
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colormaps, patheffects
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.patches import Patch, Polygon

from welcome_eval.config import package_data_dir
from welcome_eval.municipalities import DISTRICTS
from welcome_eval.present.figures._base import GermanFormatter

__all__ = [
    "MISSING_LABEL",
    "map_attribution",
    "municipality_patches",
    "region_map",
]

#: File with the municipal boundaries (GeoJSON, WGS84 lon/lat), in the package data.
BOUNDARIES_FILE = "suedwestfalen_gemeinden.geojson"
#: Licence of the boundaries (Datenlizenz Deutschland – Namensnennung – 2.0).
LICENSE = "dl-de/by-2-0"
#: Legend entry of municipalities without a value (no data, or hidden by disclosure control).
MISSING_LABEL = "keine Angabe / unterdrückt"
#: Fill and hatch of municipalities without a value: light grey, hatched, unlike any palette colour.
MISSING_FACE = "#f0f0f0"
MISSING_HATCH_COLOR = "#8a8a8a"
MISSING_HATCH = "////"
#: Thin white lines between municipalities, dark lines between districts.
MUNICIPAL_EDGE = "white"
MUNICIPAL_LINEWIDTH = 0.5
DISTRICT_EDGE = "#2b2b2b"
DISTRICT_LINEWIDTH = 1.5
#: Edges closer than this to another district's polygon count as district border (projected
#: degrees of latitude; 0.003 ≈ 330 m, above the source's ≈ 200 m simplification tolerance, far
#: below the size of a municipality). Of all vertices, 16 % lie within 100 m of another
#: district, 82 % more than 550 m away from any; only 2 % are in between.
BORDER_TOLERANCE = 0.003
#: Gid prefix of each municipality's polygon (``gemeinde-05970040``): findable in tests and SVG.
PATCH_GID_PREFIX = "gemeinde-"
#: Gid of the attribution text under the map.
ATTRIBUTION_GID = "map-attribution"
#: The ``colorblind`` palette without its grey, which could be mistaken for "no value".
CATEGORICAL_COLORS = tuple(c for c in sns.color_palette("colorblind").as_hex() if c != "#949494")
#: Default labels of yes/no values (e.g. participation).
BOOLEAN_LABELS = {True: "ja", False: "nein"}
#: Width (characters) at which legend titles are wrapped.
LEGEND_TITLE_WIDTH = 24


@dataclass(frozen=True)
class _Boundaries:
    """The 59 municipal polygons, projected, in file order."""

    ags: tuple[str, ...]
    names: tuple[str, ...]
    districts: tuple[str, ...]
    rings: tuple[np.ndarray, ...]  # (n, 2) arrays of projected x, y
    source_note: str
    bounds: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax (projected)


@cache
def _boundaries() -> _Boundaries:
    path = package_data_dir() / BOUNDARIES_FILE
    collection = json.loads(path.read_text(encoding="utf-8"))
    features = collection.get("features", [])
    note = collection.get("attribution")
    if len(features) != 59 or not note:
        raise RuntimeError(
            f"{path} must be a FeatureCollection of 59 municipalities with an 'attribution' "
            f"member; found {len(features)} features — restore the file from the repository"
        )
    lonlat = []
    for number, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Polygon":
            raise RuntimeError(
                f"{path}, feature {number}: geometry type {geometry.get('type')!r}, "
                "expected 'Polygon' (the file holds one outer ring per municipality)"
            )
        lonlat.append(np.asarray(geometry["coordinates"][0], dtype=float))
    latitudes = np.concatenate([ring[:, 1] for ring in lonlat])
    # Equirectangular projection about the region's middle latitude: at 51° N a degree of
    # longitude is only 0.63 of a degree of latitude; without the factor the map is too wide.
    x_scale = math.cos(math.radians((latitudes.min() + latitudes.max()) / 2))
    rings = tuple(np.column_stack([ring[:, 0] * x_scale, ring[:, 1]]) for ring in lonlat)
    everything = np.concatenate(rings)
    properties = [feature["properties"] for feature in features]
    return _Boundaries(
        ags=tuple(str(p["ags"]) for p in properties),
        names=tuple(str(p["name"]) for p in properties),
        districts=tuple(str(p["kreis"]) for p in properties),
        rings=rings,
        source_note=str(note),
        bounds=(*everything.min(axis=0), *everything.max(axis=0)),
    )


def map_attribution() -> str:
    """The source note every map of the region must carry (German).

    It names the source as the boundary file itself does, the licence, that the
    data were modified, and who simplified them — what the Datenlizenz
    Deutschland – Namensnennung – 2.0 asks for (see ``data/SOURCES.md``).

    Returns
    -------
    str

    Examples
    --------
    >>> print(map_attribution())  # doctest: +NORMALIZE_WHITESPACE
    Gemeindegrenzen: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0;
    vereinfacht über OpenDataLab
    """
    return f"Gemeindegrenzen: {_boundaries().source_note}, {LICENSE}; vereinfacht über OpenDataLab"


def municipality_patches(ax: Axes) -> dict[str, Polygon]:
    """The municipality polygons :func:`region_map` drew into ``ax``, by AGS.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes returned by :func:`region_map`.

    Returns
    -------
    dict of str to matplotlib.patches.Polygon
        In the order of the boundary file (empty if ``ax`` holds no map).

    Examples
    --------
    >>> ax = region_map()
    >>> municipality_patches(ax)["05970040"].get_label()
    'Siegen'
    >>> plt.close(ax.figure)
    """
    return {
        patch.get_gid().removeprefix(PATCH_GID_PREFIX): patch
        for patch in ax.patches
        if isinstance(patch, Polygon) and str(patch.get_gid() or "").startswith(PATCH_GID_PREFIX)
    }


# ---------------------------------------------------------------------------
# input checks


def _unwrap(data: object) -> pd.DataFrame:
    """Accept a DataFrame or what disclosure control returns (it keeps the frame in ``.table``)."""
    table = getattr(data, "table", None)
    if not isinstance(data, pd.DataFrame) and isinstance(table, pd.DataFrame):
        data = table
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas DataFrame (one row per municipality), got {type(data).__name__}"
        )
    return data


def _keys(column: pd.Series, name: str) -> pd.Series:
    """AGS as 8-character strings; integer keys lost their leading zero and get it back."""
    if column.isna().any():
        rows = ", ".join(map(str, column.index[column.isna()][:5]))
        raise ValueError(f"column {name!r} is empty in row(s) {rows}; every row needs an AGS")
    if pd.api.types.is_integer_dtype(column):
        return column.astype("int64").astype(str).str.zfill(8)
    return column.astype(str).str.strip()


def _check_keys(keys: pd.Series, name: str, known: Sequence[str]) -> None:
    unknown = keys[~keys.isin(known)]
    if not unknown.empty:
        listed = ", ".join(f"{key!r} (row {row})" for row, key in unknown.head(10).items())
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise ValueError(
            f"column {name!r} holds {len(unknown)} key(s) that are not among the 59 "
            f"municipalities of Südwestfalen: {listed}{more}; use the 8-digit AGS, "
            "e.g. '05970040' for Siegen (see welcome_eval.municipalities.municipalities())"
        )
    duplicated = keys[keys.duplicated(keep=False)]
    if not duplicated.empty:
        listed = ", ".join(sorted(set(duplicated)))
        raise ValueError(
            f"column {name!r} lists the municipality {listed} more than once; "
            "pass one row per municipality"
        )


def _is_missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and math.isnan(value))
    )


def _is_boolean(values: pd.Series) -> bool:
    present = values.dropna()
    return not present.empty and all(isinstance(v, bool | np.bool_) for v in present)


def _resolve_kind(values: pd.Series, kind: str | None, value: str) -> str:
    if kind is not None:
        if kind not in ("categorical", "continuous"):
            raise ValueError(f"kind must be 'categorical' or 'continuous', got {kind!r}")
        return kind
    if _is_boolean(values) or not pd.api.types.is_numeric_dtype(values):
        return "categorical"
    if pd.api.types.is_integer_dtype(values) and values.nunique() <= len(CATEGORICAL_COLORS):
        return "categorical"  # e.g. the year a municipality joined
    return "continuous"


# ---------------------------------------------------------------------------
# colours


def _categories(values: pd.Series, order: Sequence[Any] | None, value: str) -> list[Any]:
    present = [v for v in dict.fromkeys(values) if not _is_missing(v)]
    if order is not None:
        order = list(order)
        unlisted = [v for v in present if v not in order]
        if unlisted:
            raise ValueError(
                f"column {value!r} holds value(s) {unlisted!r} that are not in order={order!r}; "
                "add them to order"
            )
        return order
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if c in present]
    if _is_boolean(values):
        return [v for v in (True, False) if v in present]
    try:
        return sorted(present)
    except TypeError:  # mixed types: keep the order of the data
        return present


def _category_colors(
    categories: Sequence[Any], palette: str | Sequence[Any] | Mapping[Any, Any] | None
) -> dict[Any, tuple[float, float, float, float]]:
    if isinstance(palette, Mapping):
        missing = [c for c in categories if c not in palette]
        if missing:
            raise ValueError(f"palette has no colour for value(s) {missing!r}")
        return {c: mcolors.to_rgba(palette[c]) for c in categories}
    if palette is None:
        colors: Sequence[Any] = CATEGORICAL_COLORS
    elif isinstance(palette, str):
        colors = sns.color_palette(palette, len(categories))
    else:
        colors = list(palette)
    if len(categories) > len(colors):
        raise ValueError(
            f"{len(categories)} categories but only {len(colors)} colours in the palette; "
            "group the values or draw them with kind='continuous'"
        )
    return {c: mcolors.to_rgba(colors[i]) for i, c in enumerate(categories)}


def _continuous_colors(
    values: pd.Series,
    palette: str | mcolors.Colormap | None,
    vmin: float | None,
    vmax: float | None,
    value: str,
) -> tuple[pd.Series, mcolors.Normalize | None, mcolors.Colormap]:
    try:
        numbers = pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"column {value!r} must be numeric for kind='continuous' ({exc}); "
            "use kind='categorical' for labels"
        ) from exc
    cmap = palette if isinstance(palette, mcolors.Colormap) else colormaps[palette or "viridis"]
    finite = numbers[np.isfinite(numbers)]
    if finite.empty:
        return numbers, None, cmap
    low = float(finite.min()) if vmin is None else float(vmin)
    high = float(finite.max()) if vmax is None else float(vmax)
    if high < low:
        raise ValueError(f"vmax ({high}) is below vmin ({low})")
    if high == low:  # one value only: give the colour bar a visible range around it
        low, high = low - 0.5, high + 0.5
    return numbers, mcolors.Normalize(low, high), cmap


# ---------------------------------------------------------------------------
# the map


def _distance_to_segments(points: np.ndarray, rings: Sequence[np.ndarray]) -> np.ndarray:
    """Distance of each point to the nearest edge of any of ``rings`` (projected units)."""
    if not rings:
        return np.full(len(points), np.inf)
    starts = np.concatenate([ring[:-1] for ring in rings])
    edges = np.concatenate([ring[1:] for ring in rings]) - starts
    lengths = np.maximum((edges**2).sum(axis=1), 1e-18)
    where = np.clip(((points[:, None, :] - starts) * edges).sum(axis=-1) / lengths, 0.0, 1.0)
    nearest = starts + where[..., None] * edges
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=-1)).min(axis=1)


def _runs(ring: np.ndarray, on_line: np.ndarray) -> list[np.ndarray]:
    """Polylines along the consecutive edges of a closed ring that are flagged in ``on_line``."""
    n = len(on_line)  # edges; ring has n + 1 points (closed)
    if on_line.all():
        return [ring]
    if not on_line.any():
        return []
    first = int(np.argmin(on_line))  # start after an unflagged edge, so no run wraps around
    lines: list[np.ndarray] = []
    current: list[int] = []
    for step in range(1, n + 1):
        edge = (first + step) % n
        if on_line[edge]:
            current.append(edge)
        elif current:
            lines.append(np.array([ring[e] for e in current] + [ring[(current[-1] + 1) % n]]))
            current = []
    if current:
        lines.append(np.array([ring[e] for e in current] + [ring[(current[-1] + 1) % n]]))
    return lines


@cache
def _border_lines() -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Polylines of the district borders and of the region's outline.

    The polygons were simplified one by one (OpenDataLab "simplify200"), so
    neighbours do not share all their vertices and cannot be dissolved exactly.
    An edge of a municipality is taken as a district border if both its ends
    and its middle lie within :data:`BORDER_TOLERANCE` of a municipality of
    another district; each border is taken from the district listed first in
    :data:`~welcome_eval.municipalities.DISTRICTS`, so it is drawn once. An edge
    far from every other municipality is part of the region's outline.
    """
    geo = _boundaries()
    rank = [DISTRICTS.index(d) for d in geo.districts]
    boxes = np.array([[*ring.min(axis=0), *ring.max(axis=0)] for ring in geo.rings])
    near = (
        (boxes[:, None, 0] <= boxes[None, :, 2] + BORDER_TOLERANCE)
        & (boxes[:, None, 2] >= boxes[None, :, 0] - BORDER_TOLERANCE)
        & (boxes[:, None, 1] <= boxes[None, :, 3] + BORDER_TOLERANCE)
        & (boxes[:, None, 3] >= boxes[None, :, 1] - BORDER_TOLERANCE)
    )
    district_lines: list[np.ndarray] = []
    outline: list[np.ndarray] = []
    for i, ring in enumerate(geo.rings):
        neighbours = [j for j in range(len(geo.rings)) if j != i and near[i, j]]
        later = [geo.rings[j] for j in neighbours if rank[j] > rank[i]]
        others = [geo.rings[j] for j in neighbours]
        # the ends and the middle of every edge
        probes = np.concatenate([ring[:-1], ring[1:], (ring[:-1] + ring[1:]) / 2])
        n = len(ring) - 1
        to_later = _distance_to_segments(probes, later).reshape(3, n).max(axis=0)
        to_any = _distance_to_segments(probes, others).reshape(3, n).min(axis=0)
        district_lines += _runs(ring, to_later < BORDER_TOLERANCE)
        outline += _runs(ring, to_any > BORDER_TOLERANCE)
    return tuple(district_lines), tuple(outline)


def _draw_borders(ax: Axes) -> None:
    """Dark lines where districts meet and around the region, none inside a district."""
    district_lines, outline = _border_lines()
    for lines, gid in ((district_lines, "kreisgrenzen"), (outline, "regionsgrenze")):
        ax.add_collection(
            LineCollection(
                lines,
                colors=DISTRICT_EDGE,
                linewidths=DISTRICT_LINEWIDTH,
                capstyle="round",
                joinstyle="round",
                zorder=3,
                gid=gid,
                # a white casing keeps the line visible on dark fills (e.g. the low end of viridis)
                path_effects=[
                    patheffects.Stroke(linewidth=DISTRICT_LINEWIDTH + 1.2, foreground="white"),
                    patheffects.Normal(),
                ],
            ),
            autolim=False,
        )


def _highlight(ax: Axes, geo: _Boundaries, keys: Sequence[str]) -> None:
    for key in keys:
        i = geo.ags.index(key)
        ring = geo.rings[i]
        ax.add_patch(
            Polygon(
                ring,
                closed=True,
                facecolor="none",
                edgecolor="black",
                linewidth=2.4,
                zorder=4,
                gid=f"hervorhebung-{key}",
            )
        )
        x, y = _centroid(ring)
        ax.text(
            x,
            y,
            geo.names[i],
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            zorder=5,
            path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
        )


def _centroid(ring: np.ndarray) -> tuple[float, float]:
    """Area centroid of a simple polygon (shoelace formula)."""
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    return float(((x + x1) * cross).sum() / (6 * area)), float(
        ((y + y1) * cross).sum() / (6 * area)
    )


def _missing_handle() -> Patch:
    return Patch(
        facecolor=MISSING_FACE,
        edgecolor=MISSING_HATCH_COLOR,
        hatch=MISSING_HATCH,
        hatchcolor=MISSING_HATCH_COLOR,
        linewidth=0.5,
        label=MISSING_LABEL,
    )


def region_map(
    data: pd.DataFrame | None = None,
    *,
    value: str | None = None,
    ags: str = "ags",
    kind: Literal["categorical", "continuous"] | None = None,
    ax: Axes | None = None,
    palette: str | Sequence[Any] | Mapping[Any, Any] | mcolors.Colormap | None = None,
    labels: Mapping[Any, str] | None = None,
    order: Sequence[Any] | None = None,
    title: str | None = None,
    legend_title: str | None = None,
    percent: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    highlight: str | Sequence[str] | None = None,
) -> Axes:
    """Choropleth map of the 59 municipalities of Südwestfalen.

    Each municipality is filled with the colour of its value; municipalities
    without a value — not in ``data``, or a missing value such as a cell hidden
    by disclosure control — are light grey and hatched, with the legend entry
    "keine Angabe / unterdrückt". White lines separate municipalities, dark
    lines the five districts. The source note :func:`map_attribution` is
    always printed under the map.

    Projection: equirectangular about the region's middle latitude
    φ₀ ≈ 51,2° N, i.e. x = λ·cos φ₀, y = φ, drawn with equal aspect (distortion
    over the region's 1° of latitude is below 2 %).

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Tidy data, one row per municipality, with the key column ``ags`` and the
        column ``value``. A :class:`~welcome_eval.publish.disclosure.SuppressedTable` is
        accepted too (its ``.table``; hidden cells are NaN and thus hatched).
        Without data the map shows the five districts.
    value : str
        Column to colour by: participation (yes/no), the year a municipality
        joined, a response rate, a result such as mean satisfaction.
    ags : str, default "ags"
        Column with the official 8-digit municipality key (strings; integer
        keys get their leading zero back).
    kind : {"categorical", "continuous"}, optional
        Categorical: one colour per value with a legend. Continuous: a
        sequential colour map with a colour bar. By default categorical for
        text, yes/no and integers with at most 9 distinct values, else
        continuous.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    palette : str, list, dict or Colormap, optional
        Categorical: seaborn palette name, list of colours or dict value →
        colour (default: ``colorblind`` without its grey). Continuous: colour
        map name or object (default ``viridis``; ``cividis`` is another
        colour-blind-safe choice).
    labels : dict, optional
        Legend text per categorical value (yes/no default to "ja"/"nein").
    order : sequence, optional
        Categorical values in legend order (default: categorical order,
        yes before no, else sorted).
    title : str, optional
        Title above the map (left-aligned).
    legend_title : str, optional
        Title of the legend or colour bar (default: the column name).
    percent : bool, default False
        Continuous values are shares (0–1): show the colour bar in German
        percent (``45 %``).
    vmin, vmax : float, optional
        Range of the colour map (default: the data's range).
    highlight : str or sequence of str, optional
        AGS of municipalities to outline in black and name on the map (e.g.
        the municipality a benchmark report is for).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    KeyError
        ``ags`` or ``value`` is not a column of ``data``.
    ValueError
        ``value`` is not given, a key is not one of the 59 AGS or appears
        twice, or the values do not fit ``kind``.

    References
    ----------
    Okabe, M. & Ito, K. (2008). *Color Universal Design (CUD): How to make
    figures and presentations that are friendly to colorblind people.*
    https://jfly.uni-koeln.de/color/ — and Nuñez, J. R., Anderton, C. R. &
    Renslow, R. S. (2018). Optimizing colormaps with consideration for color
    vision deficiency. *PLOS ONE* 13(7), e0199239 (cividis).

    Examples
    --------
    >>> rates = pd.DataFrame({"ags": ["05970040", "05974040"], "quote": [0.45, 0.6]})
    >>> ax = region_map(rates, value="quote", percent=True, legend_title="Rücklauf")
    >>> patches = municipality_patches(ax)
    >>> patches["05958004"].get_hatch()  # Arnsberg: no value, hatched
    '////'
    >>> ax.texts[0].get_text() == map_attribution()
    True
    >>> plt.close(ax.figure)
    """
    geo = _boundaries()
    if data is None:
        if value is not None:
            raise ValueError(f"value={value!r} needs data with that column")
        table = pd.DataFrame({"ags": list(geo.ags), "Kreis": list(geo.districts)})
        table["Kreis"] = pd.Categorical(table["Kreis"], categories=DISTRICTS, ordered=True)
        ags, value = "ags", "Kreis"
        kind = "categorical"
    else:
        table = _unwrap(data)
        if value is None:
            raise ValueError(
                "pass value= with the name of the column to colour the municipalities by; "
                f"available columns: {', '.join(map(str, table.columns))}"
            )
    for column, role in ((ags, "ags"), (value, "value")):
        if column not in table.columns:
            raise KeyError(
                f"{role}={column!r} is not a column of data; "
                f"available columns: {', '.join(map(str, table.columns))}"
            )
    keys = _keys(table[ags], ags)
    _check_keys(keys, ags, geo.ags)
    highlighted = [highlight] if isinstance(highlight, str) else list(highlight or [])
    unknown = [h for h in highlighted if h not in geo.ags]
    if unknown:
        raise ValueError(f"highlight= names unknown AGS {unknown!r}; use 8-digit AGS strings")
    values = table[value]
    kind = _resolve_kind(values, kind, value)

    by_key: dict[str, Any] = dict(zip(keys, values, strict=True))
    face: dict[str, tuple[float, float, float, float]] = {}
    handles: list[Patch] = []
    mappable: ScalarMappable | None = None
    if kind == "categorical":
        categories = _categories(values, order, value)
        colors = _category_colors(categories, palette)  # type: ignore[arg-type]
        names = dict(BOOLEAN_LABELS) if _is_boolean(values) else {}
        names.update(labels or {})
        for key, item in by_key.items():
            if not _is_missing(item):
                face[key] = colors[item]
        handles = [
            Patch(facecolor=colors[c], edgecolor="none", label=str(names.get(c, c)))
            for c in categories
        ]
    else:
        numbers, norm, cmap = _continuous_colors(values, palette, vmin, vmax, value)  # type: ignore[arg-type]
        for key, number in zip(keys, numbers, strict=True):
            if norm is not None and np.isfinite(number):
                face[key] = cmap(norm(number))
        if norm is not None:
            mappable = ScalarMappable(norm=norm, cmap=cmap)

    if ax is None:
        _, ax = plt.subplots(figsize=(7.4, 6.4), layout="constrained")
    any_missing = False
    for key, name, ring in zip(geo.ags, geo.names, geo.rings, strict=True):
        color = face.get(key)
        missing = color is None
        any_missing |= missing
        # add_artist, not add_patch: the limits are set below, and add_patch's per-vertex
        # data-limit update would take most of the time of a map
        ax.add_artist(
            Polygon(
                ring,
                closed=True,
                facecolor=MISSING_FACE if missing else color,
                edgecolor=MUNICIPAL_EDGE,
                linewidth=MUNICIPAL_LINEWIDTH,
                hatch=MISSING_HATCH if missing else None,
                hatchcolor=MISSING_HATCH_COLOR,
                joinstyle="round",
                zorder=2,
                label=name,
                gid=PATCH_GID_PREFIX + key,
            )
        )
    _draw_borders(ax)
    _highlight(ax, geo, highlighted)

    xmin, ymin, xmax, ymax = geo.bounds
    pad = 0.01 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontweight="bold")

    heading = textwrap.fill(
        str(legend_title if legend_title is not None else value), LEGEND_TITLE_WIDTH
    )
    if any_missing:
        handles.append(_missing_handle())
    if mappable is not None:
        bar_axes = ax.inset_axes((1.04, 0.42, 0.045, 0.5))
        bar = ax.figure.colorbar(mappable, cax=bar_axes)
        bar.outline.set_visible(False)
        bar.ax.yaxis.set_major_formatter(GermanFormatter(as_percent=percent))
        bar.ax.tick_params(labelsize="small", length=2)
        bar_axes.set_title(heading, loc="left", fontsize="small", pad=8)
        legend_anchor = (1.02, 0.36)
        legend_title_text = None
    else:
        legend_anchor = (1.02, 1.0)
        legend_title_text = heading
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=legend_anchor,
            frameon=False,
            title=legend_title_text,
            alignment="left",
            fontsize="small",
            title_fontsize="small",
            handlelength=1.6,
            handleheight=1.2,
        )
    ax.annotate(
        map_attribution(),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=6.5,
        color="#444444",
        annotation_clip=False,
        gid=ATTRIBUTION_GID,
    )
    return ax
