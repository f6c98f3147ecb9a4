"""Quality of the redaction of open answers on the labelled corpus.

Reads ``tests/data/redaction_corpus.tsv`` (the development corpus the rules were
tuned on) and ``tests/data/redaction_corpus_heldout.tsv`` (written afterwards and
scored once before any further change), and prints for each and for both
together: lines, sensitive tokens, token-level precision and recall, lines in
which a marked string survives, clean lines that were changed. With
``--misses`` it also lists every line with a miss or a false alarm.

Usage: ``.venv/bin/python bench/redaction_quality.py [--misses]``
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from welcome_eval.publish.privacy import read_redaction_corpus, redaction_scores
from welcome_eval.publish.redaction import find_personal_data, redact, repair_text

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CORPORA = {
    "development": DATA / "redaction_corpus.tsv",
    "held-out": DATA / "redaction_corpus_heldout.tsv",
}


def misses(corpus: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Lines with a marked string not (fully) found, or something found that is not marked."""
    out = []
    for text, strings in corpus:
        repaired = repair_text(text)
        gold = [
            (m.start(), m.start() + len(s))
            for s in strings
            for m in re.finditer(re.escape(s), repaired)
        ]
        spans = [(s.start, s.end) for s in find_personal_data(repaired)]
        extra = [repaired[a:b] for a, b in spans if not any(a < e and s < b for s, e in gold)]
        missed = [
            repaired[s:e]
            for s, e in gold
            if any(c.isalnum() for c in repaired[s:e])
            and not all(
                any(p <= i < q for p, q in spans) for i in range(s, e) if repaired[i].isalnum()
            )
        ]
        if extra or missed:
            out.append(f"  {text!r}\n    -> {redact(text)!r}\n    missed {missed}, extra {extra}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list lines with errors")
    args = parser.parse_args()
    everything = []
    for label, path in CORPORA.items():
        corpus = read_redaction_corpus(path)
        everything += corpus
        print(f"{label:12s} {redaction_scores(corpus).summary()}")
        if args.misses:
            print("\n".join(misses(corpus)) or "  (none)")
    print(f"{'together':12s} {redaction_scores(everything).summary()}")


if __name__ == "__main__":
    main()
