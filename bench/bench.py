#!/usr/bin/python3
"""bench.py - tagd's benchmarks, each figure beside a peer measured in the same run.

    make bench                  (or: bench.py [--smoke] [--out DIR] [--only a,b])

Sections (--only takes their names): ingest, imap, smtp, growth, digest.
Needs TAGD_BUILDDIR (tagctl, tagd, bench/tagd-bench), TAGD_SRCDIR and
TAGD_TEMPLATE_DIR (make sets them). The peers (bench/install-deps.sh):
python3's email package and the npm package email-reply-parser in
bench/node_modules, mbsync, fetchmail, Postfix's smtp-sink and smtp-source;
a section whose peer is missing says so and measures tagd alone.

Prints the table (README: Performance) and writes it with every raw
figure to OUT (default: TAGD_BUILDDIR/bench-out): table.txt, results.json.
--smoke: 200 messages, every section small; exits 1 when the harness
breaks or threading accuracy is under the floor (make check runs it).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

PY = "/usr/bin/python3"
ACCURACY_FLOOR = 0.95          # --smoke fails under this


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit("bench.py: %s is not set (run it through make bench)" % name)
    return v


BUILD, SRC = env("TAGD_BUILDDIR"), env("TAGD_SRCDIR")
TAGCTL, TAGD, TBENCH = (os.path.join(BUILD, "tagctl"), os.path.join(BUILD, "tagd"),
                        os.path.join(BUILD, "bench", "tagd-bench"))
BENCH = os.path.join(SRC, "bench")
CLOCK = "2018-07-17 14:00"


def run(cmd, stdout=None, stdin=None, env_add=None, check=True):
    """run cmd; wall seconds, CPU seconds (it and its waited children) and peak RSS (KB)"""
    e = dict(os.environ)
    if env_add:
        e.update(env_add)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout or subprocess.DEVNULL, stdin=stdin,
                         stderr=subprocess.PIPE, env=e)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    t = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
        raise SystemExit("bench.py: %s exited %d" % (" ".join(cmd[:3]), code))
    return {"wall": t, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss, "code": code,
            "stderr": err.decode(errors="replace")}


def have(prog):
    return shutil.which(prog) is not None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- corpus

def corpus(out, n, maildir=False, participants=1000):
    """generate (or reuse) a corpus of n replies"""
    d = os.path.join(out, "corpus-%d%s-p%d" % (n, "-md" if maildir else "", participants))
    stamp = os.path.join(d, "stats.txt")
    if not os.path.exists(stamp):
        shutil.rmtree(d, ignore_errors=True)
        args = [PY, os.path.join(BENCH, "gen-corpus.py"), d, str(n), "--participants", str(participants)]
        if maildir:
            args.append("--maildir")
        run(args)
    stats = {}
    for line in open(stamp):
        k, v = line.split(None, 1)
        stats[k + (" " + v.split()[0] if k == "kind" else "")] = int(v.split()[-1])
    return d, stats


def setup_db(cdir, db, conf=None):
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    base = [TAGCTL, "-q"] + (["-c", conf] if conf else ["-d", db])
    run(base + ["session", "create", os.path.join(cdir, "bench.session")])
    run(base + ["participant", "import", "bench", os.path.join(cdir, "participants.csv")])
    run(base + ["draft", "import", "bench", os.path.join(cdir, "draft.md")])


# ---------------------------------------------------------------- ingest

def tagd_ingest(cdir, work, tag, one_cpu=False):
    """tagctl inject of the corpus; one_cpu: tagctl and its parser child
    both held to CPU 0 (taskset), so that each message's round trip to the
    child is a switch on one CPU, not a wake-up of the other"""
    db = os.path.join(work, "ingest-%s%s.db" % (tag, "-1cpu" if one_cpu else ""))
    setup_db(cdir, db)
    res = os.path.join(work, "ingest-%s%s.jsonl" % (tag, "-1cpu" if one_cpu else ""))
    pin = ["taskset", "-c", "0"] if one_cpu else []
    with open(res, "w") as f:
        r = run(pin + [TAGCTL, "-q", "-d", db, "--clock", CLOCK, "inject", "--json",
                       os.path.join(cdir, "replies.mbox")], stdout=f)
    score = json.loads(subprocess.run([PY, os.path.join(BENCH, "score.py"), os.path.join(cdir, "truth.tsv"),
                                       "tagd", res], capture_output=True, text=True, check=True).stdout)
    n = score["messages"]
    return {"messages": n, "wall": r["wall"], "cpu": r["cpu"], "rss_kb": r["rss_kb"],
            "rate": n / r["wall"], "cpu_rate": n / r["cpu"] if r["cpu"] else 0,
            "accuracy": score["accuracy"], "text_accuracy": score["text_accuracy"],
            "class_ok": score["class_ok"], "fail_kinds": score["fail_kinds"], "db": db}


def floors(cdir, work, tag):
    """what ingest's first steps cost alone on the same messages: libetpan's
    parse in process and through the isolated parser child, and the durable
    archive of the raw message (tagd-bench parse / archive)"""
    mbox = os.path.join(cdir, "replies.mbox")
    db = os.path.join(work, "floor-%s.db" % tag)
    res = {}
    pin = ["taskset", "-c", "0"] if have("taskset") else None
    for name, args in (("parse", ["parse", mbox]), ("parse_isolated", ["parse", mbox, "isolated"]),
                       ("parse_isolated_1cpu", ["parse", mbox, "isolated"]),
                       ("archive", ["archive", mbox, db])):
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.unlink(f)
        if name.endswith("_1cpu") and pin is None:
            continue
        p = subprocess.run((pin if name.endswith("_1cpu") else []) + [TBENCH] + args,
                           capture_output=True, text=True)
        res[name] = json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr[-500:]}
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    return res


def peer_ingest(cdir, work, tag):
    node_mod = os.path.join(BENCH, "node_modules", "email-reply-parser")
    if not (have("node") and os.path.isdir(node_mod)):
        return {"missing": "node and bench/node_modules/email-reply-parser (bench/install-deps.sh)"}
    p1 = os.path.join(work, "peer-%s-parsed.jsonl" % tag)
    p2 = os.path.join(work, "peer-%s-visible.jsonl" % tag)
    a = run([PY, os.path.join(BENCH, "peer-parse.py"), os.path.join(cdir, "replies.mbox"), p1])
    b = run(["node", os.path.join(BENCH, "peer-reply.js"), p1, p2])
    score = json.loads(subprocess.run([PY, os.path.join(BENCH, "score.py"), os.path.join(cdir, "truth.tsv"),
                                       "peer", p2], capture_output=True, text=True, check=True).stdout)
    n = score["messages"]
    os.unlink(p1)
    return {"messages": n, "parse_wall": a["wall"], "parse_cpu": a["cpu"], "parse_rss_kb": a["rss_kb"],
            "reply_wall": b["wall"], "reply_cpu": b["cpu"], "reply_rss_kb": b["rss_kb"],
            "wall": a["wall"] + b["wall"], "cpu": a["cpu"] + b["cpu"],
            "rss_kb": max(a["rss_kb"], b["rss_kb"]), "rate": n / (a["wall"] + b["wall"]),
            "cpu_rate": n / (a["cpu"] + b["cpu"]), "parse_rate": n / a["wall"], "reply_rate": n / b["wall"],
            "text_accuracy": score["text_accuracy"]}


# ---------------------------------------------------------------- imap

def imap(cdir, work, n, latency_count):
    out = os.path.join(work, "imap.jsonl")
    r = run(["sh", os.path.join(BENCH, "run-imap.sh"), cdir, str(n), out],
            env_add={"BENCH_LATENCY_COUNT": str(latency_count)}, check=False)
    steps = {}
    if os.path.exists(out):
        for line in open(out):
            d = json.loads(line)
            steps[d["step"]] = d
    steps["_stderr"] = r["stderr"][-1500:]
    return steps


# ---------------------------------------------------------------- smtp

SMTP_ROUNDS = 3


def median_by(runs, key):
    """the run with the median value of key (the lower middle one of an even count)"""
    return sorted(runs, key=lambda r: r[key])[(len(runs) - 1) // 2]


def smtp(cdir, work, mails, sessions, rounds=SMTP_ROUNDS):
    if not (have("smtp-sink") and have("smtp-source")):
        return {"missing": "Postfix's smtp-sink and smtp-source (bench/install-deps.sh)"}
    port = free_port()
    sink_cmd = ["smtp-sink"] + (["-u", "nobody"] if os.getuid() == 0 else []) + \
        ["127.0.0.1:%d" % port, "1000"]
    sink = subprocess.Popen(sink_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        state = os.path.join(work, "smtp")
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        conf = os.path.join(state, "tagd.conf")
        with open(conf, "w") as f:
            f.write("[tagd]\nstate_dir = %s\nhostname = tags.example.org\ntemplate_dir = %s\n"
                    "[maildir]\ninbox =\n[smtp]\nurl = smtp://127.0.0.1:%d\ntls = none\n"
                    % (state, os.environ.get("TAGD_TEMPLATE_DIR", ""), port))
        # `mails` participants in digest mode and the first day's comments of a few replies
        setup_db(cdir, os.path.join(state, "tagd.db"), conf)
        run([TAGCTL, "-q", "-c", conf, "--clock", CLOCK, "inject", os.path.join(cdir, "replies.mbox")])
        import sqlite3
        c = sqlite3.connect(os.path.join(state, "tagd.db"))
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("DELETE FROM outbox")      # the acknowledgements: not what is measured
        c.commit()
        c.close()
        clk = {"TAGD_BENCH_CLOCK": "2018-07-17 21:00"}
        p = subprocess.run([TBENCH, "digest", conf, "bench", "2018-07-17"], capture_output=True, text=True,
                           env=dict(os.environ, **clk))
        dg = json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr[-500:]}
        c = sqlite3.connect(os.path.join(state, "tagd.db"))
        raw = c.execute("SELECT raw FROM outbox_body LIMIT 1").fetchone()
        avg = c.execute("SELECT avg(length(raw)) FROM outbox_body").fetchone()[0]
        c.close()
        if raw is None:
            return {"error": "no digest queued", "digest": dg}
        sample = os.path.join(state, "digest.eml")
        with open(sample, "wb") as f:
            f.write(raw[0])
        dbf = os.path.join(state, "tagd.db")
        shutil.copy(dbf, dbf + ".queued")
        # tagd and smtp-source take turns, `rounds` times, so that load
        # from elsewhere on the machine falls on both alike; the median counts
        snd_runs = {s: [] for s in sessions}
        src_runs = {s: [] for s in sessions}
        for _ in range(rounds):
            for s in sessions:
                # tagd's sender on s connections ([smtp] connections), the same queue each time
                for f in (dbf + "-wal", dbf + "-shm"):
                    if os.path.exists(f):
                        os.unlink(f)
                shutil.copy(dbf + ".queued", dbf)
                p = subprocess.run([TBENCH, "send", conf, str(s)], capture_output=True, text=True,
                                   env=dict(os.environ, **clk))
                snd_runs[s].append(json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr[-500:]})
                t0 = time.perf_counter()
                subprocess.run(["smtp-source", "-d", "-s", str(s), "-m", str(mails), "-F", sample,
                                "-f", "bench@tags.example.org", "-t", "rcpt@example.org", "127.0.0.1:%d" % port],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                t = time.perf_counter() - t0
                src_runs[s].append({"seconds": t, "rate": mails / t})
        os.unlink(dbf + ".queued")
        snd, src = {}, {}
        for s in sessions:
            ok_runs = [r for r in snd_runs[s] if "rate" in r]
            snd[s] = dict(median_by(ok_runs, "rate"), runs=[r.get("rate") for r in snd_runs[s]]) \
                if ok_runs else snd_runs[s][-1]
            src[s] = dict(median_by(src_runs[s], "rate"), runs=[r["rate"] for r in src_runs[s]])
        return {"digest": dg, "send": snd, "smtp_source": src, "mail_bytes": avg, "mails": mails,
                "rounds": rounds}
    finally:
        sink.terminate()
        sink.wait()


# ---------------------------------------------------------------- growth, digest, idle

def idle_rss(work):
    state = os.path.join(work, "idle")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(os.path.join(state, "mail", "in", "new"))
    conf = os.path.join(state, "tagd.conf")
    with open(conf, "w") as f:
        f.write("[tagd]\nstate_dir = %s\nhostname = tags.example.org\n[http]\nlisten =\n" % state)
    p = subprocess.Popen([TAGD, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    rss = {}
    try:
        for line in open("/proc/%d/status" % p.pid):
            if line.startswith("VmRSS:"):
                rss["rss_kb"] = int(line.split()[1])
        # its own memory (anonymous pages: heap, stacks; what no other
        # process could share), and the proportional share (PSS). Private
        # pages are not that: a library mapped by no other process counts
        # as private, so that figure moves with whatever else runs
        for line in open("/proc/%d/smaps_rollup" % p.pid):
            if line.startswith("Anonymous:"):
                rss["anon_kb"] = int(line.split()[1])
            elif line.startswith("Pss:"):
                rss["pss_kb"] = int(line.split()[1])
        kids = [int(x) for x in open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()]
        rss["parser_child_rss_kb"] = sum(int(l.split()[1]) for k in kids for l in open("/proc/%d/status" % k)
                                         if l.startswith("VmRSS:"))
    except OSError:
        pass
    p.terminate()
    p.wait()
    # the floor: tagd-bench is linked against the same libraries; its RSS
    # at the first line of main, and with them set up as tagd sets them up
    db = os.path.join(state, "floor.db")
    f = subprocess.run([TBENCH, "rss", db], capture_output=True, text=True)
    if f.returncode == 0:
        rss["floor"] = json.loads(f.stdout)
    return rss


def digest_growth(db, work, participants_note):
    state = os.path.join(work, "digest")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    shutil.copy(db, os.path.join(state, "tagd.db"))
    conf = os.path.join(state, "tagd.conf")
    with open(conf, "w") as f:
        f.write("[tagd]\nstate_dir = %s\nhostname = tags.example.org\ntemplate_dir = %s\n[maildir]\ninbox =\n"
                % (state, os.environ.get("TAGD_TEMPLATE_DIR", "")))
    import sqlite3
    c = sqlite3.connect(os.path.join(state, "tagd.db"))
    comments = c.execute("SELECT count(*) FROM comment").fetchone()[0]
    people = c.execute("SELECT count(*) FROM participant").fetchone()[0]
    c.close()
    p = subprocess.run([TBENCH, "digest", conf, "bench", "2018-07-17"], capture_output=True, text=True,
                       env=dict(os.environ, TAGD_BENCH_CLOCK="2018-07-17 21:00"))
    d = json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr[-500:]}
    c = sqlite3.connect(os.path.join(state, "tagd.db"))
    d["mail_bytes"] = c.execute("SELECT avg(length(b.raw)) FROM outbox_body b JOIN outbox o ON o.id = b.outbox_id"
                                " WHERE o.kind = 'digest'").fetchone()[0]
    c.close()
    d["comments"], d["participants"] = comments, people
    os.unlink(os.path.join(state, "tagd.db"))
    return d


# ---------------------------------------------------------------- the table

def fmt_rate(x):
    return "-" if x is None else ("{:,.0f}".format(x))


def ratio(a, b):
    return "-" if not a or not b else "%.1f×" % (a / b)


def mb(kb):
    return "-" if not kb else "%.1f MB" % (kb / 1024.0)


def table(R):
    L = []
    w = L.append
    w("tagd benchmarks: %s, %d cores, load average %.1f at the start" % (
        R["date"], os.cpu_count(), R["load"]))
    w("corpus: replies to a 200-paragraph draft (bench/gen-corpus.py, seed 8): %s" % R.get("corpus_note", ""))
    if R.get("rerun"):
        w("(sections %s measured again, alone)" % R["rerun"])
    w("")
    for tag in R.get("ingest", {}):
        t, p = R["ingest"][tag]["tagd"], R["ingest"][tag]["peer"]
        w("Ingest, %s messages (tagctl inject: parse, filters, thread, store, ack, commit) vs Python email"
          " (policy.default) + npm email-reply-parser" % "{:,}".format(t["messages"]))
        w("  %-34s %14s %14s %9s" % ("", "tagd", "peer", "ratio"))
        if "missing" in p:
            w("  %-34s %14s %14s %9s" % ("messages/s (wall)", fmt_rate(t["rate"]), "-", "-"))
            w("  %-34s %14s   (peer missing: %s)" % ("messages per CPU-second", fmt_rate(t["cpu_rate"]),
                                                      p["missing"]))
        else:
            w("  %-34s %14s %14s %9s" % ("messages/s (wall)", fmt_rate(t["rate"]), fmt_rate(p["rate"]),
                                         ratio(t["rate"], p["rate"])))
            w("  %-34s %14s %14s %9s" % ("messages per CPU-second (1 core)", fmt_rate(t["cpu_rate"]),
                                         fmt_rate(p["cpu_rate"]), ratio(t["cpu_rate"], p["cpu_rate"])))
            w("  %-34s %14s %14s" % ("  peer stages: parse / reply (msg/s)", "",
                                     "%s / %s" % (fmt_rate(p["parse_rate"]), fmt_rate(p["reply_rate"]))))
            w("  %-34s %14s %14s %9s" % ("peak RSS", mb(t["rss_kb"]), mb(p["rss_kb"]),
                                         ratio(p["rss_kb"], t["rss_kb"]).replace("×", "× less")))
        w("  %-34s %14s %14s" % ("threading accuracy (paragraphs)", "%.2f%%" % (100 * t["accuracy"]),
                                 "n/a"))
        w("  %-34s %14s %14s" % ("reply text found, quote left out", "%.2f%%" % (100 * t["text_accuracy"]),
                                 "-" if "missing" in p else "%.2f%%" % (100 * p["text_accuracy"])))
        fl = R["ingest"][tag].get("floors", {})
        if all("cpu_rate" in fl.get(k, {}) for k in ("parse", "parse_isolated", "archive")):
            a, b, c = fl["parse"]["cpu_rate"], fl["parse_isolated"]["cpu_rate"], fl["archive"]["cpu_rate"]
            w("  floors, messages per CPU-second: libetpan parse alone %s, through the parser child %s;" % (
                fmt_rate(a), fmt_rate(b)))
            w("    durable archive of the raw message alone %s; child parse + archive together %s" % (
                fmt_rate(c), fmt_rate(1 / (1 / b + 1 / c))))
            d = fl.get("parse_isolated_1cpu", {}).get("cpu_rate")
            t1 = R["ingest"][tag].get("tagd_1cpu")
            if d:
                w("    with tagd and its parser child held to one CPU (taskset): through the child %s, with the" % fmt_rate(d))
                w("    archive %s%s" % (fmt_rate(1 / (1 / d + 1 / c)),
                    ", the whole ingest %s" % fmt_rate(t1["cpu_rate"]) if t1 and "cpu_rate" in t1 else ""))
        w("")
    im = R.get("imap")
    if im:
        n = im.get("load", {}).get("messages", 0)
        w("IMAP, %s messages in a throwaway Dovecot on 127.0.0.1 (plain IMAP for all)" % "{:,}".format(n))
        w("  %-34s %10s %12s %22s" % ("", "seconds", "messages/s", "tagd vs it"))
        t = im.get("tagd", {})
        ts = t.get("seconds")
        for name, label in (("tagd", "tagd: fetch, process, commit, flag"),
                            ("fetchmail", "fetchmail -k: fetch and flag"), ("mbsync", "mbsync: fetch only")):
            d = im.get(name)
            if not d or d.get("seconds") is None or d.get("status", 0) not in (0, None):
                w("  %-34s %10s" % (label, "not run" if not d else "failed"))
                continue
            s = d["seconds"]
            cmp = ""
            if name == "fetchmail" and ts:
                cmp = "%.1f× its speed" % (s / ts)
            if name == "mbsync" and ts:
                cmp = "%.1f× its time" % (ts / s)
            w("  %-34s %10.2f %12s %22s" % (label, s, fmt_rate(n / s if s else None), cmp))
        if t:
            w("  %-34s %10s %12s" % ("  tagd peak RSS / idle after", "", "%s / %s" % (
                mb(t.get("peak_rss_kb")), mb(im.get("rss", {}).get("idle_after_kb")))))
            if t.get("acks"):
                w("    tagd's acknowledgements meanwhile: %s, %s sent by the end" % (
                    "through SMTP to smtp-sink (a smarthost)" if t["acks"] == "smtp"
                    else "into the outbox Maildir (no smtp-sink)", "{:,}".format(t.get("acks_sent", 0))))
        w("")
        li, lb, ll = im.get("latency-idle-tagd"), im.get("latency-idle-bare-client"), im.get("latency-lmtp-tagd")
        if li:
            w("Latency, from a message appended to its comment stored (%d messages)" % li["count"])
            w("  %-34s %10s %10s %10s" % ("", "p50 ms", "p99 ms", "max ms"))
            w("  %-34s %10s %10s %10s" % ("tagd over IMAP IDLE", li["p50_ms"], li["p99_ms"], li["max_ms"]))
            if lb:
                w("  %-34s %10s %10s %10s" % ("bare IDLE client sees EXISTS", lb["p50_ms"], lb["p99_ms"],
                                              lb["max_ms"]))
            if ll:
                w("  %-34s %10s %10s %10s" % ("tagd over LMTP (no IMAP server)", ll["p50_ms"], ll["p99_ms"],
                                              ll["max_ms"]))
            w("  (Dovecot tells IDLE clients 500 ms after it sees a change: NOTIFY_DELAY_MSECS in")
            w("   src/lib-storage/mailbox-watch.c, compiled in; the bare client is that floor)")
            w("")
    sm = R.get("smtp")
    if sm and "missing" not in sm and "error" not in sm:
        w("SMTP, %s personalised digests (%.0f KB each) through the outbox to Postfix's smtp-sink" % (
            "{:,}".format(sm["mails"]), (sm["mail_bytes"] or 0) / 1024))
        if sm.get("rounds", 1) > 1:
            w("  (the median of %d runs each, tagd and smtp-source taking turns)" % sm["rounds"])
        w("  %-34s %14s %14s %9s" % ("", "tagd", "smtp-source", "tagd/it"))
        for s, d in sorted(sm["smtp_source"].items(), key=lambda x: int(x[0])):
            trate = sm["send"].get(s, {}).get("rate")
            w("  %-34s %14s %14s %9s" % ("messages/s, %s connection%s" % (s, "" if int(s) == 1 else "s"),
                                         fmt_rate(trate), fmt_rate(d["rate"]),
                                         "%.0f%%" % (100 * trate / d["rate"]) if trate else "-"))
        dg = sm["digest"]
        if "rate" in dg:
            w("  %-34s %14s" % ("digests queued/s (render, compose)", fmt_rate(dg["rate"])))
        w("")
    elif sm:
        w("SMTP: %s" % sm.get("missing") or sm.get("error"))
        w("")
    gr = R.get("growth")
    if gr:
        w("Growth (tagctl inject, the same corpus's first N messages)")
        w("  %-10s %10s %12s %14s %12s" % ("messages", "seconds", "ms/message", "CPU ms/message", "peak RSS"))
        for n, d in sorted(gr.items(), key=lambda x: int(x[0])):
            w("  %-10s %10.2f %12.3f %14.3f %12s" % ("{:,}".format(int(n)), d["wall"], 1000 * d["wall"] / int(n),
                                                   1000 * d["cpu"] / int(n), mb(d["rss_kb"])))
        w("")
    dg = R.get("digest")
    if dg:
        if "error" in dg:
            w("Digest: %s" % dg["error"])
        else:
            w("Digests for %s participants over %s comments (each shows %s, [session] digest_max_comments):"
              % ("{:,}".format(dg["participants"]), "{:,}".format(dg["comments"]), "{:,}".format(dg["max_comments"]) if dg.get("max_comments") else "all"))
            w("  %.1f s, %s mails/s, %.0f KB each, peak RSS %s" % (dg["seconds"],
                fmt_rate(dg["rate"]), (dg.get("mail_bytes") or 0) / 1024, mb(dg["peak_rss_kb"])))
    ir = R.get("idle_rss_kb")
    if ir:
        w("Idle daemon (no mail, after start-up): RSS %s, of which its own (heap, stacks) %s, the rest"
          " shared libraries' pages; PSS %s; its parser child %s" % (
              mb(ir.get("rss_kb")), mb(ir.get("anon_kb")), mb(ir.get("pss_kb")), mb(ir.get("parser_child_rss_kb"))))
        fl = ir.get("floor")
        if fl:
            w("  the floor: a program linked against the same %d libraries has %s at the first line of main,"
              % (fl["libraries"], mb(fl["rss_at_main_kb"])))
            w("  %s once they are set up as tagd's start sets them up (curl, libical, the store)"
              % mb(fl["rss_ready_kb"]))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--only")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--growth", default="1000,10000,30000,100000")
    ap.add_argument("--imap", type=int, default=10000)
    ap.add_argument("--smtp", type=int, default=10000)
    ap.add_argument("--latency", type=int, default=200)
    ap.add_argument("--digest-messages", type=int, default=6000)  # about 10,000 comments
    a = ap.parse_args()
    if a.smoke:
        a.sizes, a.growth, a.imap, a.smtp, a.latency, a.digest_messages = "200", "100,200", 200, 200, 10, 100
    only = set(a.only.split(",")) if a.only else {"ingest", "imap", "smtp", "growth", "digest"}
    out = a.out or os.path.join(BUILD, "bench-out" + ("-smoke" if a.smoke else ""))
    os.makedirs(out, exist_ok=True)
    R = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg()[0]}
    prev = os.path.join(out, "results.json")
    sections = {"ingest", "imap", "smtp", "growth", "digest"}
    if a.only and os.path.exists(prev):
        # --only again: the other sections' figures stay those of the last run
        R = json.load(open(prev))
        if only & sections:  # --only none: the table again from the last results
            # each section named once, at the run its figures now come from
            notes = []
            for old in (R["rerun"].split("; ") if R.get("rerun") else []):
                names, _, when = old.partition(" at ")
                left = [x for x in names.split(",") if x not in only]
                if left:
                    notes.append("%s at %s" % (",".join(left), when))
            notes.append("%s at %s" % (a.only, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
            R["rerun"] = "; ".join(notes)
    sizes = [int(x) for x in a.sizes.split(",")]
    growth = [int(x) for x in a.growth.split(",")]
    big = max(sizes + growth)
    cdir, stats = corpus(out, big)
    R["corpus_note"] = "%s messages, %.0f-%.0f KB (median %.1f KB)" % (
        "{:,}".format(big), stats["min"] / 1024, stats["max"] / 1024, stats["median"] / 1024)
    dirs = {}

    def prefix(n):
        """a corpus of the first n replies (the generator is sequential: the same messages)"""
        if n == big:
            return cdir
        if n not in dirs:
            dirs[n], _ = corpus(out, n)
        return dirs[n]

    if "ingest" in only:
        R["ingest"] = {}
        for n in sizes:
            d = prefix(n)
            print("# ingest %d: tagd" % n, file=sys.stderr)
            t = tagd_ingest(d, out, str(n))
            print("# ingest %d: peer" % n, file=sys.stderr)
            p = peer_ingest(d, out, str(n))
            print("# ingest %d: floors" % n, file=sys.stderr)
            R["ingest"][str(n)] = {"tagd": t, "peer": p, "floors": floors(d, out, str(n))}
            if n <= 10000 and have("taskset"):
                print("# ingest %d: tagd on one CPU" % n, file=sys.stderr)
                t1 = tagd_ingest(d, out, str(n), one_cpu=True)
                t1.pop("db", None)
                R["ingest"][str(n)]["tagd_1cpu"] = t1
    if "growth" in only:
        R["growth"] = {}
        for n in growth:
            got = R.get("ingest", {}).get(str(n))
            if got:
                R["growth"][str(n)] = got["tagd"]
            else:
                print("# growth %d" % n, file=sys.stderr)
                R["growth"][str(n)] = tagd_ingest(prefix(n), out, str(n))
    if "digest" in only:
        print("# digest", file=sys.stderr)
        n = a.digest_messages
        src = R.get("growth", {}).get(str(n)) or R.get("ingest", {}).get(str(n), {}).get("tagd")
        if src is None or not os.path.exists(src.get("db", "")):
            src = tagd_ingest(prefix(n), out, str(n))
        R["digest"] = digest_growth(src["db"], out, "")
        R["idle_rss_kb"] = idle_rss(out)
    if "imap" in only:
        print("# imap %d" % a.imap, file=sys.stderr)
        md, _ = corpus(out, a.imap, maildir=True)
        R["imap"] = imap(md, out, a.imap, a.latency)
    if "smtp" in only:
        print("# smtp %d" % a.smtp, file=sys.stderr)
        sd, _ = corpus(out, 12, participants=a.smtp)
        R["smtp"] = smtp(sd, out, a.smtp, [1, 4], 1 if a.smoke else SMTP_ROUNDS)
    for g in R.get("growth", {}).values():
        g.pop("db", None)
    for v in R.get("ingest", {}).values():
        v["tagd"].pop("db", None)
    text = table(R)
    sys.stdout.write(text)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(R, f, indent=1, sort_keys=True, default=str)
    for f in os.listdir(out):
        if f.endswith(".db") or f.endswith(".db-wal") or f.endswith(".db-shm"):
            os.unlink(os.path.join(out, f))
    if a.smoke:
        bad = []
        for tag, v in R.get("ingest", {}).items():
            if v["tagd"]["accuracy"] < ACCURACY_FLOOR:
                bad.append("threading accuracy %.3f < %.2f at %s" % (v["tagd"]["accuracy"], ACCURACY_FLOOR, tag))
            if v["tagd"]["messages"] != int(tag):
                bad.append("%s of %s messages have a result" % (v["tagd"]["messages"], tag))
        if bad:
            print("bench.py: " + "; ".join(bad), file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
