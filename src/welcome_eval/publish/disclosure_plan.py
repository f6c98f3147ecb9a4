"""Disclosure control across the whole published set of a newcomer-survey wave.

Every municipal benchmark report of a wave shows the municipality's own
results, and for the key items (:data:`CONTEXT_ITEMS`) the results of its
district and of the region; the regional report draws a map from the same
municipal counts. Suppressing each table on its own is not enough: the
district total minus the values the other reports of that district publish
leaves whatever is hidden — a municipality with fewer than ``min_n``
answers, or a municipality that does not take part in the programme and
whose results are therefore never shown by name. A published share rounded
to whole percent together with its rounded Wilson interval pins the count of
"yes" answers (:func:`welcome_eval.publish.disclosure.counts_from_rounded`), so every
shown share is treated as a published count.

:func:`suppression_plan` therefore decides, once per wave and the same way in
every report (a deterministic function of the wave, the participation record
and ``min_n``, cached per kernel), which cells may be published anywhere:

* a municipality's own value only if it takes part, has at least ``min_n``
  answers and is not needed as complementary suppression;
* the district and region values of the context items only as long as the
  union of everything published leaves every hidden municipality protected —
  the "yes" count and the count of other answers of each hidden cell can
  still move by at least ``min(protection, n)`` (integer programme of
  :func:`welcome_eval.publish.disclosure.audit_published`, with the worst-case
  assumption that the attacker knows every municipality's number of answers,
  e.g. from the regional report).

When a hidden cell is not protected, the plan hides, in this order: the total
of its district; the total of a second district (the one with the most
unpublished answers, so that the two can only be recovered as a sum); the
region total; finally the smallest published municipality of the district
(complementary suppression, hidden in every report). The loop repeats until
the audit finds every hidden cell protected.

:func:`published_set` lists what a build publishes under a plan (or, with
``plan=None``, what it published before this control existed) in the form
:func:`~welcome_eval.publish.disclosure.audit_published` takes, and
:func:`published_from_reports` reads the same from built HTML reports, so
the union audit can be run on what was really published.

Not covered: the regional report's weighted shares (not linear in the counts),
order statistics beyond the peer quartiles (which are computed from published
values only, see :func:`welcome_eval.analysis.benchmark.peer_position`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.publish.disclosure import DisclosureError, audit_published, counts_from_rounded

__all__ = [
    "CONTEXT_ITEMS",
    "REGION",
    "SuppressionPlan",
    "audit_reports",
    "plan_from_counts",
    "published_from_reports",
    "published_set",
    "suppression_plan",
    "wave_counts",
]

#: Items whose district and region values every municipal report shows.
CONTEXT_ITEMS: tuple[str, ...] = ("willkommen", "bleibeabsicht")
#: Label of the whole region in the reports.
REGION = "Südwestfalen"


@dataclass(frozen=True)
class SuppressionPlan:
    """Which cells of one wave may be published anywhere.

    ``published`` holds the ``(ags, item)`` pairs whose own value may be shown
    (in the municipality's report, as a peer in quartiles, on the regional
    map); ``hidden_district`` the ``(district, item)`` and ``hidden_region`` the
    items whose district/region value the municipal reports must hide;
    ``complementary`` the ``(ags, item)`` pairs of participating municipalities
    with enough answers that are hidden to protect others.
    """

    wave: str
    min_n: int
    published: frozenset[tuple[str, str]]
    hidden_district: frozenset[tuple[str, str]] = frozenset()
    hidden_region: frozenset[str] = frozenset()
    complementary: frozenset[tuple[str, str]] = frozenset()
    districts: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def shows_own(self, ags: str, item: str) -> bool:
        """Whether a municipality's own value of ``item`` may be shown."""
        return (str(ags), item) in self.published

    def shows_district(self, district: str, item: str) -> bool:
        """Whether the district (or, for :data:`REGION`, the region) value may be shown."""
        if district == REGION:
            return item not in self.hidden_region
        return (district, item) not in self.hidden_district


# ---------------------------------------------------------------------------
# the published set as linear equations


def wave_counts(shares: pd.DataFrame, districts: Mapping[str, str]) -> pd.DataFrame:
    """Counts per municipality and item from
    :func:`welcome_eval.analysis.benchmark.municipal_shares`:
    ``ags``, ``district``, ``item``, ``n`` and ``x`` (the "yes" answers)."""
    out = shares[["ags", "item", "n"]].copy()
    out["ags"] = out["ags"].astype(str)
    out["x"] = np.rint(shares["share"].to_numpy(float) * shares["n"].to_numpy(float))
    out["district"] = out["ags"].map(dict(districts))
    unknown = out.loc[out["district"].isna(), "ags"].unique().tolist()
    if unknown:
        raise ValueError(f"municipality keys without a district: {unknown[:5]}")
    return out[out["n"] > 0].reset_index(drop=True)


def published_set(
    counts: pd.DataFrame,
    participants: Collection[str],
    *,
    min_n: int,
    plan: SuppressionPlan | None = None,
    context_items: Iterable[str] = CONTEXT_ITEMS,
    system_prefix: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells and published values of one wave for
    :func:`~welcome_eval.publish.disclosure.audit_published`.

    Systems are ``"<prefix><item>"``; cells are the ``ags`` keys. Published:
    the own value of every participating municipality with at least
    ``min_n`` answers (and, with a ``plan``, only those it publishes); for the
    context items the total of every district with a participating
    municipality and of the region (unless the plan hides them). Without a
    plan this is what the reports published before cross-report control.
    """
    participants = {str(a) for a in participants}
    context = set(context_items)
    cells = counts.assign(system=system_prefix + counts["item"].astype(str), cell=counts["ags"])[
        ["system", "cell", "n"]
    ]
    rows: list[dict[str, object]] = []
    for item, group in counts.groupby("item", sort=True):
        system = system_prefix + str(item)
        for row in group.itertuples(index=False):
            own = row.ags in participants and row.n >= min_n
            if plan is not None:
                own = plan.shows_own(row.ags, str(item))
            if own:
                rows.append({"system": system, "members": (row.ags,), "n": row.n, "x": row.x})
        if item not in context:
            continue
        with_reports = set(group.loc[group["ags"].isin(participants), "district"])
        for district, members in group.groupby("district", sort=True):
            if district not in with_reports:
                continue
            if plan is not None and not plan.shows_district(str(district), str(item)):
                continue
            rows.append(
                {
                    "system": system,
                    "members": tuple(members["ags"]),
                    "n": members["n"].sum(),
                    "x": members["x"].sum(),
                }
            )
        if with_reports and (plan is None or plan.shows_district(REGION, str(item))):
            rows.append(
                {
                    "system": system,
                    "members": tuple(group["ags"]),
                    "n": group["n"].sum(),
                    "x": group["x"].sum(),
                }
            )
    published = pd.DataFrame(rows, columns=["system", "members", "n", "x"])
    return cells.reset_index(drop=True), published


# ---------------------------------------------------------------------------
# the plan


def plan_from_counts(
    counts: pd.DataFrame,
    participants: Collection[str],
    *,
    wave: str = "",
    min_n: int = 5,
    protection: float = 2,
    context_items: Iterable[str] = CONTEXT_ITEMS,
) -> SuppressionPlan:
    """The suppression plan of one wave from its counts (see the module docstring).

    ``counts`` comes from :func:`wave_counts`; ``participants`` are the
    municipalities with a report in this wave.

    Examples
    --------
    Every municipality of district K takes part; 01 has 2 answers. Publishing
    the district total would give 01 away, so it is hidden — and so is the
    total of district L, since the region total minus L would give K back;
    the region then only tells the sum of K and L, which the non-participant
    05 in L covers:

    >>> counts = pd.DataFrame({
    ...     "ags": ["01", "02", "03", "04", "05"], "district": ["K", "K", "K", "L", "L"],
    ...     "item": "willkommen", "n": [2, 20, 30, 25, 8], "x": [1, 12, 16, 20, 4]})
    >>> p = plan_from_counts(counts, ["01", "02", "03", "04"], context_items=["willkommen"])
    >>> p.shows_district("K", "willkommen"), p.shows_district("L", "willkommen")
    (False, False)
    >>> p.shows_district("Südwestfalen", "willkommen"), p.shows_own("02", "willkommen")
    (True, True)
    """
    participants = {str(a) for a in participants}
    context = tuple(context_items)
    districts = dict(zip(counts["ags"].astype(str), counts["district"].astype(str), strict=True))
    eligible = {
        (str(a), str(i))
        for a, i, n in zip(counts["ags"], counts["item"], counts["n"], strict=True)
        if str(a) in participants and n >= min_n
    }
    hidden_district: set[tuple[str, str]] = set()
    hidden_region: set[str] = set()
    complementary: set[tuple[str, str]] = set()

    def current() -> SuppressionPlan:
        return SuppressionPlan(
            wave,
            min_n,
            frozenset(eligible - complementary),
            frozenset(hidden_district),
            frozenset(hidden_region),
            frozenset(complementary),
            districts,
        )

    def weak(plan: SuppressionPlan, item: str) -> pd.DataFrame:
        part = counts[counts["item"] == item]
        cells, published = published_set(
            part, participants, min_n=min_n, plan=plan, context_items=context
        )
        result = audit_published(cells, published, min_n=min_n, protection=protection)
        return result[~result["protected"]].sort_values(["n", "cell"])

    for item in context:
        part = counts[counts["item"] == item]
        if part.empty:
            continue
        hidden_mass = (
            part[~part["ags"].map(lambda a, item=item: (a, item) in eligible)]
            .groupby("district")["n"]
            .sum()
        )
        for _ in range(4 * len(part) + 10):
            bad = weak(current(), item)
            if bad.empty:
                break
            cell = str(bad["cell"].iloc[0])
            district = districts[cell]
            options: list[tuple[str, str]] = []
            if (district, item) not in hidden_district:
                options.append(("district", district))
            others = [
                d
                for d in sorted(hidden_mass.index, key=lambda d: (-hidden_mass[d], d))
                if d != district and (d, item) not in hidden_district
            ]
            options += [("district", d) for d in others]
            if item not in hidden_region:
                options.append(("region", REGION))
            same = part[(part["district"] == district)].sort_values(["n", "ags"])
            options += [
                ("own", a)
                for a in same["ags"]
                if (a, item) in eligible and (a, item) not in complementary
            ]
            if not options:
                raise DisclosureError(
                    f"wave {wave} item {item}: a hidden value cannot be protected "
                    "even with every total hidden"
                )

            def apply(option: tuple[str, str], item: str = item) -> None:
                kind, unit = option
                if kind == "district":
                    hidden_district.add((unit, item))
                elif kind == "region":
                    hidden_region.add(item)
                else:
                    complementary.add((unit, item))

            def undo(option: tuple[str, str], item: str = item) -> None:
                kind, unit = option
                if kind == "district":
                    hidden_district.discard((unit, item))
                elif kind == "region":
                    hidden_region.discard(item)
                else:
                    complementary.discard((unit, item))

            chosen = options[0]
            if options[0][0] != "district" or options[0][1] != district:
                # the own district is hidden already: take the first option that
                # protects this cell, else the first one (and go on)
                for option in options:
                    apply(option)
                    still = weak(current(), item)
                    undo(option)
                    if cell not in set(still["cell"].astype(str)):
                        chosen = option
                        break
            apply(chosen)
        else:
            raise DisclosureError(f"wave {wave} item {item}: suppression did not settle")
    return current()


@functools.lru_cache(maxsize=8)
def _plan_cached(
    manifest: str,
    stamp: tuple[str, str],
    record_dir: str,
    record_stamp: str,
    min_n: int,
    protection: float,
) -> SuppressionPlan:
    from welcome_eval.analysis.benchmark import wave_shares
    from welcome_eval.analysis.programme import participating_on, participation_record
    from welcome_eval.ingest.wave import Manifest
    from welcome_eval.municipalities import municipalities

    m = Manifest.load(manifest)
    record = participation_record(record_dir)
    on = m.fieldwork_start or dt.date(int(m.wave), 1, 1)
    participants = set(record.loc[participating_on(record, on), "ags"].astype(str))
    districts = municipalities().set_index("ags")["district"].astype(str).to_dict()
    counts = wave_counts(wave_shares(manifest), districts)
    return plan_from_counts(
        counts, participants, wave=str(m.wave), min_n=min_n, protection=protection
    )


def suppression_plan(
    manifest: str | Path,
    *,
    data_dir: str | Path | None = None,
    min_n: int = 5,
    protection: float = 2,
) -> SuppressionPlan:
    """The suppression plan of a newcomer-survey wave (see :func:`plan_from_counts`).

    Participants are those taking part on the first day of fieldwork (as for
    the municipal reports of ``welcome-eval build``), read from
    ``<data_dir>/programme/teilnahme.csv``. Every report of the wave calls this
    with the same inputs and gets the same plan; it is cached per kernel
    until the content (sha256) of the wave's files or of the participation record changes.
    """
    from welcome_eval.analysis.benchmark import file_digest
    from welcome_eval.config import data_dir as default_data_dir
    from welcome_eval.ingest.wave import Manifest

    directory = Path(data_dir) if data_dir else default_data_dir()
    record = directory / "programme" / "teilnahme.csv"
    record_stamp = file_digest(record) if record.is_file() else ""
    return _plan_cached(
        str(Path(manifest).resolve()),
        (file_digest(manifest), file_digest(Manifest.load(manifest).file)),
        str(directory.resolve()),
        record_stamp,
        int(min_n),
        float(protection),
    )


# ---------------------------------------------------------------------------
# what built reports really published


def _german_number(text: str) -> float | None:
    cleaned = text.replace("\u202f", " ").replace("\xa0", " ").strip().rstrip("% ").strip()
    cleaned = cleaned.replace(".", "").replace(",", ".").replace("−", "-")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _pinned_x(n: float, texts: list[str]) -> float:
    values = [_german_number(t) for t in texts]
    if not n or any(v is None for v in values):
        return float("nan")
    found = counts_from_rounded(int(n), *values)  # type: ignore[arg-type]
    return float(found[0]) if len(found) == 1 else float("nan")


def published_from_reports(
    out_dir: str | Path, wave: str, *, labels: Mapping[str, str]
) -> pd.DataFrame:
    """The values the municipal reports under ``out_dir`` publish about ``wave``.

    Reads every ``gemeinden/<ags>/<wave>.html`` of both editions (the agency
    edition and the researcher edition under ``forschung/``): the own values
    (table "Merkmal, Antworten, Ihre Kommune, KI von, KI bis"), the district
    and region values (table "Kreis, Merkmal, Antworten, …"), and the values of
    ``wave`` that the change table of a later wave's report repeats
    ("Antworten <wave>", "<wave>"). Returns one row per published value:
    ``kind`` (``"own"``, ``"district"``, ``"region"``), ``unit`` (the ``ags``
    or the district/region label as printed), ``item`` (mapped from the
    printed label with ``labels``: label → item id), ``n``, ``x`` — the count
    of "yes" answers recovered from the rounded share and Wilson interval
    (:func:`~welcome_eval.publish.disclosure.counts_from_rounded`; ``NaN`` where the
    rounding leaves several candidates) — and ``page``. Hidden values ("."
    in the table) are not listed.
    """
    from bs4 import BeautifulSoup

    root = Path(out_dir)
    rows: list[dict[str, object]] = []

    def add(kind: str, unit: str, label: str, n: str, texts: list[str], page: Path) -> None:
        if n.strip() == "." or label not in labels:
            return
        count = _german_number(n)
        rows.append(
            {
                "kind": kind,
                "unit": unit,
                "item": labels[label],
                "n": count,
                "x": _pinned_x(count or 0, texts),
                "page": page.relative_to(root).as_posix(),
            }
        )

    # The headers the municipal reports print, from the one place that writes them.
    from welcome_eval.present.vocabulary import GEMEINDE as headers

    own = [headers[c] for c in ("label", "n", "value", "ci_low", "ci_high")]
    pages = sorted(root.glob("gemeinden/*/*.html")) + sorted(root.glob("*/gemeinden/*/*.html"))
    for page in pages:
        ags, own_wave = page.parent.name, page.stem
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for table in soup.find_all("table", class_="gate-tidy"):
            head = [th.get_text() for th in table.find("thead").find_all("th")]
            body = [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody("tr")]
            if own_wave == wave and head[:5] == own:
                for label, n, share, low, high, *_ in body:
                    add("own", ags, label, n, [share, low, high], page)
            elif own_wave == wave and head[:3] == ["Kreis", headers["label"], headers["n"]]:
                for unit, label, n, share, low, high, *_ in body:
                    kind = "region" if unit == REGION else "district"
                    add(kind, unit, label, n, [share, low, high], page)
            elif (
                head[:1] == [headers["label"]] and f"{headers['n']} {wave}" in head and wave in head
            ):
                n_at, share_at = head.index(f"{headers['n']} {wave}"), head.index(wave)
                for cells in body:
                    add("own", ags, cells[0], cells[n_at], [cells[share_at]], page)
    return pd.DataFrame(rows, columns=["kind", "unit", "item", "n", "x", "page"])


def audit_reports(
    out_dir: str | Path,
    manifest: str | Path,
    *,
    min_n: int = 5,
    protection: float = 2,
) -> pd.DataFrame:
    """Run :func:`~welcome_eval.publish.disclosure.audit_published` over what the built
    municipal reports of one wave really publish (:func:`published_from_reports`),
    with the true counts of the wave as the attacker's knowledge of every ``n``.

    Returns the audit (one row per hidden cell); ``pinned`` must be false
    everywhere. Raises :class:`ValueError` if the reports publish a value
    that differs from the data (e.g. a stale build).
    """
    from welcome_eval.analysis.benchmark import wave_shares
    from welcome_eval.ingest.wave import Manifest
    from welcome_eval.municipalities import municipalities

    m = Manifest.load(manifest)
    shares = wave_shares(manifest)
    labels = dict(zip(shares["label"], shares["item"], strict=True))
    table = municipalities()
    districts = table.set_index("ags")["district"].astype(str).to_dict()
    counts = wave_counts(shares, districts)
    seen = published_from_reports(out_dir, str(m.wave), labels=labels)
    cells = counts.assign(system=counts["item"], cell=counts["ags"])[["system", "cell", "n"]]
    rows = []
    for row in seen.itertuples(index=False):
        part = counts[counts["item"] == row.item]
        if row.kind == "own":
            members = (row.unit,)
        elif row.kind == "region":
            members = tuple(part["ags"])
        else:
            members = tuple(part.loc[part["district"] == row.unit, "ags"])
        truth = part[part["ags"].isin(members)]
        n, x = float(truth["n"].sum()), float(truth["x"].sum())
        if n != row.n or (not np.isnan(row.x) and x != row.x):
            raise ValueError(
                f"{row.kind} {row.unit} ({row.item}) is published as n={row.n}, x={row.x} "
                f"but the wave gives n={n:g}, x={x:g}: the reports are not from this data"
            )
        # a shown share counts as a published count, pinned by rounding or not
        rows.append({"system": row.item, "members": members, "n": n, "x": x})
    published = pd.DataFrame(rows, columns=["system", "members", "n", "x"])
    published = published.drop_duplicates(["system", "members"]).reset_index(drop=True)
    return audit_published(cells, published, min_n=min_n, protection=protection)
