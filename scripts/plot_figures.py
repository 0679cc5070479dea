#!/usr/bin/env python3
"""Makes the planner's figures from the files that `eosdnn-plan --out DIR` writes.

Usage: scripts/plot_figures.py PLANNER WORK_DIR OUTPUT_DIR [--only vit_b_16]
  PLANNER     the eosdnn-plan binary (scripts/figures.sh builds it and calls this script)
  WORK_DIR    where the planner's --out directories go (one per run)
  OUTPUT_DIR  where the figures go (docs/ for the committed ones)
  --only vit_b_16    only the transformer's figure (plan_placement_vit_b_16)

Runs, all on ResNet-50 from the zoo:
  - the default run (default environment, PSO-GA, LMU): the upload timeline;
  - PSO-GA (hybrid and paper presets), GA, PSO and random search, seeds 1..10, same budget
    (50 particles, 300 iterations, random start, no stall stop): convergence.csv of each;
  - every --algo (seed 1) at phone uplinks from 1 to 1000 Mbit/s: the default environment with
    the three phone links scaled together (phone-edge1 is the x axis; phone-edge2 and phone-cloud
    keep their half and quarter of it), plan.json of each;
  - the exact solver and PSO-GA on the same sweep of examples/environments/edge_memory_60mb.json
    (the default environment with 60 MB of memory per edge server, where the proven optimum
    spreads ResNet-50 over the phone and both edge servers): placement.csv of each.
And on ViT-B/16 and BERT-base (128 tokens) from the zoo, the exact solver on the sweep of the
default environment: placement.csv of each.
Writes, each as PNG (150 dpi) and SVG: plan_placement_resnet50, plan_convergence_resnet50,
plan_delay_vs_bandwidth_resnet50, plan_upload_timeline_resnet50 and plan_placement_vit_b_16.
Prints the numbers that docs/getting-started.md and docs/onnx.md quote.
Needs python3 and matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import json
import math
import os
import statistics
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, NullLocator  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_upload_timeline import draw_timeline, save  # noqa: E402

MODEL = "resnet50"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMORY_ENV = os.path.join(REPO, "examples", "environments", "edge_memory_60mb.json")
BANDWIDTHS = [1, 2, 5, 10, 20, 40, 100, 200, 500, 1000]  # phone-edge1, Mbit/s
NOMINAL_BANDWIDTH = 40  # what the environments' own phone-edge1 link has
ALGORITHMS = ["pso-ga", "pso-ga-paper", "ga", "pso", "random", "greedy", "exact",
              "all-local", "all-edge", "all-cloud"]
SEARCHES = ["pso-ga", "pso-ga-paper", "ga", "pso", "random"]
SEEDS = range(1, 11)
NODE_COLOURS = {"phone": "tab:green", "edge1": "tab:blue", "edge2": "tab:purple", "cloud": "tab:orange"}
# colour, line style, marker, label
ALGO_STYLE = {
    "pso-ga": ("tab:blue", "-", "o", "PSO-GA (hybrid)"),
    "pso-ga-paper": ("tab:cyan", "-", "v", "PSO-GA (paper)"),
    "ga": ("tab:red", "-", "s", "GA"),
    "pso": ("tab:olive", "-", "D", "PSO"),
    "random": ("tab:gray", "-", "P", "random search"),
    "greedy": ("tab:brown", "--", "x", "greedy per layer"),
    "exact": ("black", ":", "+", "exact (proven optimum)"),
    "all-local": ("tab:green", "-.", "o", "all local"),
    "all-edge": ("tab:purple", "-.", "^", "all edge"),
    "all-cloud": ("tab:orange", "-.", "<", "all cloud"),
}


def plan(planner, out_dir, *args, model=MODEL):
    """Runs the planner with --out out_dir (unless that run is already there) and returns it."""
    if not os.path.exists(os.path.join(out_dir, "plan.json")):
        subprocess.run([planner, "--model", model, "--out", out_dir, *args], check=True,
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


def plain_ticks(axis, values):
    """Log-scale ticks at `values`, written as plain numbers (1 2 5 10 ...), which a reader finds
    faster than powers of ten."""
    axis.set_major_locator(FixedLocator(values))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(lambda v, _: f"{v:g}")


def same(a, b):
    return all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b))


def figure_placement(memory_sweep, output, title="ResNet-50", ends=("conv1", "fc"),
                     environment="default environment with 60 MB of memory per edge server"):
    """Three panels over the layers: what a cut sends, the parameters that fill an edge server's
    memory, and the proven optimum at each uplink (delay on the right), with the last layers
    enlarged, where one-layer blocks would be too narrow to see. `ends` names the first and the
    last layer for the axis label."""
    layers = read_csv(os.path.join(memory_sweep[(NOMINAL_BANDWIDTH, "exact")], "placement.csv"))
    env = read_json(os.path.join(memory_sweep[(NOMINAL_BANDWIDTH, "exact")], "plan.json"))["environment"]
    memory_mb = {n["name"]: n["memory_bytes"] / 1e6 for n in env["nodes"] if "memory_bytes" in n}
    rows, delays, proven = [], [], []
    for bw in BANDWIDTHS:
        run = memory_sweep[(bw, "exact")]
        rows.append([r["node"] for r in read_csv(os.path.join(run, "placement.csv"))])
        result = read_json(os.path.join(run, "plan.json"))
        delays.append(result["migration_delay_s"] * 1e3)
        proven.append(result["proven_optimal"])
    nodes = [n for n in NODE_COLOURS if any(n in row for row in rows)]  # only nodes that appear
    cmap = ListedColormap([NODE_COLOURS[n] for n in nodes])
    codes = [[nodes.index(n) for n in row] for row in rows]

    fig = plt.figure(figsize=(11, 7.6))
    grid = fig.add_gridspec(3, 2, width_ratios=[5, 1], height_ratios=[1, 1, 2.2], wspace=0.08)
    sends = fig.add_subplot(grid[0, 0])
    params = fig.add_subplot(grid[1, 0], sharex=sends)
    bottom = fig.add_subplot(grid[2, 0], sharex=sends)
    zoom = fig.add_subplot(grid[2, 1], sharey=bottom)
    xs = range(len(layers))
    sends.step(xs, [float(r["output_bytes"]) / 1e6 for r in layers], where="mid", color="tab:red",
               lw=1)
    sends.set_yscale("log")
    sends.set_ylabel("output (MB)")
    sends.set_title("what a cut after the layer sends (one tensor; a cut inside a residual block "
                    "also sends the skip)", fontsize=9)
    total = 0.0
    cumulative = []
    for r in layers:
        total += float(r["param_bytes"]) / 1e6
        cumulative.append(total)
    params.step(xs, cumulative, where="mid", color="tab:gray", lw=1.5)
    for mb in sorted(set(memory_mb.values())):
        params.axhline(mb, color="black", ls="--", lw=1)
        params.text(1, mb + 2, f"{mb:g} MB: memory of each edge server", fontsize=8, va="bottom")
    params.set_ylim(0, total * 1.15)
    params.set_ylabel("MB")
    params.set_title(f"parameters of the layers up to this one (all {total:.0f} MB must be "
                     "uploaded to run the model remotely)", fontsize=9)
    plt.setp(sends.get_xticklabels() + params.get_xticklabels(), visible=False)

    for ax in (bottom, zoom):
        ax.imshow(codes, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-0.5,
                  vmax=len(nodes) - 0.5, extent=(-0.5, len(layers) - 0.5, len(rows) - 0.5, -0.5))
    bottom.set_yticks(range(len(BANDWIDTHS)))
    bottom.set_yticklabels([f"{bw} Mbit/s" for bw in BANDWIDTHS])
    bottom.set_ylabel("phone-edge1 uplink")
    bottom.set_xlim(-0.5, len(layers) - 0.5)
    bottom.set_xlabel(f"layer (topological order: {ends[0]} on the left, {ends[1]} on the right)")
    bottom.set_title("proven optimum (exact solver) at each uplink", fontsize=9)
    shown = 5  # the last layers, enlarged
    first = len(layers) - shown
    bottom.add_patch(plt.Rectangle((first - 0.5, -0.5), shown, len(rows), fill=False, ec="black",
                                   lw=1, ls="--"))
    zoom.set_xlim(first - 0.5, len(layers) - 0.5)
    zoom.set_xticks(range(first, len(layers)))
    zoom.set_xticklabels([r["layer"] for r in layers[first:]], rotation=60, ha="right", fontsize=8)
    zoom.tick_params(axis="y", labelleft=False)
    for x in range(first, len(layers)):
        zoom.axvline(x + 0.5, color="white", lw=0.8)
    zoom.set_title(f"the last {shown} layers", fontsize=9)
    right = zoom.secondary_yaxis("right")
    right.set_yticks(range(len(BANDWIDTHS)))
    right.set_yticklabels([f"{d:.1f} ms" + ("" if p else " (not proven)")
                           for d, p in zip(delays, proven)])
    right.set_ylabel("migration delay")
    key = fig.add_subplot(grid[0:2, 1])
    key.axis("off")
    key.legend(handles=[Patch(color=NODE_COLOURS[n], label=n) for n in nodes], loc="upper left",
               fontsize=9, title="node (only those used)", title_fontsize=9)
    fig.suptitle(f"{title}, {environment}: where each layer runs", fontsize=11)
    save(fig, output)


def step_value(rows, evaluations):
    """The best objective after `evaluations` evaluations (None before the first row)."""
    best = None
    for r in rows:
        if r[0] > evaluations:
            break
        best = r[1]
    return best


def figure_convergence(runs, reference_s, output):
    fig, ax = plt.subplots(figsize=(10, 4.6))
    summary = {}
    for algo in SEARCHES:
        colour, style, _, label = ALGO_STYLE[algo]
        curves = []
        for seed in SEEDS:
            rows = read_csv(os.path.join(runs[(algo, seed)], "convergence.csv"))
            curves.append([(int(r["evaluations"]), float(r["best_objective_s"]) * 1e3) for r in rows])
        grid = sorted({e for c in curves for e, _ in c})
        xs, lows, mids, highs = [], [], [], []
        for e in grid:
            values = [step_value(c, e) for c in curves]
            if None in values:
                continue  # a run that has not evaluated its first swarm yet
            xs.append(e)
            lows.append(min(values))
            mids.append(statistics.median(values))
            highs.append(max(values))
        ax.fill_between(xs, lows, highs, step="post", color=colour, alpha=0.2, lw=0)
        ax.step(xs, mids, where="post", color=colour, ls=style, lw=1.8,
                label=label)
        summary[algo] = [c[-1] for c in curves]
    ax.axhline(reference_s * 1e3, color="black", ls=":", lw=1.2,
               label=f"proven optimum ({reference_s * 1e3:.1f} ms)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_ticks(ax.yaxis, [100, 200, 500, 1000, 2000, 5000, 10000, 20000])
    ax.set_xlabel("evaluations (log scale)")
    ax.set_ylabel("best migration delay found (ms, log scale)")
    ax.set_title("ResNet-50, default environment: best plan found against evaluations\n"
                 f"(50 particles, 300 iterations, random start, {len(SEEDS)} seeds each)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title_fontsize=8,
              title=f"line: median of {len(SEEDS)} seeds\nband: best to worst seed")
    fig.tight_layout()
    save(fig, output)
    return summary


def figure_bandwidth(sweep, output):
    series = {algo: [read_json(os.path.join(sweep[(bw, algo)], "plan.json"))["migration_delay_s"] * 1e3
                     for bw in BANDWIDTHS] for algo in ALGORITHMS}
    # Each series that coincides with one drawn before it is drawn thin on top of that one,
    # which is drawn wide and pale, and the legend says so.
    order = ["all-local", "all-edge", "all-cloud", "random", "pso", "pso-ga-paper", "ga",
             "pso-ga", "greedy", "exact"]
    twin_of = {}
    for i, algo in enumerate(order):
        for earlier in order[:i]:
            if earlier not in twin_of and same(series[algo], series[earlier]):
                twin_of[algo] = earlier
                break
    under = set(twin_of.values())
    optimum = series["exact"]
    fig, ax = plt.subplots(figsize=(8, 7))
    for algo in order:
        colour, style, marker, label = ALGO_STYLE[algo]
        if algo in twin_of:
            label += f"; same as {ALGO_STYLE[twin_of[algo]][3]} at every bandwidth"
            ax.plot(BANDWIDTHS, series[algo], color=colour, ls=style, lw=1.3, marker=marker, ms=7,
                    mfc="none", mew=1.4, label=label, zorder=5)
        elif algo in under:
            ax.plot(BANDWIDTHS, series[algo], color=colour, ls="-", lw=7, alpha=0.35, marker=marker,
                    ms=11, label=label, zorder=3)
        else:
            # A series that reaches the optimum at some bandwidths only says from where.
            on = [bw for bw, v, o in zip(BANDWIDTHS, series[algo], optimum)
                  if math.isclose(v, o, rel_tol=1e-9)]
            partly = on and algo != "exact" and len(on) < len(BANDWIDTHS)
            if partly:
                # Large hollow markers stay visible around the optimum drawn over them.
                contiguous = on == BANDWIDTHS[BANDWIDTHS.index(on[0]):BANDWIDTHS.index(on[-1]) + 1]
                where = f"{on[0]} to {on[-1]}" if contiguous else ", ".join(map(str, on))
                label += f"; the optimum at {where} Mbit/s"
            ax.plot(BANDWIDTHS, series[algo], color=colour, ls=style, lw=1.4, marker=marker,
                    ms=11 if partly else 5, mfc="none" if partly else colour, mew=1.4,
                    label=label, zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_ticks(ax.xaxis, BANDWIDTHS)
    plain_ticks(ax.yaxis, [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
                           200000, 500000])
    ax.set_xlabel("phone-edge1 uplink (Mbit/s, log scale)\n"
                  "(phone-edge2 and phone-cloud at 1/2 and 1/4 of it)")
    ax.set_ylabel("migration delay (ms, log scale)")
    ax.set_title("ResNet-50, default environment: migration delay against bandwidth,\n"
                 "every --algo (seed 1)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    save(fig, output)
    return series, twin_of


def figure_timeline(default_dir, output):
    rows = read_csv(os.path.join(default_dir, "timeline.csv"))
    panels = []
    for planner, colour, label in (("whole", "tab:gray", "whole model, then query"),
                                   ("ionn", "tab:orange", "IONN (K = 0.8)"), ("lmu", "tab:blue", "LMU")):
        queries = [r for r in rows if r["planner"] == planner]
        if queries:
            panels.append((label, colour,
                           [(float(q["start_s"]), float(q["end_s"]), float(q["latency_s"]))
                            for q in queries], float(queries[0]["upload_end_s"])))
    draw_timeline(panels, "ResNet-50, default environment, PSO-GA's plan uploaded to edge1 at "
                  "40 Mbit/s:\nlatency of each query while the model uploads", output)
    return panels


def transformer_placement(planner, work, output):
    """ViT-B/16 and BERT-base (zoo, 128 tokens): the proven optimum in the default environment
    at each uplink; the figure shows ViT-B/16, BERT-base's plans are printed."""
    for model in ("vit_b_16", "bert_base"):
        default = read_json(os.path.join(plan(planner, os.path.join(work, f"{model}-default"),
                                              "--algo", "exact", model=model),
                                         "plan.json"))["environment"]
        sweep = {}
        for bw in BANDWIDTHS:
            env = scaled_environment(default, bw / NOMINAL_BANDWIDTH,
                                     os.path.join(work, f"env-{bw}.json"))
            sweep[(bw, "exact")] = plan(planner, os.path.join(work, f"{model}-{bw}-exact"),
                                        "--env", env, "--algo", "exact", model=model)
        if model == "vit_b_16":
            figure_placement(sweep, os.path.join(output, "plan_placement_vit_b_16.png"),
                             title="ViT-B/16", ends=("input", "heads.head"),
                             environment="default environment")
        print(f"{model} placement (default environment), per uplink: layers per node of the "
              "proven optimum")
        for bw in BANDWIDTHS:
            result = read_json(os.path.join(sweep[(bw, "exact")], "plan.json"))
            counts = {}
            for p in result["placement"]:
                counts[p["node"]] = counts.get(p["node"], 0) + 1
            print(f"  {bw:5} Mbit/s: {result['migration_delay_s'] * 1e3:9.2f} ms proven="
                  f"{result['proven_optimal']} {counts}")


def main(argv):
    only = argv[4:] == ["--only", "vit_b_16"]
    if len(argv) != 4 and not only:
        sys.stderr.write(__doc__)
        return 2
    planner, work, output = argv[1], argv[2], argv[3]
    os.makedirs(work, exist_ok=True)
    os.makedirs(output, exist_ok=True)
    transformer_placement(planner, work, output)
    if only:
        return 0

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

    sweep, memory_sweep = {}, {}
    # Through the planner once, so that its links are in bytes/s like the default environment's.
    memory_env = read_json(os.path.join(plan(planner, os.path.join(work, "memory-default"),
                                             "--env", MEMORY_ENV, "--algo", "exact"),
                                        "plan.json"))["environment"]
    for bw in BANDWIDTHS:
        factor = bw / NOMINAL_BANDWIDTH
        env = scaled_environment(default["environment"], factor, os.path.join(work, f"env-{bw}.json"))
        for algo in ALGORITHMS:
            sweep[(bw, algo)] = plan(planner, os.path.join(work, f"bandwidth-{bw}-{algo}"),
                                     "--env", env, "--algo", algo)
        env = scaled_environment(memory_env, factor, os.path.join(work, f"memory-env-{bw}.json"))
        for algo in ("exact", "pso-ga"):
            memory_sweep[(bw, algo)] = plan(planner, os.path.join(work, f"memory-{bw}-{algo}"),
                                            "--env", env, "--algo", algo)

    figure_placement(memory_sweep, os.path.join(output, "plan_placement_resnet50.png"))
    convergence = figure_convergence(runs, default["references"]["exact"]["delay_s"],
                                     os.path.join(output, "plan_convergence_resnet50.png"))
    series, twins = figure_bandwidth(sweep, os.path.join(output, "plan_delay_vs_bandwidth_resnet50.png"))
    timeline = figure_timeline(default_dir, os.path.join(output, "plan_upload_timeline_resnet50.png"))

    # The numbers the docs quote, so that they can be checked against every redraw.
    print("placement (edge_memory_60mb.json), per uplink: nodes of the proven optimum; "
          "PSO-GA's delay equals it?")
    for bw in BANDWIDTHS:
        exact = read_json(os.path.join(memory_sweep[(bw, "exact")], "plan.json"))
        hybrid = read_json(os.path.join(memory_sweep[(bw, "pso-ga")], "plan.json"))
        used = sorted({p["node"] for p in exact["placement"]})
        print(f"  {bw:5} Mbit/s: {exact['migration_delay_s'] * 1e3:8.2f} ms proven="
              f"{exact['proven_optimal']} nodes={used} pso-ga="
              f"{math.isclose(hybrid['migration_delay_s'], exact['migration_delay_s'], rel_tol=1e-9)}")
    reference_ms = default["references"]["exact"]["delay_s"] * 1e3
    print(f"convergence (optimum {reference_ms:.2f} ms): final best / optimum, min..max over seeds;"
          " evaluations until the optimum")
    for algo, finals in convergence.items():
        values = [f[1] / reference_ms for f in finals]
        print(f"  {algo:13} {min(values):7.2f}x .. {max(values):7.2f}x")
    for algo in SEARCHES:
        reached = []
        for seed in SEEDS:
            rows = read_csv(os.path.join(runs[(algo, seed)], "convergence.csv"))
            hit = [int(r["evaluations"]) for r in rows
                   if math.isclose(float(r["best_objective_s"]) * 1e3, reference_ms, rel_tol=1e-9)]
            reached.append(hit[0] if hit else None)
        print(f"  {algo:13} reached the optimum in {sum(r is not None for r in reached)} of "
              f"{len(SEEDS)} seeds, after {sorted(r for r in reached if r is not None)} evaluations")
    print("delay vs bandwidth: coinciding series:", twins)
    for algo in ALGORITHMS:
        print(f"  {algo:13} " + " ".join(f"{v:8.1f}" for v in series[algo]))
    for label, _, queries, end in timeline:
        done = sum(q[1] <= end for q in queries)
        first = next((q[0] for q in queries if q[2] < queries[0][2] - 1e-12), None)
        print(f"timeline {label}: {done} queries during the {end:.2f} s upload; first faster query "
              f"starts at {first} s; last latency {queries[-1][2] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
