#!/usr/bin/env python3
"""A studygraph list straight into pandas through `/export`: one row per publication.

    python read_export.py [--url http://127.0.0.1:8000]

`/export?format=csv&query=...` runs a GraphQL query over a root connection, follows every page
and answers CSV: nested fields become dotted columns (`publishedOn.iso`,
`producers.producer.name`), lists are joined with "; " in one cell.
"""

import argparse
import sys
from urllib.parse import urlencode

import pandas as pd

QUERY = """{
  publications(orderBy: [{field: PUBLISHED_ON, direction: ASC}]) {
    nodes {
      ncjNumber title publishedOn { iso year }
      producers { role producer { name } }
      relatedDatasets { totalCount }
    }
  }
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the studygraph server")
    args = parser.parse_args()
    url = args.url.rstrip("/") + "/export?" + urlencode({"format": "csv", "query": QUERY})
    frame = pd.read_csv(url, dtype={"ncjNumber": "string", "publishedOn.iso": "string"})
    expected = [
        "ncjNumber",
        "title",
        "publishedOn.iso",
        "publishedOn.year",
        "producers.role",
        "producers.producer.name",
        "relatedDatasets.totalCount",
    ]
    if list(frame.columns) != expected:
        print(f"unexpected columns: {list(frame.columns)}", file=sys.stderr)
        return 1
    linked = frame[frame["relatedDatasets.totalCount"] > 0]
    print(f"{len(frame)} publications, {len(linked)} linked to datasets; the first three:")
    print(frame.head(3)[["ncjNumber", "publishedOn.iso", "producers.producer.name"]].to_string())
    return 0 if len(frame) > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
