/* lmtp-probe - run src/net/lmtp with callbacks that store each delivery as
   a file, for tests/integration/test-lmtp.sh.

   lmtp-probe --listen ADDR --dir DIR [--addr-file FILE] [--max-size N]
              [--max-rcpts N] [--max-conns N] [--idle-ms N] [--max-seconds N] [--debug]

   Recipients by local part: unknown@ is refused at RCPT (550), busy@ gets
   451 at RCPT; after the data full@ gets 452 (no space), tempfail@ 451,
   reject@ 550; every other one is stored as DIR/NNNN.RCPT (the bytes
   received, unstuffed) with the sender in DIR/NNNN.RCPT.from. Runs until
   SIGTERM/SIGINT or --max-seconds (default 120). */
#include "config.h"
#include "net/lmtp.h"
#include "lib/log.h"
#include "lib/str.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

struct store {
	const char *dir;
	int seq;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* local_is - whether rcpt's local part is name */
static int local_is(const char *rcpt, const char *name)
{
	size_t n = strlen(name);
	return str_ncasecmp(rcpt, name, n) == 0 && rcpt[n] == '@';
}

static enum lmtp_verdict rcpt_cb(void *arg, const char *rcpt)
{
	(void)arg;
	if (local_is(rcpt, "unknown"))
		return LMTP_REJECT;
	if (local_is(rcpt, "busy"))
		return LMTP_TEMPFAIL;
	return LMTP_OK;
}

/* write_file - the whole of data to path, synced; -1 on failure */
static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int bad = fwrite(data, 1, len, f) != len;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	return bad ? -1 : 0;
}

static enum lmtp_verdict deliver_cb(void *arg, const char *mail_from, const char *rcpt,
				    const char *data, size_t len, char *reason, size_t reasonlen)
{
	struct store *st = arg;
	char path[4096];
	if (local_is(rcpt, "full"))
		return LMTP_NOSPACE;
	if (local_is(rcpt, "tempfail")) {
		snprintf(reason, reasonlen, "store busy, try later");
		return LMTP_TEMPFAIL;
	}
	if (local_is(rcpt, "reject"))
		return LMTP_REJECT;
	st->seq++;
	snprintf(path, sizeof(path), "%s/%04d.%s", st->dir, st->seq, rcpt);
	if (write_file(path, data, len) < 0) {
		snprintf(reason, reasonlen, "cannot write: %s", strerror(errno));
		return errno == ENOSPC ? LMTP_NOSPACE : LMTP_TEMPFAIL;
	}
	snprintf(path, sizeof(path), "%s/%04d.%s.from", st->dir, st->seq, rcpt);
	if (write_file(path, mail_from, strlen(mail_from)) < 0)
		return LMTP_TEMPFAIL;
	snprintf(reason, reasonlen, "Saved as %04d", st->seq);
	return LMTP_OK;
}

int main(int argc, char **argv)
{
	const char *listen_at = NULL, *addr_file = NULL, *err = NULL;
	struct store st = { 0 };
	struct lmtp_limits lim = { 0 };
	int64_t max_size = 0, v;
	int max_seconds = 120, ms;

	log_open("lmtp-probe", 0);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--debug") == 0) {
			log_set_debug(LOG_SUB_LMTP);
			continue;
		}
		if (!a)
			goto usage;
		i++;
		if (strcmp(o, "--listen") == 0)
			listen_at = a;
		else if (strcmp(o, "--dir") == 0)
			st.dir = a;
		else if (strcmp(o, "--addr-file") == 0)
			addr_file = a;
		else if (strcmp(o, "--max-size") == 0 && str_to_i64(a, 1, INT64_MAX, &max_size) == 0)
			;
		else if (strcmp(o, "--max-rcpts") == 0 && str_to_i64(a, 1, 100000, &v) == 0)
			lim.max_rcpts = (size_t)v;
		else if (strcmp(o, "--max-conns") == 0 && str_to_i64(a, 1, 100000, &v) == 0)
			lim.max_conns = (size_t)v;
		else if (strcmp(o, "--idle-ms") == 0 && str_to_int(a, 1, 3600000, &ms) == 0)
			lim.idle_timeout_ms = ms;
		else if (strcmp(o, "--max-seconds") == 0 && str_to_int(a, 1, 86400, &max_seconds) == 0)
			;
		else
			goto usage;
	}
	if (!listen_at || !st.dir)
		goto usage;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct lmtp_server *s = lmtp_server_new(listen_at, (size_t)max_size, rcpt_cb, deliver_cb, &st, &err);
	if (!s) {
		fprintf(stderr, "lmtp-probe: %s\n", err);
		return 1;
	}
	lmtp_server_set_limits(s, &lim);
	if (addr_file) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", addr_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%s\n", lmtp_server_address(s)) < 0 || fclose(f) != 0 ||
		    rename(tmp, addr_file) != 0) {
			fprintf(stderr, "lmtp-probe: cannot write %s\n", addr_file);
			lmtp_server_free(&s);
			return 1;
		}
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; !stop && t.tv_sec - t0.tv_sec < max_seconds; clock_gettime(CLOCK_MONOTONIC, &t))
		if (lmtp_server_run_once(s, 500) < 0) {
			perror("lmtp-probe: poll");
			break;
		}
	lmtp_server_free(&s);
	return 0;

usage:
	fprintf(stderr, "usage: lmtp-probe --listen ADDR --dir DIR [--addr-file FILE] [--max-size N]\n"
		"  [--max-rcpts N] [--max-conns N] [--idle-ms N] [--max-seconds N] [--debug]\n");
	return 2;
}
