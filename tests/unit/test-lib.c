/* test-lib - buffer caps, JSON escaping, CSV lines, config tables, clock */
#include "config.h"
#include "tap.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_buf(void)
{
	struct buf b;
	buf_init(&b, 10);
	ok(buf_puts(&b, "hello") == 0, "buf: append under the cap");
	ok(buf_puts(&b, "world!") < 0, "buf: append past the cap is refused");
	ok(b.overflowed && b.len == 5, "buf: refused append leaves contents");
	is_str(buf_cstr(&b), "hello", "buf: contents are a C string");
	buf_printf(&b, "%d", 42);
	is_str(buf_cstr(&b), "hello42", "buf: printf appends");
	size_t n;
	char *s = buf_steal(&b, &n);
	ok(n == 7 && b.data == NULL, "buf: steal hands over and resets");
	free(s);
	buf_free(&b);
}

static void test_json(void)
{
	struct buf b = BUF_INIT;
	struct json j;
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kstr(&j, "a", "x\"y\n\x01");
	json_kint(&j, "n", -3);
	json_key(&j, "l");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_str(&j, "\xff");
	json_null(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	is_str(buf_cstr(&b), "{\"a\":\"x\\\"y\\n\\u0001\",\"n\":-3,\"l\":[1,\"\\ufffd\",null]}",
	       "json: escaping, nesting and commas");
	buf_free(&b);
}

static void test_csv(void)
{
	const char *text = "email,name\r\na@x.org,\"Ruiz, Ana\"\n\nb@y.org,\"multi\nline\"\nc@z.org,\"bad\"x\nd@w.org,Dee\n";
	struct csv_reader r;
	struct csv_record rec;
	const char *err;
	csv_reader_init(&r, text, strlen(text));
	ok(csv_next(&r, &rec, &err) == 1 && rec.line == 1 && rec.nfields == 2, "csv: header row");
	ok(csv_next(&r, &rec, &err) == 1 && rec.line == 2, "csv: row on line 2");
	is_str(rec.fields[1], "Ruiz, Ana", "csv: quoted comma");
	ok(csv_next(&r, &rec, &err) == 1 && rec.line == 4, "csv: blank line skipped, row on line 4");
	is_str(rec.fields[1], "multi\nline", "csv: quoted newline");
	ok(csv_next(&r, &rec, &err) == -1, "csv: text after closing quote is an error");
	ok(csv_next(&r, &rec, &err) == 1 && rec.line == 7, "csv: reader resumes on line 7");
	is_str(rec.fields[1], "Dee", "csv: field after recovery");
	ok(csv_next(&r, &rec, &err) == 0, "csv: end");
	csv_reader_free(&r);

	struct buf b = BUF_INIT;
	csv_field(&b, "a\"b", 1);
	csv_field(&b, "=cmd()", 0);
	is_str(buf_cstr(&b), "\"a\"\"b\",\"'=cmd()\"", "csv: writer quotes and defuses formulas");
	buf_free(&b);
}

struct conf {
	char *name;
	int64_t port;
	int64_t size;
	int64_t wait;
	int on;
	int mode;
	int at;
	struct cfg_list goal;
	char *secret;
};

static const struct cfg_def defs[] = {
	{ "main", "name", CFG_STR, offsetof(struct conf, name), "x", 0, 0, NULL, "a name", NULL },
	{ "main", "port", CFG_INT, offsetof(struct conf, port), "25", 1, 65535, NULL, "a port", NULL },
	{ "main", "size", CFG_SIZE, offsetof(struct conf, size), "1M", 0, 0, NULL, "", NULL },
	{ "main", "wait", CFG_SECONDS, offsetof(struct conf, wait), "5m", 0, 0, NULL, "", NULL },
	{ "main", "on", CFG_BOOL, offsetof(struct conf, on), "no", 0, 0, NULL, "", NULL },
	{ "main", "mode", CFG_ENUM, offsetof(struct conf, mode), "each", 0, 0, "each|digest|nomail", "", NULL },
	{ "main", "at", CFG_HHMM, offsetof(struct conf, at), "17:00", 0, 0, NULL, "", NULL },
	{ "goals", "goal", CFG_LIST, offsetof(struct conf, goal), NULL, 0, 0, NULL, "", NULL },
	{ "main", "password_file", CFG_SECRET_FILE, offsetof(struct conf, secret), NULL, 0, 0, NULL, "", NULL },
	CFG_END
};

static void test_cfg(void)
{
	struct conf c = { 0 };
	struct buf err = BUF_INIT;
	cfg_defaults(defs, &c);
	ok(c.port == 25 && c.size == 1048576 && c.wait == 300 && c.at == 17 * 60, "cfg: defaults");
	int n = cfg_load_string(defs, &c,
		"# comment\n[main]\nport = 2525\nmode = digest\non = yes\n[goals]\ngoal = one\ngoal = two\n",
		"t.conf", &err);
	ok(n == 0 && c.port == 2525 && c.mode == 1 && c.on == 1, "cfg: values read");
	ok(c.goal.n == 2 && strcmp(c.goal.v[1], "two") == 0, "cfg: repeated list key");
	n = cfg_load_string(defs, &c, "[main]\n\nport = 99999\nbogus = 1\nmode=weekly\n[nope]\nx=1\n", "bad.conf", &err);
	is_int(n, 4, "cfg: four errors found");
	ok(strstr(buf_cstr(&err), "bad.conf:3: [main] port: out of range") != NULL, "cfg: error has file:line and key");
	ok(strstr(buf_cstr(&err), "bad.conf:4: [main] bogus: unknown setting") != NULL, "cfg: unknown key");
	ok(strstr(buf_cstr(&err), "bad.conf:5: [main] mode: must be one of") != NULL, "cfg: bad enum");
	ok(strstr(buf_cstr(&err), "bad.conf:7: [nope] x: unknown section") != NULL, "cfg: unknown section");
	buf_reset(&err);
	n = cfg_load_string(defs, &c, "[main]\nname = a\nname = b\n", "dup.conf", &err);
	ok(n == 1 && strstr(buf_cstr(&err), "dup.conf:3: [main] name: set twice (first on line 2)"), "cfg: scalar repeat");
	buf_reset(&err);
	n = cfg_load_string(defs, &c, "[main\nx\n", "syn.conf", &err);
	ok(n >= 1 && strstr(buf_cstr(&err), "syn.conf:1: syntax error"), "cfg: syntax error has a line");

	char path[] = "/tmp/tagd-secret-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, "s3cret\n", 7) == 7, "cfg: secret file written");
	close(fd);
	chmod(path, 0644);
	const char *e;
	ok(cfg_set(defs, &c, "main", "password_file", path, &e) < 0, "cfg: world-readable secret refused");
	chmod(path, 0600);
	ok(cfg_set(defs, &c, "main", "password_file", path, &e) == 0 && strcmp(c.secret, "s3cret") == 0,
	   "cfg: private secret read");
	unlink(path);
	struct buf dump = BUF_INIT;
	cfg_dump(defs, &c, &dump);
	ok(strstr(buf_cstr(&dump), "s3cret") == NULL && strstr(buf_cstr(&dump), "port = 2525"),
	   "cfg: dump shows values and hides secrets");
	buf_free(&dump);
	buf_free(&err);
	cfg_free(defs, &c);
}

static void test_clock(void)
{
	time_t t;
	const char *err;
	ok(clock_parse_local("2018-07-16 12:00", "America/New_York", &t, &err) == 0 && t == 1531756800,
	   "clock: 2018-07-16 12:00 New York is 16:00 UTC");
	ok(clock_parse_local("2018-02-30", "UTC", &t, &err) < 0, "clock: Feb 30 refused");
	ok(clock_parse_local("2018-07-16", "Mars/Base", &t, &err) < 0, "clock: unknown zone refused");
	clock_set(1000);
	is_int(clock_now(), 1000, "clock: frozen clock");
	clock_set(0);
	ok(clock_now() > 1500000000, "clock: back to real time");
}

static void test_str(void)
{
	int v;
	ok(str_to_int("42", 0, 100, &v) == 0 && v == 42, "str: number");
	ok(str_to_int("42x", 0, 100, &v) < 0 && str_to_int("", 0, 1, &v) < 0 &&
	   str_to_int("101", 0, 100, &v) < 0, "str: bad numbers refused");
	ok(str_casecmp("Ana@X.org", "ana@x.ORG") == 0, "str: case-insensitive compare");
	ok(utf8_is_valid("\xc3\xa9", 2) && !utf8_is_valid("\xc3", 1) && !utf8_is_valid("\xed\xa0\x80", 3),
	   "utf8: validation");
}

/* log_other_thread - a line logged by a thread that set no context */
static void *log_other_thread(void *arg)
{
	(void)arg;
	log_info("line from the other thread");
	return NULL;
}

/* test_log_context - the log context is the thread's own */
static void test_log_context(void)
{
	char path[] = "/tmp/test-lib-log-XXXXXX";
	int fd = mkstemp(path);
	if (!ok(fd >= 0, "a temporary log file"))
		return;
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	log_open("test-lib", 0);
	log_set_context("sess", "main-msg@x");
	pthread_t t;
	int started = pthread_create(&t, NULL, log_other_thread, NULL) == 0;
	if (started)
		pthread_join(t, NULL);
	log_info("line from the main thread");
	log_set_context(NULL, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char *text = NULL;
	size_t len;
	str_read_file(path, 1 << 20, &text, &len);
	close(fd);
	unlink(path);
	const char *other = text ? strstr(text, "line from the other thread") : NULL;
	const char *mainl = text ? strstr(text, "line from the main thread") : NULL;
	ok(started && other && mainl, "both lines logged");
	if (other && mainl) {
		const char *ol = other;
		while (ol > text && ol[-1] != '\n')
			ol--;
		const char *ml = mainl;
		while (ml > text && ml[-1] != '\n')
			ml--;
		ok(memmem(ol, (size_t)(other - ol), "msgid=", 6) == NULL,
		   "another thread's line does not carry the main thread's message id");
		ok(memmem(ml, (size_t)(mainl - ml), "msgid=main-msg@x", 16) != NULL,
		   "the main thread's line carries its own");
	}
	free(text);
}

int main(void)
{
	test_buf();
	test_json();
	test_csv();
	test_cfg();
	test_clock();
	test_str();
	test_log_context();
	return done_testing();
}
