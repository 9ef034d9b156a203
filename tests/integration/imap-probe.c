/* imap-probe - drive the IMAP poller against a real server, for
   tests/integration/test-imap.sh.

   Its "store" is a directory: msgs/<sha256>.eml holds each message once
   (the key is a hash over the Message-ID and the bytes, so a message seen
   again under a new UIDVALIDITY is a duplicate, as in the real store), and
   `state` holds "UIDVALIDITY LAST_UID". Each file is written in tmp/,
   fsynced and renamed into place; the message goes first, so a crash between the
   two renames leaves a message whose UID is fetched again and found to be a
   duplicate: exactly once in effect, as the real store does it in one
   transaction. Every event is a line on stdout (flushed):
     deliver uid=U v=V new|dup key=K t=MS
     uidvalidity_changed old=V new=W
     step error: TEXT
     status connected=.. attempts=.. delivered=.. last_uid=.. uidvalidity=.. idle=.. error=TEXT
   Fault injection: --fail-deliver N (the first N deliveries fail, as with a
   full store), --crash-after N (_exit right after the Nth commit, before
   the poller can flag), --deliver-delay-ms N (slow store). */
#include "config.h"
#include "net/imap.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_MSGID 998

struct probe {
	const char *dir;
	unsigned count;           /* messages in msgs/ */
	unsigned deliveries;      /* deliver() calls */
	unsigned fail_deliver;    /* fail this many first */
	unsigned crash_after;     /* _exit after this many commits (0: never) */
	unsigned commits;
	int delay_ms;
};

static volatile sig_atomic_t stop_flag;
static int no_fsync;            /* --no-fsync: measure the poller, not the disk */
static struct imap_poller *the_poller;

/* on_signal - ask the loop to end and wake the poller (async-signal-safe) */
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	if (the_poller != NULL)
		imap_poller_interrupt(the_poller);
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *store_dir;   /* for tmp/ */

/* write_atomic - a file in tmp/, fsync, rename (a crash leaves only tmp/) */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s/tmp/%ld.%s", store_dir, (long)getpid(), strrchr(path, '/') + 1);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret = -1;
	if (fd < 0)
		goto out;
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if ((!no_fsync && fsync(fd) < 0) || close(fd) < 0)
		goto out;
	if (rename(tmp, path) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* message_id - the Message-ID header's value (first line only), or "" */
static void message_id(const char *raw, size_t len, char *out, size_t outsz)
{
	size_t i = 0;
	out[0] = '\0';
	while (i < len) {
		size_t eol = i;
		while (eol < len && raw[eol] != '\n')
			eol++;
		size_t linelen = eol - i;
		if (linelen == 0 || (linelen == 1 && raw[i] == '\r'))
			return; /* end of the header */
		if (linelen > 11 && str_ncasecmp(raw + i, "message-id:", 11) == 0) {
			size_t a = i + 11, b = eol;
			while (a < b && (raw[a] == ' ' || raw[a] == '\t'))
				a++;
			while (b > a && (raw[b - 1] == '\r' || raw[b - 1] == ' '))
				b--;
			size_t n = b - a < outsz - 1 ? b - a : outsz - 1;
			memcpy(out, raw + a, n);
			out[n] = '\0';
			return;
		}
		i = eol + 1;
	}
}

static int get_state(void *arg, const char *mailbox, uint32_t *v_r, uint32_t *last_r)
{
	struct probe *pr = arg;
	char *path = xasprintf("%s/state", pr->dir);
	char *data = NULL;
	size_t len;
	unsigned long v = 0, last = 0;
	(void)mailbox;
	*v_r = 0;
	*last_r = 0;
	if (str_read_file(path, 4096, &data, &len) == 0) {
		if (sscanf(data, "%lu %lu", &v, &last) == 2) {
			*v_r = (uint32_t)v;
			*last_r = (uint32_t)last;
		}
		free(data);
	} else if (errno != ENOENT) {
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int put_state(struct probe *pr, uint32_t v, uint32_t last)
{
	char line[64];
	char *path = xasprintf("%s/state", pr->dir);
	int n = snprintf(line, sizeof(line), "%u %u\n", v, last);
	int r = write_atomic(path, line, (size_t)n);
	free(path);
	return r;
}

static int deliver(void *arg, const char *mailbox, uint32_t v, uint32_t uid, const char *raw, size_t len)
{
	struct probe *pr = arg;
	char msgid[PROBE_MAX_MSGID + 1];
	unsigned char digest[32];
	char hex[65];
	gnutls_hash_hd_t h;
	(void)mailbox;

	pr->deliveries++;
	if (pr->delay_ms > 0)
		sleep_ms(pr->delay_ms);
	if (pr->deliveries <= pr->fail_deliver) {
		printf("deliver uid=%u v=%u refused (store full, injected)\n", uid, v);
		fflush(stdout);
		return -1;
	}
	message_id(raw, len, msgid, sizeof(msgid));
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	gnutls_hash(h, msgid, strlen(msgid));
	gnutls_hash(h, "\n", 1);
	gnutls_hash(h, raw, len);
	gnutls_hash_deinit(h, digest);
	str_hex(digest, sizeof(digest), hex);

	char *path = xasprintf("%s/msgs/%s.eml", pr->dir, hex);
	struct stat stt;
	int dup = stat(path, &stt) == 0;
	if (!dup && write_atomic(path, raw, len) < 0) {
		free(path);
		return -1;
	}
	free(path);
	if (put_state(pr, v, uid) < 0)
		return -1;
	if (!dup)
		pr->count++;
	pr->commits++;
	printf("deliver uid=%u v=%u %s key=%.16s msgid=%s t=%lld\n", uid, v, dup ? "dup" : "new",
	       hex, msgid, wall_ms());
	fflush(stdout);
	if (pr->crash_after > 0 && pr->commits == pr->crash_after) {
		printf("crash (injected) after commit %u\n", pr->commits);
		fflush(stdout);
		_exit(9);
	}
	return 0;
}

static void uidvalidity_changed(void *arg, const char *mailbox, uint32_t old_v, uint32_t new_v)
{
	struct probe *pr = arg;
	(void)mailbox;
	printf("uidvalidity_changed old=%u new=%u\n", old_v, new_v);
	fflush(stdout);
	if (put_state(pr, new_v, 0) < 0)
		fprintf(stderr, "imap-probe: cannot reset the state file\n");
}

static unsigned count_msgs(const char *dir)
{
	char *path = xasprintf("%s/msgs", dir);
	DIR *d = opendir(path);
	unsigned n = 0;
	free(path);
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (str_ends(e->d_name, ".eml"))
			n++;
	closedir(d);
	return n;
}

static void print_status(struct imap_poller *p)
{
	struct imap_status st;
	imap_poller_status(p, &st);
	printf("status connected=%d attempts=%u delivered=%u last_uid=%u uidvalidity=%u idle=%d "
	       "last_poll=%lld error=%s\n", st.connected, st.attempts, st.delivered, st.last_uid,
	       st.uidvalidity, st.idle, (long long)st.last_poll, st.last_error);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: imap-probe --port N [--host H] [--tls plain|starttls|imaps] [--ca FILE]\n"
		"  --user U --password P [--auth login|plain] [--mailbox M] [--move-to F]\n"
		"  [--poll S] [--no-idle] [--timeout S] [--check]\n"
		"  --store DIR [--until N] [--until-commits N] [--run-ms MS] [--step-ms MS]\n"
		"  [--fail-deliver N] [--crash-after N] [--deliver-delay-ms N] [--no-fsync] [--debug]\n");
	exit(2);
}

/* int_arg - a checked number option */
static int int_arg(const char *opt, const char *v, int min, int max)
{
	int n;
	if (v == NULL || str_to_int(v, min, max, &n) < 0) {
		fprintf(stderr, "imap-probe: bad value for %s\n", opt);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct imap_config cfg = { .host = "127.0.0.1", .tls = 0, .use_idle = 1, .timeout_s = 10,
				   .poll_interval_s = 2 };
	struct probe pr = { 0 };
	int check = 0, until = 0, until_commits = 0, run_ms = 30000, step_ms = 1000;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--check") == 0) { check = 1; continue; }
		if (strcmp(o, "--no-idle") == 0) { cfg.use_idle = 0; continue; }
		if (strcmp(o, "--debug") == 0) { log_set_debug(LOG_SUB_IMAP); continue; }
		if (strcmp(o, "--no-fsync") == 0) { no_fsync = 1; continue; }
		if (v == NULL)
			usage();
		i++;
		if (strcmp(o, "--host") == 0) cfg.host = v;
		else if (strcmp(o, "--port") == 0) cfg.port = int_arg(o, v, 1, 65535);
		else if (strcmp(o, "--tls") == 0) {
			if (strcmp(v, "plain") == 0) cfg.tls = 0;
			else if (strcmp(v, "starttls") == 0) cfg.tls = 1;
			else if (strcmp(v, "imaps") == 0) cfg.tls = 2;
			else usage();
		}
		else if (strcmp(o, "--ca") == 0) cfg.ca_file = v;
		else if (strcmp(o, "--user") == 0) cfg.user = v;
		else if (strcmp(o, "--password") == 0) cfg.password = v;
		else if (strcmp(o, "--auth") == 0) cfg.auth_plain = strcmp(v, "plain") == 0;
		else if (strcmp(o, "--mailbox") == 0) cfg.mailbox = v;
		else if (strcmp(o, "--move-to") == 0) cfg.move_to = v;
		else if (strcmp(o, "--poll") == 0) cfg.poll_interval_s = int_arg(o, v, 1, 3600);
		else if (strcmp(o, "--timeout") == 0) cfg.timeout_s = int_arg(o, v, 1, 600);
		else if (strcmp(o, "--store") == 0) pr.dir = v;
		else if (strcmp(o, "--until") == 0) until = int_arg(o, v, 0, 10000000);
		else if (strcmp(o, "--until-commits") == 0) until_commits = int_arg(o, v, 0, 10000000);
		else if (strcmp(o, "--run-ms") == 0) run_ms = int_arg(o, v, 0, 3600000);
		else if (strcmp(o, "--step-ms") == 0) step_ms = int_arg(o, v, -1, 3600000);
		else if (strcmp(o, "--fail-deliver") == 0) pr.fail_deliver = (unsigned)int_arg(o, v, 0, 1000000);
		else if (strcmp(o, "--crash-after") == 0) pr.crash_after = (unsigned)int_arg(o, v, 0, 1000000);
		else if (strcmp(o, "--deliver-delay-ms") == 0) pr.delay_ms = int_arg(o, v, 0, 60000);
		else usage();
	}
	log_open("imap-probe", 0);
	signal(SIGPIPE, SIG_IGN);

	if (check) {
		const char *error;
		if (imap_check_connection(&cfg, &error) < 0) {
			printf("check error: %s\n", error);
			return 1;
		}
		printf("check ok\n");
		return 0;
	}
	if (pr.dir == NULL)
		usage();
	char *msgs = xasprintf("%s/msgs", pr.dir);
	char *tmp = xasprintf("%s/tmp", pr.dir);
	mkdir(pr.dir, 0755);
	mkdir(msgs, 0755);
	mkdir(tmp, 0755);
	free(msgs);
	free(tmp);
	store_dir = pr.dir;
	pr.count = count_msgs(pr.dir);

	struct imap_callbacks cb = { get_state, deliver, uidvalidity_changed, &pr, NULL };
	struct imap_poller *p = imap_poller_new(&cfg, &cb);
	the_poller = p;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	long long start = wall_ms();
	int reached = until == 0 && until_commits == 0;
	while (!stop_flag) {
		if ((until > 0 && pr.count >= (unsigned)until) ||
		    (until_commits > 0 && pr.commits >= (unsigned)until_commits)) {
			reached = 1;
			break;
		}
		long long left = start + run_ms - wall_ms();
		if (left <= 0)
			break;
		int wait = step_ms < 0 || step_ms > left ? (int)left : step_ms;
		if (imap_poller_step(p, wait) < 0) {
			struct imap_status st;
			imap_poller_status(p, &st);
			printf("step error: %s\n", st.last_error);
			fflush(stdout);
		}
	}
	if (stop_flag)
		printf("stopped by signal after %lld ms\n", wall_ms() - start);
	print_status(p);
	the_poller = NULL;
	imap_poller_free(&p);
	printf("count=%u elapsed_ms=%lld\n", pr.count, wall_ms() - start);
	return reached || stop_flag ? 0 : 3;
}
