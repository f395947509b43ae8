#!/bin/sh
# Regenerates the fonts committed under crates/chart/fonts/ (the PNG plots'
# text): DejaVu Sans 2.37 from Debian's fonts-dejavu-core package, cut down
# with fontTools (PyPI) to the characters plots use (Latin, Latin-1 and
# Latin Extended-A, Greek, punctuation, arrows, mathematical operators, a
# white square for missing glyphs). Licence: crates/chart/fonts/LICENSE-DejaVu.txt
# (Bitstream Vera licence; the DejaVu names contain neither "Bitstream" nor
# "Vera", as the licence requires of modified fonts).
set -eu
src=${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}
out=$(dirname "$0")/../crates/chart/fonts
venv=${TMPDIR:-/tmp}/tumen-fonttools
[ -x "$venv/bin/pyftsubset" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q fonttools; }
ranges="U+0020-007E,U+00A0-017F,U+0370-03FF,U+2010-2027,U+2030-205E,U+2070-209F,U+2190-21FF,U+2200-22FF,U+25A1"
for face in DejaVuSans DejaVuSans-Bold; do
  "$venv/bin/pyftsubset" "$src/$face.ttf" --unicodes="$ranges" --layout-features='' \
    --no-hinting --output-file="$out/$face-subset.ttf"
done
