/* tagd-bench.c - the parts of tagd the benchmarks time on their own.

     tagd-bench digest CONF SLUG DAY      queue the day's digest for every
                                          participant in digest mode
     tagd-bench send CONF [N]             send the outbox until nothing is due,
                                          on N connections (tagd's [smtp]
                                          connections: one sender thread each)
     tagd-bench parse MBOX [isolated]     parse every message (mail_parse, as
                                          the parser child does; "isolated":
                                          through the child, as ingest does)
     tagd-bench archive MBOX DB           store every raw message durably, as
                                          ingest's first step does (a fresh
                                          database; a commit every 256)
     tagd-bench rss DB                    the floor under the idle daemon's
                                          RSS: this program, linked against
                                          the same libraries as tagd, at the
                                          first line of main; then with the
                                          libraries set up as tagd's start
                                          sets them up (curl, libical, a
                                          store opened on a fresh DB)

   They run tagd's own code (tag/digest, tag/sender over net/smtp,
   mail/msg, tag/ingest's archive) and print one JSON line: the count,
   the seconds, the CPU seconds, the rate and the peak RSS. parse and
   archive are the floors under ingest: what its first steps alone cost. The clock is the real one unless
   TAGD_BENCH_CLOCK ("YYYY-MM-DD HH:MM", UTC) is set. */
#include "config.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "net/smtp.h"
#include "store/db.h"
#include "store/store.h"
#include "mail/msg.h"
#include "tag/digest.h"
#include "tag/call.h"
#include "tag/ingest.h"
#include "tag/mailbox.h"
#include "tag/mailout.h"
#include "tag/sender.h"
#include "tag/session.h"
#include "tag/settings.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* cpu_s - CPU seconds used so far by this process and its reaped children
   (the parser child is reaped when it is freed) */
static double cpu_s(void)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
	       (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec + b.ru_stime.tv_usec) / 1e6;
}

/* open_all - the config and its database */
static int open_all(const char *conf, struct tagd_config *cfg, struct store **st)
{
	struct buf err = BUF_INIT;
	if (tagd_config_load(cfg, conf, &err) > 0) {
		fprintf(stderr, "tagd-bench: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	char *db = tagd_config_path(cfg, cfg->database);
	const char *e;
	int r = store_open(db, st, &e);
	if (r < 0)
		fprintf(stderr, "tagd-bench: %s\n", e);
	free(db);
	return r;
}

/* cmd_digest - one digest_send, timed, in one transaction as the schedule does */
static int cmd_digest(const char *conf, const char *slug, const char *day)
{
	struct tagd_config cfg;
	struct store *st;
	if (open_all(conf, &cfg, &st) < 0)
		return 1;
	struct st_session ses;
	if (store_session_get(st, slug, &ses) != 0) {
		fprintf(stderr, "tagd-bench: no session %s\n", slug);
		return 1;
	}
	struct mailout *mo = mailout_new(st, &cfg);
	struct digest_req rq;
	memset(&rq, 0, sizeof(rq));
	rq.day = day;
	rq.from = 0;
	rq.until = clock_now() + 86400;
	rq.first = 1;
	struct session_conf sc; /* the session's digest_max_comments, as the schedule takes it */
	if (session_conf_of(&ses, &sc) == 0) {
		rq.max_comments = (int)sc.digest_max;
		session_conf_free(&sc);
	}
	int sent = 0;
	char note[256] = "";
	const char *e = NULL;
	double t0 = now_s();
	int r = store_begin(st);
	if (r == 0)
		r = digest_send(st, mo, &ses, &rq, &sent, note, sizeof(note), &e);
	if (r == 0)
		r = store_commit(st);
	else
		store_rollback(st);
	double t = now_s() - t0;
	if (r < 0)
		fprintf(stderr, "tagd-bench: digest: %s\n", e ? e : store_error(st));
	else
		printf("{\"mails\": %d, \"seconds\": %.4f, \"rate\": %.1f, \"peak_rss_kb\": %ld, \"max_comments\": %d,"
		       " \"note\": \"%s\"}\n", sent, t, t > 0 ? sent / t : 0.0, peak_rss_kb(), rq.max_comments, note);
	mailout_free(&mo);
	st_session_free(&ses);
	store_close(&st);
	tagd_config_free(&cfg);
	return r < 0 ? 1 : 0;
}

/* one sender of several, on its own thread, store and connection */
struct worker {
	const struct tagd_config *cfg;
	const char *db;
	int part, nparts;
	int handled, failed;
	pthread_t thread;
};

static void *send_worker(void *arg)
{
	struct worker *w = arg;
	struct store *st;
	const char *e;
	if (store_open(w->db, &st, &e) < 0) {
		fprintf(stderr, "tagd-bench: %s\n", e);
		w->failed = 1;
		return NULL;
	}
	store_relax_sync(st); /* as tagd's sender threads do */
	struct sender *s = sender_new(st, w->cfg, &e);
	if (s == NULL) {
		fprintf(stderr, "tagd-bench: %s\n", e);
		w->failed = 1;
		store_close(&st);
		return NULL;
	}
	sender_set_part(s, w->part, w->nparts);
	int n;
	while ((n = sender_run(s, 1000, NULL)) > 0)
		w->handled += n;
	if (n < 0)
		w->failed = 1;
	sender_free(&s);
	store_close(&st);
	return NULL;
}

/* cmd_send - the outbox sent on `connections` senders until nothing is due, timed */
static int cmd_send(const char *conf, int connections)
{
	struct tagd_config cfg;
	struct store *st;
	if (smtp_global_init() < 0 || open_all(conf, &cfg, &st) < 0)
		return 1;
	char *db = tagd_config_path(&cfg, cfg.database);
	struct worker w[16];
	if (connections < 1 || connections > 16)
		connections = 1;
	double t0 = now_s();
	for (int k = 0; k < connections; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].cfg = &cfg;
		w[k].db = db;
		w[k].part = k;
		w[k].nparts = connections;
		if (pthread_create(&w[k].thread, NULL, send_worker, &w[k]) != 0) {
			fprintf(stderr, "tagd-bench: cannot start a thread\n");
			return 1;
		}
	}
	int total = 0, failed = 0;
	for (int k = 0; k < connections; k++) {
		pthread_join(w[k].thread, NULL);
		total += w[k].handled;
		failed |= w[k].failed;
	}
	double t = now_s() - t0;
	int after[5] = { 0 };
	store_outbox_counts(st, 0, after);
	printf("{\"handled\": %d, \"sent\": %d, \"connections\": %d, \"seconds\": %.4f, \"rate\": %.1f,"
	       " \"peak_rss_kb\": %ld}\n", total, after[2], connections, t, t > 0 ? total / t : 0.0, peak_rss_kb());
	free(db);
	store_close(&st);
	tagd_config_free(&cfg);
	smtp_global_cleanup();
	return failed ? 1 : 0;
}

/* ---- the floors under ingest ---- */

struct floor {
	struct mail_parser *parser;     /* parse through the child, or NULL */
	struct store *st;               /* archive into it, or NULL */
	long count, failed, in_tx;
};

static int floor_one(void *arg, const char *name, const char *raw, size_t len)
{
	struct floor *f = arg;
	const char *e;
	f->count++;
	if (f->st != NULL) {
		struct ingest_source src = { .source = "inject", .ref = name };
		struct ingest_result r;
		if (f->in_tx == 0 && store_begin(f->st) < 0)
			return -1;
		if (ingest_archive_store(f->st, raw, len, &src, &r, &e) < 0)
			f->failed++;
		free(r.message_id);
		if (++f->in_tx == 256) {
			f->in_tx = 0;
			if (store_commit(f->st) < 0)
				return -1;
		}
		return 0;
	}
	struct mail_msg *m = NULL;
	int r = f->parser != NULL ? mail_parser_parse(f->parser, raw, len, &m, &e)
				  : mail_parse(raw, len, NULL, &m, &e);
	if (r < 0)
		f->failed++;
	mail_msg_free(&m);
	return 0;
}

/* cmd_floor - parse (in process or isolated) or archive every message of mbox */
static int cmd_floor(const char *mbox, int isolated, const char *db)
{
	struct floor f = { 0 };
	const char *e;
	if (isolated && (f.parser = mail_parser_new(NULL, 0)) == NULL) {
		fprintf(stderr, "tagd-bench: cannot start the parser child\n");
		return 1;
	}
	if (db != NULL && store_open(db, &f.st, &e) < 0) {
		fprintf(stderr, "tagd-bench: %s\n", e);
		return 1;
	}
	double t0 = now_s(), c0 = cpu_s();
	int r = mailbox_read(mbox, 50u << 20, floor_one, &f, &e);
	if (r == 0 && f.st != NULL && f.in_tx > 0 && store_commit(f.st) < 0)
		r = -1;
	mail_parser_free(&f.parser);
	double t = now_s() - t0, c = cpu_s() - c0;
	if (f.st != NULL)
		store_close(&f.st);
	mail_cleanup();
	if (r < 0) {
		fprintf(stderr, "tagd-bench: %s: %s\n", mbox, e != NULL ? e : "store failed");
		return 1;
	}
	printf("{\"count\": %ld, \"failed\": %ld, \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"rate\": %.1f,"
	       " \"cpu_rate\": %.1f, \"peak_rss_kb\": %ld}\n", f.count, f.failed, t, c, t > 0 ? f.count / t : 0.0,
	       c > 0 ? f.count / c : 0.0, peak_rss_kb());
	return 0;
}

/* status_kb - VmRSS and RssAnon of this process, in KB */
static void status_kb(long *rss, long *anon)
{
	char line[256];
	*rss = *anon = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "RssAnon:", 8) == 0)
			*anon = strtol(line + 8, NULL, 10);
	}
	fclose(f);
}

/* mapped_libraries - how many shared objects are mapped */
static int mapped_libraries(void)
{
	char line[1024], last[1024] = "";
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		if (path == NULL || strstr(path, ".so") == NULL || strcmp(path, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", path);
		n++;
	}
	fclose(f);
	return n;
}

static int cmd_rss(const char *db, long rss0, long anon0)
{
	const char *err;
	if (smtp_global_init() < 0 || call_init(&err) < 0) {
		fprintf(stderr, "tagd-bench: the libraries did not start\n");
		return 1;
	}
	struct store *st;
	if (store_open(db, &st, &err) < 0) {
		fprintf(stderr, "tagd-bench: %s\n", err);
		return 1;
	}
	long rss1, anon1;
	status_kb(&rss1, &anon1);
	printf("{\"rss_at_main_kb\": %ld, \"anon_at_main_kb\": %ld, \"rss_ready_kb\": %ld, "
	       "\"anon_ready_kb\": %ld, \"libraries\": %d}\n", rss0, anon0, rss1, anon1, mapped_libraries());
	store_close(&st);
	smtp_global_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	long rss0 = -1, anon0 = -1;
	if (argc == 3 && strcmp(argv[1], "rss") == 0)
		status_kb(&rss0, &anon0); /* before anything of tagd's runs */
	log_open("tagd-bench", 0);
	log_set_quiet(1);
	const char *clk = getenv("TAGD_BENCH_CLOCK");
	if (clk && *clk) {
		time_t t;
		const char *e;
		if (clock_parse_local(clk, "UTC", &t, &e) < 0) {
			fprintf(stderr, "tagd-bench: TAGD_BENCH_CLOCK: %s\n", e);
			return 2;
		}
		clock_set(t);
	}
	if (argc == 5 && strcmp(argv[1], "digest") == 0)
		return cmd_digest(argv[2], argv[3], argv[4]);
	int conns = 1;
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "send") == 0 &&
	    (argc == 3 || str_to_int(argv[3], 1, 16, &conns) == 0))
		return cmd_send(argv[2], conns);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "parse") == 0 &&
	    (argc == 3 || strcmp(argv[3], "isolated") == 0))
		return cmd_floor(argv[2], argc == 4, NULL);
	if (argc == 4 && strcmp(argv[1], "archive") == 0)
		return cmd_floor(argv[2], 0, argv[3]);
	if (argc == 3 && strcmp(argv[1], "rss") == 0)
		return cmd_rss(argv[2], rss0, anon0);
	fprintf(stderr, "usage: tagd-bench digest CONF SLUG DAY | send CONF [CONNECTIONS] |"
		" parse MBOX [isolated] | archive MBOX DB | rss DB\n");
	return 2;
}
