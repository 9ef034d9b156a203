#!/bin/sh
# test-browser - what a person sees: the HTML export and an HTML digest of
# the fixture week opened in a real browser (Debian's chromium, headless).
# From the DOM after scripts would have run (--dump-dom): every paragraph,
# the comments under the right ones, the heat map, and no script or element
# from a hostile comment; a control page shows that scripts do run in this
# browser, so their absence means something. Screenshots are kept as
# test-browser-export.png and test-browser-digest.png in the build directory.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"
. "$top_srcdir/tests/integration/lib-export.sh"

browser=
for b in chromium chromium-browser; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	skip "chromium is not installed (apt-get install chromium)"
	done_testing
	exit
fi

tmp=$(mktemp -d /tmp/tagd-browser.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP_TMP:-}" ] && trap 'echo "# kept $tmp"' EXIT
fix="$TAGD_SHARED/fixtures"
check="$top_srcdir/tests/integration/check-export.py"
mkdir -p "$tmp/state/mail/out/new" "$tmp/state/mail/out/cur" "$tmp/state/mail/out/tmp"
cat >"$tmp/tagd.conf" <<CONF
[tagd]
state_dir = $tmp/state
hostname = tags.example.org

[maildir]
inbox =
CONF
T() { "$TAGCTL" -q -c "$tmp/tagd.conf" "$@"; }

# browse MODE FILE OUT - run the headless browser once (bounded in time);
# MODE is dump (the DOM to OUT) or shot (a PNG to OUT)
browse() {
	br_profile=$(mktemp -d "$tmp/profile.XXXXXX")
	if [ "$1" = dump ]; then
		timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$br_profile" --dump-dom "file://$(readlink -f "$2")" \
			>"$3" 2>>"$tmp/browser.log"
	else
		timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$br_profile" --hide-scrollbars --window-size=1280,2400 \
			--screenshot="$3" "file://$(readlink -f "$2")" >>"$tmp/browser.log" 2>&1
	fi
	br_rc=$?
	rm -rf "$br_profile"
	return $br_rc
}

# png_ok FILE W H - a PNG of that size that is not one flat colour
png_ok() {
	"$PYTHON3" - "$@" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
w, h = struct.unpack(">II", data[16:24])
if (w, h) != (int(sys.argv[2]), int(sys.argv[3])):
    sys.exit("%dx%d" % (w, h))
# the image data, inflated: a page with text has many distinct byte values
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
sys.exit(0 if len(set(raw[:2000000])) > 32 else "flat image")
PY
}

export_week

T export prof-learning --format html -o "$tmp/export.html" >/dev/null
ok $? "the HTML export written"

# the control: this browser runs a page's scripts, and --dump-dom shows what they did
cat >"$tmp/control.html" <<'EOF'
<!DOCTYPE html><html><head><title>control</title></head><body><p>x</p>
<script>document.title='PWNED'; document.body.setAttribute('data-pwned','1');</script></body></html>
EOF
browse dump "$tmp/control.html" "$tmp/control.dom"
ok $? "$browser --headless --dump-dom runs"
grep -q '<title>PWNED</title>' "$tmp/control.dom" && grep -q 'data-pwned="1"' "$tmp/control.dom"
ok $? "control page: the browser runs scripts (so the checks below mean something)"

browse dump "$tmp/export.html" "$tmp/export.dom"
ok $? "the export opened in the browser"
run_check dom "$tmp/export.dom" "$tmp/facts.json" export
browse shot "$tmp/export.html" "$tmp/export.png"
ok $? "a screenshot of the export"
png_ok "$tmp/export.png" 1280 2400
ok $? "it is a 1280x2400 picture of a page, not a blank one"
cp "$tmp/export.png" "$top_builddir/test-browser-export.png" 2>/dev/null

# a digest as tagd sends it: the daemon's schedule at 17:30 on Wednesday
# (New York) opens the session and sends the digests of Monday to Wednesday
"$TAGD" -c "$tmp/tagd.conf" --once --clock "2018-07-18 21:30" >"$tmp/tagd.log" 2>&1
ok $? "tagd --once runs the week's schedule up to Wednesday's digest"
digest_id=$(T outbox --json | "$PYTHON3" -c '
import json, sys
for o in json.load(sys.stdin):
    if o["kind"] == "digest" and o["message_id"].startswith("digest.2018-07-18."):
        print(o["id"]); break')
[ -n "$digest_id" ]
ok $? "Wednesday's digest is in the outbox"
T outbox show "${digest_id:-0}" >"$tmp/digest.eml" &&
	"$PYTHON3" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
open(sys.argv[2], "w", encoding="utf-8").write(m.get_body(("html",)).get_content())' "$tmp/digest.eml" "$tmp/digest.html"
ok $? "its HTML part taken out"
browse dump "$tmp/digest.html" "$tmp/digest.dom"
ok $? "the digest opened in the browser"
run_check dom "$tmp/digest.dom" "$tmp/facts.json" digest
browse shot "$tmp/digest.html" "$tmp/digest.png"
ok $? "a screenshot of the digest"
png_ok "$tmp/digest.png" 1280 2400
ok $? "it is a picture of a page, not a blank one"
cp "$tmp/digest.png" "$top_builddir/test-browser-digest.png" 2>/dev/null

done_testing
