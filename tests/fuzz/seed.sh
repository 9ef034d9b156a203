#!/bin/bash
# seed.sh - (re)make the seed corpus of every fuzz target in
# tests/fuzz/corpus/TARGET from the shared fixtures, the shared corpus of
# other projects' mail, the test data and the templates of this tree, plus
# a few inputs written here (LMTP dialogues, Markdown and compose fields).
#   tests/fuzz/seed.sh [SHARED_DIR]    (default: $TAGD_SHARED or ../shared)
# The selection is deterministic and kept small (about 2 MB in all): the
# corpus is committed and replayed by `make check`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${1:-${TAGD_SHARED:-$top/../shared}}
out=$here/corpus
py=/usr/bin/python3
[ -d "$shared/fixtures" ] || { echo "seed.sh: no fixtures in $shared" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"/{message,draft,config,ical,lmtp,render}

# put SRC TARGET NAME - copy one file in
put() { cp "$1" "$out/$2/$3"; chmod 644 "$out/$2/$3"; }

# ---- message: real replies, the mail parser's test data, every 4th small
# message of the shared corpus
for f in "$shared"/fixtures/replies/*.eml; do put "$f" message "fixture-$(basename "$f")"; done
for f in "$top"/tests/data/mail/*.eml "$top"/tests/data/signup/*.eml "$top"/tests/data/week/*.eml \
	"$top"/tests/data/smtp/*.eml; do
	[ -f "$f" ] && put "$f" message "data-$(basename "$(dirname "$f")")-$(basename "$f")"
done
i=0
find "$shared/corpus" -type f -name '*.eml' -size -12k | LC_ALL=C sort | while read -r f; do
	i=$((i + 1))
	[ $((i % 4)) -eq 0 ] || continue
	rel=${f#"$shared/corpus/"}
	put "$f" message "corpus-$(echo "$rel" | tr '/ ' '__')"
done
# forged and authenticated senders for the trust checks
cat >"$out/message/trust-authres.eml" <<'EOF'
Authentication-Results: mx.tags.example.org; dkim=pass (1024-bit key) header.d=gmail.example.com header.i=@gmail.example.com; spf=pass smtp.mailfrom=b.okafor@gmail.example.com; dmarc=pass (p=NONE) header.from=gmail.example.com
Authentication-Results: evil.example.net; dmarc=pass header.from=gmail.example.com
Authentication-Results: mx.tags.example.org (comment (nested)) 1; none
From: Bola Okafor <b.okafor@gmail.example.com>
To: tag-prof-learning@tags.example.org
Subject: Re: [¶7] teachers
Message-ID: <trust-1@gmail.example.com>
In-Reply-To: <draft.r1.0123456789abcdef@tags.example.org>
Date: Tue, 17 Jul 2018 09:00:00 -0400

¶7: the role of the teacher needs a concrete example.
EOF

# ---- draft: the fixture and the other drafts of the tests, and Markdown
# features one by one
put "$shared/fixtures/prof-learning-draft.md" draft fixture-draft.md
for f in "$top"/tests/data/*.md "$top"/tests/data/cli/*.md "$top"/examples/*.md; do
	[ -f "$f" ] && put "$f" draft "data-$(basename "$f")"
done
printf '# T\n\n- a\n  - b\n    1. c\n\n> q\n> > qq\n\n```\ncode\n```\n\n    indented\n\n***\n\n<div>raw</div>\n\ntext *em* **strong** `code` [l](http://x) ![i](y)\n' \
	>"$out/draft/features.md"
printf 'A paragraph.\n\nA paragraph.\n\nA paragraph.\n\nAnother one, edited.\n' >"$out/draft/repeats.md"
printf '\xef\xbb\xbf# Title with BOM\n\n1) one\n2) two\n\nSetext\n======\n\n| a | b |\n|---|---|\n| 1 | 2 |\n' \
	>"$out/draft/bom-setext.md"

# ---- config: first byte 0 = a session file, 1 = tagd.conf
for f in "$shared/fixtures/prof-learning.session" "$top"/examples/*.session "$top"/tests/data/config/*.session \
	"$top"/tests/data/signup/*.session; do
	[ -f "$f" ] || continue
	{ printf '\0'; cat "$f"; } >"$out/config/session-$(basename "$f")"
done
for f in "$top"/examples/tagd.conf "$top"/tests/data/config/tagd.conf; do
	[ -f "$f" ] || continue
	{ printf '\1'; cat "$f"; } >"$out/config/conf-$(basename "$(dirname "$f")")-$(basename "$f")"
done
printf '\1[imap]\nhost = 127.0.0.1\npassword_file = /nonexistent\n[limits]\nmax_message_size = 10M\nmax_line_length = 64k\n[smtp]\nretry_for = 3d\nrate_per_minute = 30\n[trust]\nmode = dmarc\nauthserv_id = mx.tags.example.org\n[log]\nsyslog = yes\ndebug = all\n' \
	>"$out/config/conf-types"

# ---- ical: the test objects, and every calendar part of the fixture replies
for f in "$top"/tests/data/ical/*.ics "$top"/tests/data/callmail/*.ics; do
	[ -f "$f" ] && put "$f" ical "$(basename "$f")"
done
"$py" - "$shared/fixtures/replies" "$out/ical" <<'EOF'
import email, email.policy, os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith(".eml"):
        continue
    with open(os.path.join(src, name), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.compat32)
    k = 0
    for part in m.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            data = part.get_payload(decode=True)
            if data:
                k += 1
                with open(os.path.join(dst, "fixture-%s-%d.ics" % (name[:-4], k)), "wb") as o:
                    o.write(data)
EOF

# ---- lmtp: dialogues as a client sends them
msg=$shared/fixtures/replies/023-ana-outlook-p7-address.eml
lmtp() { printf '%b' "$2" >"$out/lmtp/$1"; }
lmtp basic 'LHLO mx.example.org\r\nMAIL FROM:<ana@example.org>\r\nRCPT TO:<tag-prof-learning@tags.example.org>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n'
lmtp pipelined 'LHLO x\r\nMAIL FROM:<a@b> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<ok@x>\r\nRCPT TO:<bad@x>\r\nRCPT TO:<full@x>\r\nRCPT TO:<later@x>\r\nRCPT TO:<fail@x>\r\nDATA\r\n..dot\r\n.\r\nRSET\r\nNOOP\r\nVRFY x\r\nHELP\r\nQUIT\r\n'
lmtp null-sender 'LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nRCPT TO:<d@x>\r\nRCPT TO:<e@x>\r\nRCPT TO:<f@x>\r\nDATA\r\nx\r\n.\r\n'
lmtp errors 'HELO x\r\nMAIL FROM:<a@b>\r\nLHLO\r\nRCPT TO:<a@b>\r\nDATA\r\nMAIL FROM:a@b\r\nMAIL FROM:<a@b> FOO=1\r\nLHLO x\r\nMAIL FROM:<a@b> SIZE=99999999999\r\nbogus\r\n\r\n'
lmtp bare-lf 'LHLO x\nMAIL FROM:<a@b>\nRCPT TO:<a@b>\nDATA\nline\n.\n'
lmtp unfinished 'LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<a@b>\r\nDATA\r\nno end'
{ printf 'LHLO mx\r\nMAIL FROM:<ana.ruiz@district9.example.org>\r\nRCPT TO:<tag-prof-learning+p7@tags.example.org>\r\nDATA\r\n'
  sed -e 's/\r$//' -e 's/^\./../' -e 's/$/\r/' "$msg"; printf '.\r\nQUIT\r\n'; } >"$out/lmtp/fixture-message"
put "$top/tests/data/smtp/dots.eml" lmtp dots-raw

# ---- render: the templates as they are, and with compose fields after
# 0x1e separators (from name, to name, subject, to, in-reply-to,
# references, list-id, extra header, reply-to, list-unsubscribe, body)
for f in "$top"/templates/*.txt "$top"/templates/*.html; do put "$f" render "$(basename "$f")"; done
printf 'Hello {{participant.name}}\x1eB. Okafor\x1eRe: [\xc2\xb67] a subject that is long enough to be folded, with \xc3\xbcn\xc3\xafc\xc3\xb6d\xc3\xa9 and =?utf-8?q?words?=\x1eb.okafor@gmail.example.com\x1eack.1.abc@tags.example.org\x1ea@b c@d\x1eProf <prof.tags.example.org>\x1eX-Tag-Comment: 12\x1etag-prof-learning+c12@tags.example.org\x1e<mailto:tag-prof-learning+leave@tags.example.org>\x1e{{#each comments}}{{@number}}. {{snippet}}\n{{/each}}' \
	>"$out/render/compose-fields"
printf 'x\x1eName\r\nBcc: victim@x\x1eSubject\r\nBcc: victim@x\x1evictim@x\r\nBcc: y@z\x1eid@x>\r\nBcc: y@z\x1e\x1e\x1eX-A: b\r\nBcc: c@d\x1e\x1e\x1ebody' \
	>"$out/render/compose-injection"
printf '{{#each comments}}{{#if @first}}<ol>{{/if}}<li>{{snippet}}</li>{{#if @last}}</ol>{{/if}}{{else}}none{{/each}}{{#unless counts.one}}many{{/unless}}{{trusted}}{{! c }}{{session.goals}}{{#each session.goals}}{{text}}{{/each}}' \
	>"$out/render/blocks"
printf '{{#if a}}{{#if b}}{{#if c}}{{#if d}}{{#if e}}{{#if f}}{{#if g}}{{#if h}}{{#if i}}{{#if j}}{{#if k}}{{#if l}}{{#if m}}{{#if n}}{{#if o}}{{#if p}}{{#if q}}' \
	>"$out/render/deep"

for t in message draft config ical lmtp render; do
	printf '%-8s %4d files %6d KB\n' "$t" "$(ls "$out/$t" | wc -l)" "$(du -sk "$out/$t" | cut -f1)"
done
