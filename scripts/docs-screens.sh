#!/usr/bin/env bash
# Regenerate the screenshots in docs/screens (`make docs-screens`): the lab's
# HTML reports rendered by headless Chromium, cut at the report's own
# headings.  Needs chromium and python3-pil (scripts/deps.sh).
# Usage: scripts/docs-screens.sh PATH/TO/pagealloc
set -euo pipefail
cmd=$(realpath "${1:-build/pagealloc}")
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/docs/screens
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top"

# Render PAGE at 1400 px wide; write PNG (full height) and the y offset of
# every <h2>/<h3> as "offset text" lines into PNG.h.
# Both passes hide the scrollbar: with one, the measuring pass lays the page
# out narrower, its text wraps more and its offsets miss the screenshot's.
render() {
	local page=$1 png=$2 h
	sed 's|</body>|<script>document.body.setAttribute("data-h", Array.from(document.querySelectorAll("h2,h3")).map(function(e){return Math.round(e.getBoundingClientRect().top+scrollY)+" "+e.textContent}).join(";") + ";END " + document.documentElement.scrollHeight)</script></body>|' \
		"$page" > "$tmp/probe.html"
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,900 \
		--dump-dom "file://$tmp/probe.html" 2>/dev/null |
		grep -o 'data-h="[^"]*"' | sed 's/^data-h="//; s/"$//' | tr ';' '\n' > "$png.h"
	h=$(awk '/^END /{print $2}' "$png.h")
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1400,"$h" --screenshot="$png" "file://$page" 2>/dev/null
}

# Cut PNG from heading FROM (a prefix of its text; "" = the top) to the
# next heading after it matching UNTIL (or the end), into DEST.
cut() {
	/usr/bin/python3 - "$1" "$2" "$3" "$4" <<'PY'
import sys
from PIL import Image
png, start, until, dest = sys.argv[1:5]
heads = []
for line in open(png + ".h"):
    off, _, text = line.rstrip("\n").partition(" ")
    if off == "END":
        off, text = text, "END"
    heads.append((int(off), text))
y0 = 0
if start:
    y0 = next(o for o, t in heads if t.startswith(start)) - 10
y1 = next((o for o, t in heads if o > y0 + 20 and (t.startswith(until) or t.startswith("END"))), None) if until else None
im = Image.open(png)
im.crop((0, max(0, y0), 1400, min(im.size[1], (y1 - 10) if y1 else im.size[1]))).save(dest, optimize=True)
PY
}

"$cmd" replay samples/build-small.trace.zst --policy all --quiet \
	--html "$tmp/report.html" > /dev/null
render "$tmp/report.html" "$tmp/report.png"
cut "$tmp/report.png" "" "Per policy" "$out/report.png"
cut "$tmp/report.png" "Over time" "The kernel" "$out/over-time.png"

"$cmd" run jemalloc-purge --html "$tmp/purge.html" > /dev/null
render "$tmp/purge.html" "$tmp/purge.png"
cut "$tmp/purge.png" "" "Per policy" "$out/purge.png"

"$cmd" run slab-churn --mem 1G --html "$tmp/slab.html" > /dev/null
render "$tmp/slab.html" "$tmp/slab.png"
cut "$tmp/slab.png" "" "Per policy" "$out/slab-churn.png"
cut "$tmp/slab.png" "The kernel" "Buddyinfo" "$out/indexes.png"
cut "$tmp/slab.png" "Buddyinfo" "Pageblock map" "$out/kernel-texts.png"

"$cmd" run server --mem 2T --scale 0.02 --policy mainline --html "$tmp/server.html" > /dev/null
render "$tmp/server.html" "$tmp/server.png"
cut "$tmp/server.png" "Pageblock map" "" "$out/map-2tib.png"
echo "docs-screens: wrote $(cd "$out" && ls -- *.png | paste -sd' ')"
