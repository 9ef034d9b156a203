/* tagd-bench.c - the parts of tagd the benchmarks time on their own.

     tagd-bench digest CONF SLUG DAY      queue the day's digest for every
                                          participant in digest mode
     tagd-bench send CONF                 send the outbox until nothing is due

   Both run tagd's own code (tag/digest, tag/sender over net/smtp) on the
   database the config names, and print one JSON line: the count, the
   seconds, the rate and the peak RSS. The clock is the real one unless
   TAGD_BENCH_CLOCK ("YYYY-MM-DD HH:MM", UTC) is set. */
#include "config.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/smtp.h"
#include "store/db.h"
#include "store/store.h"
#include "tag/digest.h"
#include "tag/mailout.h"
#include "tag/sender.h"
#include "tag/settings.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		printf("{\"mails\": %d, \"seconds\": %.4f, \"rate\": %.1f, \"peak_rss_kb\": %ld, \"note\": \"%s\"}\n",
		       sent, t, t > 0 ? sent / t : 0.0, peak_rss_kb(), note);
	mailout_free(&mo);
	st_session_free(&ses);
	store_close(&st);
	tagd_config_free(&cfg);
	return r < 0 ? 1 : 0;
}

/* cmd_send - sender_run until nothing is due, timed */
static int cmd_send(const char *conf)
{
	struct tagd_config cfg;
	struct store *st;
	if (smtp_global_init() < 0 || open_all(conf, &cfg, &st) < 0)
		return 1;
	const char *e;
	store_relax_sync(st); /* as tagd's sender thread does */
	struct sender *s = sender_new(st, &cfg, &e);
	if (s == NULL) {
		fprintf(stderr, "tagd-bench: %s\n", e);
		return 1;
	}
	int counts[5] = { 0 };
	store_outbox_counts(st, 0, counts);
	double t0 = now_s();
	int total = 0, n;
	while ((n = sender_run(s, 1000, NULL)) > 0)
		total += n;
	double t = now_s() - t0;
	int after[5] = { 0 };
	store_outbox_counts(st, 0, after);
	printf("{\"handled\": %d, \"seconds\": %.4f, \"rate\": %.1f, \"peak_rss_kb\": %ld}\n", total, t,
	       t > 0 ? total / t : 0.0, peak_rss_kb());
	sender_free(&s);
	store_close(&st);
	tagd_config_free(&cfg);
	smtp_global_cleanup();
	return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
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
	if (argc == 3 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv[2]);
	fprintf(stderr, "usage: tagd-bench digest CONF SLUG DAY | send CONF\n");
	return 2;
}
