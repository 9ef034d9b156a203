#!/bin/sh
# test-sql - SQL only with bound parameters, and only in src/store
# (DESIGN.md). A static check of the sources:
# - src/store builds no SQL text from strings: none of sqlite3's printf
#   family (sqlite3_mprintf, sqlite3_snprintf, sqlite3_str_*), no
#   strcat/sprintf, no printf-like call whose format is SQL with a string
#   conversion (%s, %q, %Q, %w, %c; integers, as in "SAVEPOINT s%d", are
#   the only values formatted into SQL), no growable buffer of SQL;
# - every statement prepared or executed in src/store is a string literal,
#   a static const sql_* array of literals, a static table of them, a
#   function parameter (callers pass those), or a local array filled only
#   by an integer-only format;
# - no file outside src/store includes sqlite3.h or calls sqlite3_*, tests
#   excepted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/tap.sh"

tmp=$(mktemp -d /tmp/tagd-sql.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/check.py" <<'EOF'
import os, re, sys

top = sys.argv[1]
store = os.path.join(top, "src", "store")
problems = {"banned": [], "format": [], "buffer": [], "statement": [], "outside": []}
notes = []

def strip_comments(text):
    # comments out, string literals kept (SQL lives in them)
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text[i] in "\"'":
            q = text[i]
            j = i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)

def line_of(text, pos):
    return text.count("\n", 0, pos) + 1

def call_args(text, start):
    # the argument text of the call whose '(' is at start, split at top-level commas
    depth, i, args, cur = 0, start, [], []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            q, j = c, i + 1
            while j < len(text) and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return args

SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|"
                       r"CREATE|DROP|ALTER|REPLACE|ATTACH|BEGIN|COMMIT)\b")
STR_CONV = re.compile(r"%[-+ #0-9.*]*(l|ll|h|z)?[sqQwc]")
PRINTF = re.compile(r"\b(snprintf|vsnprintf|xasprintf|asprintf|buf_printf|buf_vprintf|printf|fprintf)\s*\(")
BANNED = re.compile(r"\b(sqlite3_v?mprintf|sqlite3_v?snprintf|sqlite3_str_\w+|strcat|strncat|sprintf|vsprintf)\s*\(")
PREPARE = re.compile(r"\b(st_prepare|sqlite3_prepare\w*|st_exec|sqlite3_exec)\s*\(")

for name in sorted(os.listdir(store)):
    if not name.endswith((".c", ".h")):
        continue
    path = os.path.join(store, name)
    raw = open(path, encoding="utf-8", errors="replace").read()
    text = strip_comments(raw)
    rel = "src/store/" + name
    for m in BANNED.finditer(text):
        problems["banned"].append("%s:%d: %s" % (rel, line_of(text, m.start()), m.group(1)))
    int_locals = set()
    for m in PRINTF.finditer(text):
        args = call_args(text, m.end() - 1)
        fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', " ".join(args)))
        if not SQL_WORDS.search(fmt):
            continue
        where = "%s:%d" % (rel, line_of(text, m.start()))
        if STR_CONV.search(fmt):
            problems["format"].append("%s: %s(\"%s\") formats a string into SQL" % (where, m.group(1), fmt))
        else:
            notes.append("%s: integers only: \"%s\"" % (where, fmt))
            if m.group(1) in ("snprintf", "vsnprintf") and args:
                int_locals.add(args[0])
    for m in re.finditer(r"\bbuf_(puts|append|putc|printf)\s*\(\s*&\s*(\w*sql\w*)", text):
        problems["buffer"].append("%s:%d: SQL built in a buffer (%s)" % (rel, line_of(text, m.start()), m.group(2)))
    consts = set(re.findall(r"static\s+const\s+char\s+(sql_\w+)\s*\[\s*\]\s*=", text))
    tables = set(re.findall(r"static\s+const\s+char\s*\*\s*const\s+(\w+)\s*\[\s*\]\s*=", text))
    params = set(re.findall(r"\bconst\s+char\s*\*\s*(\w+)\s*[,)]", text))
    for m in PREPARE.finditer(text):
        args = call_args(text, m.end() - 1)
        if m.group(0).startswith(("st_prepare(struct", "st_exec(struct")) or len(args) < 2:
            continue
        # the definitions of st_prepare/st_exec themselves
        if re.match(r"(struct\s+store|sqlite3)\s*\*", args[0]):
            continue
        sql = args[1]
        alts = [a.strip() for a in re.split(r"[?:]", sql)] if "?" in sql and not sql.startswith('"') else [sql]
        if "?" in sql and not sql.startswith('"'):
            alts = alts[1:]
        good = True
        for a in alts:
            if a.startswith('"'):
                continue
            if a in consts or a in params or a in int_locals:
                continue
            t = re.match(r"(\w+)\s*\[", a)
            if t and t.group(1) in tables:
                continue
            good = False
        if not good:
            problems["statement"].append("%s:%d: %s(..., %s): not a constant statement" %
                                         (rel, line_of(text, m.start()), m.group(1), sql))

for base in ("src", "filters"):
    for root, dirs, files in os.walk(os.path.join(top, base)):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, top)
            if rel.startswith("src/store/"):
                continue
            text = strip_comments(open(path, encoding="utf-8", errors="replace").read())
            if re.search(r'#\s*include\s*[<"]sqlite3\.h[>"]', text):
                problems["outside"].append("%s includes sqlite3.h" % rel)
            m = re.search(r"\bsqlite3_\w+\s*\(", text)
            if m:
                problems["outside"].append("%s:%d calls %s" % (rel, line_of(text, m.start()), m.group(0)))

checks = [
    ("banned", "src/store uses none of sqlite3's printf family, strcat or sprintf"),
    ("format", "src/store formats no string into SQL text"),
    ("buffer", "src/store builds no SQL in a growable buffer"),
    ("statement", "every statement prepared or executed in src/store is constant"),
    ("outside", "no file outside src/store (tests excepted) includes sqlite3.h or calls sqlite3_*"),
]
for key, what in checks:
    print("%s %s" % ("FAIL" if problems[key] else "PASS", what))
    for p in problems[key]:
        print("#   " + p)
for n in notes:
    print("# " + n)
EOF
"$PYTHON3" "$tmp/check.py" "$top_srcdir" >"$tmp/out" 2>&1
ok $? "the check ran"
while IFS= read -r line; do
	case "$line" in
	"PASS "*) ok 0 "${line#PASS }" ;;
	"FAIL "*) ok 1 "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/out"

# the check itself finds what it is there to find
fake="$tmp/fake"
mkdir -p "$fake/src/store" "$fake/src/tag" "$fake/filters"
cat >"$fake/src/store/bad.c" <<'EOF'
static const char sql_ok[] = "SELECT 1 WHERE a = ?";
int f(struct store *st, const char *name)
{
	char sql[256], *q = sqlite3_mprintf("DELETE FROM t WHERE n = '%q'", name);
	snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE name = '%s'", name);
	char *dyn = xasprintf("UPDATE t SET a = 1");
	st_prepare(st, sql_ok);
	st_prepare(st, dyn);
	return 0;
}
EOF
printf '#include <sqlite3.h>\n' >"$fake/src/tag/leak.c"
"$PYTHON3" "$tmp/check.py" "$fake" >"$tmp/self.out" 2>&1
is "$(grep -c '^FAIL' "$tmp/self.out")" "4" \
	"the check itself fails a store that formats strings into SQL or prepares built text, and a module with sqlite3.h"
done_testing
