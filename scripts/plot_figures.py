#!/usr/bin/env python3
"""Makes the planner's figures from the files that `eosdnn-plan --out DIR` writes.

Usage: scripts/plot_figures.py PLANNER WORK_DIR OUTPUT_DIR
  PLANNER     the eosdnn-plan binary (scripts/figures.sh builds it and calls this script)
  WORK_DIR    where the planner's --out directories go (one per run)
  OUTPUT_DIR  where the PNGs go (docs/ for the committed ones)

Runs, all on ResNet-50 from the zoo with seed 1 unless said otherwise:
  - the default run (default environment, PSO-GA, LMU);
  - PSO-GA (hybrid and paper presets), GA, PSO and random search, seeds 1..5, same budget
    (50 particles, 300 iterations): convergence.csv of each;
  - every --algo at phone uplinks from 1 to 1000 Mbit/s: the default environment with the three
    phone links scaled together (phone-edge1 is the x axis; phone-edge2 and phone-cloud keep
    their half and quarter of it), plan.json and placement.csv of each.
Writes plan_placement_resnet50.png, plan_convergence_resnet50.png,
plan_delay_vs_bandwidth_resnet50.png and plan_upload_timeline_resnet50.png.
Needs python3 and matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import json
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

MODEL = "resnet50"
BANDWIDTHS = [1, 2, 5, 10, 20, 40, 100, 200, 500, 1000]  # phone-edge1, Mbit/s
ALGORITHMS = ["pso-ga", "pso-ga-paper", "ga", "pso", "random", "greedy", "exact",
              "all-local", "all-edge", "all-cloud"]
SEARCHES = ["pso-ga", "pso-ga-paper", "ga", "pso", "random"]
SEEDS = [1, 2, 3, 4, 5]
NODE_COLOURS = {"phone": "tab:green", "edge1": "tab:blue", "edge2": "tab:purple", "cloud": "tab:orange"}
ALGO_STYLE = {
    "pso-ga": ("tab:blue", "-", "PSO-GA (hybrid)"),
    "pso-ga-paper": ("tab:cyan", "-", "PSO-GA (paper)"),
    "ga": ("tab:red", "-", "GA"),
    "pso": ("tab:olive", "-", "PSO"),
    "random": ("tab:gray", "-", "random search"),
    "greedy": ("tab:brown", "--", "greedy per layer"),
    "exact": ("black", ":", "exact (proven optimum)"),
    "all-local": ("tab:green", "--", "all local"),
    "all-edge": ("tab:purple", "--", "all edge"),
    "all-cloud": ("tab:orange", "--", "all cloud"),
}


def plan(planner, out_dir, *args):
    """Runs the planner with --out out_dir (unless that run is already there) and returns it."""
    if not os.path.exists(os.path.join(out_dir, "plan.json")):
        subprocess.run([planner, "--model", MODEL, "--out", out_dir, *args], check=True,
                       stdout=subprocess.DEVNULL)
    return out_dir


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def scaled_environment(env, factor, path):
    """The environment with every link from or to the phone scaled by `factor`."""
    env = json.loads(json.dumps(env))
    for link in env["links"]:
        if "phone" in (link["from"], link["to"]):
            link["bandwidth_Bps"] *= factor
    with open(path, "w") as f:
        json.dump(env, f, indent=2)
    return path


def figure_placement(sweep, default_dir, output):
    layers = read_csv(os.path.join(default_dir, "placement.csv"))
    nodes = list(NODE_COLOURS)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.6), dpi=120, sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.6]})
    xs = range(len(layers))
    top.bar(xs, [float(r["param_bytes"]) / 1e6 for r in layers], width=1.0, color="tab:gray",
            label="parameters (MB): what must be uploaded")
    top.plot(xs, [float(r["output_bytes"]) / 1e6 for r in layers], color="tab:red", lw=1,
             label="output (MB) of the layer (a cut inside a residual block also sends the skip)")
    top.set_yscale("log")
    top.set_ylim(top=2e3)  # headroom for the legend
    top.set_ylabel("MB")
    top.legend(loc="upper left", fontsize=8, ncol=2)
    top.set_title("ResNet-50: where PSO-GA places each layer, by phone uplink")
    rows = []
    for bw in BANDWIDTHS:
        placement = read_csv(os.path.join(sweep[(bw, "pso-ga")], "placement.csv"))
        rows.append([nodes.index(r["node"]) for r in placement])
    bottom.imshow(rows, aspect="auto", interpolation="nearest",
                  cmap=ListedColormap([NODE_COLOURS[n] for n in nodes]), vmin=-0.5,
                  vmax=len(nodes) - 0.5, extent=(-0.5, len(layers) - 0.5, len(rows) - 0.5, -0.5))
    bottom.set_yticks(range(len(BANDWIDTHS)))
    bottom.set_yticklabels([f"{bw} Mbit/s" for bw in BANDWIDTHS])
    bottom.set_ylabel("phone-edge1 uplink")
    bottom.set_xlabel("layer (topological order: conv1 on the left, fc on the right)")
    bottom.legend(handles=[Patch(color=NODE_COLOURS[n], label=n) for n in nodes], ncol=4,
                  loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8)
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)


def figure_convergence(runs, reference_s, output):
    fig, ax = plt.subplots(figsize=(10, 4.4), dpi=120)
    for algo in SEARCHES:
        colour, _, label = ALGO_STYLE[algo]
        for i, seed in enumerate(SEEDS):
            rows = read_csv(os.path.join(runs[(algo, seed)], "convergence.csv"))
            ax.step([int(r["evaluations"]) for r in rows],
                    [float(r["best_objective_s"]) * 1e3 for r in rows], where="post", color=colour,
                    lw=1.4, alpha=0.75, label=label if i == 0 else None)
    ax.axhline(reference_s * 1e3, color="black", ls=":", lw=1.2,
               label=f"proven optimum ({reference_s * 1e3:.1f} ms)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("evaluations (log scale)")
    ax.set_ylabel("best migration delay found (ms)")
    ax.set_title("ResNet-50, default environment: convergence\n(50 particles, 300 iterations, 5 seeds each)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)


def figure_bandwidth(sweep, output):
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    # PSO-GA last and widest, the exact reference dotted on top of it: they coincide.
    for algo in [a for a in ALGORITHMS if a not in ("pso-ga", "exact")] + ["pso-ga", "exact"]:
        colour, style, label = ALGO_STYLE[algo]
        ys = [read_json(os.path.join(sweep[(bw, algo)], "plan.json"))["migration_delay_s"] * 1e3
              for bw in BANDWIDTHS]
        wide = algo == "pso-ga"
        ax.plot(BANDWIDTHS, ys, color=colour, ls=style, marker="o", ms=5 if wide else 3,
                lw=3.5 if wide else 1.4, alpha=0.8 if wide else 1.0, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("phone-edge1 uplink (Mbit/s); phone-edge2 and phone-cloud at 1/2 and 1/4 of it")
    ax.set_ylabel("migration delay (ms)")
    ax.set_title("ResNet-50: migration delay against bandwidth, every --algo (seed 1)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)


def figure_timeline(default_dir, output):
    rows = read_csv(os.path.join(default_dir, "timeline.csv"))
    style = {"whole": ("tab:gray", "whole model, then query"), "ionn": ("tab:orange", "IONN (K = 0.8)"),
             "lmu": ("tab:blue", "LMU")}
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=120)
    top = 0
    for planner, (colour, label) in style.items():
        queries = [r for r in rows if r["planner"] == planner]
        if not queries:
            continue
        xs, ys = [], []
        for q in queries:
            latency = float(q["latency_s"]) * 1e3
            top = max(top, latency)
            xs += [float(q["start_s"]), float(q["end_s"]), None]
            ys += [latency, latency, None]
        end = float(queries[0]["upload_end_s"])
        done = sum(float(q["end_s"]) <= end for q in queries)
        ax.plot(xs, ys, color=colour, lw=2, solid_capstyle="butt",
                label=f"{label}: {done} queries during the upload")
        ax.axvline(end, color=colour, ls=":", lw=1)
    ax.set_xlabel("time since the upload started (s)")
    ax.set_ylabel("query latency (ms)")
    ax.set_title("ResNet-50, default environment: latency of each query while the model uploads")
    ax.set_ylim(0, top * 1.45)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    planner, work, output = argv[1], argv[2], argv[3]
    os.makedirs(work, exist_ok=True)
    os.makedirs(output, exist_ok=True)

    default_dir = plan(planner, os.path.join(work, "default"))
    default = read_json(os.path.join(default_dir, "plan.json"))

    runs = {}
    for algo in SEARCHES:
        for seed in SEEDS:
            # Every optimiser from a random start and for all 300 iterations, as in the paper's
            # figures (eosdnn-plan seeds PSO-GA with the exact plan and stops after 100 stalled
            # iterations by default).
            runs[(algo, seed)] = plan(planner, os.path.join(work, f"convergence-{algo}-{seed}"),
                                      "--algo", algo, "--seed", str(seed), "--start", "random",
                                      "--stall", "0")

    sweep = {}
    for bw in BANDWIDTHS:
        env = scaled_environment(default["environment"], bw / 40, os.path.join(work, f"env-{bw}.json"))
        for algo in ALGORITHMS:
            sweep[(bw, algo)] = plan(planner, os.path.join(work, f"bandwidth-{bw}-{algo}"),
                                     "--env", env, "--algo", algo)

    figure_placement(sweep, default_dir, os.path.join(output, "plan_placement_resnet50.png"))
    figure_convergence(runs, default["references"]["exact"]["delay_s"],
                       os.path.join(output, "plan_convergence_resnet50.png"))
    figure_bandwidth(sweep, os.path.join(output, "plan_delay_vs_bandwidth_resnet50.png"))
    figure_timeline(default_dir, os.path.join(output, "plan_upload_timeline_resnet50.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
