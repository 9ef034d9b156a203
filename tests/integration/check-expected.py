"""check-expected - compare `tagctl inject --json` output (JSON lines) with a
fixtures EXPECTED.tsv, row by row, printing TAP. New rows are checked with
no code change. Usage: check-expected.py EXPECTED.tsv RESULTS.jsonl"""
import json
import os
import sys


def main():
    expected_path, results_path = sys.argv[1], sys.argv[2]
    results = {}
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                results[os.path.basename(r["file"])] = r
    n = failed = 0
    with open(expected_path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if not line.strip():
                continue
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            name = row["file"]
            r = results.get(name)
            problems = []
            if r is None:
                problems.append("no result")
            else:
                want_class = row["class"]
                if r["class"] != want_class:
                    problems.append("class %s, want %s (%s)" % (r["class"], want_class, r["reason"]))
                want = row["paragraphs"]
                if want_class == "comment":
                    got = ",".join(str(c["paragraph"]) for c in r["comments"])
                    if got != want:
                        problems.append("paragraphs %s, want %s" % (got or "-", want))
                    phrases = [] if row["contains"] == "-" else row["contains"].split(" || ")
                    texts = [c["text"] for c in r["comments"]]
                    for i, p in enumerate(phrases):
                        if i >= len(texts) or p not in texts[i]:
                            problems.append("comment %d lacks %r" % (i + 1, p))
                    ex = row["excludes"]
                    if ex != "-":
                        for i, t in enumerate(texts):
                            if ex in t:
                                problems.append("comment %d contains %r" % (i + 1, ex))
                elif want_class == "command" and r.get("command") != want:
                    problems.append("command %s, want %s" % (r.get("command"), want))
                elif want_class == "rsvp" and r.get("rsvp") != want:
                    problems.append("rsvp %s, want %s" % (r.get("rsvp"), want))
            n += 1
            if problems:
                failed += 1
                print("not ok %d - %s" % (n, name))
                for p in problems:
                    print("#   " + p)
                if r is not None:
                    for c in r.get("comments", []):
                        print("#   got ¶%s: %s" % (c["paragraph"], c["text"][:160].replace("\n", " ")))
            else:
                print("ok %d - %s: %s %s" % (n, name, row["class"], row["paragraphs"]))
    print("# %d of %d rows as expected" % (n - failed, n))
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
