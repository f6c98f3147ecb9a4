import pandas as pd
import pytest

from welcome_eval.ingest.pseudonym import PseudonymKeyMissing, pseudonym_key, pseudonymise
from welcome_eval.publish.privacy import redact_text


@pytest.mark.parametrize(
    "text",
    [
        "Rückfragen gerne an j.schneider@kommune-beispiel.de",
        "Rufen Sie mich an: 02761 94412-0",
        "Tel. +49 2721 123456, danke",
        "Telefon 0271/333-1234",
        "Ich wohne in der Hauptstraße 12 in Olpe",
        "Siehe www.beispiel-kommune.de/willkommen",
        "Rufen Sie mich an: 02761 94412-0.",
        "Tel. +49 2721 123456.",
        "Mail: m.becker@gemeinde-beispiel.de.",
    ],
)
def test_personal_data_is_removed(text):
    redacted = redact_text(text)
    assert "[entfernt]" in redacted
    for secret in (
        "schneider@",
        "becker@",
        "94412",
        "123456",
        "333-1234",
        "Hauptstraße 12",
        "www.",
        "2721",
        "-0",
    ):
        assert secret not in redacted


@pytest.mark.parametrize(
    "text",
    [
        "Mehr Austausch zwischen 2019 und 2021 wäre gut",
        "Treffen am 12.03.2021 war hilfreich",
        "Eine digitale Vernetzungsplattform für alle 59 Kommunen",
    ],
)
def test_ordinary_text_is_kept(text):
    assert redact_text(text) == text


def test_redaction_keeps_the_text_around():
    assert redact_text("Wohne Hauptstraße 12 und komme gern") == "Wohne [entfernt] und komme gern"
    assert redact_text("Treffpunkt Marktplatz 3a in Olpe") == "Treffpunkt [entfernt] in Olpe"


def test_missing_passes_through():
    assert redact_text(None) is None


def test_pseudonyms_are_keyed_and_stable():
    ids = pd.Series(["17", "18", None])
    a = pseudonymise(ids, b"key-a")
    assert a.iloc[0] == pseudonymise(ids, b"key-a").iloc[0]
    assert a.iloc[0] != pseudonymise(ids, b"key-b").iloc[0]
    assert a.iloc[0] != a.iloc[1]
    assert pd.isna(a.iloc[2])
    assert "17" not in a.iloc[0]


def test_real_data_needs_a_key(monkeypatch):
    monkeypatch.delenv("WELCOME_EVAL_PSEUDONYM_KEY", raising=False)
    with pytest.raises(PseudonymKeyMissing, match="WELCOME_EVAL_PSEUDONYM_KEY"):
        pseudonym_key(demo=False)
    assert pseudonym_key(demo=True)
    monkeypatch.setenv("WELCOME_EVAL_PSEUDONYM_KEY", "s3cret")
    assert pseudonym_key(demo=False) == b"s3cret"
