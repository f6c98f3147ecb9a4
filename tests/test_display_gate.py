"""The disclosure gate in welcome_eval.publish.display: nothing unprotected reaches a report."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from welcome_eval.publish.disclosure import ForbiddenCrossTabulation
from welcome_eval.publish.display import (
    UnprotectedData,
    show_figure,
    show_list,
    show_table,
    table_html,
)
from welcome_eval.publish.privacy import not_personal, protect, redact_answers


@pytest.fixture
def districts() -> pd.DataFrame:
    return pd.DataFrame(
        {"Kreis": ["Olpe", "Soest", "Siegen"], "n": [3, 40, 22], "Mittelwert": [4.5, 3.5, 3.9]}
    )


def test_raw_dataframe_is_refused(districts: pd.DataFrame) -> None:
    with pytest.raises(UnprotectedData, match="protect"):
        show_table(districts)


def test_figure_without_protected_data_is_refused_and_closed(districts: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    with pytest.raises(UnprotectedData):
        show_figure(ax, caption="c", alt="a", data=districts)
    assert not plt.fignum_exists(fig.number)


def test_unredacted_list_is_refused() -> None:
    with pytest.raises(UnprotectedData, match="redact_answers"):
        show_list(["Schreiben Sie mir: a@b.de"])


def test_protected_table_hides_small_group_and_prints_footnote(districts: pd.DataFrame) -> None:
    html = table_html(protect(districts, counts="n"))
    assert "Olpe" in html and "4.5" not in html
    assert "<td class=num>.</td>" in html or "<td>.</td>" in html
    assert "weniger als 5 Antwortende" in html
    assert "40" in html and "3.5" in html


def test_configurable_minimum(districts: pd.DataFrame) -> None:
    html = table_html(protect(districts, counts="n", min_n=25))
    assert "3.9" not in html and "3.5" in html
    assert "weniger als 25 Antwortende" in html


def test_not_personal_passes_and_needs_a_reason() -> None:
    frame = pd.DataFrame({"Gemeinde": ["Olpe"], "beigetreten": ["2018"]})
    assert "Olpe" in table_html(not_personal(frame, "Teilnahme der Gemeinden").table)
    with pytest.raises(ValueError, match="reason"):
        not_personal(frame, " ")


def test_municipality_by_role_is_never_tabulated() -> None:
    table = pd.DataFrame({"Wirtschaftsförderung": [12, 9], "Stadtmarketing": [8, 11]})
    table.index = pd.Index(["05958004", "05966008"], name="ags")
    table.columns.name = "rolle"
    with pytest.raises(ForbiddenCrossTabulation):
        protect(table, counts=None)


def test_redact_answers_drops_small_groups_and_names() -> None:
    texts = pd.Series(["Danke an Herrn Oberbeck", "Gut so", "Mehr Abende", "x@y.de bitte"])
    groups = pd.Series(["A", "A", "B", "A"])
    shown = redact_answers(texts, groups=groups, min_n=3, names=["Oberbeck"])
    assert shown == ["Danke an Herrn [entfernt]", "Gut so", "[entfernt] bitte"]
