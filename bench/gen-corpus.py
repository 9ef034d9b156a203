#!/usr/bin/python3
"""gen-corpus.py - a deterministic corpus of replies to a 200-paragraph draft.

    gen-corpus.py OUTDIR N [--seed S] [--participants P] [--maildir]

Writes into OUTDIR:
  bench.session      the TAG session (slug "bench")
  draft.md           200 numbered paragraphs (Markdown, a heading every 20)
  participants.csv   P participants (default 1000); every reply comes from one
  replies.mbox       the N replies, mboxrd
  maildir/           the same N replies as a Maildir (with --maildir)
  truth.tsv          one line per reply: message_id, class, paragraphs (in
                     the order answered; 0 = the draft as a whole; "-" for
                     auto-replies), kind, a phrase of new text each comment
                     holds ("||" between comments), and a phrase of quoted
                     text no comment may hold
  stats.txt          sizes and the mix of kinds

The same seed and N give byte-identical files. Kinds (share of N):
  gmail        answers under "On ... wrote:", each below a quote of 1-3
               paragraphs (the answer belongs to the quoted paragraph
               holding most of the quote, as README documents)        34%
  outlook      top-posted answer above Outlook's header block and the
               draft's opening paragraphs quoted whole; "¶N:" sections or
               none (then it is a comment on the draft as a whole)     24%
  named        no quote; paragraphs named "¶12", "paragraph 12", "P12"
               at the start of a line or of a paragraph of text         30%
  digest       a reply to a digest answering a +pN address              10%
  autoreply    out-of-office answers (Auto-Submitted, or only a subject) 2%
Bodies: text/plain alone or multipart/alternative with HTML (about half),
7bit, quoted-printable or base64; UTF-8 and ISO-8859-1 display names and
bodies; signatures, mobile footers. 2-20 KB each.
"""
import base64
import email.utils
import os
import quopri
import random
import sys

NPARA = 200
LIST = "tag-bench@tags.example.org"
LIST_LOCAL, LIST_DOMAIN = LIST.split("@")
ORGANIZER = "Katherine Casey"

WORDS = """able about above across action active actual adapt adult advance advice agency
agenda align allow almost alone already always amount analyst annual answer anyone
apply approach area argue around ask assess assign attend audience author average
avoid balance base basic become begin behind belief benefit better beyond board
boundary brief bring budget build calendar campus capacity career careful carry case
center chance change choose claim class clear climate coach collect college common
community compare complete concern confident connect consider context continue control
core cost county course cover create credit culture current cycle daily data deadline
decide define degree deliver demand depend design detail develop direct district
diverse early effect effort either element emerge enable encourage energy engage enough
ensure entire entry equity error essay event evidence exact example expect expert
explain extend fair family feedback field figure final focus follow formal forward
frame fund future gather general goal grade group grow guide habit handle history
honest idea impact improve include income inform input inquiry intend invest issue
journal judge keep kind know launch leader learn level limit listen local logic
manage margin master matter measure mentor method middle minute model moment monitor
motive narrow nation native nearly network normal notice number observe offer office
open option order outcome owner pace panel parent partner pathway pattern peer people
period permit person phase pilot place plan policy portfolio practice prepare present
pressure principal priority process produce program progress project promise proof
protect provide public purpose quality question quick rather reach ready reason
record reduce reflect region release remain report require research resource respond
result review reward rigor role route rubric rural scale schedule school science score
season second section secure select sense serve share shift short signal simple skill
small social source space speak staff stage standard state steady step strand strategy
strong student study subject support system table target task teacher team tension
term test theory thought time topic track train transfer trust tutor unit urban useful
value vision voice weekly whole widen window within work workshop year young""".split()

FIRST = ["Ana", "Bola", "Wei", "Dmitri", "Elin", "Farah", "Priya", "Tomás", "Zoë", "Jürgen",
         "Ingrid", "Kwame", "Lucía", "Mateus", "Noor", "Olu", "Pilar", "Rafael", "Sinéad",
         "Thérèse", "Ulla", "Víctor", "Yusuf", "Åsa", "Maëlle", "Chloé", "Björn", "Hannah",
         "Jonas", "Keiko"]
LAST = ["Ruiz", "Okafor", "Chen", "Volkov", "Lindqvist", "Haddad", "Natarajan", "García",
        "Müller", "Sørensen", "Mensah", "Fernández", "O'Brien", "Dubois", "Nováková",
        "Brennan", "Kowalski", "Álvarez", "Nakamura", "Østergaard", "Schäfer", "Moreau",
        "Costa", "Ibrahim", "Larsen", "Quinn", "Weiß", "Ferreira", "Yılmaz", "Patel"]
ORGS = ["District 9 Schools", "Lincoln Middle School", "State Dept. of Education",
        "Harbor High", "Northside Academy", "Riverside USD", "Teacher College",
        "Valley Regional", "Metro Charter Network", "County Office of Education"]
DOMAINS = ["gmail.example.com", "outlook.example.com", "district9.example.org",
           "icloud.example.com", "yahoo.example.com", "school.example.edu"]


def sentence(rng, lo=9, hi=18):
    n = rng.randint(lo, hi)
    ws = [rng.choice(WORDS) for _ in range(n)]
    ws[0] = ws[0].capitalize()
    # a comma now and then, as people write
    if n > 10:
        ws[rng.randint(3, n - 4)] += ","
    return " ".join(ws) + "."


def paragraph_text(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 5)))


def make_draft(rng):
    paras = [paragraph_text(rng) for _ in range(NPARA)]
    out = ["# Bench Draft: Learning Pathways for Educators", ""]
    for i, p in enumerate(paras):
        if i % 20 == 0:
            out += ["## Section %d" % (i // 20 + 1), ""]
        out += [p, ""]
    return paras, "\n".join(out)


def wrap(text, width=72, prefix=""):
    lines, cur = [], ""
    for w in text.split():
        if cur and len(cur) + 1 + len(w) > width - len(prefix):
            lines.append(prefix + cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
    if cur:
        lines.append(prefix + cur)
    return lines


def enc_name(rng, name, charset):
    """a display name as people's mailers write it: RFC 2047 when not ASCII"""
    try:
        name.encode("ascii")
        return '"%s"' % name if "'" in name else name
    except UnicodeEncodeError:
        pass
    raw = name.encode(charset, "replace")
    if rng.random() < 0.5:
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    q = "".join(chr(b) if (48 <= b < 58 or 65 <= b < 91 or 97 <= b < 123) else
                "_" if b == 32 else "=%02X" % b for b in raw)
    return "=?%s?Q?%s?=" % (charset, q)


def encode_body(rng, text, charset, cte):
    data = text.encode(charset, "replace")
    if cte == "base64":
        b = base64.encodebytes(data).decode("ascii")
        return b
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii")
    return data.decode(charset)


def html_of(text):
    out = ["<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\"></head><body>"]
    inq = False
    for block in text.split("\n\n"):
        lines = block.split("\n")
        quoted = all(l.startswith(">") for l in lines if l)
        body = " ".join(l.lstrip("> ").strip() for l in lines)
        body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if quoted and not inq:
            out.append('<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">')
            inq = True
        elif not quoted and inq:
            out.append("</blockquote>")
            inq = False
        out.append("<div dir=\"ltr\">%s</div><div><br></div>" % body)
    if inq:
        out.append("</blockquote>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def answer(rng, nsent):
    return " ".join(sentence(rng, 8, 16) for _ in range(nsent))


def phrase_of(text):
    """a distinctive phrase of an answer: words 2-7 of its first sentence,
    without punctuation (a checker searches the comment for it)"""
    ws = [w.strip(",.") for w in text.split()]
    return " ".join(ws[1:7])


SIGS = [
    lambda n, o: "-- \n%s\n%s\nPhone: +1 555 01%02d" % (n, o, len(n)),
    lambda n, o: "Best,\n%s" % n.split()[0],
    lambda n, o: "Sent from my iPhone",
    lambda n, o: "Thanks,\n%s\n%s" % (n, o),
    lambda n, o: "Get Outlook for Android",
    lambda n, o: "-- \n%s | %s" % (n, o),
]


class Gen:
    def __init__(self, seed, nparticipants):
        self.rng = random.Random(seed)
        self.paras, self.draft_md = make_draft(self.rng)
        self.people = []
        seen = set()
        for i in range(nparticipants):
            f, l = self.rng.choice(FIRST), self.rng.choice(LAST)
            local = "%s.%s%d" % (f.lower(), l.lower(), i)
            local = "".join(c for c in local.encode("ascii", "ignore").decode() if c.isalnum() or c == ".")
            addr = "%s@%s" % (local, self.rng.choice(DOMAINS))
            if addr in seen:
                continue
            seen.add(addr)
            self.people.append((f + " " + l, addr, self.rng.choice(ORGS)))

    def quote_para(self, n, lines_prefix="> "):
        return wrap("[%d] %s" % (n, self.paras[n - 1]), 76, lines_prefix)

    def reply(self, i):
        rng = self.rng
        name, addr, org = rng.choice(self.people)
        charset = "utf-8" if rng.random() < 0.8 else "iso-8859-1"
        roll = rng.random()
        if roll < 0.02:
            kind = "autoreply"
        elif roll < 0.36:
            kind = "gmail"
        elif roll < 0.60:
            kind = "outlook"
        elif roll < 0.90:
            kind = "named"
        else:
            kind = "digest"
        day = 16 + (i % 4)
        hh, mm = 8 + (i // 60) % 10, i % 60
        date = "%s, %d Jul 2018 %02d:%02d:%02d -0400" % (
            ["Mon", "Tue", "Wed", "Thu"][day - 16], day, hh, mm, i % 60)
        msgid = "bench.%d.%08x@%s" % (i, rng.getrandbits(32), addr.split("@")[1])
        to = LIST
        subject = "Re: Draft for review: Learning Pathways for Educators"
        extra = []
        exclude = "-"
        paras, phrases = [], []
        body_lines = []
        cls = "comment"
        if kind == "autoreply":
            cls = "auto-reply"
            if rng.random() < 0.5:
                extra.append("Auto-Submitted: auto-replied")
            extra.append("X-Autoreply: yes")
            subject = "Out of Office: Draft for review: Learning Pathways for Educators"
            body_lines = ["I am out of the office until %d July with limited access to email." % (day + 7),
                          "", "For urgent matters please contact the front office at +1 555 0100 200,",
                          "or write to the district help desk; messages are not forwarded.", "", name, org]
            paras = None
        elif kind == "gmail":
            nq = rng.randint(1, 3)
            start = rng.randint(1, NPARA - 12)
            picks = sorted(rng.sample(range(start, start + 12), nq))
            who = "On %s, %s <%s> wrote:" % (date[:-6], ORGANIZER, LIST)
            greet = rng.random() < 0.3
            if greet:
                body_lines += ["Hi Katherine,", ""]
            body_lines += wrap(who, 76) + [">"]
            for k, n in enumerate(picks):
                span = rng.randint(1, 3) if k == 0 and nq == 1 else 1
                # the answer belongs to the last quoted paragraph above it:
                # quote n-span+1..n, answer under n
                lo = max(1, n - span + 1)
                for q in range(lo, n + 1):
                    body_lines += self.quote_para(q) + [">"]
                body_lines.pop()
                a = answer(rng, rng.randint(2, 6))
                body_lines += [""] + wrap(a) + [""]
                # several paragraphs quoted whole: the one holding most of
                # the quote (tagd's documented rule; see README)
                # the quote (tagd's documented rule; see README), but three or
                # more quoted whole are an untrimmed quote: the one above
                paras.append(n if n - lo >= 2 else
                             max(range(lo, n + 1), key=lambda q: (len(self.paras[q - 1]), -q)))
                phrases.append(phrase_of(a))
                if k + 1 < nq:
                    body_lines += [">"]
            exclude = phrase_of(self.paras[picks[0] - 1])
            body_lines += ["", SIGS[rng.randrange(len(SIGS))](name, org)]
        elif kind == "outlook":
            named = rng.random() < 0.6
            if named:
                k = rng.randint(1, 3)
                picks = sorted(rng.sample(range(1, NPARA + 1), k))
                for n in picks:
                    a = answer(rng, rng.randint(2, 5))
                    lead = rng.choice(["¶%d: ", "¶%d - ", "Paragraph %d: ", "Para %d: "]) % n
                    body_lines += wrap(lead + a) + [""]
                    paras.append(n)
                    phrases.append(phrase_of(a))
            else:
                a = answer(rng, rng.randint(3, 8))
                body_lines += wrap(a) + [""]
                paras.append(0)
                phrases.append(phrase_of(a))
            body_lines += [name, org, ""]
            body_lines += ["________________________________",
                           "From: %s <%s>" % (ORGANIZER, LIST),
                           "Sent: %s, July %d, 2018 6:14 AM" % (["Monday", "Tuesday", "Wednesday", "Thursday"][day - 16], day),
                           "To: %s <%s>" % (name, addr),
                           "Subject: Draft for review: Learning Pathways for Educators", ""]
            body_lines += ["Hello %s," % name, "", "Here is the draft paper for the Bench Technical Advisory", "Group.", ""]
            nquote = rng.randint(2, 10)
            for n in range(1, nquote + 1):
                body_lines += wrap("[%d] %s" % (n, self.paras[n - 1]), 76) + [
                    "    Comment on [%d]: %s+p%d@%s" % (n, LIST_LOCAL, n, LIST_DOMAIN), ""]
            exclude = phrase_of(self.paras[0])
        elif kind == "named":
            k = rng.randint(1, 3)
            picks = rng.sample(range(1, NPARA + 1), k)
            if rng.random() < 0.3:
                body_lines += ["Dear organizers,", ""]
            for n in picks:
                a = answer(rng, rng.randint(2, 6))
                form = rng.random()
                if form < 0.4:
                    lead = "¶%d: " % n
                elif form < 0.7:
                    lead = "Paragraph %d: " % n
                elif form < 0.85:
                    lead = "P%d: " % n
                else:
                    lead = "Re [%d]: " % n
                body_lines += wrap(lead + a) + [""]
                paras.append(n)
                phrases.append(phrase_of(a))
            body_lines += [SIGS[rng.randrange(len(SIGS))](name, org)]
        else:  # digest: a reply to a relayed paragraph's address
            n = rng.randint(1, NPARA)
            to = "%s+p%d@%s" % (LIST_LOCAL, n, LIST_DOMAIN)
            subject = "Re: [TAG Bench] Daily digest, %d July" % (day - 1)
            a = answer(rng, rng.randint(3, 9))
            body_lines += wrap(a) + ["", SIGS[rng.randrange(len(SIGS))](name, org), ""]
            body_lines += ["-----Original Message-----", "From: %s" % LIST,
                           "Subject: [TAG Bench] Daily digest", ""]
            for q in range(rng.randint(2, 12)):
                body_lines += wrap("Comment %d on [%d]: %s" % (q + 1, n, answer(rng, 3)), 76) + [""]
            paras.append(n)
            phrases.append(phrase_of(a))
        text = "\n".join(body_lines).rstrip("\n") + "\n"
        if len(text) < 900:
            # a short mail from an institution: its disclaimer makes up the rest
            text += ("\nCONFIDENTIALITY NOTICE: This e-mail message, including any attachments, "
                     "is for the sole use of the intended recipient(s) and may contain "
                     "confidential and privileged information. Any unauthorized review, use, "
                     "disclosure or distribution is prohibited. If you are not the intended "
                     "recipient, please contact the sender by reply e-mail and destroy all "
                     "copies of the original message.\n")
        if charset == "iso-8859-1":
            text = text.replace("¶", "¶")  # ISO-8859-1 has the pilcrow (0xB6)
        cte = rng.choice(["7bit", "quoted-printable", "base64"]) if charset == "utf-8" else \
            rng.choice(["quoted-printable", "8bit", "base64"])
        try:
            text.encode("ascii")
            ascii_ok = True
        except UnicodeEncodeError:
            ascii_ok = False
        if cte == "7bit" and not ascii_ok:
            cte = "quoted-printable"
        if cte == "8bit":
            cte = "quoted-printable"
        alt = rng.random() < 0.5 or kind == "autoreply"
        hdr = [
            "Return-Path: <%s>" % addr,
            "Received: from mail.%s (mail.%s [198.51.100.%d])" % (addr.split("@")[1], addr.split("@")[1], i % 250 + 1),
            "\tby mx.tags.example.org (Postfix) with ESMTPS id %08X" % (i * 2654435761 % (1 << 32)),
            "\tfor <%s>; %s" % (to, date),
            "Received: from [10.0.%d.%d] by smtp.%s with ESMTPSA id %016x" % (i % 200, i % 97, addr.split("@")[1], rng.getrandbits(64)),
            "\tfor <%s>; %s" % (to, date),
            "Authentication-Results: mx.tags.example.org; dkim=pass header.d=%s; spf=pass" % addr.split("@")[1],
            "\tsmtp.mailfrom=%s; dmarc=pass (p=NONE) header.from=%s" % (addr, addr.split("@")[1]),
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=s2018;" % addr.split("@")[1],
            "\th=from:to:subject:date:message-id:mime-version;",
            "\tbh=%s;" % base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode(),
        ] + [("\tb=" if k == 0 else "\t") + base64.b64encode(rng.getrandbits(1536).to_bytes(192, "big")).decode()[:72]
             for k in range(4)] + [
            "X-Originating-IP: [198.51.100.%d]" % (i % 250 + 1),
            "From: %s <%s>" % (enc_name(rng, name, charset), addr),
            "To: Bench TAG <%s>" % to,
            "Subject: %s" % subject,
            "Date: %s" % date,
            "Message-ID: <%s>" % msgid,
            "MIME-Version: 1.0",
        ]
        if kind in ("gmail", "outlook"):
            hdr += ["In-Reply-To: <draft.r1.%s>" % addr.replace("@", "."),
                    "References: <draft.r1.%s>" % addr.replace("@", ".")]
        hdr += extra
        if alt:
            bnd = "----=_Part_%d_%d" % (i, rng.getrandbits(24))
            hdr.append('Content-Type: multipart/alternative; boundary="%s"' % bnd)
            html = html_of(text)
            hcte = "quoted-printable" if cte != "base64" else "base64"
            parts = [
                "--" + bnd,
                'Content-Type: text/plain; charset="%s"' % charset,
                "Content-Transfer-Encoding: %s" % cte, "",
                encode_body(rng, text, charset, cte).rstrip("\n"),
                "--" + bnd,
                'Content-Type: text/html; charset="%s"' % charset,
                "Content-Transfer-Encoding: %s" % hcte, "",
                encode_body(rng, html, charset, hcte).rstrip("\n"),
                "--" + bnd + "--", ""]
            body = "\n".join(parts)
        else:
            hdr.append('Content-Type: text/plain; charset="%s"%s' % (
                charset, "; format=flowed" if rng.random() < 0.2 and cte == "7bit" else ""))
            hdr.append("Content-Transfer-Encoding: %s" % cte)
            body = encode_body(rng, text, charset, cte)
        raw = ("\r\n".join(hdr) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode("latin-1" if False else "utf-8")
        if not body.isascii():
            raise SystemExit("non-ASCII body for %s" % msgid)
        truth = (msgid, cls, "-" if paras is None else ",".join(map(str, paras)), kind,
                 " || ".join(phrases) if phrases else "-", exclude)
        return raw, truth, kind


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out, n = args[0], int(args[1])
    seed, npeople, maildir = 8, 1000, False
    rest = args[2:]
    while rest:
        a = rest.pop(0)
        if a == "--seed":
            seed = int(rest.pop(0))
        elif a == "--participants":
            npeople = int(rest.pop(0))
        elif a == "--maildir":
            maildir = True
        else:
            sys.exit("unknown option %s" % a)
    os.makedirs(out, exist_ok=True)
    g = Gen(seed, npeople)
    with open(os.path.join(out, "draft.md"), "w") as f:
        f.write(g.draft_md)
    with open(os.path.join(out, "participants.csv"), "w") as f:
        f.write("email,name,organization,role,years_experience\n")
        for name, addr, org in g.people:
            f.write('%s,"%s","%s",Teacher,%d\n' % (addr, name, org, 3 + len(name) % 9))
    with open(os.path.join(out, "bench.session"), "w") as f:
        f.write("""[session]
slug = bench
title = Bench TAG
list = %s
organizer = %s <organizer@tags.example.org>
timezone = America/New_York
opens = 2018-07-16
closes = 2018-07-20
digest_at = 17:00
min_years_experience = 1
""" % (LIST, ORGANIZER))
    sizes, kinds = [], {}
    if maildir:
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(out, "maildir", d), exist_ok=True)
    with open(os.path.join(out, "replies.mbox"), "wb") as mb, \
            open(os.path.join(out, "truth.tsv"), "w") as tt:
        tt.write("message_id\tclass\tparagraphs\tkind\tcontains\texcludes\n")
        for i in range(n):
            raw, truth, kind = g.reply(i)
            sizes.append(len(raw))
            kinds[kind] = kinds.get(kind, 0) + 1
            tt.write("\t".join(truth) + "\n")
            lf = raw.replace(b"\r\n", b"\n")
            # mboxrd: quote From_ lines (and quoted ones) in the body
            body = b"\n".join((b">" + l) if l.lstrip(b">").startswith(b"From ") else l
                              for l in lf.split(b"\n"))
            mb.write(b"From bench@tags.example.org Tue Jul 17 14:00:00 2018\n" + body.rstrip(b"\n") + b"\n\n")
            if maildir:
                with open(os.path.join(out, "maildir", "new", "%010d.M%dP1.bench" % (1531800000 + i, i)), "wb") as f:
                    f.write(raw)
    sizes.sort()
    with open(os.path.join(out, "stats.txt"), "w") as f:
        f.write("messages %d\nbytes %d\nmin %d\nmedian %d\nmax %d\n" % (
            n, sum(sizes), sizes[0], sizes[len(sizes) // 2], sizes[-1]))
        for k in sorted(kinds):
            f.write("kind %s %d\n" % (k, kinds[k]))


if __name__ == "__main__":
    main()
