#!/usr/bin/python3
"""score.py - threading accuracy against the corpus's ground truth.

    score.py truth.tsv tagd RESULTS.jsonl      (tagctl inject --json output)
    score.py truth.tsv peer PEER.jsonl         ({"id", "text"} per message)

Prints one JSON object:
  tagd: messages, class_ok (class right), para_ok (class right and the
        comments' paragraphs exactly the truth's, in order), text_ok (every
        comment phrase found in the comment for it, and the quoted phrase
        in none), accuracy = para_ok / messages, and the failures by kind
  peer: messages, text_ok (each comment phrase in the visible text, the
        quoted phrase not in it), accuracy = text_ok / messages; a reply
        parser does not place text on paragraphs
"""
import json
import re
import sys


def norm(s):
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def load_truth(path):
    truth = {}
    with open(path) as f:
        next(f)
        for line in f:
            mid, cls, paras, kind, contains, excludes = line.rstrip("\n").split("\t")
            truth[mid] = {
                "class": cls, "kind": kind,
                "paras": [] if paras == "-" else [int(x) for x in paras.split(",")],
                "contains": [] if contains == "-" else [norm(x) for x in contains.split(" || ")],
                "excludes": None if excludes == "-" else norm(excludes),
            }
    return truth


def score_tagd(truth, path):
    res = {"messages": 0, "class_ok": 0, "para_ok": 0, "text_ok": 0, "missing": 0, "fail_kinds": {}}
    seen = set()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            t = truth.get(r.get("message_id"))
            if t is None or r["message_id"] in seen:
                continue
            seen.add(r["message_id"])
            res["messages"] += 1
            cls_ok = r["class"] == t["class"]
            paras = [c["paragraph"] for c in r.get("comments", [])]
            texts = [norm(c["text"]) for c in r.get("comments", [])]
            p_ok = cls_ok and (t["class"] != "comment" or paras == t["paras"])
            if t["class"] == "comment":
                joined = " | ".join(texts)
                t_ok = cls_ok and all(ph in joined for ph in t["contains"]) and \
                    (t["excludes"] is None or t["excludes"] not in joined)
            else:
                t_ok = cls_ok
            res["class_ok"] += cls_ok
            res["para_ok"] += p_ok
            res["text_ok"] += t_ok
            if not p_ok:
                k = res["fail_kinds"].setdefault(t["kind"], [0, r["message_id"]])
                k[0] += 1
    res["missing"] = len(truth) - len(seen)
    res["accuracy"] = res["para_ok"] / max(1, len(truth))
    res["text_accuracy"] = res["text_ok"] / max(1, len(truth))
    return res


def score_peer(truth, path):
    res = {"messages": 0, "text_ok": 0, "missing": 0}
    seen = set()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            t = truth.get(r.get("id"))
            if t is None or r["id"] in seen:
                continue
            seen.add(r["id"])
            res["messages"] += 1
            text = norm(r.get("text") or "")
            if t["class"] == "comment":
                ok = all(ph in text for ph in t["contains"]) and \
                    (t["excludes"] is None or t["excludes"] not in text)
            else:
                ok = True  # the peer has no notion of auto-replies: not counted against it
            res["text_ok"] += ok
    res["missing"] = len(truth) - len(seen)
    res["text_accuracy"] = res["text_ok"] / max(1, len(truth))
    return res


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("tagd", "peer"):
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    r = score_tagd(truth, sys.argv[3]) if sys.argv[2] == "tagd" else score_peer(truth, sys.argv[3])
    print(json.dumps(r, sort_keys=True))


if __name__ == "__main__":
    main()
