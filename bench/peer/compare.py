#!/usr/bin/env python3
"""Checks that studygraph answers Q1-Q4 exactly as PostGraphile v4 does on the same data.

    compare.py PEER_URL PEER_QUERIES STUDYGRAPH_URL STUDYGRAPH_QUERIES [Q1_IDS...]

Both answers are brought to one canonical form (row ids as numbers, dates as the peer's
first-day dates, roles and relation types through peer_to_native's mapping, NCJ numbers
without their prefix) and must then be equal, lists in the same order. Q1 is compared for a
spread of publication ids (default: 1, 2, 17, the last). Exits non-zero on any difference.
"""
import base64
import json
import sys
import urllib.request

from peer_to_native import DATASET_ROLES, PUBLICATION_ROLES, RELATION_TYPES

ROLES = {**PUBLICATION_ROLES, **DATASET_ROLES}
VARIABLES = {"from": "2006-01-01", "to": "2007-01-01", "word": "evaluation"}


def post(url, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    if answer.get("errors") or not answer.get("data"):
        raise SystemExit(f"{url}: {json.dumps(answer)[:600]}")
    return answer["data"]


# ---- the peer's answers, canonical -------------------------------------------------------
def peer_producers(credits):
    return by_producer([{"role": ROLES[c["role"]], "id": int(c["producer"]["id"]), "name": c["producer"]["name"],
             **({"parent": peer_parent(c["producer"]["parent"])} if "parent" in c["producer"] else {})}
            for c in credits["nodes"]])


def by_producer(credits):
    """Credits in the peer's order, (producer id, role): studygraph lists a record's credits by
    role, then producer name, so the two lists are compared as sets."""
    return sorted(credits, key=lambda c: (c["id"], c["role"]))


def peer_parent(p):
    return None if p is None else {"id": int(p["id"]), "name": p["name"]}


def peer_q1(d):
    p = d["publication"]
    return {"id": int(p["id"]), "ncj": p["ncjNumber"].removeprefix("NCJ "), "title": p["title"],
            "subtitle": p["subtitle"], "type": p["pubType"], "date": p["pubDate"],
            "abstract": p["abstract"], "producers": peer_producers(p["publicationProducers"]),
            "datasets": [{"relation": RELATION_TYPES[l["relationType"]], "id": int(l["dataset"]["id"]),
                          "title": l["dataset"]["title"], "doi": l["dataset"]["doi"],
                          "producers": peer_producers(l["dataset"]["datasetProducers"])}
                         for l in p["publicationDatasets"]["nodes"]]}


def peer_q2(d):
    return [{"id": int(p["id"]), "title": p["title"], "type": p["pubType"], "date": p["pubDate"],
             "producers": peer_producers(p["publicationProducers"]),
             "datasets": [{"relation": RELATION_TYPES[l["relationType"]], "id": int(l["dataset"]["id"]),
                           "title": l["dataset"]["title"], "doi": l["dataset"]["doi"],
                           "producers": peer_producers(l["dataset"]["datasetProducers"]),
                           "publications": l["dataset"]["publicationDatasets"]["totalCount"]}
                          for l in p["publicationDatasets"]["nodes"]]}
            for p in d["publications"]["nodes"]]


def peer_q3(d):
    return [{"id": int(s["id"]), "title": s["title"], "doi": s["doi"],
             "publications": [{"relation": RELATION_TYPES[l["relationType"]],
                               "id": int(l["publication"]["id"]), "title": l["publication"]["title"],
                               "date": l["publication"]["pubDate"],
                               "producers": peer_producers(l["publication"]["publicationProducers"])}
                              for l in s["publicationDatasets"]["nodes"]]}
            for s in d["datasets"]["nodes"]]


def peer_q4(d):
    p = d["publications"]
    return {"total": p["totalCount"],
            "nodes": [{"id": int(n["id"]), "title": n["title"], "type": n["pubType"], "date": n["pubDate"]}
                      for n in p["nodes"]]}


# ---- studygraph's answers, canonical -----------------------------------------------------
def row_id(global_id):
    text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(text.split(":", 1)[1])


def first_day(partial):
    if partial is None:
        return None
    iso = partial["iso"]
    return iso + {4: "-01-01", 7: "-01"}.get(len(iso), "")


def our_producers(credits):
    return by_producer([{"role": c["role"], "id": row_id(c["producer"]["id"]), "name": c["producer"]["name"],
             **({"parent": our_parent(c["producer"]["parent"])} if "parent" in c["producer"] else {})}
            for c in credits])


def our_parent(p):
    return None if p is None else {"id": row_id(p["id"]), "name": p["name"]}


def our_q1(d):
    p = d["publication"]
    return {"id": row_id(p["id"]), "ncj": p["ncjNumber"], "title": p["title"],
            "subtitle": p["subtitle"], "type": p["publicationType"], "date": first_day(p["publishedOn"]),
            "abstract": p["abstract"], "producers": our_producers(p["producers"]),
            "datasets": [{"relation": e["relationType"], "id": row_id(e["node"]["id"]),
                          "title": e["node"]["title"], "doi": e["node"]["doi"],
                          "producers": our_producers(e["node"]["producers"])}
                         for e in p["relatedDatasets"]["edges"]]}


def our_q2(d):
    return [{"id": row_id(p["id"]), "title": p["title"], "type": p["publicationType"],
             "date": first_day(p["publishedOn"]), "producers": our_producers(p["producers"]),
             "datasets": [{"relation": e["relationType"], "id": row_id(e["node"]["id"]),
                           "title": e["node"]["title"], "doi": e["node"]["doi"],
                           "producers": our_producers(e["node"]["producers"]),
                           "publications": e["node"]["relatedPublications"]["totalCount"]}
                          for e in p["relatedDatasets"]["edges"]]}
            for p in d["publications"]["nodes"]]


def our_q3(d):
    return [{"id": row_id(s["id"]), "title": s["title"], "doi": s["doi"],
             "publications": [{"relation": e["relationType"], "id": row_id(e["node"]["id"]),
                               "title": e["node"]["title"], "date": first_day(e["node"]["publishedOn"]),
                               "producers": our_producers(e["node"]["producers"])}
                              for e in s["relatedPublications"]["edges"]]}
            for s in d["datasets"]["nodes"]]


def our_q4(d):
    p = d["publications"]
    return {"total": p["totalCount"],
            "nodes": [{"id": row_id(n["id"]), "title": n["title"], "type": n["publicationType"],
                       "date": first_day(n["publishedOn"])} for n in p["nodes"]]}


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present on one side only"
            found = first_difference(a[k], b[k], f"{path}.{k}")
            if found:
                return found
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
    elif a != b:
        return f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    return None


def main():
    peer_url, peer_dir, our_url, our_dir = sys.argv[1:5]
    read = lambda d, q: open(f"{d}/{q}.graphql").read()
    last = int(post(peer_url, "{ publications(first: 1, orderBy: ID_DESC) { nodes { id } } }", {})
               ["publications"]["nodes"][0]["id"])
    ids = [int(i) for i in sys.argv[5:]] or [1, 2, 17, last]
    cases = [("q1-detail", {"id": str(i)}, {"id": f"NCJ {100000 + 3 * i}"}, peer_q1, our_q1) for i in ids]
    cases += [("q2-list-nested", {}, {}, peer_q2, our_q2), ("q3-fan-out", {}, {}, peer_q3, our_q3),
              ("q4-filter", VARIABLES, VARIABLES, peer_q4, our_q4)]
    failed = 0
    for query, peer_vars, our_vars, peer_form, our_form in cases:
        theirs = peer_form(post(peer_url, read(peer_dir, query), peer_vars))
        ours = our_form(post(our_url, read(our_dir, query), our_vars))
        difference = first_difference(theirs, ours)
        label = f"{query} {json.dumps(our_vars)}" if our_vars else query
        if difference:
            failed += 1
            print(f"DIFFERS {label}: peer vs studygraph at {difference}")
        else:
            print(f"same    {label}")
    if failed:
        raise SystemExit(f"{failed} answer(s) differ from the peer's")


if __name__ == "__main__":
    main()
