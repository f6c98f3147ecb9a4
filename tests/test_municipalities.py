from welcome_eval import municipalities
from welcome_eval.municipalities import DISTRICTS


def test_59_municipalities_with_district_counts():
    m = municipalities()
    assert len(m) == 59
    counts = m.groupby("district", observed=True).size().to_dict()
    assert counts == {
        "Hochsauerlandkreis": 12,
        "Märkischer Kreis": 15,
        "Kreis Olpe": 7,
        "Kreis Siegen-Wittgenstein": 11,
        "Kreis Soest": 14,
    }
    assert list(m["district"].cat.categories) == list(DISTRICTS)


def test_keys_unique_and_eight_digits():
    m = municipalities()
    assert m["ags"].is_unique
    assert m["ags"].str.fullmatch(r"05\d{6}").all()
    assert (m["ags"].str[:5] == m["district_ags"]).all()


def test_columns_and_values_are_plausible():
    m = municipalities()
    for column in ("ags", "name", "district", "type", "population", "lat", "lon"):
        assert column in m
    assert set(m["type"]) == {"Stadt", "Gemeinde"}
    assert m["population"].sum() == 1_375_606
    assert m["lat"].between(50.6, 51.8).all() and m["lon"].between(7.3, 9.0).all()
    assert "Schmallenberg" in set(m["name"])


def test_returns_a_copy():
    m = municipalities()
    m.loc[0, "name"] = "changed"
    assert municipalities().loc[0, "name"] != "changed"
