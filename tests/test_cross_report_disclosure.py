"""Hidden values cannot be computed across the reports of a build (issue 12, point 2).

Every municipal report shows its district's total and the region's; every
report shows its own municipality's values. Subtracting the values the
other reports of a district publish from the district total used to leave
the hidden one — exactly, because a share rounded to whole percent together
with its rounded Wilson interval pins the count. These tests reproduce the
attack (on HTML pages) and show that it works on a set of reports gated table
by table, and fails on the reports as the build makes them now; and they run
the union audit (:func:`welcome_eval.publish.disclosure.audit_published`) over what is
published.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import notebook_text

from welcome_eval.analysis import benchmark
from welcome_eval.analysis.programme import participating_on, participation_record
from welcome_eval.build.reports import execute_notebook
from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.ingest.wave import Manifest
from welcome_eval.municipalities import municipalities
from welcome_eval.present import german_format as de
from welcome_eval.publish import disclosure_plan
from welcome_eval.publish.disclosure import audit_published, counts_from_rounded
from welcome_eval.publish.display import table_html
from welcome_eval.publish.privacy import protect
from welcome_eval.stats import proportion_ci

HALLENBERG, MESCHEDE, BAD_SASSENDORF = "05958020", "05958032", "05974008"
FULL_DISTRICTS = ("Hochsauerlandkreis", "Kreis Soest")


def _districts() -> dict[str, str]:
    return municipalities().set_index("ags")["district"].astype(str).to_dict()


def _manifest(data_dir: Path, wave: str) -> Path:
    return data_dir / "neubuerger" / wave / "manifest.yaml"


def _participants(data_dir: Path, wave: str) -> set[str]:
    record = participation_record(data_dir)
    start = Manifest.load(_manifest(data_dir, wave)).fieldwork_start
    return set(record.loc[participating_on(record, start), "ags"].astype(str))


def _full_participation(participants: Iterable[str]) -> set[str]:
    everyone = {a for a, d in _districts().items() if d in FULL_DISTRICTS}
    return set(participants) | everyone


def _labels(shares: pd.DataFrame) -> dict[str, str]:
    return dict(zip(shares["label"], shares["item"], strict=True))


# ---------------------------------------------------------------------------
# the attack, as an outsider with the published pages runs it


def subtraction_attack(seen: pd.DataFrame, counts: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    """District total minus the own values the reports of that district publish.

    ``seen`` is what the pages publish (:func:`disclosure_plan.published_from_reports`);
    ``counts`` tells which municipalities have answers at all (the worst case:
    the attacker knows it). Where exactly one municipality of a district has
    no published value, the difference is its ``(n, x)``.
    """
    recovered: dict[tuple[str, str], tuple] = {}
    totals = seen[seen["kind"] == "district"].drop_duplicates(["unit", "item"])
    own = seen[seen["kind"] == "own"].drop_duplicates(["unit", "item"])
    for row in totals.itertuples(index=False):
        present = counts[(counts["district"] == row.unit) & (counts["item"] == row.item)]
        shown = own[(own["item"] == row.item) & own["unit"].isin(present["ags"])]
        missing = sorted(set(present["ags"]) - set(shown["unit"]))
        if len(missing) == 1 and not np.isnan(row.x) and not shown["x"].isna().any():
            recovered[(missing[0], row.item)] = (
                row.n - shown["n"].sum(),
                row.x - shown["x"].sum(),
            )
    return recovered


def _pages_gated_table_by_table(
    out: Path, manifest: Path, participants: Iterable[str], wave: str
) -> None:
    """Municipal pages as they were before cross-report control: the own table
    and the district/region table of every participant, each passed through
    the gate on its own (deliberately unprotected as a set)."""
    shares = benchmark.wave_shares(manifest)
    context = benchmark.district_shares(manifest, list(disclosure_plan.CONTEXT_ITEMS))
    districts = _districts()
    percent = {c: de.percent for c in ("value", "share", "ci_low", "ci_high")}
    for ags in sorted(participants):
        position = benchmark.peer_position(shares, ags=ags)
        own = protect(
            position[["label", "n", "value", "ci_low", "ci_high"]],
            counts="n",
            values=["value", "ci_low", "ci_high"],
        )
        mine = context[context["Kreis"].isin([districts[ags], disclosure_plan.REGION])]
        around = protect(
            mine[["Kreis", "label", "n", "share", "ci_low", "ci_high"]].reset_index(drop=True),
            counts="n",
        )
        labels = {
            "label": "Merkmal",
            "n": "Antworten",
            "value": "Ihre Kommune",
            "share": "Anteil (eher) zutreffend",
            "ci_low": "KI von",
            "ci_high": "KI bis",
        }
        page = out / "gemeinden" / ags / f"{wave}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            table_html(own, formats=percent, labels=labels)
            + table_html(around, formats=percent, labels=labels),
            encoding="utf-8",
        )


# ---------------------------------------------------------------------------
# rounding pins counts


def test_rounded_share_and_wilson_interval_pin_the_count() -> None:
    rng = np.random.default_rng(12)
    pinned = checked = 0
    for n in [1, 2, 3, 4, 5, 17, 40, 60, *rng.integers(61, 400, size=12).tolist()]:
        for x in sorted({0, n, *rng.integers(0, n + 1, size=3).tolist()}):
            low, high = proportion_ci(x, n)
            shown = [round(v * 100) for v in (x / n, low, high)]
            found = counts_from_rounded(n, *shown)
            assert x in found
            if n <= 60:  # municipalities: the share alone gives the count away
                assert found == [x]
            checked += 1
            pinned += len(found) == 1
    # Districts and the region (hundreds of answers): the interval mostly does.
    assert pinned >= 0.75 * checked
    # The two values of the issue: n = 1 with 1 "yes", n = 4 with 2 "yes".
    assert counts_from_rounded(1, 100, 21, 100) == [1]
    assert counts_from_rounded(4, 50, 15, 85) == [2]


# ---------------------------------------------------------------------------
# the union audit


def _system(n: list[int], published: list[tuple[tuple[str, ...], float, float]]):
    cells = pd.DataFrame({"system": "s", "cell": [f"m{i}" for i in range(len(n))], "n": n})
    pub = pd.DataFrame([{"system": "s", "members": m, "n": nn, "x": xx} for m, nn, xx in published])
    return cells, pub


def test_audit_pins_a_cell_left_alone_by_its_total() -> None:
    cells, pub = _system(
        [1, 20, 30], [(("m0", "m1", "m2"), 51, 30), (("m1",), 20, 12), (("m2",), 30, 17)]
    )
    result = audit_published(cells, pub)
    assert result["cell"].tolist() == ["m0"]
    row = result.iloc[0]
    assert row["pinned"] and (row["x_lower"], row["x_upper"]) == (1, 1)


def test_audit_finds_a_group_that_answered_all_alike() -> None:
    # Two hidden cells (2 and 3 answers) and a remainder of 5 "yes" of 5: both are known.
    cells, pub = _system([2, 3, 30], [(("m0", "m1", "m2"), 35, 21), (("m2",), 30, 16)])
    result = audit_published(cells, pub).set_index("cell")
    assert result["pinned"].all()
    assert result.loc["m0", "x_lower"] == 2 and result.loc["m1", "x_upper"] == 3


def test_audit_passes_when_two_cells_share_the_remainder() -> None:
    cells, pub = _system([3, 4, 30], [(("m0", "m1", "m2"), 37, 20), (("m2",), 30, 17)])
    result = audit_published(cells, pub).set_index("cell")
    assert not result["pinned"].any() and result["protected"].all()
    assert (result.loc["m0", "x_lower"], result.loc["m0", "x_upper"]) == (0, 3)


def test_audit_without_known_n_derives_n_from_published_totals() -> None:
    cells, pub = _system([1, 20], [(("m0", "m1"), 21, np.nan), (("m1",), 20, 12)])
    result = audit_published(cells, pub, known_n=False).iloc[0]
    assert (result["n_lower"], result["n_upper"]) == (1, 1)
    assert (result["x_lower"], result["x_upper"]) == (0, 1) and not result["pinned"]


def test_audit_refuses_contradicting_values() -> None:
    cells, pub = _system([3, 20], [(("m0", "m1"), 23, 30), (("m1",), 20, 12)])
    with pytest.raises(ValueError, match="contradict"):
        audit_published(cells, pub)


# ---------------------------------------------------------------------------
# the plan on the demo waves: negative control and the protected set


@pytest.fixture(scope="module")
def demo_counts() -> dict[str, pd.DataFrame]:
    return {
        wave: disclosure_plan.wave_counts(
            benchmark.wave_shares(_manifest(demo_data_dir(), wave)), _districts()
        )
        for wave in ("2021", "2023")
    }


def _seen(cells_published: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """published_set rows as the attack reads pages: kind, unit, item, n, x."""
    districts = counts.drop_duplicates("ags").set_index("ags")["district"]
    rows = []
    for row in cells_published.itertuples(index=False):
        units = {districts[a] for a in row.members}
        if len(row.members) == 1:
            kind, unit = "own", row.members[0]
        elif len(units) == 1:
            kind, unit = "district", units.pop()
        else:
            kind, unit = "region", disclosure_plan.REGION
        rows.append({"kind": kind, "unit": unit, "item": row.system, "n": row.n, "x": row.x})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        pytest.param(False, {(MESCHEDE, "willkommen"): (40, 21)}, id="shipped-record"),
        pytest.param(
            True,
            {(HALLENBERG, "bleibeabsicht"): (1, 1), (BAD_SASSENDORF, "bleibeabsicht"): (4, 2)},
            id="full-participation",
            marks=pytest.mark.slow,  # the fast tier runs the shipped record
        ),
    ],
)
def test_tables_gated_one_by_one_give_hidden_values_away(demo_counts, full, expected) -> None:
    # Negative control: what the reports published before (every table gated
    # on its own) lets the subtraction attack and the union audit pin exactly
    # the cells the issue found.
    counts = demo_counts["2023"]
    participants = _participants(demo_data_dir(), "2023")
    if full:
        participants = _full_participation(participants)
    cells, published = disclosure_plan.published_set(counts, participants, min_n=5)
    recovered = subtraction_attack(_seen(published, counts), counts)
    assert {k: v for k, v in recovered.items() if k in expected} == expected
    pinned = audit_published(cells, published).query("pinned")
    assert set(zip(pinned["cell"], pinned["system"], strict=True)) == {(a, i) for a, i in expected}


# The fast tier runs the wave and record of the Meschede case; make test all four.
@pytest.mark.parametrize(
    ("wave", "full"),
    [
        pytest.param("2023", False, id="2023-shipped-record"),
        pytest.param("2023", True, id="2023-full-participation", marks=pytest.mark.slow),
        pytest.param("2021", False, id="2021-shipped-record", marks=pytest.mark.slow),
        pytest.param("2021", True, id="2021-full-participation", marks=pytest.mark.slow),
    ],
)
def test_the_plan_leaves_no_hidden_value_pinned(demo_counts, wave, full) -> None:
    counts = demo_counts[wave]
    participants = _participants(demo_data_dir(), wave)
    if full:
        participants = _full_participation(participants)
    plan = disclosure_plan.plan_from_counts(counts, participants, wave=wave)
    cells, published = disclosure_plan.published_set(counts, participants, min_n=5, plan=plan)
    result = audit_published(cells, published)
    assert not result["pinned"].any(), result[result["pinned"]]
    assert result["protected"].all()
    assert subtraction_attack(_seen(published, counts), counts) == {}
    # Only participants with enough answers are ever shown by name.
    assert all(a in participants for a, _ in plan.published)
    assert all(counts.set_index(["ags", "item"]).loc[key, "n"] >= 5 for key in plan.published)


@pytest.mark.slow  # plans the 2023 demo wave (the fast tier audits its plan above)
def test_the_plan_hides_the_district_total_that_gave_meschede_away() -> None:
    plan = disclosure_plan.suppression_plan(
        _manifest(demo_data_dir(), "2023"), data_dir=demo_data_dir()
    )
    assert not plan.shows_district("Hochsauerlandkreis", "willkommen")
    assert not plan.shows_own(MESCHEDE, "willkommen")
    # Not only the Hochsauerlandkreis: the region minus the others would give it back.
    hidden = {d for d, i in plan.hidden_district if i == "willkommen"}
    assert len(hidden) >= 2 or "willkommen" in plan.hidden_region


@pytest.mark.slow  # plans the 2023 demo wave twice
def test_every_report_gets_the_same_plan(tmp_path) -> None:
    manifest = _manifest(demo_data_dir(), "2023")
    first = disclosure_plan.suppression_plan(manifest, data_dir=demo_data_dir())
    counts = disclosure_plan.wave_counts(benchmark.wave_shares(manifest), _districts())
    again = disclosure_plan.plan_from_counts(
        counts.sample(frac=1, random_state=3), _participants(demo_data_dir(), "2023"), wave="2023"
    )
    assert first == again  # row order of the data does not matter


def test_captions_never_say_why_a_particular_cell_is_hidden() -> None:
    for notebook in notebooks_dir().glob("*.ipynb"):
        text = notebook.read_text(encoding="utf-8")
        assert "bzw. zu deren Schutz" not in text, notebook.name
        assert "nicht ausgewiesen (zu wenige" not in text, notebook.name


# ---------------------------------------------------------------------------
# the reports themselves


def _copy_with_full_participation(tmp_path: Path) -> Path:
    data = tmp_path / "daten"
    shutil.copytree(demo_data_dir(), data)
    path = data / "programme" / "teilnahme.csv"
    record = pd.read_csv(path, dtype=str, keep_default_na=False)
    districts = _districts()
    everyone = record["ags"].map(districts).isin(FULL_DISTRICTS)
    record.loc[everyone & (record["joined"] == ""), "joined"] = "2018-06-01"
    record.to_csv(path, index=False)
    return data


def test_the_attack_fails_on_the_municipal_reports(tmp_path, report_kernel) -> None:
    # Every municipality of the Hochsauerlandkreis and of the Kreis Soest
    # takes part (only teilnahme.csv changed); their reports of 2023 are run
    # as `welcome-eval build` runs them and attacked from the published HTML.
    data = _copy_with_full_participation(tmp_path)
    manifest = _manifest(data, "2023")
    participants = _participants(data, "2023")
    districts = _districts()
    affected = sorted(a for a in participants if districts[a] in FULL_DISTRICTS)
    assert HALLENBERG in affected and BAD_SASSENDORF in affected
    built = tmp_path / "berichte"
    for ags in affected:
        notebook = execute_notebook(
            notebooks_dir() / "gemeinde.ipynb",
            {
                "manifest": str(manifest),
                "previous_manifests": [str(_manifest(data, "2021"))],
                "ags": ags,
                "data_dir": str(data),
                "min_n": 5,
            },
            cwd=tmp_path,
            kernel=report_kernel,
        )
        page = built / "gemeinden" / ags / "2023.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(notebook_text(notebook), encoding="utf-8")

    shares = benchmark.wave_shares(manifest)
    counts = disclosure_plan.wave_counts(shares, districts)
    seen = disclosure_plan.published_from_reports(built, "2023", labels=_labels(shares))
    assert len(seen) > 100 and (seen["kind"] == "own").any()
    assert subtraction_attack(seen, counts) == {}
    hidden = seen[(seen["kind"] == "district") & (seen["item"] == "bleibeabsicht")]
    assert set(hidden["unit"]).isdisjoint(FULL_DISTRICTS)

    # Everything the pages show is in the wave's plan; the union of the plan's
    # published set (every report of the wave) leaves nothing pinned.
    plan = disclosure_plan.suppression_plan(manifest, data_dir=data)
    own = seen[seen["kind"] == "own"]
    assert all(plan.shows_own(a, i) for a, i in zip(own["unit"], own["item"], strict=True))
    cells, published = disclosure_plan.published_set(counts, participants, min_n=5, plan=plan)
    assert not audit_published(cells, published)["pinned"].any()
    assert not disclosure_plan.audit_reports(built, manifest)["pinned"].any()

    # Negative control on HTML: the same municipalities' pages gated table by
    # table give both hidden values away to the same attack.
    unprotected = tmp_path / "ungeschuetzt"
    _pages_gated_table_by_table(unprotected, manifest, affected, "2023")
    old = disclosure_plan.published_from_reports(unprotected, "2023", labels=_labels(shares))
    recovered = subtraction_attack(old, counts)
    assert recovered[(HALLENBERG, "bleibeabsicht")] == (1, 1)
    assert recovered[(BAD_SASSENDORF, "bleibeabsicht")] == (4, 2)
    pinned = disclosure_plan.audit_reports(unprotected, manifest).query("pinned")
    assert {HALLENBERG, BAD_SASSENDORF} <= set(pinned["cell"])


def test_the_full_demo_build_publishes_nothing_that_pins_a_hidden_cell(
    built_reports, built_pages
) -> None:
    out = built_reports.out_dir
    hidden_cells = 0
    for page in built_pages.values():
        for table in page.soup.find_all("table", class_="gate-protected"):
            hidden_cells += sum(td.get_text().strip() == "." for td in table.find_all("td"))
    assert hidden_cells > 1000
    for wave in ("2021", "2023"):
        manifest = _manifest(demo_data_dir(), wave)
        result = disclosure_plan.audit_reports(out, manifest)
        print(
            f"{wave}: {len(result)} hidden municipal cells audited, "
            f"{int(result['pinned'].sum())} pinned; {hidden_cells} hidden cells in all pages"
        )
        assert len(result) > 100 and not result["pinned"].any()
        assert result["protected"].all()
        shares = benchmark.wave_shares(manifest)
        seen = disclosure_plan.published_from_reports(out, wave, labels=_labels(shares))
        counts = disclosure_plan.wave_counts(shares, _districts())
        assert subtraction_attack(seen, counts) == {}
    # The shipped record: Meschede's "feels welcome" 2023 no longer follows.
    seen_2023 = disclosure_plan.published_from_reports(
        out, "2023", labels=_labels(benchmark.wave_shares(_manifest(demo_data_dir(), "2023")))
    )
    hsk = seen_2023[(seen_2023["unit"] == "Hochsauerlandkreis")]
    assert "willkommen" not in set(hsk["item"])
