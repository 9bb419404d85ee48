#!/usr/bin/env bash
# Screenshots of the train, diagnose, study and sweep reports as a browser shows them: headless Chromium
# (Debian's `chromium` package), 1280 px wide, the top of each page and, for the long ones, a second section.
# Runs small examples on the CPU into a scratch directory, then writes docs/screenshots/*.png.
#
#   mvn -q -DskipTests package && bash docs/screenshots/take.sh [SCRATCH_DIR]
#
# Nothing here is a test: the pages' structure is tested (RunReportStructureTest, SweepReportTest,
# StudyReportStructureTest, LayerReportTest); these pictures are what a reader sees.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/screenshots
scratch=${1:-$(mktemp -d)}
export PATH="$PWD/bin:$PATH"
command -v chromium >/dev/null || { echo "take.sh: chromium is not installed (apt-get install chromium)" >&2; exit 2; }

# train (embedded Fashion-MNIST subset, 3 epochs) with a checkpoint per epoch, then diagnose it.
ravine train --hidden 128 --epochs 3 --checkpoint-every 40 --save-initial --diagnose-every 20 --progress off -q \
    --run-dir "$scratch/train" --overwrite
ravine diagnose --run-dir "$scratch/train" --progress off -q --overwrite
ravine landscape --run-dir "$scratch/train" --progress off -q --overwrite
# sweep lr: four rates, two restarts.
ravine sweep lr --lr 1,0.1,0.01,0.001 --restarts 2 --hidden 64 --steps 200 --progress off -q \
    --run-dir "$scratch/sweep" --overwrite
# study batch-size: every part, small.
ravine study batch-size --hidden 64 --max-batch 1024 --timed-steps 10 --seconds-per-size 0.5 --limit 5000 \
    --step-batch-sizes 16,32,64,128,256 --lr 3e-3 --lr-grid 1 --target-loss 0.6 --max-steps 1500 \
    --noise-batch 64 --noise-small 16 --noise-big 512 --progress off -q --run-dir "$scratch/study" --overwrite

# shot NAME PAGE HEIGHT [SECTION]: the page, or with SECTION only that section of it (from its heading to the next:
# headless Chromium's screenshot ignores a URL's #fragment), as a sibling file so that its images resolve.
shot() {
    local page=$2
    if [ -n "${4:-}" ]; then
        page="${2%.html}.screenshot-$4.html"
        python3 - "$2" "$4" "$page" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
head = html[:html.index("<body>") + len("<body>")]
start = html.index('<h2 id="%s"' % sys.argv[2])
m = re.compile(r"<h2 id=").search(html, start + 1)
open(sys.argv[3], "w", encoding="utf-8").write(head + html[start:m.start() if m else html.index("</body>")] + "</body></html>")
PY
    fi
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
        --window-size=1280,"$3" --screenshot="$out/$1.png" "file://$(realpath "$page")" >/dev/null 2>&1
    echo "$out/$1.png: $2${4:+ (section $4)}"
}
shot train-top "$scratch/train/report.html" 1400
shot train-curves "$scratch/train/report.html" 1600 training-curves
shot train-layers "$scratch/train/report.html" 1600 layers
shot diagnose "$scratch/train/report.html" 1600 diagnosis
shot sweep-top "$scratch/sweep/report.html" 1400
shot sweep-curves "$scratch/sweep/report.html" 1400 training-loss-curves
shot study-top "$scratch/study/report.html" 1400
shot study-time-to-target "$scratch/study/report.html" 1400 time-to-target
