"""The catalogue of good — and failed — examples (``surveys/beispiele/``).

One YAML file per example (fields and rules in ``surveys/beispiele/README.md``).
:func:`read_catalogue` reads and validates all of them into one tidy table,
:func:`matching_examples` picks the examples for a municipality's weakest checklist
dimensions; the page itself is
:func:`welcome_eval.build.catalogue_page.render_page`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from welcome_eval.config import surveys_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.limits import safe_load_text
from welcome_eval.municipalities import DISTRICTS, municipalities
from welcome_eval.present.markup import safe_href

__all__ = [
    "FIELDS",
    "OUTCOMES",
    "CatalogueError",
    "checklist_dimensions",
    "matching_examples",
    "read_catalogue",
]

#: Outcome codes and their German labels, best first.
OUTCOMES: dict[str, str] = {
    "worked": "hat funktioniert",
    "partly": "teilweise",
    "did_not_work": "hat nicht funktioniert",
}
#: Fields of an entry: name -> required.
FIELDS: dict[str, bool] = {
    "ags": True,
    "title": True,
    "year": True,
    "category": True,
    "description": True,
    "cost_eur": False,
    "cost_note": False,
    "reach": False,
    "outcome": True,
    "lessons": True,
    "contact_role": True,
    "links": False,
}
_ID = re.compile(r"[a-z][a-z0-9-]*")
_FIRST_YEAR = 2010
#: Columns of :func:`read_catalogue`.
COLUMNS = [
    "id",
    "ags",
    "name",
    "district",
    "title",
    "year",
    "category",
    "category_label",
    "description",
    "cost_eur",
    "cost_note",
    "reach",
    "outcome",
    "outcome_label",
    "lessons",
    "contact_role",
    "links",
    "file",
]


class CatalogueError(WelcomeEvalError, ValueError):
    """A catalogue entry breaks a rule; the message names file, field and rule."""


def checklist_dimensions() -> dict[str, str]:
    from welcome_eval.analysis.checklist import scoring_rule

    return dict(scoring_rule().dimensions)


def _check_entry(
    path: Path, raw: Any, keys: dict[str, tuple[str, str]], dimensions: dict[str, str]
) -> list[str]:
    problems: list[str] = []

    def problem(field: str, rule: str, message: str) -> None:
        problems.append(f"{path}: field {field!r}: {message} (rule {rule})")

    if not _ID.fullmatch(path.stem):
        problem(
            "id",
            "id_format",
            f"the file name {path.stem!r} is the entry's id and anchor: use lower-case "
            "letters, digits and hyphens, starting with a letter",
        )
    if not isinstance(raw, dict):
        problem("-", "mapping", "an entry must be a YAML mapping of fields")
        return problems
    for field in sorted(set(raw) - set(FIELDS)):
        problem(field, "known_field", f"unknown field; allowed: {', '.join(FIELDS)}")
    for field, required in FIELDS.items():
        value = raw.get(field)
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            problem(field, "required", "a value is required")
    ags = raw.get("ags")
    if ags is not None:
        key = str(ags)
        if isinstance(ags, int) or key not in keys:
            hint = ' (write the key in quotes, e.g. "05958012")' if isinstance(ags, int) else ""
            problem(
                "ags",
                "municipality_known",
                f"{ags!r} is not one of the 59 municipality keys of Südwestfalen{hint}",
            )
    category = raw.get("category")
    if category is not None and category not in dimensions:
        problem(
            "category",
            "dimension_known",
            f"{category!r} is not a checklist dimension; allowed: {', '.join(dimensions)}",
        )
    outcome = raw.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        problem("outcome", "allowed_values", f"{outcome!r}; allowed: {', '.join(OUTCOMES)}")
    year = raw.get("year")
    last_year = dt.date.today().year + 1
    if year is not None and (
        not isinstance(year, int) or isinstance(year, bool) or not _FIRST_YEAR <= year <= last_year
    ):
        problem("year", "year_plausible", f"{year!r}: a year from {_FIRST_YEAR} to {last_year}")
    cost = raw.get("cost_eur")
    if cost is not None and (
        isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0
    ):
        problem("cost_eur", "cost_number", f"{cost!r}: a number of euro, 0 or more")
    for field in ("title", "description", "cost_note", "reach", "lessons", "contact_role"):
        value = raw.get(field)
        if value is not None and not isinstance(value, str):
            problem(field, "text", f"{value!r} must be text")
    links = raw.get("links")
    if links is not None:
        if not isinstance(links, list):
            problem("links", "links_list", "a list of {title, href} entries")
        else:
            for number, link in enumerate(links, start=1):
                if not isinstance(link, dict) or not str(link.get("title") or "").strip():
                    problem("links", "link_title", f"link {number} needs a title")
                    continue
                extra = set(link) - {"title", "href"}
                if extra:
                    problem("links", "known_field", f"link {number}: unknown keys {sorted(extra)}")
                href = link.get("href")
                if href is not None and not safe_href(str(href), depth=_PAGE_DEPTH):
                    problem(
                        "links",
                        "link_href",
                        f"link {number}: {href!r} must be a relative path inside the report "
                        "set or an https:// address (no other scheme, no //host, no "
                        "backslash, no control characters)",
                    )
    municipality = keys.get(str(ags), ("",))[0] if ags is not None else ""
    for field in ("contact_role", "reach"):
        value = raw.get(field)
        found = _contact_problems(field, value, municipality) if isinstance(value, str) else []
        if found:
            problem(field, "no_personal_contact", "; ".join(found))
    return problems


#: The catalogue page lies one folder below the root of the report tree.
_PAGE_DEPTH = 1

# --- contact fields: roles and offices, never a person ------------------------------------

#: Mailboxes of an office, not of a person: ``info@soest.de``, ``willkommen@stadt-olpe.de``.
FUNCTIONAL_MAILBOXES = frozenset(
    [
        "info",
        "kontakt",
        "post",
        "poststelle",
        "rathaus",
        "stadtverwaltung",
        "verwaltung",
        "service",
        "buergerservice",
        "buergerbuero",
        "willkommen",
        "welcome",
        "neubuerger",
        "stadtmarketing",
        "marketing",
        "wirtschaftsfoerderung",
        "wirtschaft",
        "tourismus",
        "touristik",
        "ehrenamt",
        "integration",
        "presse",
        "pressestelle",
        "kultur",
        "familienbuero",
        "jugend",
        "soziales",
        "standortmarketing",
    ]
)
#: Word stems of an office or role; a contact_role word must contain one of them (or be
#: a municipality's or district's name, a small word, or a functional mailbox).
_ROLE_STEMS = (
    "amt", "ämter", "büro", "buero", "förderung", "foerderung", "marketing", "verwaltung",
    "rathaus", "bürgermeister", "buergermeister", "stadt", "städt", "gemeinde", "kreis",
    "kommun", "agentur", "referat", "fachbereich", "fachdienst", "abteilung", "stelle",
    "beauftragt", "team", "service", "lotse", "lotsin", "koordin", "management", "leitung",
    "sekretariat", "kanzlei", "information", "beratung", "presse", "touris", "kultur",
    "integration", "wirtschaft", "ehrenamt", "quartier", "netzwerk", "bereich", "dienst",
    "zentrale", "verein", "initiative", "willkommen", "neubürger", "neubuerger", "bürger",
    "buerger", "jugend", "familie", "senior", "sozial", "bildung", "planung", "entwicklung",
    "ordnung", "gleichstellung", "personal", "vorstand", "geschäftsführung", "geschäftsstelle",
    "sprecher", "pflege", "hilfe", "zentrum", "portal", "region", "ortsteil", "bezirk",
)  # fmt: skip
_SMALL_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "des",
        "dem",
        "den",
        "und",
        "für",
        "fuer",
        "im",
        "in",
        "von",
        "vom",
        "zur",
        "zum",
        "am",
        "an",
        "mit",
        "bei",
        "oder",
        "&",
        "/",
        "-",
        "sowie",
        "e.",
        "v.",
        "e.v.",
        "gmbh",
    ]
)
_MAILBOX = re.compile(
    r"(?P<local>[\w.+-]+)\s*(?:@|\(at\)|\[at\]|\{at\}|\s(?:at|ät)\s)\s*"
    r"(?P<domain>[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\s(?:dot|punkt)\s)\s*[\w-]+)+)",
    re.IGNORECASE,
)
# A German telephone number: it starts with 0 or +/00 and a country code, then at least
# five more digits in groups (spaces, slashes, dashes, dots, brackets between them).
_PHONE = re.compile(r"(?<![\w.])(?:\+|00|0)[\s/().-]*\d(?:[\s/().-]*\d){5,}")
_SALUTATION = re.compile(
    r"\b(?:Herrn?|Frau|Fr\.|Hr\.|Dr\.|Prof\.|Familie|Ansprechpartner(?:in)?|"
    r"Telefon|Tel\.|Fax|Mobil|Handy|E-?Mail|Mail)(?=\W|$)",
    re.IGNORECASE,
)
_WEB = re.compile(r"(?:https?:|www\.|\b[\w-]+\.(?:de|com|org|net|info|eu)\b)", re.IGNORECASE)


def _slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-", ".": ""})
    return name.lower().translate(table)


def _functional_mailbox(local: str, domain: str, municipality: str) -> bool:
    """``local@domain`` is an office's mailbox on the municipality's own domain."""
    slug = _slug(municipality)
    domain = domain.lower()
    return (
        local.lower() in FUNCTIONAL_MAILBOXES
        and domain.endswith(".de")
        and (slug in domain or slug.replace("-", "") in domain)
    )


@functools.cache
def _place_words() -> frozenset[str]:
    places = municipalities()
    words = set()
    for name in [*places["name"], *DISTRICTS]:
        words.update(w.lower() for w in re.split(r"[\s/()-]+", str(name)) if w)
    return frozenset(words)


def _is_place(word: str) -> bool:
    """A municipality's or district's name, also inflected ("Märkischen Kreis")."""
    places = _place_words()
    return word in places or any(
        len(place) >= 5 and word[: len(place) - 1] == place[:-1] and len(word) <= len(place) + 2
        for place in places
    )


def _contact_problems(field: str, value: str, municipality: str) -> list[str]:
    """Why ``value`` of a contact field (``contact_role``, ``reach``) could identify a
    person: an e-mail address (other than an office's mailbox on the municipality's
    domain in ``contact_role``), a telephone number, a salutation or title with a name,
    and — in ``contact_role`` — any word that is not an office, a role or a place."""
    problems = []
    text = " ".join(value.split())
    for found in _MAILBOX.finditer(text):
        allowed = field == "contact_role" and _functional_mailbox(
            found["local"], re.sub(r"\s+", "", found["domain"]), municipality
        )
        if not allowed:
            problems.append(
                f"{found.group(0)!r} is an e-mail address; give the office, or in "
                f"contact_role an office mailbox such as info@{_slug(municipality)}.de"
            )
    rest = _MAILBOX.sub(" ", text)
    for found in _PHONE.finditer(rest):
        problems.append(f"{found.group(0).strip()!r} is a telephone number; give the office")
    for found in _SALUTATION.finditer(rest):
        problems.append(
            f"{found.group(0)!r} points to a person or their contact details; name the "
            "office or role (e.g. 'Wirtschaftsförderung'), never a person"
        )
    if field == "reach":
        for found in _WEB.finditer(rest):
            problems.append(f"{found.group(0)!r} is a web address; reach says how many people")
    if field == "contact_role" and not problems:
        strange = [
            word
            for word in re.split(r"[\s,;:()]+", rest)
            if word
            and word.lower().strip(".") not in _SMALL_WORDS
            and not _is_place(word.lower().strip("."))
            and not any(stem in word.lower() for stem in _ROLE_STEMS)
        ]
        if strange:
            problems.append(
                f"{' '.join(strange)!r} is not an office or role: contact_role names the office "
                "to ask (e.g. 'Wirtschaftsförderung, Stadt Olpe' or an office mailbox such as "
                f"info@{_slug(municipality)}.de), never a person's name, phone or e-mail"
            )
    return problems


def read_catalogue(directory: str | Path | None = None) -> pd.DataFrame:
    """Read and validate every example (``*.yaml``) of the catalogue.

    Parameters
    ----------
    directory
        Folder with one YAML file per entry (default: ``surveys/beispiele``).

    Returns
    -------
    pandas.DataFrame
        One row per entry, sorted by year (newest first) and title: ``id`` (file
        name), ``ags``, ``name``, ``district``, ``title``, ``year``, ``category``
        (checklist dimension id), ``category_label``, ``description``, ``cost_eur``
        (float, NaN if not given), ``cost_note``, ``reach``, ``outcome``,
        ``outcome_label``, ``lessons``, ``contact_role``, ``links`` (list of dicts
        with ``title`` and optional ``href``), ``file``.

    Raises
    ------
    CatalogueError
        Any entry breaks a rule (unknown municipality or dimension, missing or
        unknown field, implausible year, …); the message lists every problem with
        file, field and rule.

    Examples
    --------
    >>> entries = read_catalogue()
    >>> bool((entries["outcome"] == "did_not_work").sum() >= 3)
    True
    """
    folder = Path(directory) if directory is not None else surveys_dir() / "beispiele"
    if not folder.is_dir():
        raise CatalogueError(f"{folder}: catalogue folder not found")
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise CatalogueError(f"{folder}: no catalogue entries (*.yaml) found")
    places = municipalities()
    keys = {
        a: (n, str(d))
        for a, n, d in zip(places["ags"], places["name"], places["district"], strict=True)
    }
    dimensions = checklist_dimensions()
    problems: list[str] = []
    rows = []
    for path in files:
        try:
            raw = safe_load_text(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(f"{path}: field '-': cannot read the file: {exc} (rule yaml)")
            continue
        found = _check_entry(path, raw, keys, dimensions)
        problems += found
        if found:
            continue
        name, district = keys[str(raw["ags"])]
        rows.append(
            {
                "id": path.stem,
                "ags": str(raw["ags"]),
                "name": name,
                "district": district,
                "title": raw["title"].strip(),
                "year": int(raw["year"]),
                "category": raw["category"],
                "category_label": dimensions[raw["category"]],
                "description": raw["description"].strip(),
                "cost_eur": float(raw["cost_eur"])
                if raw.get("cost_eur") is not None
                else float("nan"),
                "cost_note": (raw.get("cost_note") or "").strip() or None,
                "reach": (raw.get("reach") or "").strip() or None,
                "outcome": raw["outcome"],
                "outcome_label": OUTCOMES[raw["outcome"]],
                "lessons": raw["lessons"].strip(),
                "contact_role": raw["contact_role"].strip(),
                "links": [
                    {k: str(v).strip() for k, v in link.items() if v is not None}
                    for link in raw.get("links") or []
                ],
                "file": path.name,
            }
        )
    ids = [p.stem for p in files]
    for stem in sorted({s for s in ids if ids.count(s) > 1}):
        problems.append(f"{folder}: field 'id': {stem!r} used by two files (rule unique_id)")
    if problems:
        raise CatalogueError(
            f"{len(problems)} problem(s) in the catalogue of examples:\n" + "\n".join(problems)
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["year", "title"], ascending=[False, True]).reset_index(drop=True)


def matching_examples(
    entries: pd.DataFrame,
    dimensions: Iterable[str],
    *,
    exclude_ags: str | None = None,
    limit: int | None = 3,
) -> pd.DataFrame:
    """Examples for the given checklist dimensions (e.g. a municipality's weakest).

    Parameters
    ----------
    entries
        :func:`read_catalogue`.
    dimensions
        Dimension ids in order of priority (e.g.
        ``welcome_eval.analysis.checklist.weakest_dimensions(...)["dimension"]``).
    exclude_ags
        Leave out the municipality's own examples.
    limit
        At most this many examples per dimension (None: all).

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``entries`` in the order of ``dimensions``; within a
        dimension examples that worked first, then partly, then failed ones (a failure
        with its reason is as useful as a success), newest first. Column ``anchor`` is
        the link target on the catalogue page: ``beispiele/index.html#<anchor>``.

    Examples
    --------
    >>> entries = read_catalogue()
    >>> found = matching_examples(entries, ["service", "arbeitgeber"], limit=2)
    >>> found["category"].tolist()
    ['service', 'service', 'arbeitgeber', 'arbeitgeber']
    """
    if not isinstance(entries, pd.DataFrame) or not {"category", "outcome", "id"} <= set(entries):
        raise TypeError("entries must be the DataFrame from read_catalogue()")
    wanted = [str(d) for d in ([dimensions] if isinstance(dimensions, str) else dimensions)]
    known = set(checklist_dimensions())
    unknown = [d for d in wanted if d not in known]
    if unknown:
        raise ValueError(f"unknown checklist dimensions {unknown}; known: {', '.join(known)}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a whole number >= 1 or None, got {limit!r}")
    pool = entries if exclude_ags is None else entries[entries["ags"] != str(exclude_ags)]
    rank = {o: k for k, o in enumerate(OUTCOMES)}
    parts = []
    for dimension in dict.fromkeys(wanted):
        part = pool[pool["category"] == dimension]
        part = part.assign(_rank=part["outcome"].map(rank)).sort_values(
            ["_rank", "year", "title"], ascending=[True, False, True], kind="stable"
        )
        parts.append(
            part.drop(columns="_rank").head(limit) if limit else part.drop(columns="_rank")
        )
    if not parts:
        return entries.iloc[0:0].assign(anchor=pd.Series(dtype=str))
    result = pd.concat(parts, ignore_index=True)
    result["anchor"] = result["id"]
    return result
