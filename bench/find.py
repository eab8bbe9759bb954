#!/usr/bin/env python3
"""Times searched + filtered + faceted first pages against a running studygraph.

Sequential requests on loopback (one client), after a warm-up; prints one Markdown table row
per query: median and 95th percentile latency, and the totalCount each query saw.
Usage: find.py URL LABEL [REPEATS]
"""
import json
import statistics
import sys
import time
import urllib.request

QUERIES = {
    "search + facets": """{ publications(search: "human trafficking", first: 20) {
        totalCount nodes { id ncjNumber title publishedOn { iso } }
        facets { years { key count } publicationTypes { key count } } } }""",
    "search + filter + sort + facets": """{ publications(search: "victimization survey",
        filter: { publishedFrom: "2000", languages: ["English"] },
        orderBy: [{ field: PUBLISHED_ON, direction: DESC }], first: 20) {
        totalCount nodes { id title } facets { years { key count } subjects(first: 10) { key count }
        producers(first: 10, level: 0) { key label count } } } }""",
    "filter + facets (no search)": """{ publications(filter: { publishedFrom: "2010", publishedTo: "2015-06",
        hasRelatedDatasets: true }, first: 20) { totalCount nodes { id title }
        facets { years { key count } publicationTypes { key count } languages { key count } } } }""",
    "root search": """{ search(query: "recidivism OR reentry", first: 20) {
        totalCount edges { score snippet node { __typename } } } }""",
}


def post(url, query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise SystemExit(f"query failed: {answer['errors']}")
    return answer["data"]


def main():
    url, label = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    for name, query in QUERIES.items():
        data = post(url, query)  # warm-up, and the count we report
        total = next(iter(data.values())).get("totalCount")
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            post(url, query)
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
        print(f"| {label} | {name} | {statistics.median(samples):.1f} | {p95:.1f} | {total} |", flush=True)


if __name__ == "__main__":
    main()
