/* sender.c - from the outbox to the smarthost (or the outbox Maildir) */
#include "config.h"
#include "tag/sender.h"
#include "tag/mailbox.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "net/smtp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 200
#define RATE_WINDOW 60
#define DOWN_PAUSE_MS 1000      /* a smarthost that did not answer: the next */
#define DOWN_PAUSE_MAX_MS 60000 /* ... round after 1 s, doubling to a minute */

struct sender {
	struct store *st;
	const struct tagd_config *cfg;
	struct smtp_client *smtp;
	char *maildir_out;
	time_t *sent_at;                /* ring of send times for the rate limit */
	int rate, ring_pos;
	int part, nparts;               /* this sender's share of the outbox */
	unsigned down;                  /* rounds in a row the smarthost did not answer */
	int64_t paused_until_ms;        /* monotonic; no round before (0: none) */
};

/* mono_ms - monotonic milliseconds (the pause is real time, whatever the clock) */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sender *sender_new(struct store *st, const struct tagd_config *cfg, const char **error_r)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	s->st = st;
	s->cfg = cfg;
	if (cfg->smtp_url && *cfg->smtp_url) {
		struct smtp_config sc;
		memset(&sc, 0, sizeof(sc));
		sc.url = cfg->smtp_url;
		sc.starttls = cfg->smtp_tls == SMTP_TLS_REQUIRED ? 2 : cfg->smtp_tls == SMTP_TLS_TRY ? 1 : 0;
		sc.user = cfg->smtp_user && *cfg->smtp_user ? cfg->smtp_user : NULL;
		sc.password = cfg->smtp_password;
		sc.ca_file = cfg->smtp_ca_file && *cfg->smtp_ca_file ? cfg->smtp_ca_file : NULL;
		sc.helo = cfg->smtp_helo && *cfg->smtp_helo ? cfg->smtp_helo : cfg->hostname;
		sc.timeout_s = (int)cfg->smtp_timeout;
		s->smtp = smtp_client_new(&sc);
		if (s->smtp == NULL) {
			*error_r = "unusable [smtp] settings (see the log)";
			free(s);
			return NULL;
		}
	} else {
		s->maildir_out = tagd_config_path(cfg, cfg->maildir_out);
	}
	s->rate = (int)cfg->smtp_rate;
	if (s->rate > 0)
		s->sent_at = xcalloc((size_t)s->rate, sizeof(time_t));
	s->nparts = 1;
	return s;
}

void sender_set_part(struct sender *s, int part, int nparts)
{
	s->part = part;
	s->nparts = nparts > 0 ? nparts : 1;
	if (s->rate > 0 && s->nparts > 1) {
		s->rate = s->rate / s->nparts > 0 ? s->rate / s->nparts : 1;
		free(s->sent_at);
		s->sent_at = xcalloc((size_t)s->rate, sizeof(time_t));
		s->ring_pos = 0;
	}
}

void sender_free(struct sender **sp)
{
	struct sender *s = *sp;
	if (s == NULL)
		return;
	smtp_client_free(&s->smtp);
	free(s->maildir_out);
	free(s->sent_at);
	free(s);
	*sp = NULL;
}

long sender_backoff(int attempts)
{
	/* 1, 2, 4, ... minutes, at most an hour between tries */
	long wait = 60;
	for (int i = 1; i < attempts && wait < 3600; i++)
		wait *= 2;
	return wait > 3600 ? 3600 : wait;
}

/* rate_ok - may one more mail go now? */
static int rate_ok(struct sender *s, time_t now)
{
	if (s->rate <= 0)
		return 1;
	/* the oldest of the last `rate` sends must be a minute old */
	return s->sent_at[s->ring_pos] == 0 || now - s->sent_at[s->ring_pos] >= RATE_WINDOW;
}

static void rate_note(struct sender *s, time_t now)
{
	if (s->rate <= 0)
		return;
	s->sent_at[s->ring_pos] = now;
	s->ring_pos = (s->ring_pos + 1) % s->rate;
}

static void note_failure(struct sender *s, const struct st_outbox *o)
{
	/* a permanent failure counts against the recipient in that session */
	struct st_participant p;
	if (o->session_id == 0 || store_participant_get(s->st, o->session_id, o->recipient, &p) != 0)
		return;
	p.bounce_score++;
	if (p.bounce_score >= s->cfg->bounce_threshold && strcmp(p.status, "active") == 0) {
		free(p.status);
		p.status = xstrdup("disabled");
		log_warn("delivery to %s disabled: %d failures", p.email, p.bounce_score);
	}
	store_participant_update(s->st, &p);
	st_participant_free(&p);
}

/* deliver_local - the outbox Maildir: a copy per recipient, with the
   envelope in Delivered-To and Return-Path as a local delivery would add */
static int deliver_local(struct sender *s, const struct st_outbox *o, char *errbuf, size_t errlen)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", o->mail_from, o->recipient);
	buf_append(&b, o->raw, o->rawlen);
	const char *e;
	int r = maildir_deliver(s->maildir_out, b.data, b.len, NULL, &e);
	if (r < 0)
		snprintf(errbuf, errlen, "%s", e);
	buf_free(&b);
	return r;
}

int sender_run(struct sender *s, int max, atomic_int *stop)
{
	/* after a smarthost that did not answer, no round until the pause is
	   over: not one attempt per queued mail against a dead host */
	if (s->paused_until_ms != 0 && mono_ms() < s->paused_until_ms)
		return 0;
	s->paused_until_ms = 0;
	time_t now = clock_now();
	struct st_outbox *list;
	int n;
	if (store_outbox_due_part(s->st, now, max < BATCH ? max : BATCH, s->part, s->nparts, &list, &n) < 0)
		return -1;
	int handled = 0;
	for (int i = 0; i < n && !(stop && *stop); i++) {
		struct st_outbox *o = &list[i];
		now = clock_now();
		if (!rate_ok(s, now))
			break;
		log_set_context(NULL, o->message_id);
		/* the bytes one mail at a time: a batch holds only their rows */
		int rr = store_outbox_raw(s->st, o->id, o);
		if (rr != 0) {
			log_set_context(NULL, NULL);
			if (rr < 0)
				break;
			continue; /* gone since the listing */
		}
		char err[SMTP_TEXT_MAX + 64] = "";
		enum smtp_status status;
		int ambiguous = 0, no_answer = 0;
		if (s->smtp) {
			struct smtp_result res;
			smtp_send(s->smtp, o->mail_from, o->recipient, o->raw, o->rawlen, &res);
			status = res.status;
			ambiguous = res.ambiguous;
			no_answer = res.code == 0;
			snprintf(err, sizeof(err), "%s", res.text);
		} else {
			status = deliver_local(s, o, err, sizeof(err)) == 0 ? SMTP_SENT : SMTP_TEMPFAIL;
		}
		int attempts = o->attempts + 1;
		int r;
		if (status == SMTP_SENT) {
			r = store_outbox_update(s->st, o->id, "sent", attempts, now, NULL, now);
			rate_note(s, now);
			log_info("sent %s to %s%s", o->kind, o->recipient, s->smtp ? "" : " (outbox Maildir)");
		} else if (status == SMTP_PERMFAIL) {
			r = store_outbox_update(s->st, o->id, "failed", attempts, now, err, now);
			note_failure(s, o);
			log_warn("%s to %s failed: %s", o->kind, o->recipient, err);
		} else if (now - o->created > s->cfg->smtp_retry_for) {
			char gave[sizeof(err) + 64];
			snprintf(gave, sizeof(gave), "gave up after %d attempts: %s", attempts, err);
			r = store_outbox_update(s->st, o->id, "failed", attempts, now, gave, now);
			note_failure(s, o);
			log_warn("%s to %s: %s", o->kind, o->recipient, gave);
		} else {
			time_t next = now + sender_backoff(attempts);
			r = store_outbox_update(s->st, o->id, "deferred", attempts, next, err, 0);
			log_warn("%s to %s deferred (attempt %d%s): %s", o->kind, o->recipient, attempts,
				 ambiguous ? ", the server may have taken it" : "", err);
		}
		log_set_context(NULL, NULL);
		free(o->raw);
		o->raw = NULL;
		if (r < 0)
			break;
		handled++;
		/* a smarthost that is down: leave the rest for the next round,
		   after a pause that grows while it stays down */
		if (status == SMTP_TEMPFAIL && s->smtp && no_answer) {
			int64_t pause = DOWN_PAUSE_MS;
			for (unsigned k = 0; k < s->down && pause < DOWN_PAUSE_MAX_MS; k++)
				pause *= 2;
			s->paused_until_ms = mono_ms() + (pause < DOWN_PAUSE_MAX_MS ? pause : DOWN_PAUSE_MAX_MS);
			s->down++;
			break;
		}
		if (s->smtp)
			s->down = 0;
	}
	st_outbox_list_free(&list, n);
	/* the senders' connections do not checkpoint on commit (see
	   store_relax_sync): the first sender does, once a round */
	if (handled > 0 && s->part == 0)
		store_checkpoint(s->st);
	return handled;
}

time_t sender_next(struct sender *s)
{
	time_t t;
	int r = store_outbox_next(s->st, &t);
	if (r != 0)
		return -1;
	return t;
}
