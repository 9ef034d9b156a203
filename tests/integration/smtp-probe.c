/* smtp-probe - send messages through src/net/smtp and print each result.

   smtp-probe --url URL [options] RCPT...
     sends --count rounds of one message to each RCPT, on one client.
   smtp-probe --url URL [options] --stdin
     reads commands, one a line: "send RCPT", "close", "quit"; answers each
     "send" at once (for tests that stop and start the server in between).

   --save FILE writes the first message as given to smtp_send; --file
   MESSAGE sends that file (CRLF lines) instead of generated messages.
   One line per message:
     msg N RCPT STATUS CODE ambiguous=A connects=C ms=T TEXT
   and at the end:
     summary sent=S tempfail=T permfail=P connects=C seconds=X rate=R */
#include "config.h"
#include "net/smtp.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_COUNT 1000000
#define PROBE_MAX_SIZE (64 << 20)

struct probe {
	struct smtp_client *client;
	const char *from;
	size_t size;
	int quiet;
	const char *save;     /* write the first message here */
	char *file;           /* send this message instead of generated ones */
	size_t file_len;
	long n, sent, temp, perm, connects;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* make_message - a CRLF message of about size bytes with a unique
   Message-ID and lines that need dot-stuffing */
static void make_message(struct buf *b, const struct probe *p, const char *rcpt)
{
	buf_reset(b);
	if (p->file) {
		buf_append(b, p->file, p->file_len);
		return;
	}
	buf_printf(b, "From: Probe <%s>\r\nTo: <%s>\r\nSubject: probe %ld\r\n"
		   "Message-ID: <probe.%ld.%ld@smtp-probe.test>\r\n"
		   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		   "Message %ld for %s.\r\n.leading dot\r\n..two dots\r\n.\r\n",
		   p->from, rcpt, p->n, (long)getpid(), p->n, p->n, rcpt);
	while (b->len + 2 < p->size)
		buf_puts(b, "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n");
	buf_puts(b, "end\r\n");
}

static void send_one(struct probe *p, struct buf *b, const char *rcpt)
{
	struct smtp_result res;
	p->n++;
	make_message(b, p, rcpt);
	if (p->save && p->n == 1) {
		FILE *f = fopen(p->save, "wb");
		if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
			log_fatal_errno("cannot write %s", p->save);
	}
	double t0 = now_s();
	smtp_send(p->client, p->from, rcpt, b->data, b->len, &res);
	double ms = (now_s() - t0) * 1000.0;
	p->connects += res.connects;
	if (res.status == SMTP_SENT)
		p->sent++;
	else if (res.status == SMTP_TEMPFAIL)
		p->temp++;
	else
		p->perm++;
	if (!p->quiet || res.status != SMTP_SENT)
		printf("msg %ld %s %s %d ambiguous=%d connects=%d ms=%.0f %s\n", p->n, rcpt,
		       smtp_status_name(res.status), res.code, res.ambiguous, res.connects, ms,
		       res.text);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: smtp-probe --url URL [--starttls 0|1|2] [--user U --password P]\n"
		"  [--ca FILE] [--insecure] [--helo NAME] [--timeout S] [--connect-timeout S]\n"
		"  [--max-idle S] [--from ADDR] [--count N] [--size BYTES] [--quiet] [--debug]\n"
		"  [--save FILE] [--file MESSAGE]\n"
		"  (RCPT... | --stdin)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct smtp_config cfg = { 0 };
	struct probe p = { .from = "probe@tagd.test", .size = 400 };
	int count = 1, use_stdin = 0, i;
	int64_t v;

	log_open("smtp-probe", 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];
		const char *a = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(o, "--url") == 0 && a)
			cfg.url = a;
		else if (strcmp(o, "--starttls") == 0 && a && str_to_int(a, 0, 2, &cfg.starttls) == 0)
			;
		else if (strcmp(o, "--user") == 0 && a)
			cfg.user = a;
		else if (strcmp(o, "--password") == 0 && a)
			cfg.password = a;
		else if (strcmp(o, "--ca") == 0 && a)
			cfg.ca_file = a;
		else if (strcmp(o, "--helo") == 0 && a)
			cfg.helo = a;
		else if (strcmp(o, "--timeout") == 0 && a && str_to_int(a, 1, 3600, &cfg.timeout_s) == 0)
			;
		else if (strcmp(o, "--connect-timeout") == 0 && a &&
			 str_to_int(a, 1, 3600, &cfg.connect_timeout_s) == 0)
			;
		else if (strcmp(o, "--max-idle") == 0 && a && str_to_int(a, 1, 3600, &cfg.max_idle_s) == 0)
			;
		else if (strcmp(o, "--save") == 0 && a)
			p.save = a;
		else if (strcmp(o, "--file") == 0 && a) {
			if (str_read_file(a, PROBE_MAX_SIZE, &p.file, &p.file_len) < 0)
				log_fatal_errno("cannot read %s", a);
		}
		else if (strcmp(o, "--from") == 0 && a)
			p.from = a;
		else if (strcmp(o, "--count") == 0 && a && str_to_int(a, 1, PROBE_MAX_COUNT, &count) == 0)
			;
		else if (strcmp(o, "--size") == 0 && a && str_to_i64(a, 0, PROBE_MAX_SIZE, &v) == 0)
			p.size = (size_t)v;
		else {
			takes = 0;
			if (strcmp(o, "--insecure") == 0)
				cfg.insecure_skip_verify = 1;
			else if (strcmp(o, "--stdin") == 0)
				use_stdin = 1;
			else if (strcmp(o, "--quiet") == 0)
				p.quiet = 1;
			else if (strcmp(o, "--debug") == 0)
				log_set_debug(LOG_SUB_SMTP);
			else
				return usage();
		}
		i += takes;
	}
	if (!cfg.url || (!use_stdin && i >= argc))
		return usage();
	if (smtp_global_init() < 0)
		return 1;
	p.client = smtp_client_new(&cfg);
	if (!p.client) {
		smtp_global_cleanup();
		return 1;
	}

	struct buf b;
	buf_init(&b, PROBE_MAX_SIZE + 4096);
	double t0 = now_s();
	if (use_stdin) {
		char line[1024];
		while (fgets(line, sizeof(line), stdin)) {
			char *cmd = str_trim(line);
			if (str_starts(cmd, "send ")) {
				send_one(&p, &b, str_trim(cmd + 5));
			} else if (strcmp(cmd, "close") == 0) {
				smtp_client_close(p.client);
				printf("closed\n");
				fflush(stdout);
			} else if (strcmp(cmd, "quit") == 0) {
				break;
			} else if (*cmd) {
				printf("error unknown command\n");
				fflush(stdout);
			}
		}
	} else {
		for (int r = 0; r < count; r++)
			for (int j = i; j < argc; j++)
				send_one(&p, &b, argv[j]);
	}
	double secs = now_s() - t0;
	printf("summary sent=%ld tempfail=%ld permfail=%ld connects=%ld seconds=%.3f rate=%.1f\n",
	       p.sent, p.temp, p.perm, p.connects, secs, secs > 0 ? (double)p.n / secs : 0.0);
	buf_free(&b);
	free(p.file);
	smtp_client_free(&p.client);
	smtp_global_cleanup();
	return 0;
}
