import pytest

from welcome_eval.ingest.codebook import Codebook, CodebookError


def test_kommunen_codebook_items(codebook):
    assert codebook.survey == "kommunen"
    assert codebook.respondent_id == "lfdn"
    assert codebook.municipality == "ags"
    bausteine = codebook.items_of(construct="bausteine")
    assert len(bausteine) == 6
    assert "zuf_runder_tisch" in bausteine
    assert codebook["rolle"].values == {
        1: "Stadtmarketing",
        2: "Wirtschaftsförderung",
        3: "Verwaltung",
        4: "Sonstige",
    }
    item = codebook["zuf_runder_tisch"]
    assert item.valid_codes == [1, 2, 3, 4, 5]
    assert item.missing_codes == {-9: "weiß nicht / nicht genutzt", -99: "keine Angabe"}
    assert item.label_for(5) == "sehr zufrieden"
    assert item.label_for(-9) == "weiß nicht / nicht genutzt"
    assert item.reverse_code(5) == 1
    rating = codebook["weiterempfehlung"]
    assert rating.valid_codes == list(range(11))
    assert rating.missing_codes == {-99: "keine Angabe"}
    assert codebook["ideen"].type == "text"
    assert codebook.likert_items[-1] == "zuf_gesamt"


def test_unknown_item_names_the_known_ones(codebook):
    with pytest.raises(KeyError, match="zuf_gesamt"):
        codebook["nope"]


def _minimal(**item):
    return {
        "survey": "x",
        "respondent_id": "id",
        "items": [{"id": "id", "type": "id"}, {"id": "q", **item}],
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"type": "likert"}, "needs value labels"),
        ({"type": "weird"}, "type must be one of"),
        ({"type": "rating", "min": 0}, "needs min and max"),
        ({"type": "likert", "scale": "nope"}, "unknown scale"),
        (
            {"type": "likert", "values": {1: "a", -9: "b"}, "missing_codes": {-9: "c"}},
            "both answers and missing",
        ),
    ],
)
def test_malformed_codebooks_are_explained(item, message):
    with pytest.raises(CodebookError, match=message):
        Codebook.from_dict(_minimal(**item))


def test_duplicate_item_and_unknown_survey():
    raw = _minimal(type="text")
    raw["items"].append({"id": "q", "type": "text"})
    with pytest.raises(CodebookError, match="appears twice"):
        Codebook.from_dict(raw)
    with pytest.raises(CodebookError, match=r"known surveys: .*kommunen"):
        Codebook.for_survey("does-not-exist")
