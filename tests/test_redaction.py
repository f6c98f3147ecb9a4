"""Redaction of personal data in open answers (issue 12, point 1).

The named examples of the issue must be removed completely; the labelled
corpus (``tests/data/redaction_corpus*.tsv``) must reach the stated token-level
precision and recall; ordinary German text — town names, "Frau" as a noun,
dates, counts — must pass unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from welcome_eval.municipalities import municipalities
from welcome_eval.publish.privacy import (
    read_redaction_corpus,
    redact_answers,
    redact_series,
    redact_text,
    redaction_scores,
)
from welcome_eval.publish.redaction import find_personal_data, first_names, repair_text, surnames

DATA = Path(__file__).parent / "data"
DEVELOPMENT = DATA / "redaction_corpus.tsv"
HELD_OUT = DATA / "redaction_corpus_heldout.tsv"

# ---------------------------------------------------------------------------
# the issue's examples: (text, what must be gone, what must stay)

ISSUE_EXAMPLES = [
    ("Herr Kasimir Zwackelmann hat geholfen.", ["Kasimir", "Zwackelmann"], "Herr "),
    ("Herr [entfernt] Zwackelmann hat geholfen.", ["Zwackelmann"], "Herr "),
    ("Frau Dr. [entfernt] Quastmeier hat beraten.", ["Quastmeier"], "Frau Dr. "),
    ("Frau Dr. Gertrud Quastmeier hat beraten.", ["Gertrud", "Quastmeier"], "Frau Dr. "),
    ("Dank an Herrn Bürgermeister Obermüller-Wiese!", ["Obermüller", "Wiese"], "Bürgermeister"),
    ("Frau von Pusteblume hat geholfen.", ["Pusteblume"], "Frau "),
    ("Gertrud Pfannenstiel war sehr nett.", ["Gertrud", "Pfannenstiel"], "war sehr nett"),
    ("IBAN DE89370400440532013000 bitte", ["DE89370400440532013000", "3704"], "bitte"),
    ("Wir wohnen Siegener Straße 45.", ["Siegener", "45"], "Wir wohnen"),
    ("Siehe kanarienvogel-profil.de/seite", ["kanarienvogel", "seite"], "Siehe"),
    ("Herr Dr. med. Schulz nimmt Patienten.", ["Schulz"], "Herr Dr. med. "),
    ("Die Familie Schneider lud uns ein.", ["Schneider"], "Familie "),
    ("FRAU MÜLLER WAR SUPER", ["MÜLLER"], "FRAU "),
    ("Mail: max(at)example.de", ["max", "example"], "Mail:"),
    ("Frau MÃ¼ller hat geholfen.", ["Müller", "MÃ¼ller", "Ã"], "Frau "),
    ("Herrn Schulz' Engagement", ["Schulz"], "Engagement"),
    ("Frau Müllers Hilfe war Gold wert.", ["Müller"], "Hilfe war Gold wert"),
    ("Herr van der Heijden leitet die Tour.", ["Heijden", "van der"], "leitet"),
    ("Frau zu Sayn-Wittgenstein eröffnete.", ["Sayn", "Wittgenstein"], "eröffnete"),
    ("Schreiben Sie an max [at] example [dot] de", ["max", "example"], "Schreiben Sie an"),
    ("Kontakt: max at example dot de", ["max", "example"], "Kontakt:"),
    ("Die IBAN de89 3704 0044 0532 0130 00 gilt.", ["3704", "de89"], "gilt"),
    ("Kto 1234567 bei der Sparkasse", ["1234567"], "Kto"),
    ("Treffpunkt Am Markt 3 in Olpe", ["Markt 3"], "in Olpe"),
    ("Hauptstr. 12a ist unsere Adresse", ["Hauptstr", "12a"], "unsere Adresse"),
    ("Der Kirchweg 5 und die Lindenallee 7", ["Kirchweg", "Lindenallee"], "Der "),
    ("Treffen am Bahnhofsplatz 1", ["Bahnhofsplatz"], "Treffen am"),
    ("Infos auf www.x.de", ["www", "x.de"], "Infos auf"),
    ("Frau\x00 Schulte hat geholfen", ["Schulte", "\x00"], "hat geholfen"),
]


@pytest.mark.parametrize(("text", "gone", "kept"), ISSUE_EXAMPLES)
def test_the_issues_examples_are_removed_completely(text, gone, kept):
    redacted = redact_text(text)
    assert "[entfernt]" in redacted
    for secret in gone:
        assert secret not in redacted, (text, redacted)
    assert kept in redacted, (text, redacted)


def test_a_whole_name_becomes_one_marker_and_the_salutation_stays():
    assert redact_text("Herr Kasimir Zwackelmann hilft.") == "Herr [entfernt] hilft."
    assert redact_text("Frau Dr. [entfernt] Quastmeier") == "Frau Dr. [entfernt]"
    assert redact_text("Herrn Prof. Dr. Heinrich Wolters-Brinkmann danke ich.") == (
        "Herrn Prof. Dr. [entfernt] danke ich."
    )


# ---------------------------------------------------------------------------
# every spelling


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "de89 3704 0044 0532 0130 00",
        "DE 89 3704 0044 0532 0130 00",
        "DE89-3704-0044-0532-0130-00",
        "DE89.3704.0044.0532.0130.00",
        "AT611904300234573201",
        "NL91 ABNA 0417 1643 00",
        "CH93 0076 2011 6238 5295 7",
    ],
)
def test_ibans_in_every_spelling(iban):
    assert redact_text(f"Bitte auf {iban} überweisen.") == "Bitte auf [entfernt] überweisen."


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Kto 1234567 bei der Sparkasse", "1234567"),
        ("Kto.-Nr. 45 667 889", "45 667 889"),
        ("Kontonummer: 0099887766", "0099887766"),
        ("Konto-Nr. 7788990 bei der Volksbank", "7788990"),
        ("Steuernummer 335/5012/3456", "335/5012/3456"),
        ("Aktenzeichen 32-1234/21 beim Amt", "32-1234/21"),
        ("Kundennummer 4488 beim Jobcenter", "4488"),
    ],
)
def test_account_and_reference_numbers(text, number):
    assert number not in redact_text(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Rufen Sie mich an: 02761 94412-0", "02761 94412-0"),
        ("Tel. +49 2721 123456, danke", "+49 2721 123456"),
        ("Erreichbar unter (02762) 98 76 54.", "(02762) 98 76 54"),
        ("Whatsapp: +49 (0)160 9876543", "+49 (0)160 9876543"),
        ("Tel. 2019-2021 (Hausanschluss)", "2019-2021"),
        ("Durchwahl 1234 bitte", "1234"),
    ],
)
def test_telephone_numbers_also_short_ones_after_a_label(text, number):
    redacted = redact_text(text)
    assert number not in redacted and "[entfernt]" in redacted


@pytest.mark.parametrize(
    "address",
    [
        "max@example.de",
        "max(at)example.de",
        "max (at) example (dot) de",
        "max [at] example [dot] de",
        "max{at}example.de",
        "max(ät)example(punkt)de",
        "max at example dot de",
        "max @ example . de",
        "MAX.MUSTER@BEISPIEL.DE",
        "anna-lena_83[at]posteo[dot]de",
    ],
)
def test_e_mail_addresses_also_obfuscated(address):
    assert redact_text(f"Schreiben Sie an {address} bitte") == "Schreiben Sie an [entfernt] bitte"


@pytest.mark.parametrize(
    "street",
    [
        "Siegener Straße 45",
        "Hauptstr. 12a",
        "Bergstr.7",
        "Kirchweg 5",
        "Bahnhofsplatz 1",
        "Lindenallee 7",
        "Karl-Marx-Straße 17",
        "Kölner Str. 118",
        "Am Markt 3",
        "An der Kirche 4",
        "Zur Alten Mühle 6",
        "Im Wiesengrund 8",
        "Mühlenweg 3-5",
        "Zum Sportplatz 11 b",
        "Feldstraße 3, 57319 Bad Berleburg",
    ],
)
def test_street_addresses_with_any_suffix(street):
    assert redact_text(f"Adresse: {street}; danke") == "Adresse: [entfernt]; danke"


@pytest.mark.parametrize(
    "url",
    [
        "kanarienvogel-profil.de/seite",
        "www.x.de",
        "WWW.FAMILIE-HUNDT.DE",
        "https://mein-blog.example.org/2023/umzug.html",
        "facebook.com/maria.schulte.olpe",
        "termine.stadt-beispiel.nrw",
        "@sauerland_mama_86",
    ],
)
def test_web_addresses_domains_and_handles(url):
    assert redact_text(f"Siehe {url} bitte") == "Siehe [entfernt] bitte"


@pytest.mark.parametrize(
    "name",
    [
        "Herr Dr. med. Schulz",
        "Herrn Bürgermeister Obermüller-Wiese",
        "Frau von Pusteblume",
        "Herr van der Heijden",
        "Herr de Vries",
        "Frau von und zu Brenkenhoff",
        "Familie Schneider",
        "Fam. Hoberg",
        "FRAU MÜLLER",
        "Frau Prof. Dr. med. Anna-Lena Birkenstock-Huth",
        "Herr Pfarrer Ossenbrink",
        "Bürgermeisterin Sauerwald",
        "Gertrud Pfannenstiel",
        "Ayşe Karagöz",
        "Herr O'Connor",
    ],
)
def test_names_in_every_form(name):
    surname = re.split(r"\s", name)[-1]
    redacted = redact_text(f"Großer Dank an {name} für alles.")
    assert surname not in redacted, redacted
    assert redacted.endswith("[entfernt] für alles.")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Ich bin geb. 12.03.1985 und suche Arbeit.", "1985"),
        ("Mein Mann ist geboren am 3. Mai 1980 in Aleppo.", "1980"),
        ("Geburtsdatum: 07/11/1992", "1992"),
        ("Kennzeichen OE-AB 123 abgeschleppt", "AB 123"),
        ("Der Wagen SI-XY 4711 steht vor der Tür.", "XY 4711"),
    ],
)
def test_dates_of_birth_and_licence_plates(text, secret):
    assert secret not in redact_text(text)


def test_codebook_names_in_any_case_and_the_genitive():
    texts = pd.Series(["Dank an WROBEL", "Wrobels Moderation war gut", "Wrobelstraße ohne Nummer"])
    shown = redact_answers(texts, names=["Wrobel"])
    assert shown == ["Dank an [entfernt]", "[entfernt] Moderation war gut", texts[2]]


def test_redact_series_repairs_and_keeps_missing_values():
    out = redact_series(pd.Series(["Frau MÃ¼ller", None, "Gut so"]))
    assert out.iloc[0] == "Frau [entfernt]"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == "Gut so"


# ---------------------------------------------------------------------------
# repair


def test_mojibake_is_repaired_before_redaction():
    assert (
        repair_text("GrÃ¶ÃŸere Wohnung in der SiegstraÃŸe") == "Größere Wohnung in der Siegstraße"
    )
    # a line mixing both encodings is repaired piece by piece
    assert repair_text("Müller und MÃ¼ller") == "Müller und Müller"
    assert redact_text("Wir wohnen in der SiegstraÃŸe 12.") == "Wir wohnen in der [entfernt]."
    assert redact_text("GrÃ¼ÃŸe von JÃ¼rgen GÃ¶bel") == "Grüße von [entfernt]"
    # encoded twice, or read as latin-1 instead of cp1252
    assert redact_text("Frau MÃƒÂ¼ller hilft") == "Frau [entfernt] hilft"
    assert repair_text("8â\x80\x9312 Uhr") == "8–12 Uhr"
    # genuine accents stay
    assert repair_text("Café Ölmühle, naïve Ça") == "Café Ölmühle, naïve Ça"


def test_nul_and_invisible_characters_are_stripped():
    assert redact_text("Frau Schul\u00adte\x00 hilft") == "Frau [entfernt] hilft"
    assert "\x00" not in redact_text("Gut\x00 so")
    assert redact_text("0151\x00 23456789") == "[entfernt]"


# ---------------------------------------------------------------------------
# no over-redaction


@pytest.mark.parametrize("town", sorted(municipalities()["name"]))
def test_municipality_names_are_not_persons(town):
    for text in (
        f"Wir wohnen gern in {town}.",
        f"{town} ist schön, aber ohne Auto schwierig.",
        f"Von {town} nach Siegen fährt abends kein Bus.",
    ):
        assert redact_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Eine Frau aus Syrien hat übersetzt.",
        "Meine Frau arbeitet in Lennestadt.",
        "Die Frau im Bürgerbüro war freundlich.",
        "Als Frau allein abends unterwegs zu sein ist unangenehm.",
        "Frau und Kinder fühlen sich wohl.",
        "Der Herr am Schalter konnte kein Englisch.",
        "Familie und Beruf lassen sich schwer vereinbaren.",
        "Kita-Plätze fehlen überall.",
        "Wohnungen sind teuer, Busse fahren selten.",
        "Im Jahr 2023 sind wir hergezogen.",
        "Am Wochenende 2 Stunden Wartezeit beim Arzt.",
        "In der Woche 3 Termine beim Amt.",
        "Platz 3 im Ranking, zu Recht!",
        "Die Hauptstraße ist nachts laut.",
        "Treffen am 12.03.2021 war hilfreich",
        "Die Miete ist um 15 % gestiegen, jetzt 1.250 Euro.",
        "Solange es keine Kita gibt, kann ich nicht arbeiten.",
        "Ernst gemeint: die Wartezeiten sind zu lang.",
        "Im August ist das Rathaus nur vormittags besetzt.",
        "Die Friedrich-Ebert-Schule ist sehr gut.",
        "Die Kirche St. Martin lädt zum Umzug ein.",
        "Zu Maria Himmelfahrt haben die Geschäfte zu.",
        "Max. 20 Personen pro Kurs sind zu wenig.",
        "Die B54 ist ständig gesperrt.",
        "Z.B. ein Stammtisch wäre schön.",
        "Checkliste.pdf ließ sich nicht öffnen.",
        "Ohne IBAN kein Konto, ohne Konto keine Wohnung.",
        "Herrn Bürgermeisters Rede war persönlich.",
        "BITTE MEHR BUSVERBINDUNGEN NACH SIEGEN!",
        "Von 2019-2021 haben wir in Köln gewohnt.",
        "Im Schuljahr 2023/24 gab es keine Willkommensklasse.",
        "Das Projekt wurde mit 1.250.000 Euro gefördert.",
        "Wir kamen im Sommer.Es war ein schöner Empfang.",
        "@Stadt: bitte mehr Radwege!",
        "Bölgeyi çok sevdik. Deniz yok ama göller var.",
        "Great region, but it is hard to make friends without speaking German.",
        "Telefonisch war seit 2019 niemand erreichbar.",
        "Am 12.03.2023 war der Neubürgerempfang.",
        "Die Kinder sind 2015 und 2018 geboren.",
        "Das Kennzeichen OE steht für Olpe.",
        "Termine nur Mo. bis Fr. Vormittag, das ist zu wenig.",
    ],
)
def test_ordinary_german_is_kept(text):
    assert redact_text(text) == text


# ---------------------------------------------------------------------------
# quality on the labelled corpus


def test_corpus_is_large_and_labelled():
    development = read_redaction_corpus(DEVELOPMENT)
    held_out = read_redaction_corpus(HELD_OUT)
    corpus = development + held_out
    assert len(corpus) >= 600
    assert sum(bool(s) for _, s in corpus) >= 250
    assert sum(not s for _, s in corpus) >= 300
    for text, strings in corpus:
        repaired = repair_text(text)
        for s in strings:
            assert s in repaired, (text, s)


def test_precision_and_recall_on_the_development_corpus():
    scores = redaction_scores(read_redaction_corpus(DEVELOPMENT))
    print(scores.summary())
    assert scores.recall >= 0.98
    assert scores.precision >= 0.97
    assert scores.leaks <= 3
    assert scores.false_alarms <= 5


def test_precision_and_recall_on_the_held_out_corpus():
    scores = redaction_scores(read_redaction_corpus(HELD_OUT))
    print(scores.summary())
    # First runs, before any rule was changed for them: round 1 precision 0.974, recall
    # 0.984; round 2 precision 0.982, recall 0.991; round 3 precision 0.968, recall 0.979
    # (see the file's header).
    assert scores.recall >= 0.97
    assert scores.precision >= 0.95
    assert scores.leaks <= 2


def test_scores_count_misses_and_false_alarms():
    corpus = [
        ("Danke an Fridgard Wiggenbrink!", ("Fridgard Wiggenbrink",)),  # first name not listed
        ("Rückfragen an a@b.de", ("a@b.de",)),
        ("Dr. Oetker ist eine Firma.", ()),
    ]
    scores = redaction_scores(corpus)
    assert (scores.true_positives, scores.false_negatives) == (3, 2)
    assert scores.false_positives == 1
    assert scores.leaks == 1 and scores.false_alarms == 1
    assert scores.recall == pytest.approx(3 / 5)
    assert scores.precision == pytest.approx(3 / 4)
    with pytest.raises(ValueError, match="not in corpus line"):
        redaction_scores([("Gut so", ("Müller",))])


def test_spans_name_their_kind():
    text = "Frau Schulte, Hauptstr. 1, 0271 123456, a@b.de, www.x.de, DE89370400440532013000"
    kinds = [s.kind for s in find_personal_data(text)]
    assert kinds == ["name", "address", "phone", "email", "url", "iban"]


def test_name_lists_are_shipped_and_exclude_town_names():
    assert len(first_names()) > 5000 and len(surnames()) > 2000
    towns = {w for name in municipalities()["name"] for w in re.findall(r"[^\W\d_]+", name)}
    assert not (first_names() & (towns - {"Bad"}))


@pytest.mark.parametrize(
    "text",
    [
        "-".join(["Aaa"] * 5000),
        " ".join(["Frau Dr."] * 3000),
        "A." * 10000,
        "-".join(["aaa"] * 5000) + ".",
    ],
)
def test_long_adversarial_answers_are_redacted(text):
    # 20,000 characters; quadratic backtracking took 36 s here before word lengths were
    # bounded (speed is measured in bench/redaction_quality.py, not asserted here)
    out = redact_text(text)
    assert isinstance(out, str) and len(out) > 0
