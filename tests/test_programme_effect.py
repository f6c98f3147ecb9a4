"""Programme effect on retention: recovery of the planted effect, input checks, report."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from welcome_eval import read_wave
from welcome_eval.config import demo_data_dir
from welcome_eval.survival import programme_effect as pe
from welcome_eval.synth import participation
from welcome_eval.synth import register as sr

EXTRACT = sr.EXTRACT_DATE
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "register_welle.ipynb"


@pytest.fixture(scope="module")
def record() -> pd.DataFrame:
    return participation(2018)


# The placebo register is built in the slow tier only (make test runs both).
@pytest.fixture(
    scope="module",
    params=[
        pytest.param(sr.PLANTED_HAZARD_RATIO, id="planted"),
        pytest.param(1.0, id="placebo", marks=pytest.mark.slow),
    ],
)
def did(request, record):
    register = sr.register_extract(scale=1.0, effect=request.param)
    cohorts = pe.arrival_cohorts(register, record, extract_date=EXTRACT)
    effects = pe.group_time_effects(cohorts, anticipation=3)
    return request.param, cohorts, effects


def test_cox_recovers_planted_hazard_ratio(record):
    for effect in (sr.PLANTED_HAZARD_RATIO, 1.0):
        register = sr.register_extract(scale=0.02, effect=effect)
        fit = pe.individual_cox_effect(
            register, record, extract_date=EXTRACT, reference_persons=True
        )
        row = fit.coefficients.set_index("term").loc["participating"]
        assert row["hr_low"] < effect < row["hr_high"]
        if effect < 1:
            assert row["hr_high"] < 1  # precise enough to see the effect


def test_cox_on_persons_is_clustered_by_household(record):
    register = sr.register_extract(scale=0.01)
    fit = pe.individual_cox_effect(register, record, extract_date=EXTRACT)
    assert "robust_se" in fit.coefficients
    assert fit.coefficients["term"].iloc[0] == "participating"
    assert fit.n > len(register) - 50  # persons, some split at the join date


def test_overall_att(did):
    effect, cohorts, effects = did
    overall = pe.aggregate_effects(effects, kind="overall").iloc[0]
    assert bool(overall["reliable"])
    if effect < 1:
        assert overall["att"] > 0 and overall["ci_low"] > 0
    else:
        assert overall["ci_low"] < 0 < overall["ci_high"]
    twfe = pe.twfe_effect(cohorts).iloc[0]
    assert np.isfinite(twfe["estimate"]) and twfe["se"] > 0
    text = pe.describe_programme_effect(
        pe.aggregate_effects(effects, kind="overall"), pe.twfe_effect(cohorts)
    )
    assert "Goodman-Bacon" in text and "Prozentpunkte" in text


def test_event_study_pre_periods_are_flat(did):
    _, _, effects = did
    event = pe.aggregate_effects(effects, kind="event")
    pre = event[(event["phase"] == "pre") & event["reliable"]]
    assert len(pre) >= 5
    assert (pre["att"].abs() < 0.03).all()
    assert set(event["phase"]) == {"pre", "anticipation", "post"}


def test_bootstrap_is_reproducible(did):
    _, cohorts, effects = did
    again = pe.group_time_effects(cohorts, anticipation=3)
    pd.testing.assert_frame_equal(effects.table, again.table)
    assert effects.n_boot == pe.N_BOOT and effects.seed == pe.BOOT_SEED


def test_cohorts_only_fully_observed(did):
    _, cohorts, _ = did
    assert cohorts["cohort_year"].max() == 2023  # 2023 + 2 years = extract date
    assert cohorts["retained"].between(0, 1).all()
    assert set(cohorts["join_year"].dropna()) <= set(range(2018, 2023))
    assert cohorts.groupby("ags")["join_year"].first().isna().sum() == 15


def test_reliable_false_with_too_few_controls(did):
    _, cohorts, _ = did
    never = cohorts.loc[cohorts["join_year"].isna(), "ags"].unique()
    few = cohorts[~cohorts["ags"].isin(never[3:])]  # keep 3 never-treated units
    effects = pe.group_time_effects(few, control="never", anticipation=3, n_boot=50)
    assert (effects.table["n_control_units"] == 3).all()
    assert not effects.table["reliable"].any()
    overall = pe.aggregate_effects(effects, kind="overall")
    assert not bool(overall["reliable"].iloc[0])


def test_single_treated_unit_is_unreliable(did):
    _, _, effects = did
    table = effects.table
    single = table[table["n_units"] == 1]
    assert len(single) and not single["reliable"].any()


def test_input_checks(record):
    register = sr.register_extract(scale=0.005)
    with pytest.raises(ValueError, match="extract_date"):
        pe.arrival_cohorts(register, record, extract_date=None)
    with pytest.raises(ValueError, match="after the extract date"):
        pe.arrival_cohorts(register, record, extract_date="2020-01-01")
    with pytest.raises(ValueError, match="horizon_years"):
        pe.arrival_cohorts(register, record, extract_date=EXTRACT, horizon_years=0)
    with pytest.raises(KeyError, match="wegzug_ziel"):
        pe.arrival_cohorts(register.drop(columns="wegzug_ziel"), record, extract_date=EXTRACT)
    with pytest.raises(ValueError, match="not in the participation record"):
        pe.arrival_cohorts(register, record.iloc[5:], extract_date=EXTRACT)
    cohorts = pe.arrival_cohorts(register, record, extract_date=EXTRACT)
    with pytest.raises(ValueError, match="control must be"):
        pe.group_time_effects(cohorts, control="later")
    with pytest.raises(ValueError, match="more than one row"):
        pe.group_time_effects(pd.concat([cohorts, cohorts.head(1)]))
    with pytest.raises(ValueError, match="ever treated"):
        pe.group_time_effects(cohorts.assign(join_year=np.nan))
    with pytest.raises(TypeError, match="group_time_effects"):
        pe.aggregate_effects(cohorts)
    effects = pe.group_time_effects(cohorts, n_boot=20)
    with pytest.raises(ValueError, match="kind"):
        pe.aggregate_effects(effects, kind="group")
    with pytest.raises(KeyError, match="haushalt_id"):
        pe.individual_cox_effect(register.drop(columns="haushalt_id"), record, extract_date=EXTRACT)


def test_report_notebook_runs(tmp_path, report_kernel):
    from welcome_eval.build.reports import execute_notebook
    from welcome_eval.publish.disclosure import footnote_de

    # a threshold above the smallest municipalities of the demo extract (46 newcomers), so
    # that the disclosure control visibly hides groups
    min_n = 60
    notebook = execute_notebook(NOTEBOOK, {"min_n": min_n}, cwd=tmp_path, kernel=report_kernel)
    html = "".join(
        str(output.get("data", {}).get("text/html", ""))
        + str(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert html.count("<figure") == 8
    assert "Hazard Ratio" in html and "Goodman-Bacon" in html
    text = re.sub(r"data:image/png;base64,[^\"]+", "", html)
    wave = read_wave(sorted(demo_data_dir().glob("register/*/manifest.yaml"))[-1])
    ids = wave.data
    assert not any(str(i) in text for i in ids["respondent"].head(200))  # aggregates only
    # retention per municipality: small ones hidden ("." and the footnote), others shown
    start = text.index("Tabelle 5: Anteil der Zugezogenen")
    body = text[text.index("<tbody>", start) : text.index("</tbody>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    assert len(rows) == ids["ags"].nunique()
    small = (ids.groupby("ags").size() < min_n).sum()
    hidden = [row for row in rows if "<td class=num>.</td>" in row]
    assert 0 < small <= len(hidden) < len(rows)
    # persons per district are published: no district may have exactly one hidden municipality
    hidden_districts = [re.search(r"<td>([^<]+)</td>", row).group(1) for row in hidden]
    assert all(hidden_districts.count(d) != 1 for d in hidden_districts), hidden_districts
    assert footnote_de(min_n) in text
