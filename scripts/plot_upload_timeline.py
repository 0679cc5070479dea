#!/usr/bin/env python3
"""Plots query latency over time while a model uploads, from the CSV that
`upload_results --timeline FILE` writes (ResNet-50 profile, 40 Mbps).

Usage: scripts/plot_upload_timeline.py TIMELINE.csv OUTPUT.png

Each query is drawn as a horizontal segment from its start to its end at the height of its
latency, with a tick at its start; the dotted vertical line marks the end of the upload (the same
for all three plans here: they upload the same layers over the same link).
Needs python3 and matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Drawn in this order, so LMU ends up on top.
STYLE = {"whole": ("tab:gray", "whole model, then query"), "IONN": ("tab:orange", "IONN (K = 0.8)"),
         "LMU": ("tab:blue", "LMU")}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    rows = {}
    with open(argv[1], newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["planner"], []).append(r)
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=120)
    for planner, (colour, label) in STYLE.items():
        queries = rows.get(planner, [])
        if not queries:
            continue
        xs, ys = [], []
        for q in queries:
            start, end, latency = float(q["start_s"]), float(q["end_s"]), float(q["latency_s"])
            xs += [start, end, None]
            ys += [latency * 1e3] * 2 + [None]
        n = sum(float(q["end_s"]) <= float(q["upload_end_s"]) for q in queries)
        ax.plot(xs, ys, color=colour, lw=2, solid_capstyle="butt",
                label=f"{label}: {n} queries during the upload")
        # A tick where each query starts, so that consecutive equal latencies stay visible.
        starts = [float(q["start_s"]) for q in queries]
        ax.plot(starts, [float(q["latency_s"]) * 1e3 for q in queries], "|", color=colour, ms=9)
        ax.axvline(float(queries[0]["upload_end_s"]), color=colour, ls=":", lw=1)
    ax.set_xlabel("time since the upload started (s)")
    ax.set_ylabel("query latency (ms)")
    ax.set_title("ResNet-50 (IONN profile), 40 Mbps: latency of each query during the upload")
    top = max(float(q["latency_s"]) for qs in rows.values() for q in qs) * 1e3
    ax.set_ylim(0, top * 1.4)  # room for the legend above the curves
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
