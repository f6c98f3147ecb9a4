"""Finding personal data in German free-text answers.

The engine behind :func:`welcome_eval.publish.privacy.redact_text`. Each detector
returns character spans of the (repaired) text; :func:`redact` replaces
their union by ``[entfernt]``. What is found:

* **names** after a salutation, title or role, with chains of titles ("Herr
  Dr. med. Schulz", "Herrn Bürgermeister Obermüller-Wiese"), nobility
  particles ("Frau von Pusteblume", "Herr van der Heijden"), "Familie
  Schneider", capitals ("FRAU MÜLLER"), double names, genitives ("Frau
  Müllers"), already redacted parts ("Frau Dr. [entfernt] Quastmeier": the
  whole sequence goes); full names without salutation whose first name is on
  the shipped first-name list ("Gertrud Pfannenstiel"), and first names on
  their own ("Danke an Sabine"); "Frau" used as a noun ("eine Frau aus
  Syrien") is left alone;
* **IBANs** in every spelling (with or without separators, lower case) and
  **account and reference numbers** after their label ("Kto 1234567",
  "Steuer-ID", "Aktenzeichen");
* **e-mail addresses**, also obfuscated ("max(at)example.de", "max [at]
  example [dot] de", "max at example dot de"), and social-media handles;
* **web addresses** with scheme, ``www.`` or as a bare domain
  ("kanarienvogel-profil.de/seite");
* **telephone numbers** (any number of four digits or more after "Tel.", "Handy" …);
* **dates of birth** after "geb.", "geboren am", "Geburtsdatum" and **licence plates**
  after "Kennzeichen" or with a district code of the region ("OE-AB 123");
* **street addresses** with any street suffix and house number ("Siegener
  Straße 45", "Am Markt 3", "Hauptstr. 12a"), with postcode and town when
  they follow.

Text is repaired first (:func:`repair_text`): NUL bytes and invisible
characters are removed and UTF-8 read as cp1252 ("MÃ¼ller") is decoded
again, so mis-encoded answers are redacted like clean ones.

The name lists (``data/vornamen.txt``, ``data/nachnamen.txt``) and their
origin are described in ``data/SOURCES.md``. Quality is measured on the
labelled corpus ``tests/data/redaction_corpus.tsv`` by
:func:`redaction_scores` (``bench/redaction_quality.py`` prints it).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from welcome_eval.config import package_data_dir

__all__ = [
    "AMBIGUOUS_FIRST_NAMES",
    "REDACTED",
    "RedactionScores",
    "Span",
    "find_personal_data",
    "first_names",
    "place_words",
    "read_redaction_corpus",
    "redact",
    "redaction_scores",
    "repair_text",
    "surnames",
]

REDACTED = "[entfernt]"


# ---------------------------------------------------------------------------
# repair


_INVISIBLE = re.compile("[\x00\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


_LEAD2 = "".join(_cp1252_char(b) for b in range(0xC2, 0xE0))
_LEAD3 = "".join(_cp1252_char(b) for b in range(0xE0, 0xF0))
_LEAD4 = "".join(_cp1252_char(b) for b in range(0xF0, 0xF5))
# Continuation bytes as cp1252 shows them, and as latin-1 does ("â\x80\x93" for "–").
_CONT = "".join(
    sorted({_cp1252_char(b) for b in range(0x80, 0xC0)} | set(map(chr, range(0x80, 0xC0))))
)
# A UTF-8 sequence that was decoded as cp1252 (or latin-1): lead byte, continuation bytes.
_MOJIBAKE = re.compile(
    f"[{re.escape(_LEAD2)}][{re.escape(_CONT)}]"
    f"|[{re.escape(_LEAD3)}][{re.escape(_CONT)}]{{2}}"
    f"|[{re.escape(_LEAD4)}][{re.escape(_CONT)}]{{3}}"
)


def _byte_of(char: str) -> bytes:
    try:
        return char.encode("cp1252")
    except UnicodeEncodeError:
        return char.encode("latin-1")


def _fix_sequence(match: re.Match[str]) -> str:
    piece = match.group(0)
    try:
        return b"".join(_byte_of(c) for c in piece).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return piece


def repair_text(text: str) -> str:
    """Text as the respondent wrote it: mojibake decoded, NUL and invisible characters gone.

    UTF-8 that was read as cp1252 or latin-1 ("MÃ¼ller", "StraÃŸe", "â€“") is
    decoded again sequence by sequence, so a line mixing both encodings is
    repaired too. NUL bytes, soft hyphens, zero-width characters and other
    control characters (except tab and line breaks) are removed; the result
    is in Unicode normal form NFC.

    Examples
    --------
    >>> repair_text("Frau MÃ¼ller aus der SiegstraÃŸe")
    'Frau Müller aus der Siegstraße'
    >>> repair_text("Mül\\u00adler\\x00 und Söhne")
    'Müller und Söhne'
    >>> repair_text("Frau MÃƒÂ¼ller")
    'Frau Müller'
    """
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    # Twice-encoded text ("MÃƒÂ¼ller") needs a second pass.
    for _ in range(3):
        if all(ord(c) < 0x80 for c in text):
            break
        repaired = _MOJIBAKE.sub(_fix_sequence, text)
        if repaired == text:
            break
        text = repaired
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------
# word lists


def _words(text: str) -> list[str]:
    return text.split()


_TURKISH_FOLD = str.maketrans("şŞçÇğĞıİ", "sScCgGiI")


def _fold(name: str) -> str:
    """Turkish letters folded to ASCII: "Ayşe" and "Ayse" are one name."""
    return name.translate(_TURKISH_FOLD)


def _read_list(name: str) -> frozenset[str]:
    """Names of a shipped list, each also with Turkish letters folded (see :func:`_fold`)."""
    path = package_data_dir() / name
    lines = path.read_text(encoding="utf-8").splitlines()
    names = {s.strip() for s in lines if s.strip() and not s.startswith("#")}
    return frozenset(names | {_fold(n) for n in names})


@cache
def first_names() -> frozenset[str]:
    """First names from ``data/vornamen.txt`` (see ``data/SOURCES.md``)."""
    return _read_list("vornamen.txt")


@cache
def surnames() -> frozenset[str]:
    """Surnames from ``data/nachnamen.txt`` (see ``data/SOURCES.md``)."""
    return _read_list("nachnamen.txt")


#: Places of the region and around it: never a person's name on their own.
_EXTRA_PLACES = _words(
    "Sauerland Siegerland Wittgenstein Südwestfalen Westfalen Münsterland Ruhrgebiet "
    "Rheinland Hessen Nordrhein Deutschland Europa Hagen Dortmund Köln Bonn Kassel "
    "Paderborn Hamm Unna Marburg Gießen Dillenburg Düsseldorf Frankfurt Berlin Hamburg "
    "München Essen Bochum Wuppertal Bielefeld Münster Gummersbach Winterberg Siegen "
    "Olpe Biggesee Sorpesee Möhnesee Rothaargebirge Ebbegebirge Syrien Türkei Polen "
    "Ukraine Eritrea Afghanistan Irak Iran Rumänien Bulgarien Kroatien Italien Spanien "
    "Griechenland Russland Indien China Charkiw Kiew Aleppo Damaskus Istanbul Ankara"
)


@cache
def place_words() -> frozenset[str]:
    """Words of the 59 municipality names of Südwestfalen and some places around."""
    words: set[str] = set(_EXTRA_PLACES)
    path = package_data_dir() / "suedwestfalen_kommunen.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            words.update(re.findall(r"[^\W\d_]+", row["name"]))
    words.discard("Bad")
    return frozenset(words)


#: First names that are also ordinary German, English or Turkish words (Turkish
#: answers start sentences with "Deniz", "Umut" …): a name only
#: when a surname from the list follows or a salutation precedes.
AMBIGUOUS_FIRST_NAMES = frozenset(
    _words(
        """August Ernst Mark Heide Rose Rosa Wolf Flora Gloria Grace Joy Urban Sultane Salami
        Server Döner Gabel Nazi Kader Mentor Medina Marine Van Aral Bali Bergen Beste Fügen
        Jesus Hagen Holm Mercedes Angel Aura Solange Davor Reiner Eitel Traute Malte Alpin
        Kenter Viola Violette Iris Jordan Sofia Adonis Romane Delphine Milan Tara Lore Can
        Toy Tea Eve Oscar Gretchen Trudel Bebe Kläre Laure Andres Engel Paris Sonne Stern
        Sommer Winter Mai Juni Juli Christ Hoffnung Glück Liebe Nur Ay Su Neo Gut Pippi
        German Great Deniz Umut Bahar Barış Doğa Güneş Gül Derya Bulut Toprak Sevgi Mutlu
        Huzur Yağmur Kar Dünya Hayat Sema Bora"""
    )
)

#: Capitalised words that never start or continue a name here (function words,
#: greetings, common nouns next to names, holidays, weekdays and months).
_NOT_NAMES = frozenset(
    _words(
        """Ich Du Er Sie Es Wir Ihr Man Mein Meine Unser Unsere Sein Seine Ihre Ihr Dein Deine
    Der Die Das Den Dem Des Ein Eine Einer Einen Einem Kein Keine Dieser Diese Dieses
    Und Oder Aber Auch Doch Denn Dann Da So Wie Wo Was Wer Wenn Weil Dass Als Ob Bis
    Seit Nach Vor Von Vom Zum Zur Zu Im In Am An Auf Aus Bei Beim Mit Ohne Für Um Über
    Unter Durch Gegen Hier Dort Jetzt Heute Immer Nie Nur Noch Schon Sehr Ganz Gar Gern
    Gerne Bitte Danke Dank Vielen Herzlichen Herzlichst Liebe Lieber Liebes Liebsten
    Viele Beste Besten Schöne Schönen Grüße Gruß Gruss Grüßen Hallo Hi Moin Servus Tschüss
    Ja Nein Alle Allen Alles Jeder Jede Mehr Weniger Toll Super Prima Klasse Gut Schlecht
    Vielleicht Leider Zum Hat Ist War Sind Waren Haben Hatte Kann Können Konnte Muss
    Wurde Wurden Wird Werden Bescheid Sprechstunde Büro Bürgerbüro Rathaus Amt Stadt
    Gemeinde Kommune Verwaltung Team Kita Schule Verein Kirche Praxis Jobcenter Bank
    Sparkasse Volksbank Caritas Diakonie Tafel Polizei Feuerwehr Kreis Bezirk Ortsteil
    Telefon Tel Mail Handy Fax Nummer Adresse Kontakt Info Infos Sprachkurs Kurs
    Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Sonnabend Wochenende
    Januar Februar März April Juni Juli September Oktober November Dezember
    Vormittag Nachmittag Abend Morgen Mittag Mitte Anfang Ende Himmelfahrt Weihnachten
    Ostern Pfingsten Fronleichnam Silvester
    Neujahr Karneval Allerheiligen Advent Heiligabend Martinstag Nikolaustag Straße Str Weg Platz"""
    )
)

_NOUN_SUFFIXES = (
    "ung",
    "ungen",
    "heit",
    "keit",
    "schaft",
    "tion",
    "ismus",
    "nis",
    "ment",
    "tät",
    "büro",
    "amt",
    "hof",
    "stelle",
    "zentrum",
    "verein",
    "schule",
    "kurs",
    "gruppe",
)

#: Lower-case words after "frau"/"herr" in a text written all in lower case.
_LOWER_STOP = frozenset(
    _words(
        """und oder aber auch hat ist war sind waren haben hatte hatten kann können konnte muss
    wurde wird werden sehr so sich mir mich mit aus vom von im in am an auf bei beim für
    um zu zur zum der die das den dem des ein eine einer einen einem nicht noch schon nur
    ganz gar gern gerne als wie doch denn dann da hier dort jetzt heute immer nie"""
    )
)

#: Words before "Frau"/"Herr" that make it a noun ("eine Frau aus Syrien", "meine Frau
#: Anna"): then only a listed name counts. After a definite article the name usually
#: follows ("der Herr Wewer", "die Frau Schmidt vom Amt"), so those do not count here.
_DEFINITE = frozenset(_words("der die das den dem des beim vom zum zur"))
_NOUN_MARKERS = frozenset(
    _words(
        """ein eine einer einen einem mein meine meiner meinen meinem dein deine sein seine
        seiner seinem seinen ihr ihre ihrer ihrem ihren unser unsere unserer unserem unseren
        euer eure jede jeder jedem jeden keine keiner keinem diese dieser diesem jene welche
        als pro alte alten junge jungen ältere älteren nette netten freundliche freundlichen"""
    )
)


# ---------------------------------------------------------------------------
# spans


@dataclass(frozen=True)
class Span:
    """A stretch ``text[start:end]`` of personal data of a ``kind``."""

    start: int
    end: int
    kind: str


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.kind)
            continue
        merged.append(span)
    return merged


# --- e-mail, handles, web addresses -----------------------------------------

_TLDS = (
    "de|com|net|org|eu|info|biz|io|me|tv|co|at|ch|nl|be|fr|it|es|pl|tr|ru|ua|uk|us|lu|dk|"
    "se|no|fi|cz|sk|hu|ro|hr|gr|pt|app|online|shop|site|website|blog|nrw|ruhr|koeln|cologne|"
    "berlin|hamburg|bayern|email|social|family|jobs|gmbh|sy|ir|af|xyz|page|link|live|news"
)
_OPEN = r"[\(\[\{<]"
_CLOSE = r"[\)\]\}>]"
_AT = rf"(?:\s*@\s*|\s*{_OPEN}\s*(?:at|ät|a)\s*{_CLOSE}\s*|\s+(?:at|ät)\s+)"
_DOT = rf"(?:\.|\s*{_OPEN}\s*(?:dot|punkt|pkt)\s*{_CLOSE}\s*|\s+(?:dot|punkt)\s+|\s+\.\s+)"
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w+-](?:[\w.+-]*[\w+-])?{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,24}}\b",
    re.IGNORECASE,
)
_TLD_END = re.compile(rf"(?:{_TLDS})", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_]){2,}")
_SCHEME_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']+", re.IGNORECASE)
_WWW = re.compile(r"\bwww\d?\.[^\s<>\"']+", re.IGNORECASE)
_DOMAIN = re.compile(
    rf"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})(?![\w-])(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}»“”\"'"


def _email_spans(text: str) -> list[Span]:
    spans = []
    for m in _EMAIL.finditer(text):
        found = m.group(0)
        tld = re.search(r"[a-z]+$", found, re.IGNORECASE)
        plain = "@" in found
        # "max at example dot de" only with a known top-level domain.
        if not plain and not (tld and _TLD_END.fullmatch(tld.group(0))):
            continue
        spans.append(Span(m.start(), m.end(), "email"))
    for m in _HANDLE.finditer(text):
        handle = m.group(0)[1:]
        # "@sauerland_mama_86", "@neuimsauerland", "@MaxMuster" — not "@Stadt: bitte …"
        if handle.islower() or re.search(r"[\d_.]|[a-z][A-Z]", handle):
            spans.append(Span(m.start(), m.end(), "email"))
    return spans


def _url_spans(text: str) -> list[Span]:
    spans = []
    for pattern in (_SCHEME_URL, _WWW, _DOMAIN):
        for m in pattern.finditer(text):
            found = m.group(0)
            if pattern is _DOMAIN:
                host = found.split("/")[0]
                tld = host.rsplit(".", 1)[-1]
                # "2.0" has no letters; "im Sommer.Es war …" is a missing space, not a domain.
                if not re.search(r"[a-z]", host.split(".")[0], re.I) or tld.istitle():
                    continue
            end = m.end()
            while end > m.start() and text[end - 1] in _TRAILING:
                end -= 1
            spans.append(Span(m.start(), end, "url"))
    return spans


# --- IBAN and numbers --------------------------------------------------------

#: IBAN lengths by country (ISO 13616 registry) for the countries respondents come from.
_IBAN_LENGTHS = {
    "DE": 22, "AT": 20, "CH": 21, "LI": 21, "LU": 20, "NL": 18, "BE": 16, "FR": 27,
    "IT": 27, "ES": 24, "PT": 25, "PL": 28, "CZ": 24, "SK": 24, "HU": 28, "RO": 24,
    "BG": 22, "HR": 21, "SI": 19, "GR": 27, "TR": 26, "DK": 18, "SE": 24, "NO": 15,
    "FI": 18, "GB": 22, "IE": 22, "LT": 20, "LV": 21, "EE": 20, "UA": 29, "RS": 22,
    "BA": 20, "AL": 28, "XK": 20, "MK": 19, "SY": 31, "JO": 30, "LB": 28, "IR": 26,
}  # fmt: skip
_IBAN_START = re.compile(r"(?<![\w])([A-Za-z]{2})\s?(\d{2})")


def _iban_spans(text: str) -> list[Span]:
    spans = []
    for m in _IBAN_START.finditer(text):
        country = m.group(1).upper()
        length = _IBAN_LENGTHS.get(country)
        if length is None:
            continue
        need = length - 4
        i, taken, digits = m.end(), 0, 0
        while taken < need and i < len(text):
            if text[i].isascii() and text[i].isalnum():
                taken += 1
                digits += text[i].isdigit()
                i += 1
            elif text[i] in " -." and i + 1 < len(text) and text[i + 1].isascii():
                if not text[i + 1].isalnum() or text[i - 1] in " -.":
                    break
                i += 1
            else:
                break
        if taken == need and digits >= need - 4 and (i == len(text) or not text[i].isalnum()):
            spans.append(Span(m.start(), i, "iban"))
    return spans


_ACCOUNT_LABEL = re.compile(
    r"\b(?:Kto|Konto|Kontonummer|Kontonr|BLZ|Bankleitzahl|Steuer-?ID|Steuer-?Nr|Steuernummer|"
    r"St\.-?Nr|Steuer-?Identifikationsnummer|Identifikationsnummer|IdNr|SV-?Nummer|"
    r"Sozialversicherungsnummer|Rentenversicherungsnummer|Versichertennummer|"
    r"Versicherungsnummer|Krankenversichertennummer|Personalausweis(?:nummer)?|"
    r"Ausweisnummer|Ausweis|Reisepass(?:nummer)?|Passnummer|Kundennummer|Kunden|Kd|"
    r"Aktenzeichen|Az|Mitgliedsnummer|Vorgangsnummer|Fallnummer|BG-?Nummer|"
    r"Bedarfsgemeinschaftsnummer|Vertragsnummer|Rechnungsnummer|Aufenthaltstitel(?:nummer)?|"
    r"Geschäftszeichen|Zeichen)"
    r"\.?(?:\s?-?\s?(?:Nr|Nummer)\.?)?\s*(?:ist|lautet|lautet:|:|#|Nr\.?)?\s*",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9/.\-]|\s(?=\d))*")


def _account_spans(text: str) -> list[Span]:
    spans = []
    for m in _ACCOUNT_LABEL.finditer(text):
        ident = _IDENTIFIER.match(text, m.end())
        if not ident:
            continue
        value = ident.group(0).rstrip(".-/ ")
        if sum(c.isdigit() for c in value) < 4:
            continue
        spans.append(Span(ident.start(), ident.start() + len(value), "account"))
    return spans


_MONTHS = (
    "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
)
_BIRTH = re.compile(
    r"\b(?:geb\.|geboren(?:\s+(?:am|im|den))?|Geburtsdatum|Geburtstag|Geb\.-?Datum|DOB)"
    r"\s*:?\s*(?:am\s+)?(?P<date>\d{1,2}\.\s?(?:\d{1,2}\.|"
    + _MONTHS
    + r")\s?\d{2,4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
# Licence plates after their label, or with a district code of the region and around.
_PLATE = re.compile(
    r"(?:\b(?:Kennzeichen|Kfz-Kennzeichen|Nummernschild)\s*:?\s*(?P<labelled>[A-ZÄÖÜ]{1,3}-?\s?"
    r"[A-Z]{1,2}\s?\d{1,4}[EH]?)\b)|(?<![\w-])(?P<regional>(?:SI|OE|HSK|MK|SO|BLB|LS|MES|BRI|"
    r"ARN|LP|WAR|LÜD|AL|IS|HA|UN|HAM|DO|PB|GM|AK|DIL|MR|KB)-[A-Z]{1,2}\s\d{1,4}[EH]?)(?![\w-])"
)


def _birth_and_plate_spans(text: str) -> list[Span]:
    spans = [Span(m.start("date"), m.end("date"), "birth") for m in _BIRTH.finditer(text)]
    for m in _PLATE.finditer(text):
        group = "labelled" if m.group("labelled") else "regional"
        spans.append(Span(m.start(group), m.end(group), "plate"))
    return spans


# Telephone numbers as Germans write them: +49 / 0049 / 0 prefix, groups
# separated by spaces, slashes, dashes or dots, at least 6 digits in all.
_PHONE = re.compile(r"(?<!\w)(?<!\d\.)(?:\+|00|\()?\d[\d\s/().-]{4,}\d(?!\w)(?!\.\d)")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")
# "2019-2021", "2023/24", "1.250.000": years and amounts, not telephone numbers.
_NOT_PHONE = re.compile(r"(?:19|20)\d\d\s?[-/–]\s?(?:(?:19|20)\d\d|\d\d)|\d{1,3}(?:\.\d{3})+")


_PHONE_LABEL = re.compile(
    r"\b(?:Tel|Telefon|Telefonnummer|Tel\.-?Nr|Rufnummer|Durchwahl|Handy|Handynummer|Mobil|"
    r"Mobilnummer|Festnetz|Fax|WhatsApp|Whatsapp|Signal|Telegram)\b\.?\s*(?:[:#]|ist|lautet)?\s*"
    r"(?P<number>-?(?:\+|00|\()?\d[\d\s/().-]*\d)",
    re.IGNORECASE,
)


def _phone_spans(text: str) -> list[Span]:
    spans = []
    # After a label ("Tel. 2019-2021") any number of 4 digits or more; an extension
    # ("Durchwahl -214") of 2 or more.
    for m in _PHONE_LABEL.finditer(text):
        number = m.group("number").rstrip()
        least = 2 if m.group(0).lower().startswith("durchwahl") else 4
        if sum(c.isdigit() for c in number) >= least and not _DATE.fullmatch(number):
            spans.append(Span(m.start("number"), m.start("number") + len(number), "phone"))
    for m in _PHONE.finditer(text):
        found = m.group(0)
        digits = re.sub(r"\D", "", found)
        # Years, dates and small counts are not telephone numbers.
        if len(digits) < 6 or _DATE.fullmatch(found) or _NOT_PHONE.fullmatch(found.strip()):
            continue
        start = m.start()
        end = m.end() - (len(found) - len(found.rstrip()))
        spans.append(Span(start, end, "phone"))
    return spans


# --- street addresses --------------------------------------------------------

_SUFFIX = (
    r"straße|strasse|str\.|str|weg|gasse|platz|allee|ring|damm|ufer|pfad|steig|stieg|"
    r"chaussee|promenade|markt|wall|graben|kamp|feld|hof|berg|tal|grund|garten|park|anger|"
    r"brücke|bogen|winkel|siedlung|hang|rain|heide|busch|holz|mühle|hütte|höhe|wiese|weide|"
    r"aue|zeile|terrasse|hagen|bruch|kopf|eck|ecke|siepen|born|bach|stiege|wald|acker"
)
_STREET_WORD = (
    r"(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Pfad|Steig|Chaussee|"
    r"Promenade|Markt|Wall|Graben|Kamp)"
)
_CAP = r"[A-ZÄÖÜ][\wäöüß'’.-]{0,60}"
# Word lengths are bounded (60 letters) so that no pattern backtracks quadratically.
_PREP = (
    r"(?:Am|An\s+der|An\s+den|An\s+dem|Auf\s+der|Auf\s+dem|Auf\s+den|Im|In\s+der|In\s+den|"
    r"Zum|Zur|Zu\s+den|Unter\s+den|Unterm|Hinter\s+der|Hinter\s+dem|Hinter\s+den|Hinterm|"
    r"Vor\s+dem|Vor\s+der|Vorm|Beim|Bei\s+der|Über\s+der|Oberm)"
)
_PREPOSITION = (
    rf"(?:{_PREP}|Alte[rn]?|Neue[rn]?|Obere[rn]?|Untere[rn]?|Große[rn]?|Kleine[rn]?|"
    r"Lange[rn]?|Hohe[rn]?)"
)
_HOUSE = r"\d{1,3}(?:\s?[a-zA-Z](?![\wäöüß]))?(?:\s?[-–/]\s?\d{1,3}[a-zA-Z]?(?![\wäöüß]))?"
_NOT_QUANTITY = r"(?!\s*(?:%|€|Uhr|[.:,]\d))(?!\s+[A-ZÄÖÜ][a-zäöüß])(?!\d)"
_POSTCODE = r"(?:,?\s*\d{5}\s+(?:Bad\s+|St\.\s+)?[A-ZÄÖÜ][\wäöüß-]+(?:\s+\([A-ZÄÖÜ][\w]+\))?)?"
_STREETS = (
    # compound: "Bahnhofstraße 12", "Hauptstr. 12a", "Karl-Marx-Straße 17", "Bergstr.7"
    re.compile(rf"\b[A-ZÄÖÜ][\wäöüß-]{{0,60}}?(?:{_SUFFIX})\s*{_HOUSE}{_NOT_QUANTITY}{_POSTCODE}"),
    # hyphenated: "Karl-Marx-Straße 17", "Konrad-Adenauer-Platz 3"
    re.compile(rf"\b[A-ZÄÖÜ][\wäöüß]{{0,40}}(?:-[\wäöüß]{{1,40}}){{0,4}}-{_STREET_WORD}\s*{_HOUSE}{_NOT_QUANTITY}{_POSTCODE}"),
    # words + street word: "Siegener Straße 45", "Kölner Str. 118", "Rosa Luxemburg Straße 5"
    re.compile(rf"\b(?:[A-ZÄÖÜ][\wäöüß-]{{0,60}}\s+){{1,2}}{_STREET_WORD}\s*{_HOUSE}{_NOT_QUANTITY}{_POSTCODE}"),
    # post-office box: "Postfach 1234, 57368 Lennestadt"
    re.compile(rf"\bPostfach\s+\d{{1,6}}{_POSTCODE}"),
    # preposition: "Am Markt 3", "An der Kirche 4", "Zur Alten Mühle 6"
    re.compile(rf"\b{_PREPOSITION}\s+(?:{_CAP}\s+){{0,2}}{_CAP}\s+{_HOUSE}{_NOT_QUANTITY}{_POSTCODE}"),
)  # fmt: skip
_ARTICLES = frozenset(
    _words("Der Die Das Den Dem Des Ein Eine Einer Unsere Unser Meine Mein Diese Dieser Jede")
)
_TIME_WORDS = frozenset(
    _words(
        """Jahr Jahre Jahren Monat Monate Woche Wochen Tag Tage Wochenende Sommer Winter Herbst
    Frühling Frühjahr Januar Februar März April Mai Juni Juli August September Oktober
    November Dezember Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Schnitt
    Durchschnitt Moment Alter Vergleich Ende Anfang Jahrgang Prinzip Grunde Ganzen Kapitel
    Modul Abschnitt Seite Punkt Haus Raum Zimmer Gebäude Block Bus Zug Gleis Stock Etage
    Stockwerk Klasse Gruppe Team Kurs Termin"""
    )
)


def _street_spans(text: str) -> list[Span]:
    places = place_words()
    spans = []
    for pattern in _STREETS:
        for m in pattern.finditer(text):
            words = re.findall(r"[A-ZÄÖÜ][\wäöüß]*", m.group(0).split(",")[0])
            if any(w in _TIME_WORDS for w in words):
                continue
            head = re.match(r"[\wäöüß-]+", m.group(0))
            if head and head.group(0) in places:
                continue
            start = m.start()
            # "Die Siegener Straße 5": a leading function word is not part of the name.
            while (w := re.match(r"([A-ZÄÖÜ][\wäöüß]*)\s+", text[start : m.end()])) and (
                w.group(1) in _ARTICLES
            ):
                start += w.end()
            # "Postfach 1234": the number is the personal part; "In der Hüttenstraße 33":
            # the preposition is grammar, not part of the street's name.
            lead = re.match(
                rf"Postfach\s+|{_PREP}\s+(?=[\wäöüß-]+(?:straße|strasse|str\.))",
                text[start : m.end()],
            )
            if lead:
                start += lead.end()
            spans.append(Span(start, m.end(), "address"))
    return spans


# --- names ------------------------------------------------------------------

_SALUTATION = r"(?:Frau|Herrn?|Hrn?\.|Fr\.|Familie|Fam\.|Ehepaar|Eheleute|Geschwister)"
_TITLE = (
    r"(?:Dr\.|Doktor|Prof\.|Professor(?:in)?|Dipl\.\s?-?\s?[A-Za-zäöü]+\.|Dipl\.|Mag\.|PD|"
    r"med\.|dent\.|vet\.|rer\.\s?(?:nat|pol|oec|medic)\.|phil\.|jur\.|theol\.|habil\.|"
    r"h\.\s?c\.|mult\.|a\.\s?D\.|i\.\s?R\.|em\.|M\.\s?A\.|B\.\s?A\.|M\.\s?Sc\.|B\.\s?Sc\.|MdB|MdL|"
    r"(?:Ober|Orts|Bezirks)?[Bb]ürgermeister(?:in|s)?|Landr(?:ats?|ätin)|Pfarrer(?:in|s)?|"
    r"Pastor(?:in|s)?|Pater|Schwester|Bruder|Imam|Rabbiner(?:in)?|Kaplan|Diakon(?:in)?|"
    r"Dekan(?:in)?|Superintendent(?:in)?|Ortsvorsteher(?:in)?|(?:Ober)?[Ss]tadtdirektor(?:in)?|"
    r"Beigeordnete[rn]?|Kämmerer(?:in)?|Direktor(?:in)?|Rektor(?:in)?|Konrektor(?:in)?|"
    r"Schulleiter(?:in)?|Lehrer(?:in)?|Kolleg(?:e|in)|Rechtsanw(?:alt|ältin)|Anw(?:alt|ältin)|"
    r"Notar(?:in)?|Amtsleiter(?:in)?|Fachbereichsleiter(?:in)?|Stadtr(?:at|ätin)|Ratsherr|"
    r"Ratsfrau|Abgeordnete[rn]?|Minister(?:in)?|Staatssekretär(?:in)?|Trainer(?:in)?|"
    r"Kommissar(?:in)?|Hauptkommissar(?:in)?|Integrationsbeauftragte[rn]?|Lotse|Lotsin|"
    r"Pate|Patin|Nachbar(?:in)?|Sachbearbeiter(?:in)?)"
)
#: A salutation with any titles after it: "Herrn Prof. Dr. med.", "Frau Bürgermeisterin".
_SALUTED = re.compile(
    rf"(?<![\w-])(?P<salutation>{_SALUTATION})(?![\w-])(?P<titles>(?:\s+{_TITLE}(?![\w-]))*)",
    re.IGNORECASE,
)
#: A title or role on its own before a name: "Dr. Schulz", "Bürgermeister Rinsche".
_TITLED = re.compile(
    r"(?<![\w-])(?P<titles>(?:Dr\.|Prof\.|(?:Ober|Orts)?[Bb]ürgermeister(?:in)?|"
    r"Landr(?:at|ätin)|Pfarrer(?:in)?|Pastor(?:in)?|Pater|Imam|Kaplan|Ortsvorsteher(?:in)?|"
    r"Schwester|Dekan(?:in)?|Superintendent(?:in)?)"
    rf"(?:\s+{_TITLE}(?![\w-]))*)"
)
_BLANK = re.compile(r"[ \t]+")
_SPACE = re.compile(r"\s+")
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")
_ABBREVIATION = re.compile(r"\.\s*\d")  # "Max. 20 Personen"
_TITLE_WORD = re.compile(_TITLE, re.IGNORECASE)
_GENITIVE_TITLE = re.compile(r"(?:meisters|rers|tors|rats)$")
_PARTICLES = (
    r"(?:(?:von|van|vom|zu|zur|zum|de|di|da|du|del|della|dos|das|ter|ten|le|la|al|el|ibn|bin)"
    r"(?:\s+(?:der|den|dem|und\s+zu|la|los|las|di|de))?\s+)"
)
_PARTICLE_RE = re.compile(_PARTICLES, re.IGNORECASE)
_WORD = re.compile(
    r"\[entfernt\]|[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*(?:(?<=[sSzZxXß])['’])?"
)


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def _parts(word: str) -> list[str]:
    return [p for p in re.split(r"-", word.rstrip("'’")) if p]


def _known_first(word: str, *, ambiguous: bool = False) -> bool:
    parts = _parts(word)
    if not parts:
        return False
    names = first_names()
    ok = all(_fold(p).title() in names or _fold(p) in names for p in parts)
    if not ok:
        return False
    return ambiguous or len(parts) > 1 or parts[0].title() not in AMBIGUOUS_FIRST_NAMES


def _known_surname(word: str) -> bool:
    base = _fold(word.rstrip("'’"))
    names = surnames()
    candidates = {base, base.title()}
    if base.endswith("s"):
        candidates |= {base[:-1], base[:-1].title()}
    return any(all(p in names or p.title() in names for p in _parts(c)) for c in candidates)


def _capitalised(word: str) -> bool:
    return word == REDACTED or word[:1].isupper()


def _stop(word: str) -> bool:
    bare = word.rstrip("'’")
    return bare in _NOT_NAMES or bare.title() in _NOT_NAMES


def _looks_like_noun(word: str) -> bool:
    lower = word.lower()
    return any(lower.endswith(s) for s in _NOUN_SUFFIXES) and not _known_surname(word)


def _genitive_of_name(word: str) -> bool:
    """ "Müllers", "Schulz'": the genitive of a listed name (a noun follows, not a name)."""
    if word.endswith(("'", "’")):
        return True
    if not word.endswith("s") or _known_first(word, ambiguous=True):
        return False  # "Jonas", "Andreas" are names of their own
    base = _fold(word[:-1])
    return base in surnames() or base.title() in surnames() or _known_first(base)


def _particle_name(particle: str, word: str, *, after_article: bool) -> bool:
    """Whether "von Pusteblume", "Frau zur Nieden" is a name — not "vom Standesamt",
    "von der Versicherung", "die Frau vom Bauhof"."""
    if _known_surname(word):
        return True
    if particle.split()[0].lower() in ("vom", "zum", "zur") and after_article:
        return False
    return not _looks_like_noun(word)


def _continues(word: str, previous: str, *, particle: str, position: int, noble: bool) -> bool:
    """Whether ``word`` (the ``position``-th word, from 0) still belongs to the name."""
    name_like = _known_surname(word) or _known_first(word, ambiguous=True)
    after_first = previous == REDACTED or _known_first(previous, ambiguous=True)
    if _genitive_of_name(previous):
        return False
    if particle:
        # "Ursula von der Leyen", "von Stein zu Lausnitz" — but "Frau Schulte von der
        # Caritas", "Herr Pöppelbaum vom Seniorenbeirat", "de Jong von der Uni" are not names.
        first = particle.split()[0].lower()
        if first in ("vom", "zum", "zur"):
            return False
        return after_first or (noble and first in ("zu", "und"))
    if _is_caps(word):
        return name_like or after_first
    if after_first:
        return True  # "Pastor Jonas Ebbinghaus", "Gertrud Pfannenstiel"
    if position >= 2 and not name_like:
        return False
    # "Herr Zwackelmann Bescheid", "Frau Schulte Sprechstunde": a further word
    # that looks like an ordinary noun ends the name.
    return name_like or not _looks_like_noun(word)


def _name_sequence(
    text: str,
    pos: int,
    *,
    lower_ok: bool,
    strict: bool,
    previous: str = "",
    after_article: bool = False,
) -> int:
    """End of the name that starts at ``pos``, or ``pos`` if there is none.

    ``previous``: the name word just before ``pos`` (a first name), so that
    the words from ``pos`` on are its continuation. ``strict``: only words
    from the name lists count ("Frau" used as a noun, an ambiguous first name).
    ``after_article``: the salutation follows a definite article ("die Frau vom Amt").
    """
    places = place_words()
    end = i = pos
    words = 1 if previous else 0
    noble = False
    while words < 4:
        j = i
        if i > pos or previous:
            gap = _BLANK.match(text, i)
            if not gap:
                break
            j = i + len(gap.group(0))
        particle = _PARTICLE_RE.match(text, j)
        m = _WORD.match(text, particle.end() if particle else j)
        if not m:
            break
        word = m.group(0)
        if word != REDACTED:
            if not _capitalised(word) and not (lower_ok and word not in _LOWER_STOP):
                break
            bare = word.rstrip("'’")
            if _stop(word) or bare in places or bare in _FEASTS:
                break
            if strict and not (_known_surname(word) or _known_first(word, ambiguous=True)):
                break
            if (
                particle
                and not previous
                and not _particle_name(particle.group(0), word, after_article=after_article)
            ):
                break
            if previous and not _continues(
                word,
                previous,
                particle=particle.group(0) if particle else "",
                position=words,
                noble=noble,
            ):
                break
        noble = noble or particle is not None
        end = i = m.end()
        words += 1
        previous = word
    return end


def _name_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _SALUTED.finditer(text):
        salutation = m.group("salutation")
        before = re.findall(r"[\wäöüß]+", text[max(0, m.start() - 40) : m.start()])
        noun = (
            salutation.lower() in ("frau", "herr", "herrn")
            and before
            and before[-1].lower() in _NOUN_MARKERS
        )
        lower_ok = salutation.islower()
        if _GENITIVE_TITLE.search(m.group("titles")):  # "Herrn Bürgermeisters Rede"
            continue
        start = m.end()
        gap = _SPACE.match(text, start)
        if not gap:
            continue
        start += len(gap.group(0))
        article = bool(before) and before[-1].lower() in _DEFINITE
        end = _name_sequence(
            text, start, lower_ok=lower_ok, strict=bool(noun), after_article=article
        )
        if end > start:
            spans.append(Span(start, end, "name"))
    for m in _TITLED.finditer(text):
        if _GENITIVE_TITLE.search(m.group("titles")):
            continue
        start = m.end()
        gap = _SPACE.match(text, start)
        if not gap:
            continue
        start += len(gap.group(0))
        end = _name_sequence(text, start, lower_ok=False, strict=False)
        if end > start:
            spans.append(Span(start, end, "name"))
    spans += _first_name_spans(text)
    return spans


#: Feasts named after a person: "Maria Himmelfahrt", "Mariä Lichtmess".
_FEASTS = frozenset(("Himmelfahrt", "Lichtmess", "Empfängnis", "Geburt", "Heimsuchung"))
_SAINT = re.compile(r"(?:\bSt\.|\bSankt|\bHl\.|\bHeilige[rn]?)\s*$")


def _first_name_spans(text: str) -> list[Span]:
    spans = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word == REDACTED or not word[:1].isupper():
            continue
        # "Friedrich-Ebert-Schule", "Max-Planck-Gymnasium": named after a person, not one.
        if text[m.end() : m.end() + 1] == "-":
            continue
        if _SAINT.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        if not _known_first(word, ambiguous=True) or _TITLE_WORD.fullmatch(word):
            continue
        following = _NEXT_WORD.match(text, m.end())
        if following and following.group(1) in _FEASTS:  # "Maria Himmelfahrt"
            continue
        ambiguous = not _known_first(word)
        rest = _name_sequence(text, m.end(), lower_ok=False, strict=ambiguous, previous=word)
        if rest > m.end():
            spans.append(Span(m.start(), rest, "name"))
        elif not ambiguous and not _ABBREVIATION.match(text, m.end()):
            spans.append(Span(m.start(), m.end(), "name"))
    return spans


def _listed_name_spans(text: str, names: Sequence[str]) -> list[Span]:
    words = sorted({str(n).strip() for n in names if str(n).strip()}, key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(map(re.escape, words)) + r")(?:s|'|’)?(?![\w-])",
        re.IGNORECASE,
    )
    return [Span(m.start(), m.end(), "name") for m in pattern.finditer(text)]


# ---------------------------------------------------------------------------
# public


def find_personal_data(text: str, *, names: Sequence[str] = ()) -> list[Span]:
    """Spans of personal data in ``text`` (already repaired), merged and sorted.

    ``names``: further names to remove wherever they occur as whole words
    (case-insensitive, also in the genitive), e.g. the codebook's
    ``privacy: names:`` list.

    Examples
    --------
    >>> t = "Herr Dr. med. Schulz, Tel. 0271 12345"
    >>> [t[s.start : s.end] for s in find_personal_data(t)]
    ['Schulz', '0271 12345']
    """
    spans = (
        _email_spans(text)
        + _url_spans(text)
        + _iban_spans(text)
        + _account_spans(text)
        + _phone_spans(text)
        + _birth_and_plate_spans(text)
        + _street_spans(text)
        + _name_spans(text)
        + _listed_name_spans(text, names)
    )
    return _merge(spans)


def redact(text: str, *, names: Sequence[str] = ()) -> str:
    """``text`` repaired, with every span of :func:`find_personal_data` as ``[entfernt]``.

    Examples
    --------
    >>> redact("Frau Dr. [entfernt] Quastmeier und FRAU MÃœLLER, IBAN DE89370400440532013000")
    'Frau Dr. [entfernt] und FRAU [entfernt], IBAN [entfernt]'
    """
    text = repair_text(text)
    out = []
    last = 0
    for span in find_personal_data(text, names=names):
        out.append(text[last : span.start])
        out.append(REDACTED)
        last = span.end
    out.append(text[last:])
    return "".join(out)


# ---------------------------------------------------------------------------
# quality on a labelled corpus


@dataclass(frozen=True)
class RedactionScores:
    """Token-level quality of the redaction on a labelled corpus.

    A token is a run of letters or digits in the repaired text. It is
    *sensitive* when it lies in one of the strings the corpus marks for
    removal, and *removed* when it overlaps a span the redaction replaces.
    ``leaks`` counts the lines in which a marked string survives in the
    output of :func:`redact`; ``false_alarms`` the lines without personal data
    that were changed all the same.
    """

    lines: int
    lines_with_personal_data: int
    sensitive_tokens: int
    true_positives: int
    false_positives: int
    false_negatives: int
    leaks: int
    false_alarms: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.sensitive_tokens if self.sensitive_tokens else 1.0

    def summary(self) -> str:
        """One line to quote: corpus size, precision, recall, leaks."""
        return (
            f"{self.lines} lines ({self.lines_with_personal_data} with personal data, "
            f"{self.sensitive_tokens} sensitive tokens): token precision {self.precision:.3f}, "
            f"token recall {self.recall:.3f}; {self.leaks} lines leak a marked string, "
            f"{self.false_alarms} clean lines changed"
        )


def read_redaction_corpus(path: str | Path) -> list[tuple[str, tuple[str, ...]]]:
    """Lines of a labelled corpus: ``text<TAB>remove`` with ``remove`` split at `` | ``.

    Lines starting with ``#`` and the header line ``text<TAB>remove`` are
    skipped; ``\\x00`` in a text stands for a NUL byte.
    """
    corpus = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#") or raw == "text\tremove":
            continue
        text, _, remove = raw.partition("\t")
        strings = tuple(s.strip() for s in remove.split(" | ") if s.strip())
        corpus.append((text.replace("\\x00", "\x00"), strings))
    return corpus


_TOKEN = re.compile(r"[^\W_]+")


def redaction_scores(
    corpus: Iterable[tuple[str, Sequence[str]]], *, names: Sequence[str] = ()
) -> RedactionScores:
    """Precision and recall of :func:`redact` on a labelled corpus (token level).

    Each item is a text and the strings in it that must be removed, written
    as they read after :func:`repair_text`. Every occurrence of a marked
    string counts.
    """
    lines = positive = sensitive = tp = fp = fn = leaks = alarms = 0
    for text, strings in corpus:
        lines += 1
        repaired = repair_text(text)
        gold: list[tuple[int, int]] = []
        for s in strings:
            found = [m.start() for m in re.finditer(re.escape(s), repaired)]
            if not found:
                raise ValueError(f"marked string {s!r} not in corpus line {text!r}")
            gold += [(f, f + len(s)) for f in found]
        predicted = [(s.start, s.end) for s in find_personal_data(repaired, names=names)]
        positive += bool(strings)
        for token in _TOKEN.finditer(repaired):
            a, b = token.span()
            is_gold = any(a < e and s < b for s, e in gold)
            is_pred = any(a < e and s < b for s, e in predicted)
            sensitive += is_gold
            tp += is_gold and is_pred
            fp += is_pred and not is_gold
            fn += is_gold and not is_pred
        output = redact(text, names=names)
        if strings and _leaks(strings, repaired, gold, output):
            leaks += 1
        if not strings and output != repaired:
            alarms += 1
    return RedactionScores(lines, positive, sensitive, tp, fp, fn, leaks, alarms)


def _leaks(strings: Sequence[str], repaired: str, gold: list[tuple[int, int]], output: str) -> bool:
    """Whether a word of a marked string is in ``output`` more often than it occurs
    outside the marked strings of the input (words of two characters or more)."""
    outside_input = list(repaired)
    for s, e in gold:
        outside_input[s:e] = " " * (e - s)
    unmarked = "".join(outside_input)
    kept = output.replace(REDACTED, " ")
    for marked in strings:
        for token in _TOKEN.findall(marked.replace(REDACTED, " ")):
            if len(token) < 2:
                continue
            word = rf"(?<![^\W_]){re.escape(token)}(?![^\W_])"
            if len(re.findall(word, kept)) > len(re.findall(word, unmarked)):
                return True
    return False
