#!/usr/bin/python3
"""Steps and wall time to a target monitoring loss, with and without --batch-norm (bench/batchnorm-experiment.sh).

For each variant and seed: the first logged step whose train_loss (the fixed monitoring subset, eval mode) is at or
below the target, and the wall_seconds of that row (training plus the monitoring evaluations, the same work in both
arms); the speed-up is the plain run's steps (seconds) over the BN run's, per seed, then the median over seeds.
A run that never reaches the target (or diverged) counts as '>469' and gives no ratio.
"""
import csv
import statistics
import sys
from pathlib import Path

TARGETS = {"logistic": 0.55, "deep": 0.50, "raw": 0.55}


def reach(run_dir, target):
    rows = list(csv.DictReader(open(run_dir / "metrics.csv")))
    for r in rows:
        if r["train_loss"] and int(r["step"]) > 0 and float(r["train_loss"]) <= target:
            return int(r["step"]), float(r["wall_seconds"])
    return None, None


def final(run_dir):
    rows = [r for r in csv.DictReader(open(run_dir / "metrics.csv")) if r["train_loss"]]
    return float(rows[-1]["train_loss"]) if rows else float("nan")


def main():
    out = Path(sys.argv[1])
    print("| variant | target | seed | steps plain | steps BN | steps ratio | s plain | s BN | time ratio "
          "| final loss plain | final loss BN |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant, target in TARGETS.items():
        ratios, tratios = [], []
        for seed in (1, 2, 3):
            sp, tp = reach(out / f"{variant}-s{seed}", target)
            sb, tb = reach(out / f"{variant}-bn-s{seed}", target)
            r = f"{sp / sb:.2f}" if sp and sb else "n/a"
            tr = f"{tp / tb:.2f}" if tp and tb else "n/a"
            if sp and sb:
                ratios.append(sp / sb)
                tratios.append(tp / tb)
            print(f"| {variant} | {target} | {seed} | {sp or '>469'} | {sb or '>469'} | {r} | "
                  f"{tp if tp else '-'} | {tb if tb else '-'} | {tr} | {final(out / f'{variant}-s{seed}'):.4f} | "
                  f"{final(out / f'{variant}-bn-s{seed}'):.4f} |")
        if ratios:
            print(f"| {variant} | median | | | | {statistics.median(ratios):.2f} | | | "
                  f"{statistics.median(tratios):.2f} | | |")


if __name__ == "__main__":
    main()
