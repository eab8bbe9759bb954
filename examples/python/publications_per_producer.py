#!/usr/bin/env python3
"""Publications per producer and year, from studygraph's `publicationStats`, as a PNG chart.

    python publications_per_producer.py OUT.png [--url http://127.0.0.1:8000] [--top 6]

One GraphQL request counts the publications by producer and year at once
(`publicationStats(groupBy: [PRODUCER, YEAR])`); pandas pivots the rows into a year x producer
table, keeps the producers with the most publications (the rest become "Other"), and
matplotlib draws stacked bars per year. A publication counts once for each producer credited.
"""

import argparse
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import pandas as pd  # noqa: E402
import requests  # noqa: E402

QUERY = """
query PublicationsPerProducer($limit: Int!) {
  publicationStats(groupBy: [PRODUCER, YEAR], limit: $limit) {
    keys { dimension key label }
    count
  }
}
"""


def graphql(url: str, query: str, variables: dict) -> dict:
    """POSTs a query to `url`/graphql; raises with the error codes if it fails."""
    response = requests.post(
        url.rstrip("/") + "/graphql",
        json={"query": query, "variables": variables},
        headers={"accept": "application/graphql-response+json, application/json"},
        timeout=30,
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        errors = "; ".join(
            f"{e.get('extensions', {}).get('code', '?')}: {e.get('message')}"
            for e in body.get("errors", [])
        )
        raise RuntimeError(f"{url} answered {response.status_code}: {errors}")
    return body["data"]


def stats_frame(rows: list) -> pd.DataFrame:
    """One line per (producer, year) group: producer, year, count."""
    records = []
    for row in rows:
        keys = {k["dimension"]: k for k in row["keys"]}
        year = keys["YEAR"]["key"]
        records.append(
            {
                "producer": keys["PRODUCER"]["label"],
                "year": int(year) if year.isdigit() else None,
                "count": row["count"],
            }
        )
    frame = pd.DataFrame.from_records(records, columns=["producer", "year", "count"])
    return frame.dropna(subset=["year"]).astype({"year": int})


def chart(frame: pd.DataFrame, top: int, out: str) -> pd.DataFrame:
    totals = frame.groupby("producer")["count"].sum().sort_values(ascending=False)
    leaders = list(totals.index[:top])
    frame = frame.assign(
        producer=frame["producer"].where(frame["producer"].isin(leaders), "Other")
    )
    table = frame.pivot_table(
        index="year", columns="producer", values="count", aggfunc="sum", fill_value=0
    )
    order = [p for p in leaders if p in table.columns] + (
        ["Other"] if "Other" in table.columns else []
    )
    table = table[order].sort_index()
    axes = table.plot(kind="bar", stacked=True, figsize=(13, 6), width=0.85)
    axes.set_xlabel("year published")
    axes.set_ylabel("publications (once per producer credited)")
    axes.set_title("studygraph: publications per producer and year")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(title="producer", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    plt.tight_layout()
    plt.savefig(out, dpi=100)
    plt.close()
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="where to write the PNG")
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the studygraph server"
    )
    parser.add_argument(
        "--top", type=int, default=6, help="producers drawn separately (the rest: Other)"
    )
    args = parser.parse_args()
    data = graphql(args.url, QUERY, {"limit": 10000})
    frame = stats_frame(data["publicationStats"])
    if frame.empty:
        print("no dated publications with producers: nothing to draw", file=sys.stderr)
        return 1
    table = chart(frame, args.top, args.out)
    print(
        f"{int(frame['count'].sum())} producer credits over {len(table)} years "
        f"({table.index.min()}-{table.index.max()}); chart written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
