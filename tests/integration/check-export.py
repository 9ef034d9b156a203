"""check-export - checks for `tagctl export` and `tagctl final`, printing TAP
lines "ok X - ..." / "not ok X - ..." that the calling shell test renumbers.

  check-export.py clock FILE.eml
      the message's Date as "YYYY-MM-DD HH:MM" UTC (for tagctl --clock)
  check-export.py facts FIXTURES results.jsonl ATTACHMENT EXTRA_ADDR
      what the checks expect, as JSON (from EXPECTED.tsv and the inject results)
  check-export.py status-plan facts.json
      "ID<TAB>STATUS<TAB>NOTE" lines for tagctl comment

  check-export.py exports facts.json OUT.json OUT.csv OUT.md OUT.html
      every format of the export of revision 1 against the fixture week
  check-export.py retired facts.json REV2.json
      the export of revision 2: comments on a paragraph it dropped
  check-export.py final MAILDIR facts.json
      the final paper as the SMTP server received it (first run)
  check-export.py dom DOM.html facts.json [export|digest]
      what a browser made of the HTML (chromium --dump-dom)

facts.json (written by the shell test): {"placement": {id: paragraph}, "parent":
{id: parent}, "status": {id: [status, note]}, "hostile": id, "hostile_text": str,
"late": id, "participants": [...], "left": [...], "extra": [...],
"thanks": [...], "fate": {email: [phrases]}, "attachment": path, "days": [...]}
"""
import csv
import email
import email.policy
import html.parser
import io
import json
import os
import re
import sys

N = [0]
FAILED = [0]


def ok(cond, what, *diag):
    N[0] += 1
    if cond:
        print("ok X - %s" % what)
    else:
        FAILED[0] += 1
        print("not ok X - %s" % what)
        for d in diag:
            for line in str(d).splitlines()[:20]:
                print("#   %s" % line)
    return cond


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def walk(comments, depth=0, parent=None):
    """(comment, depth, parent id) for a list of threads, depth first"""
    for c in comments:
        yield c, depth, parent
        yield from walk(c["replies"], depth + 1, c["id"])


def all_comments(doc):
    """every comment of a JSON export with where it is: (comment, section, number, depth, parent)"""
    out = []
    for c, d, p in walk(doc["general"]):
        out.append((c, "general", 0, d, p))
    for para in doc["paragraphs"]:
        for c, d, p in walk(para["comments"]):
            out.append((c, "paragraph", para["number"], d, p))
    for para in doc["retired"]:
        for c, d, p in walk(para["comments"]):
            out.append((c, "retired", para["number"], d, p))
    return out


# ---- the four formats ----

def check_json(doc, facts):
    ok(doc["revision"] == 1 and doc["session"]["slug"] == "prof-learning", "json: session and revision 1")
    ok(len(doc["paragraphs"]) == 22 and [p["number"] for p in doc["paragraphs"]] == list(range(1, 23)),
       "json: the 22 numbered paragraphs in order", [p["number"] for p in doc["paragraphs"]])
    found = all_comments(doc)
    ids = [c["id"] for c, *_ in found]
    want = set(int(k) for k in facts["placement"]) | set(int(k) for k in facts["parent"])
    ok(len(ids) == len(set(ids)) and set(ids) == want and doc["counts"]["comments"] == len(ids),
       "json: every comment exactly once (%d)" % len(want), sorted(set(ids) ^ want))
    where = {c["id"]: (s, n, d, p) for c, s, n, d, p in found}
    bad = []
    for cid, para in facts["placement"].items():
        s, n, d, p = where.get(int(cid), (None, None, None, None))
        want_s = "general" if para == 0 else "paragraph"
        if (s, n, d) != (want_s, para, 0):
            bad.append("comment %s: %s ¶%s depth %s, want %s ¶%s" % (cid, s, n, d, want_s, para))
    ok(not bad, "json: every comment under the paragraph EXPECTED.tsv says", "\n".join(bad))
    bad = [cid for cid, par in facts["parent"].items() if where.get(int(cid), (0, 0, 0, None))[3] != par]
    ok(not bad, "json: replies under the comment they answer", bad)
    byid = {c["id"]: c for c, *_ in found}
    bad = ["%s: %s %r" % (cid, byid[int(cid)]["status"], byid[int(cid)]["note"])
           for cid, (st, note) in facts["status"].items()
           if (byid[int(cid)]["status"], byid[int(cid)]["note"]) != (st, note)]
    ok(not bad, "json: statuses and notes as set with tagctl comment", bad)
    ok(all(c["status"] == "open" for c in byid.values() if str(c["id"]) not in facts["status"]),
       "json: the other comments are open")
    ok(byid[facts["hostile"]]["text"] == facts["hostile_text"], "json: the hostile comment's text round-trips")
    late = byid[facts["late"]]
    ok(late["late"] and late["day"] == "later" and sum(c["late"] for c in byid.values()) == 1,
       "json: the comment after the close is late, in the 'later' column")
    ok(all(c["name"] and c["organization"] and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$", c["created"])
           for c in byid.values()), "json: every comment has a name, organization and RFC 3339 time")
    heat = doc["heat"]
    ok(heat["days"] == facts["days"], "json: heat columns are the session's days (and 'later')", heat["days"])
    rows = heat["rows"]
    ok(len(rows) == 23 and rows[0]["number"] == 0 and [r["number"] for r in rows[1:]] == list(range(1, 23)),
       "json: heat rows: the draft as a whole, then ¶1-¶22")
    bad = []
    sections = [doc["general"]] + [p["comments"] for p in doc["paragraphs"]]
    for r, threads in zip(rows, sections):
        counts = [0] * len(heat["days"])
        for c, *_ in walk(threads):
            counts[heat["days"].index(c["day"])] += 1
        if r["counts"] != counts or r["total"] != sum(counts):
            bad.append("row %s: %s total %s, want %s" % (r["number"], r["counts"], r["total"], counts))
    ok(not bad, "json: heat counts per paragraph and day match the comments", "\n".join(bad))
    ok(sum(r["total"] for r in rows) == len(ids) and heat["max"] == max(max(r["counts"]) for r in rows),
       "json: the heat map counts every comment once")
    return byid


def check_csv(text, facts, byid):
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    ok(len(rows) == len(byid) and set(int(r["id"]) for r in rows) == set(byid),
       "csv: one row per comment (%d)" % len(rows), len(rows))
    r = {int(x["id"]): x for x in rows}
    bad = []
    for cid, para in facts["placement"].items():
        x = r.get(int(cid))
        if x is None or x["paragraph"] != str(para) or x["section"] != ("general" if para == 0 else "paragraph"):
            bad.append("%s: %s" % (cid, x and (x["section"], x["paragraph"])))
    ok(not bad, "csv: every comment's paragraph as EXPECTED.tsv says", bad)
    bad = [cid for cid, par in facts["parent"].items() if r[int(cid)]["parent"] != str(par) or r[int(cid)]["depth"] != "1"]
    ok(not bad, "csv: replies name their parent, at depth 1", bad)
    bad = [cid for cid, (st, note) in facts["status"].items() if (r[int(cid)]["status"], r[int(cid)]["note"]) != (st, note)]
    ok(not bad, "csv: statuses and notes", bad)
    ok(all(r[i]["text"] == byid[i]["text"] and r[i]["author"] == byid[i]["author"] for i in r),
       "csv: text and author of every comment as in the JSON (quoting survives commas, quotes, newlines)")
    ok(r[facts["late"]]["late"] == "yes" and r[facts["late"]]["day"] == "later", "csv: the late comment")


def check_md(text, facts, byid):
    marks = [text.find("**¶%d**" % n) for n in range(1, 23)]
    ok(all(m >= 0 for m in marks) and marks == sorted(marks), "md: every paragraph, in order")
    general = text.find("## On the draft as a whole")
    draft = text.find("## The draft, revision 1")
    ok(0 <= general < draft < marks[0], "md: the draft as a whole first, then the draft")
    bounds = [(general, draft)] + [(marks[i], marks[i + 1] if i + 1 < 22 else len(text)) for i in range(22)]
    bad = []
    for cid, para in facts["placement"].items():
        at = text.find("· #%s ·" % cid)
        lo, hi = bounds[para]
        if not lo < at < hi:
            bad.append("%s not under ¶%s" % (cid, para))
    ok(not bad, "md: every comment under its paragraph", bad)
    ok(all(("· a reply to #%s" % p) in text for p in facts["parent"].values()), "md: replies say what they answer")
    ok("## Where the discussion was" in text and "| ¶22 |" in text, "md: the heat table")
    ok(all(("· **%s**" % st) in text for st, _ in facts["status"].values()), "md: statuses shown")


class Tree(html.parser.HTMLParser):
    """a light DOM: elements with tag, attrs, parent chain and text"""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.elements = []
        self.text_of = {}

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "parents": [e for e in self.stack], "text": []}
        self.elements.append(el)
        if tag not in ("meta", "link", "br", "img", "input", "hr", "col", "wbr", "source", "area", "base", "embed"):
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "parents": list(self.stack), "text": []})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"].append(data)


def parse_html(text):
    t = Tree()
    t.feed(text)
    t.close()
    return t


def by_id(tree, ident):
    for el in tree.elements:
        if el["attrs"].get("id") == ident:
            return el
    return None


def inside(el, ancestor):
    return any(p is ancestor for p in el["parents"])


def check_html_static(text, facts, byid, label):
    """checks for the export's HTML, as written or as a browser's DOM"""
    t = parse_html(text)
    tags = [e["tag"] for e in t.elements]
    ok("script" not in tags and not any(k.startswith("on") for e in t.elements for k in e["attrs"]),
       "%s: no script element and no event handler attribute anywhere" % label)
    ok(not any(x in tags for x in ("img", "iframe", "object", "embed", "link", "b")),
       "%s: no element from the comment's markup (img, b) and no external resource element" % label)
    ok(all(e["attrs"].get("href", "#").startswith("#") for e in t.elements) and
       not any("src" in e["attrs"] for e in t.elements),
       "%s: links only within the page, no src attributes" % label)
    csp = [e for e in t.elements if e["tag"] == "meta" and e["attrs"].get("http-equiv", "").lower() == "content-security-policy"]
    ok(csp and "default-src 'none'" in csp[0]["attrs"].get("content", ""), "%s: a CSP forbids scripts and loads" % label)
    title = [e for e in t.elements if e["tag"] == "title"]
    ok(title and "PWNED" not in "".join(title[0]["text"]) and "Professional Learning" in "".join(title[0]["text"]),
       "%s: the title is the export's" % label)
    bad = []
    for n in range(1, 23):
        sec = by_id(t, "p%d" % n)
        if sec is None or sec["tag"] != "section":
            bad.append("no section p%d" % n)
    ok(not bad, "%s: every paragraph has its section" % label, bad)
    bad = []
    for cid, para in facts["placement"].items():
        art = by_id(t, "c%s" % cid)
        sec = by_id(t, "general" if para == 0 else "p%d" % para)
        if art is None or sec is None or not inside(art, sec):
            bad.append("c%s not in %s" % (cid, "general" if para == 0 else "p%d" % para))
    ok(not bad, "%s: every comment inside its paragraph's section" % label, bad)
    bad = [cid for cid, par in facts["parent"].items()
           if not inside(by_id(t, "c%s" % cid), by_id(t, "c%s" % par))]
    ok(not bad, "%s: replies nested in the comment they answer" % label, bad)
    art = by_id(t, "c%s" % facts["hostile"])
    texts = [e for e in t.elements if e["tag"] == "div" and e["attrs"].get("class") == "text" and inside(e, art)]
    ok(texts and "".join(texts[0]["text"]) == facts["hostile_text"],
       "%s: the hostile comment shows as the text it is" % label, texts and "".join(texts[0]["text"]))
    heat = [e for e in t.elements if e["tag"] == "table" and "heat" in e["attrs"].get("class", "")]
    rows = [e for e in t.elements if e["tag"] == "tr" and heat and inside(e, heat[0])]
    cells = [e for e in t.elements if e["tag"] == "td" and heat and inside(e, heat[0])]
    ndays = len(facts["days"])
    ok(heat and len(rows) == 1 + 23 and len(cells) == 23 * (ndays + 1),
       "%s: the heat map: a table of 23 rows by %d days and a total" % (label, ndays),
       "%d rows, %d cells" % (len(rows), len(cells)))
    titled = [c for c in cells if re.search(r"\d+ (comments?|in all)", c["attrs"].get("title", ""))]
    ok(len(titled) == len(cells) and all("".join(c["text"]).strip().isdigit() for c in cells),
       "%s: every heat cell shows its count as text and in its title" % label)
    total = sum(int("".join(c["text"])) for c in cells if c["attrs"].get("class") == "total")
    ok(total == len(byid), "%s: the heat map's totals add up to every comment" % label, total)
    return t


def cmd_exports(facts_path, j, c, m, h):
    facts = load(facts_path)
    doc = load(j)
    byid = check_json(doc, facts)
    with open(c, encoding="utf-8", newline="") as f:
        check_csv(f.read(), facts, byid)
    with open(m, encoding="utf-8") as f:
        check_md(f.read(), facts, byid)
    with open(h, encoding="utf-8") as f:
        text = f.read()
    check_html_static(text, facts, byid, "html")
    ok("&lt;script&gt;document.title=" in text and "<script" not in text.lower(), "html: the comment's <script> is escaped")
    note = [n for st, n in facts["status"].values() if "<" in n][0]
    ok(__import__("html").escape(note, quote=True) in text, "html: a note's markup is escaped")


def cmd_retired(facts_path, rev2):
    facts = load(facts_path)
    doc = load(rev2)
    ok(doc["revision"] == 2 and doc["current_revision"] == 2, "rev 2: the export is of the newest revision")
    ret = doc["retired"]
    want = [int(k) for k, v in facts["placement"].items() if v == facts["retired_number"]]
    got = [c["id"] for r in ret for c, *_ in walk(r["comments"])]
    ok(len(ret) == 1 and ret[0]["number"] == facts["retired_number"] and ret[0]["revision"] == 1 and
       sorted(got) == sorted(want), "rev 2: comments on the dropped ¶%d in a section of their own" % facts["retired_number"],
       json.dumps(ret)[:400])
    ok(ret and ret[0]["text"].startswith(facts["retired_text"]), "rev 2: with the text it had")
    moved = [p for p in doc["paragraphs"] if p["text"].startswith(facts["moved_text"])]
    want = sorted(int(k) for k, v in facts["placement"].items() if v == facts["moved_from"])
    ok(moved and sorted(c["id"] for c in moved[0]["comments"]) == want,
       "rev 2: comments follow a moved paragraph (¶%d of revision 1 is ¶%s)" % (facts["moved_from"], moved and moved[0]["number"]))
    rows = doc["heat"]["rows"]
    ok(rows[-1]["retired"] and rows[-1]["total"] == len(got) and sum(r["total"] for r in rows) == doc["counts"]["comments"],
       "rev 2: the retired paragraph is a heat row of its own")


def cmd_final(maildir, facts_path):
    facts = load(facts_path)
    mails = {}
    for name in sorted(os.listdir(os.path.join(maildir, "new"))):
        with open(os.path.join(maildir, "new", name), "rb") as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        if not str(m.get("Message-ID", "")).startswith("<final."):
            continue
        mails.setdefault(str(m["X-Envelope-To"]).strip("<>").lower(), []).append(m)
    want = sorted(a.lower() for a in facts["participants"] + facts["extra"])
    ok(sorted(mails) == want and all(len(v) == 1 for v in mails.values()),
       "final: one mail to each active participant and extra address (%d)" % len(want),
       {k: len(v) for k, v in mails.items()})
    ok(not any(a.lower() in mails for a in facts["left"]), "final: none to a participant who left")
    with open(facts["attachment"], "rb") as f:
        pdf = f.read()
    for addr in want:
        m = mails.get(addr, [None])[0]
        if m is None:
            ok(False, "final: mail to %s" % addr)
            continue
        text = m.get_body(("plain",)).get_content()
        htm = m.get_body(("html",)).get_content()
        ok(str(m["Subject"]).startswith("Final paper:") and m["List-Id"] is not None,
           "final %s: subject and list headers" % addr, m["Subject"])
        missing = [t for t in facts["thanks"] if t not in text or t not in htm]
        ok(not missing, "final %s: every contributor thanked by name and organization" % addr, missing)
        phrases = facts["fate"].get(addr, [])
        missing = [p for p in phrases if p not in text]
        ok(not missing, "final %s: the fate of their own comments (%d phrases)" % (addr, len(phrases)), missing,
           text[text.find("YOUR COMMENTS"):][:1200])
        ok(all(("[%d] " % n) in text for n in range(1, facts["final_paragraphs"] + 1)) and
           ("[%d] " % (facts["final_paragraphs"] + 1)) not in text,
           "final %s: the paper's %d numbered paragraphs" % (addr, facts["final_paragraphs"]))
        atts = [p for p in m.iter_attachments() if p.get_filename() == os.path.basename(facts["attachment"])]
        ok(len(atts) == 1 and atts[0].get_content_type() == "application/pdf" and atts[0].get_content() == pdf,
           "final %s: the PDF attached, byte for byte" % addr)
        for raw in facts.get("escaped", {}).get(addr, []):
            ok(raw.replace("<", "&lt;").replace(">", "&gt;") in htm and raw not in htm,
               "final %s: markup in a note is escaped in the HTML part" % addr)


def cmd_dom(dom_path, facts_path, kind):
    facts = load(facts_path)
    with open(dom_path, encoding="utf-8") as f:
        text = f.read()
    if kind == "export":
        byid = {int(k): 1 for k in list(facts["placement"]) + list(facts["parent"])}
        t = check_html_static(text, facts, byid, "browser")
    else:
        t = parse_html(text)
        tags = [e["tag"] for e in t.elements]
        ok("script" not in tags and not any(k.startswith("on") for e in t.elements for k in e["attrs"]),
           "digest in browser: no script element and no event handler attribute")
        ok(not any(x in tags for x in ("img", "b", "iframe")), "digest in browser: no element from the comment's markup")
        title = [e for e in t.elements if e["tag"] == "title"]
        ok(title and "".join(title[0]["text"]).startswith("Digest for") and "PWNED" not in text.split("</title>")[0],
           "digest in browser: the title is unchanged", title and "".join(title[0]["text"]))
        divs = ["".join(e["text"]) for e in t.elements if e["tag"] == "div"]
        ok(facts["hostile_text"] in divs, "digest in browser: the hostile comment shows as text")
        for n in facts["digest_paragraphs"]:
            ok(any(e["tag"] == "h2" and "".join(e["text"]).strip() == "¶%d" % n for e in t.elements),
               "digest in browser: ¶%d has its heading" % n)
    body = [e for e in t.elements if e["tag"] == "body"]
    ok(body and "data-pwned" not in body[0]["attrs"], "%s in browser: no handler from a comment ran (body unchanged)" % kind)


def msg_of(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def cmd_clock(path):
    t = msg_of(path)["Date"].datetime
    print(t.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%d %H:%M"))


def snippet(text, words=12):
    w = text.split()
    return " ".join(w[:words]) + ("..." if len(w) > words else "")


def cmd_facts(fix, results_path, attachment, extra):
    results = {}
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                results[os.path.basename(r["file"])] = r
    sender = {name: str(msg_of(os.path.join(os.path.dirname(results[name]["file"]), name))["From"].addresses[0].addr_spec).lower()
              for name in results}
    facts = {"placement": {}, "parent": {}, "status": {}, "attachment": attachment, "extra": [extra]}
    by_author = {}
    first = {}
    with open(os.path.join(fix, "replies", "EXPECTED.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    left = []
    for row in rows:
        r = results[row["file"]]
        if row["class"] == "command" and row["paragraphs"] == "leave":
            left.append(sender[row["file"]])
        if row["class"] != "comment":
            continue
        for c, para in zip(r["comments"], row["paragraphs"].split(",")):
            facts["placement"][str(c["id"])] = int(para)
        first[row["file"]] = r["comments"]
    for name, r in results.items():
        for c in r["comments"]:
            by_author.setdefault(sender[name], []).append(c)
            if c["parent"]:
                facts["parent"][str(c["id"])] = c["parent"]
            elif name not in first:
                facts["placement"][str(c["id"])] = c["paragraph"]
    hostile = results["hostile.eml"]["comments"][0]
    facts["hostile"] = hostile["id"]
    facts["hostile_text"] = hostile["text"]
    facts["late"] = results["late.eml"]["comments"][0]["id"]
    facts["reply_parent_file"] = "006-dmitri-iphone-p1-p3.eml"
    # what the organizers decided (tagctl comment), and what each person is told
    ana = first["019-ana-owa-general-comment.eml"][0]
    elin = first["009-elin-thunderbird-flowed-delsp.eml"]
    bola = first["008-bola-gmail-partial-sentence.eml"][0]
    dmitri = first["006-dmitri-iphone-p1-p3.eml"][0]
    note_ana = "Added two vignettes in section 3."
    note_elin = 'We <i>kept</i> "before moving on" & explained the gate.'
    facts["status"] = {str(ana["id"]): ["incorporated", note_ana], str(elin[0]["id"]): ["declined", note_elin],
                       str(bola["id"]): ["incorporated", ""], str(dmitri["id"]): ["declined", "The dates are fixed."]}
    parts = []
    with open(os.path.join(fix, "participants.csv"), encoding="utf-8") as f:
        for p in csv.DictReader(f):
            parts.append(p)
    facts["participants"] = [p["email"] for p in parts if p["email"].lower() not in left]
    facts["left"] = left
    facts["thanks"] = ["%s, %s" % (p["name"], p["organization"]) for p in parts if p["email"].lower() in by_author]
    facts["days"] = ["2018-07-16", "2018-07-17", "2018-07-18", "2018-07-19", "2018-07-20", "later"]
    facts["retired_number"] = 10
    facts["retired_text"] = "Preparation programs in higher education"
    facts["moved_from"] = 7
    facts["moved_text"] = "Finally, the role of the teacher widens"
    fate = {}
    for addr in facts["participants"]:
        mine = by_author.get(addr.lower(), [])
        fate[addr.lower()] = ['On %s: "%s"' % ("the draft as a whole" if c["paragraph"] == 0 else "¶%d" % c["paragraph"],
                                                snippet(c["text"])) for c in mine]
    fate[extra.lower()] = ["You did not send comments this time"]
    fate["ana.ruiz@district9.example.org"].append('On the draft as a whole: "%s"\n     Taken into the final paper.\n'
                                                  "     Note from the organizers: %s\n" % (snippet(ana["text"]), note_ana))
    fate["e.lindqvist@uni.example.edu"] += [
        'On ¶2: "%s"\n     Considered and not taken up.\n     Note from the organizers: %s\n' % (snippet(elin[0]["text"]), note_elin),
        'On ¶10: "%s"\n     Read by the organizers.\n' % snippet(elin[1]["text"]),
        'On ¶22: "%s"\n     Read by the organizers; the paragraph is now ¶22.\n' % snippet(elin[2]["text"])]
    fate["b.okafor@gmail.example.com"] += [
        'On ¶7: "%s"\n     Taken into the final paper, now ¶2.\n' % snippet(bola["text"]),
        "(1 of your %d comments shaped the final text.)" % len(by_author["b.okafor@gmail.example.com"])]
    facts["fate"] = fate
    facts["escaped"] = {"e.lindqvist@uni.example.edu": ["<i>kept</i>"]}
    facts["final_paragraphs"] = 22
    facts["digest_paragraphs"] = [hostile["paragraph"]]
    json.dump(facts, sys.stdout, indent=1, ensure_ascii=False)
    print()


def cmd_status_plan(facts_path):
    for cid, (st, note) in load(facts_path)["status"].items():
        print("%s\t%s\t%s" % (cid, st, note))


def main():
    cmd = sys.argv[1]
    if cmd == "clock":
        cmd_clock(sys.argv[2])
        return 0
    if cmd == "facts":
        cmd_facts(*sys.argv[2:6])
        return 0
    if cmd == "status-plan":
        cmd_status_plan(sys.argv[2])
        return 0
    if cmd == "exports":
        cmd_exports(*sys.argv[2:7])
    elif cmd == "retired":
        cmd_retired(*sys.argv[2:4])
    elif cmd == "final":
        cmd_final(*sys.argv[2:4])
    elif cmd == "dom":
        cmd_dom(*sys.argv[2:5])
    else:
        print("not ok X - unknown check %s" % cmd)
        return 1
    return 1 if FAILED[0] else 0


sys.exit(main())
