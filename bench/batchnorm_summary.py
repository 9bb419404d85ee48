#!/usr/bin/python3
"""Steps and wall time to a target monitoring loss, with and without --batch-norm, each arm at its own learning rate
(bench/batchnorm-experiment.sh).

    batchnorm_summary.py OUTDIR select   # prints "variant arm lr" per arm: the chosen rate
    batchnorm_summary.py OUTDIR report   # the grid (seed 1) and the comparison at the chosen rates (seeds 1-3)

Steps to target: the first logged step > 0 whose train_loss (the fixed monitoring subset, eval mode) is at or below
the variant's target; seconds: that row's wall_seconds (training plus the monitoring evaluations, the same work in
both arms). A run that never reaches the target (or diverged) counts as '>469'. Selection on seed 1: fewest steps to
target, ties broken by the lower final loss; if no rate reaches it, the lowest final loss. Ratios are plain / BN
(above 1: BN is faster), per seed, then the median over seeds.

Wall time on a shared machine is noisy (the same run took 1.7 s and 8.6 s on the 2-core build machine while other
builds ran): the time columns are printed as measured; compare them only from a quiet machine.
"""
import csv
import math
import statistics
import sys
from pathlib import Path

TARGETS = {"logistic": 0.55, "deep": 0.50, "raw": 0.55}
ARMS = ("plain", "bn")


def rows(run_dir):
    f = run_dir / "metrics.csv"
    if not f.exists():
        return []
    return [r for r in csv.DictReader(open(f)) if r["train_loss"]]


def reach(run_dir, target):
    for r in rows(run_dir):
        loss = float(r["train_loss"])
        if int(r["step"]) > 0 and math.isfinite(loss) and loss <= target:
            return int(r["step"]), float(r["wall_seconds"])
    return None, None


def final(run_dir):
    r = rows(run_dir)
    loss = float(r[-1]["train_loss"]) if r else float("nan")
    return loss if math.isfinite(loss) else float("inf")


def rates(out, variant, arm):
    found = []
    for d in out.glob(f"{variant}-{arm}-lr*-s1"):
        if d.is_dir():
            found.append(d.name[len(f"{variant}-{arm}-lr"):-len("-s1")])
    return sorted(found, key=float)


def run_dir(out, variant, arm, lr, seed):
    return out / f"{variant}-{arm}-lr{lr}-s{seed}"


def choose(out, variant, arm):
    target = TARGETS[variant]

    def key(lr):
        steps, _ = reach(run_dir(out, variant, arm, lr, 1), target)
        return (steps if steps is not None else math.inf, final(run_dir(out, variant, arm, lr, 1)))
    return min(rates(out, variant, arm), key=key)


def fmt_loss(x):
    if x == float("inf"):
        return "diverged"
    return f"{x:.1e} (blew up)" if x > 1e3 else f"{x:.4f}"


def main():
    out, mode = Path(sys.argv[1]), sys.argv[2]
    if mode == "select":
        for variant in TARGETS:
            for arm in ARMS:
                print(variant, arm, choose(out, variant, arm))
        return
    print("Grid (seed 1): steps to target / final monitoring loss, per learning rate\n")
    all_rates = sorted({lr for v in TARGETS for a in ARMS for lr in rates(out, v, a)}, key=float)
    print("| variant | arm | " + " | ".join(f"lr {lr}" for lr in all_rates) + " | chosen |")
    print("|---|---|" + "---|" * (len(all_rates) + 1))
    for variant, target in TARGETS.items():
        for arm in ARMS:
            cells = []
            for lr in all_rates:
                d = run_dir(out, variant, arm, lr, 1)
                steps, _ = reach(d, target)
                cells.append(f"{steps or '>469'} / {fmt_loss(final(d))}" if d.exists() else "")
            print(f"| {variant} | {arm} | " + " | ".join(cells) + f" | {choose(out, variant, arm)} |")
    print("\nAt each arm's chosen rate, seeds 1-3\n")
    print("| variant | target | seed | lr plain | lr BN | steps plain | steps BN | steps ratio | s plain | s BN "
          "| time ratio | final loss plain | final loss BN |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for variant, target in TARGETS.items():
        lp, lb = choose(out, variant, "plain"), choose(out, variant, "bn")
        ratios, tratios = [], []
        for seed in (1, 2, 3):
            dp, db = run_dir(out, variant, "plain", lp, seed), run_dir(out, variant, "bn", lb, seed)
            sp, tp = reach(dp, target)
            sb, tb = reach(db, target)
            r = f"{sp / sb:.2f}" if sp and sb else "n/a"
            tr = f"{tp / tb:.2f}" if tp and tb else "n/a"
            if sp and sb:
                ratios.append(sp / sb)
                tratios.append(tp / tb)
            print(f"| {variant} | {target} | {seed} | {lp} | {lb} | {sp or '>469'} | {sb or '>469'} | {r} | "
                  f"{f'{tp:.2f}' if tp else '-'} | {f'{tb:.2f}' if tb else '-'} | {tr} | {fmt_loss(final(dp))} | "
                  f"{fmt_loss(final(db))} |")
        if ratios:
            print(f"| {variant} | median | | | | | | {statistics.median(ratios):.2f} | | | "
                  f"{statistics.median(tratios):.2f} | | |")


if __name__ == "__main__":
    main()
