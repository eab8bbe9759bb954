#!/usr/bin/env python3
"""Writes the peer benchmark's catalog (the tables PostGraphile serves) as a studygraph native
import file, so that both engines serve the same records.

    peer_to_native.py > graph.jsonl      (reads the tables with psql; PG* variables apply)

Records are written in the peer's id order (producers, roots first; datasets; publications;
links), so a fresh studygraph database gives every row the same id as the peer's table.
Values the two models spell differently are mapped one to one (see bench/README.md):
dates keep their precision ("2006-10" for a month-precision date stored as 2006-10-01),
"NCJ 100003" is stored as "100003", study numbers lose their leading zeros, and roles and
relation types become studygraph's enums.
"""
import json
import subprocess
import sys

PUBLICATION_ROLES = {"author": "PRODUCER", "sponsor": "SPONSOR", "publisher": "PUBLISHER"}
DATASET_ROLES = {
    "principal investigator": "PRINCIPAL_INVESTIGATOR",
    "funder": "FUNDER",
    "distributor": "DISTRIBUTOR",
}
RELATION_TYPES = {
    "cites": "REFERENCES",
    "uses": "IS_RELATED_TO",
    "describes": "DOCUMENTS",
    "is_derived_from": "IS_SUPPLEMENT_TO",
}


def rows(sql):
    """The rows of `sql` as lists of text (None for NULL), via COPY's text format."""
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"COPY ({sql}) TO STDOUT"],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        yield [None if f == "\\N" else unescape(f) for f in line.split("\t")]


def unescape(field):
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            n = field[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def partial_date(iso, precision):
    if iso is None:
        return None
    return {"year": iso[:4], "month": iso[:7]}.get(precision, iso)


def credits_of(table, owner, roles):
    credits = {}
    for owner_id, producer_id, role in rows(
            f"SELECT {owner}, producer_id, role FROM {table} ORDER BY {owner}, producer_id, role"):
        credits.setdefault(owner_id, []).append({"producer": paths[producer_id], "role": roles[role]})
    return credits


def emit(record):
    sys.stdout.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

def main():
    global paths
    for pid, name, parent, kind, location in rows(
            "SELECT id, name, parent_id, kind, location FROM producers ORDER BY id"):
        if parent is not None and parent not in paths:
            raise SystemExit(f"producer {pid}: parent {parent} comes later; ids are not in hierarchy order")
        paths[pid] = name if parent is None else f"{paths[parent]} > {name}"
        emit({"type": "producer", "name": name, "kind": kind, "location": location,
              "parent": paths.get(parent)})

    dataset_credits = credits_of("dataset_producers", "dataset_id", DATASET_ROLES)
    study_numbers = {}
    for (did, study, doi, title, summary, start, end, coverage, released) in rows(
            "SELECT id, study_number, doi, title, summary, time_period_start, time_period_end, "
            "geographic_coverage, release_date FROM datasets ORDER BY id"):
        study_numbers[did] = str(int(study))
        emit({"type": "dataset", "studyNumber": study_numbers[did], "doi": doi, "title": title,
              "summary": summary,
              "timePeriod": None if start is None and end is None else {
                  "start": None if start is None else int(start), "end": None if end is None else int(end)},
              "geographicCoverage": [] if coverage is None else [coverage],
              "releasedOn": released, "producers": dataset_credits.get(did, [])})
    del dataset_credits

    publication_credits = credits_of("publication_producers", "publication_id", PUBLICATION_ROLES)
    ncj_numbers = {}
    for (pid, ncj, title, subtitle, pub_type, pub_date, precision, abstract, physical, place,
         language) in rows(
            "SELECT id, ncj_number, title, subtitle, pub_type, pub_date, date_precision, abstract, "
            "physical_description, place_of_production, language FROM publications ORDER BY id"):
        ncj_numbers[pid] = ncj.removeprefix("NCJ ").strip()
        emit({"type": "publication", "ncjNumber": ncj_numbers[pid], "title": title,
              "subtitle": subtitle, "publicationType": pub_type,
              "publishedOn": partial_date(pub_date, precision), "abstract": abstract,
              "physicalDescription": physical, "placeOfProduction": place, "language": language,
              "producers": publication_credits.get(pid, [])})
    del publication_credits

    for pid, did, relation in rows(
            "SELECT publication_id, dataset_id, relation_type FROM publication_datasets "
            "ORDER BY publication_id, dataset_id"):
        emit({"type": "link", "publication": {"ncjNumber": ncj_numbers[pid]},
              "dataset": {"studyNumber": study_numbers[did]}, "relationType": RELATION_TYPES[relation]})


paths = {}

if __name__ == "__main__":
    main()
