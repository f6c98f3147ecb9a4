"""The programme record: participation, round tables, costs, cost per retained newcomer."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from welcome_eval.analysis.programme import (
    ParticipationRecordError,
    RecordError,
    additional_retained,
    attendance_by_meeting,
    attendance_by_municipality,
    cost_per_retained_newcomer,
    coverage,
    municipal_contributions,
    participants_by_role,
    participation_milestones,
    participation_over_time,
    participation_record,
    programme_costs,
    programme_start,
    regional_funding,
    round_table_attendance,
    round_tables,
)
from welcome_eval.config import demo_data_dir

DEMO = demo_data_dir()
RECORD_CSV = DEMO / "programme" / "teilnahme.csv"


@pytest.fixture(scope="module")
def record():
    return participation_record(DEMO)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the demo programme records to break."""
    shutil.copytree(DEMO / "programme", tmp_path / "programme")
    return tmp_path


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- participation over time -----------------------------------------------------------


def test_record_reproduces_30_of_59_four_months_after_the_start_and_38_by_november_2019():
    # Counted straight from the file, independently of the library.
    raw = pd.read_csv(RECORD_CSV, dtype=str, keep_default_na=False)
    joined = pd.to_datetime(raw["joined"].replace("", None))
    four_months = pd.Timestamp(programme_start()) + pd.DateOffset(months=4) - pd.Timedelta(days=1)
    assert four_months == pd.Timestamp("2018-03-31")
    assert len(raw) == 59
    assert int((joined <= four_months).sum()) == 30
    assert int((joined <= pd.Timestamp("2019-11-30")).sum()) == 38
    # ... and the library's milestones (documented in surveys/programme/teilnahme.yaml) agree.
    milestones = participation_milestones(participation_record(DEMO))
    assert milestones[["documented", "in_record"]].values.tolist() == [[30, 30], [38, 38]]
    assert milestones["matches"].all()


def test_participation_over_time_is_monthly_and_ends_with_44(record):
    table = participation_over_time(record, end="2023-12-31")
    assert table["date"].iloc[0] == pd.Timestamp("2017-10-31")
    assert table["date"].diff().dropna().dt.days.between(28, 31).all()
    assert table["participating"].is_monotonic_increasing  # nobody left in the demo
    assert table["participating"].iloc[-1] == 44
    assert (table["municipalities"] == 59).all()
    at = table.set_index("date")["participating"]
    assert at[pd.Timestamp("2018-03-31")] == 30 and at[pd.Timestamp("2019-11-30")] == 38


def test_leaving_ends_participation_on_the_leave_date():
    record = pd.DataFrame(
        {
            "ags": ["A", "B"],
            "joined": pd.to_datetime(["2018-01-15", "2018-02-01"]),
            "left": pd.to_datetime([None, "2018-04-01"]),
        }
    )
    table = participation_over_time(record, start="2018-01-01", end="2018-05-31")
    assert table["participating"].tolist() == [1, 2, 2, 1, 1]


@pytest.mark.parametrize("by", ["district", "size_class"])
def test_coverage_adds_up(record, by):
    table = coverage(record, "2019-11-30", by=by)
    groups, total = table.iloc[:-1], table.iloc[-1]
    assert total["group"] == "Südwestfalen"
    assert (total["municipalities"], total["participating"]) == (59, 38)
    assert groups["municipalities"].sum() == 59 and groups["participating"].sum() == 38
    assert total["population"] == record["population"].sum()
    taking_part = record["joined"] <= "2019-11-30"
    assert total["population_participating"] == record.loc[taking_part, "population"].sum()


def test_size_classes_are_the_documented_bounds(record):
    table = coverage(record, "2023-12-31", by="size_class").set_index("group")
    expected = pd.cut(record["population"], [0, 10_000, 20_000, 50_000, np.inf], right=False)
    assert table["municipalities"].iloc[:-1].tolist() == expected.value_counts(sort=False).tolist()


# --- validation of the participation record ---------------------------------------------


def test_unknown_key_is_rejected_with_file_row_column_and_rule(data_dir):
    path = data_dir / "programme" / "teilnahme.csv"
    rewrite(path, "05958008,Bestwig", "05999999,Bestwig")  # second data row: line 3
    with pytest.raises(ParticipationRecordError) as caught:
        participation_record(data_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "row 3, column ags, value '05999999'" in message
    assert "rule municipality_known" in message
    assert "every_municipality_once" in message  # Bestwig is now missing
    issues = caught.value.issues
    assert set(issues["rule"]) == {"municipality_known", "every_municipality_once"}


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("Brilon,2017-10-01,", "Brilon,2016-05-01,", "min"),
        ("Brilon,2017-10-01,", "Brilon,2018-05-01,2018-02-01", "left_after_joined"),
        ("Brilon,2017-10-01,", "Brilon,01.13.2018,", "date"),
        ("05958012,Brilon", "05958012,Olsberg", "name_matches_key"),
        ("Brilon,2017-10-01,", "Brilon,2031-01-01,", "not_in_future"),
    ],
)
def test_implausible_dates_and_names_are_rejected(data_dir, old, new, rule):
    rewrite(data_dir / "programme" / "teilnahme.csv", old, new)
    with pytest.raises(ParticipationRecordError) as caught:
        participation_record(data_dir, as_of="2026-01-01")
    assert caught.value.issues["rule"].tolist() == [rule]
    assert caught.value.issues["row"].tolist() in ([4], [None])  # Brilon is line 4
    assert f"(rule {rule})" in str(caught.value)


def test_duplicate_municipality_is_rejected(data_dir):
    path = data_dir / "programme" / "teilnahme.csv"
    rewrite(path, "05958008,Bestwig", "05958012,Brilon")
    with pytest.raises(ParticipationRecordError, match="appears more than once"):
        participation_record(data_dir)


def test_missing_record_says_where_it_was_expected(tmp_path):
    with pytest.raises(ParticipationRecordError, match="not found"):
        participation_record(tmp_path)


# --- round tables -------------------------------------------------------------------------


def test_the_12th_round_table_in_meinerzhagen_and_the_15th_digital(record):
    tables = round_tables(DEMO, record=record).set_index("number")
    twelfth = tables.loc[12]
    assert twelfth["date"] == pd.Timestamp("2019-11-14")
    assert twelfth["host"] == "Meinerzhagen"
    assert 35 <= twelfth["municipal_participants"] <= 45  # "about 40 people"
    assert twelfth[["city_marketing", "economic_development", "administration"]].min() > 0
    fifteenth = tables.loc[15]
    assert fifteenth["format"] == "digital" and pd.isna(fifteenth["host_ags"])
    assert fifteenth["host"] == "digital"
    assert tables.index.tolist() == list(range(1, len(tables) + 1))


@pytest.fixture(scope="module")
def demo_attendance(record) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo round tables and who attended them, computed once for the module."""
    tables = round_tables(DEMO, record=record)
    return tables, round_table_attendance(DEMO, tables=tables, record=record)


def test_attendance_adds_up_to_the_roles_and_only_participants_attend(record, demo_attendance):
    tables, attendance = demo_attendance
    persons = attendance.groupby("number")["persons"].sum()
    assert persons.tolist() == tables["municipal_participants"].tolist()
    joined = record.set_index("ags")["joined"]
    assert (attendance["ags"].map(joined) <= attendance["date"]).all()
    by_meeting = attendance_by_meeting(attendance, tables, record)
    assert (by_meeting["attending"] <= by_meeting["participating"]).all()
    roles = participants_by_role(tables)
    assert roles.groupby("number")["persons"].sum().tolist() == tables["participants"].tolist()


def test_attendance_per_municipality_and_year(record, demo_attendance):
    tables, attendance = demo_attendance
    table = attendance_by_municipality(attendance, tables, record)
    assert set(table["ags"]) == set(record.loc[record["joined"].notna(), "ags"])
    assert table["attended"].sum() == len(attendance)
    meinerzhagen = table[(table["name"] == "Meinerzhagen") & (table["year"] == 2019)].iloc[0]
    held = tables[tables["date"].dt.year == 2019]
    assert meinerzhagen["held"] == len(held)  # took part all of 2019
    assert meinerzhagen["attended"] >= 1  # hosted the 12th


def test_attendee_who_does_not_take_part_is_rejected(data_dir):
    path = data_dir / "programme" / "runde_tische_teilnahme.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    number, _, persons = lines[1].split(",")
    # Arnsberg joined in 2021; put it at the first round table instead of the first row's town.
    lines[1] = ",".join([number, "05958004", persons])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        round_table_attendance(data_dir)
    issues = caught.value.issues
    assert issues["rule"].tolist() == ["attendee_participating"]
    assert issues["row"].tolist() == [2] and issues["column"].tolist() == ["ags"]


def test_digital_meeting_with_host_and_gaps_are_rejected(data_dir):
    path = data_dir / "programme" / "runde_tische.csv"
    text = path.read_text(encoding="utf-8")
    row15 = next(line for line in text.splitlines() if line.startswith("15,"))
    broken = row15.replace(",digital,,", ",digital,05958012,")
    path.write_text(text.replace(row15, broken).replace("\n24,", "\n25,"), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        round_tables(data_dir)
    assert set(caught.value.issues["rule"]) == {"host_given_unless_digital", "numbers_consecutive"}


# --- costs --------------------------------------------------------------------------------


def one_record(joined: str, left: str | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ags": ["A"],
            "name": ["a"],
            "joined": pd.to_datetime([joined]),
            "left": pd.to_datetime([left]),
        }
    )


def test_contributions_1500_to_start_and_1500_a_year_until_leaving():
    paid = municipal_contributions(one_record("2018-03-01", "2020-06-01"), until="2021-12-31")
    # start fee 2018; annual fee on 01.03.2018, 01.03.2019, 01.03.2020; left before 2021
    assert paid[["year", "start_fee", "annual_fees"]].values.tolist() == [
        [2018, 1500.0, 1500.0],
        [2019, 0.0, 1500.0],
        [2020, 0.0, 1500.0],
    ]
    assert paid["total"].sum() == 6000.0
    later = municipal_contributions(
        one_record("2018-03-01", "2020-06-01"),
        until="2021-12-31",
        fees={
            "start_fee_eur": 1500,
            "annual_fee_eur": 1500,
            "annual_fee_first_due": "first_anniversary",
        },
    )
    assert later["total"].sum() == 4500.0
    assert (
        municipal_contributions(one_record("2018-03-01"), until="2019-02-28")["total"].sum() == 3000
    )


def test_programme_costs_add_funding_pro_rata_in_the_last_year():
    funding = pd.DataFrame({"year": [2018, 2019, 2020], "amount_eur": [36_500.0] * 3})
    costs = programme_costs(one_record("2018-03-01"), funding, until="2019-06-30")
    by_year = costs.set_index("year")
    assert by_year.loc[2018, "total"] == 3000 + 36_500
    # 181 of 365 days of 2019; the 2019 anniversary fee is due on 01.03.2019
    assert by_year.loc[2019, "regional_funding"] == pytest.approx(36_500 * 181 / 365)
    assert by_year.loc[2019, "municipal"] == 1500
    assert 2020 not in by_year.index
    assert by_year.loc["gesamt", "total"] == pytest.approx(3000 + 36_500 + 1500 + 18_100)


def test_demo_costs_and_funding_assumption(record):
    funding = regional_funding(DEMO)
    assert funding["funder"].str.contains("Demo-Annahme").all()
    costs = programme_costs(record, funding, until="2023-12-31").set_index("year")
    joined = record["joined"].dropna()
    assert costs.loc["gesamt", "start_fees"] == 1500 * len(joined)
    assert costs.loc["gesamt", "regional_funding"] == funding["amount_eur"].sum()
    years = sum(len(pd.date_range(j, "2023-12-31", freq=pd.DateOffset(years=1))) for j in joined)
    assert costs.loc["gesamt", "annual_fees"] == 1500 * years


# --- cost per additionally retained newcomer ---------------------------------------------


def test_cost_per_retained_newcomer_inverts_the_interval():
    row = cost_per_retained_newcomer({"estimate": 400, "ci_low": 200, "ci_high": 800}, 1_000_000)
    row = row.iloc[0]
    assert row["status"] == "positive"
    assert row["cost_per_retained"] == 2500.0
    assert (row["ci_low"], row["ci_high"]) == (1250.0, 5000.0)  # 1e6/800, 1e6/200


def test_interval_including_zero_has_no_upper_bound():
    row = cost_per_retained_newcomer(
        pd.Series({"estimate": 100.0, "ci_low": -50.0, "ci_high": 250.0}), 500_000
    ).iloc[0]
    assert row["status"] == "includes_zero"
    assert row["cost_per_retained"] == 5000.0 and row["ci_low"] == 2000.0
    assert math.isinf(row["ci_high"])
    negative_point = cost_per_retained_newcomer(
        {"estimate": -10.0, "ci_low": -50.0, "ci_high": 20.0}, 1000
    ).iloc[0]
    assert math.isnan(negative_point["cost_per_retained"]) and negative_point["ci_low"] == 50.0


def test_no_positive_effect_gives_no_ratio():
    row = cost_per_retained_newcomer({"estimate": -30, "ci_low": -60, "ci_high": 0}, 1000).iloc[0]
    assert row["status"] == "not_positive"
    assert row[["cost_per_retained", "ci_low", "ci_high"]].isna().all()


@pytest.mark.parametrize(
    ("effect", "cost", "message"),
    [
        ({"estimate": 5, "ci_low": 6, "ci_high": 9}, 100, "must contain the estimate"),
        ({"estimate": 5, "ci_low": 1}, 100, "needs numbers"),
        ({"estimate": 5, "ci_low": 1, "ci_high": 9}, 0, "positive amount"),
        ({"estimate": float("nan"), "ci_low": 1, "ci_high": 9}, 10, "not NaN"),
    ],
)
def test_cost_per_retained_newcomer_checks_its_input(effect, cost, message):
    with pytest.raises((ValueError, KeyError), match=message):
        cost_per_retained_newcomer(effect, cost)


def test_additional_retained_sums_cell_effects_times_cohort_sizes():
    table = pd.DataFrame(
        {
            "group": [2019.0, 2019.0, 2020.0, 2020.0],
            "time": [2018.0, 2019.0, 2019.0, 2020.0],
            "phase": ["pre", "post", "anticipation", "post"],
            "att": [0.01, 0.05, 0.02, 0.10],
        }
    )
    replicates = np.array([[0.0, 0.04, 0.0, 0.12], [0.0, 0.06, 0.0, 0.08], [0.0, 0.05, 0.0, 0.10]])
    effects = SimpleNamespace(table=table, replicates=replicates, conf_level=0.95)
    cohorts = pd.DataFrame(
        {
            "ags": ["A", "B", "C", "C", "D"],
            "cohort_year": [2019, 2019, 2020, 2019, 2020],
            "join_year": [2019.0, 2019.0, 2020.0, 2020.0, np.nan],
            "n": [100, 300, 50, 70, 999],
        }
    )
    row = additional_retained(effects, cohorts).iloc[0]
    assert row["estimate"] == pytest.approx(0.05 * 400 + 0.10 * 50)  # 25
    boot = np.array([0.04 * 400 + 0.12 * 50, 0.06 * 400 + 0.08 * 50, 25.0])
    se = np.std(boot, ddof=1)
    assert row["se"] == pytest.approx(se)
    assert row["ci_low"] == pytest.approx(25 - 1.959964 * se, rel=1e-6)
    assert row["exposed_newcomers"] == 450
    assert (row["first_cohort"], row["last_cohort"]) == (2019, 2020)


def test_cost_per_retained_newcomer_from_the_demo_register(record):
    from welcome_eval import read_wave
    from welcome_eval.survival import programme_effect

    wave = read_wave(sorted(DEMO.glob("register/*/manifest.yaml"))[-1])
    extract = pd.Timestamp(wave.manifest.fieldwork_end)
    cohorts = programme_effect.arrival_cohorts(wave.data, record, extract_date=extract)
    effects = programme_effect.group_time_effects(cohorts, anticipation=3)
    retained = additional_retained(effects, cohorts)
    row = retained.iloc[0]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    post = cohorts.dropna(subset=["join_year"])
    post = post[post["cohort_year"] >= post["join_year"]]
    assert row["exposed_newcomers"] == post["n"].sum()
    costs = programme_costs(
        record, regional_funding(DEMO), until=f"{int(row['last_cohort'])}-12-31"
    )
    total = costs.set_index("year").loc["gesamt", "total"]
    ratio = cost_per_retained_newcomer(retained, total).iloc[0]
    if ratio["status"] == "positive":
        assert ratio["ci_low"] <= ratio["cost_per_retained"] <= ratio["ci_high"]
    else:
        assert ratio["status"] == "includes_zero" and math.isinf(ratio["ci_high"])
    assert ratio["ci_low"] == pytest.approx(total / row["ci_high"])


def test_a_household_sample_is_scaled_up_to_the_registers():
    table = pd.DataFrame({"group": [2019.0], "time": [2019.0], "phase": ["post"], "att": [0.05]})
    effects = SimpleNamespace(table=table, replicates=np.array([[0.04], [0.06]]), conf_level=0.95)
    cohorts = pd.DataFrame({"ags": ["A"], "cohort_year": [2019], "join_year": [2019.0], "n": [200]})
    full = additional_retained(effects, cohorts).iloc[0]
    sample = additional_retained(effects, cohorts, sampling_fraction=0.05).iloc[0]
    assert full["estimate"] == pytest.approx(10.0)
    assert sample["estimate"] == pytest.approx(200.0)  # 10 / 0.05
    assert sample["ci_high"] - sample["ci_low"] == pytest.approx(
        20 * (full["ci_high"] - full["ci_low"])
    )
    assert sample["exposed_newcomers"] == 4000


def test_demo_register_extract_is_a_five_percent_sample():
    from welcome_eval.analysis.programme import extract_sampling_fraction

    manifest = sorted(DEMO.glob("register/*/manifest.yaml"))[-1]
    assert extract_sampling_fraction(manifest) == 0.05


def test_programme_report_notebook_runs_on_the_demo_data(tmp_path, report_kernel):
    from welcome_eval.build.reports import execute_notebook
    from welcome_eval.config import notebooks_dir

    notebook = execute_notebook(
        notebooks_dir() / "programm.ipynb",
        {"data_dir": str(DEMO), "min_n": 5},
        cwd=tmp_path,
        kernel=report_kernel,
    )
    from conftest import notebook_text

    text = notebook_text(notebook)
    assert "# Die Qualitätsoffensive im Überblick" in text
    assert "**30 der 59**" in text and "**38**" in text
    assert "Meinerzhagen am 14.11.2019" in text
    assert "Kosten je zusätzlich gehaltenem Neubürger" in text
    assert "Demo-Annahme" in text or "Annahme" in text
    figures = text.count("<figure")
    assert figures == 7 and text.count("gate-not-personal") + text.count("gate-protected") >= 6
