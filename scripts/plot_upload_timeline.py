#!/usr/bin/env python3
"""Plots query latency over time while a model uploads, from the CSV that
`upload_results --timeline FILE` writes (ResNet-50 profile, 40 Mbps).

Usage: scripts/plot_upload_timeline.py TIMELINE.csv OUTPUT.png
Writes OUTPUT.png (150 dpi) and the same figure as OUTPUT.svg.

One panel per uploading plan, so that no curve hides another (they all start at the all-local
latency). Each query is a horizontal segment from its start to its end at the height of its
latency; consecutive queries alternate between two shades and each starts with a dot, so single
queries can be told apart. The dashed vertical line is the end of the upload, labelled with its
time and the number of queries completed before it. scripts/plot_figures.py draws the planner's
timeline with the same function (draw_timeline).
Needs python3 and matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

PNG_DPI = 150
# Fixed ids in the SVG files, so that redrawing unchanged data gives unchanged files.
matplotlib.rcParams["svg.hashsalt"] = "eosdnn"

# (planner as written in the CSV, colour, label), top panel first.
PLANNERS = [("whole", "tab:gray", "whole model, then query"),
            ("IONN", "tab:orange", "IONN (K = 0.8)"),
            ("LMU", "tab:blue", "LMU")]


def save(fig, png_path):
    """Writes the figure as PNG (PNG_DPI) and as SVG beside it, both without a timestamp."""
    fig.savefig(png_path, dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(os.path.splitext(png_path)[0] + ".svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


def lighter(colour, amount):
    """`colour` mixed with white: `amount` 0 keeps it, 1 gives white."""
    return tuple(c + (1 - c) * amount for c in to_rgb(colour))


def draw_timeline(queries_by_planner, title, png_path):
    """queries_by_planner: [(label, colour, [(start_s, end_s, latency_s), ...], upload_end_s)]."""
    panels = [p for p in queries_by_planner if p[2]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.9 * len(panels) + 0.9), sharex=True,
                             sharey=True, squeeze=False)
    axes = axes[:, 0]
    top = max(q[2] for p in panels for q in p[2]) * 1e3
    last = max(q[1] for p in panels for q in p[2])
    for ax, (label, colour, queries, upload_end) in zip(axes, panels):
        shades = (colour, lighter(colour, 0.55))
        for i, (start, end, latency) in enumerate(queries):
            ax.plot([start, end], [latency * 1e3] * 2, color=shades[i % 2], lw=3,
                    solid_capstyle="butt")
        ax.plot([q[0] for q in queries], [q[2] * 1e3 for q in queries], "o", color=colour, ms=2.5)
        done = sum(q[1] <= upload_end for q in queries)
        ax.axvline(upload_end, color="black", ls="--", lw=1)
        # Above every segment, where it cannot hide one.
        ax.annotate(f"upload ends at {upload_end:.1f} s: {done} queries done by then",
                    xy=(upload_end, top * 1.17), xytext=(-4, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9})
        ax.text(0.005, 0.04, label, transform=ax.transAxes, fontsize=9, weight="bold",
                color=colour, va="bottom")
        ax.set_ylim(0, top * 1.32)
        ax.grid(alpha=0.3)
        ax.set_ylabel("latency (ms)")
    axes[-1].set_xlim(0, last)
    axes[-1].set_xlabel("time since the upload started (s); one segment per query, "
                        "alternating shades, a dot at each start")
    axes[0].set_title(title, fontsize=10)
    fig.tight_layout()
    save(fig, png_path)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    rows = {}
    with open(argv[1], newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["planner"], []).append(r)
    panels = []
    for planner, colour, label in PLANNERS:
        queries = rows.get(planner, [])
        if queries:
            panels.append((label, colour,
                           [(float(q["start_s"]), float(q["end_s"]), float(q["latency_s"]))
                            for q in queries], float(queries[0]["upload_end_s"])))
    draw_timeline(panels, "ResNet-50 (IONN profile), device and one edge server at 40 Mbps:\n"
                  "latency of each query while the model uploads", argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
