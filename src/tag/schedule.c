/* schedule.c - each session's calendar: open, digests, close */
#include "config.h"
#include "tag/schedule.h"
#include "tag/digest.h"
#include "tag/draftmail.h"
#include "tag/callmail.h"
#include "tag/mailout.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE_MAX 400

enum { EV_DONE = 0, EV_FAIL = -1, EV_WAIT = 1 };

struct sess_note {
	int64_t id;
	time_t retry_after;     /* after a failure */
	int warned_no_draft;
	int warned_stale;
};

struct schedule {
	struct store *st;
	const struct tagd_config *cfg;
	struct mailout *mo;
	struct sess_note *notes;
	int nnotes;
};

const char *schedule_kind_name(enum sched_kind k)
{
	switch (k) {
	case SCHED_OPEN: return "open";
	case SCHED_REMINDER: return "reminder";
	case SCHED_DIGEST: return "digest";
	case SCHED_CLOSE: return "close";
	}
	return "unknown";
}

/* ---- the calendar ---- */

static int ev_cmp(const void *a, const void *b)
{
	const struct sched_event *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static void add_event(struct sched_event **ev, int *n, enum sched_kind kind, time_t at, const char *tz,
		      const char *key, int final)
{
	*ev = xreallocarray(*ev, (size_t)*n + 1, sizeof(**ev));
	struct sched_event *e = &(*ev)[(*n)++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->at = at;
	e->final = final;
	clock_format(at, tz, "%Y-%m-%d", e->day, sizeof(e->day));
	if (key)
		snprintf(e->key, sizeof(e->key), "%s", key);
	else
		snprintf(e->key, sizeof(e->key), "digest:%s", e->day);
}

int schedule_calendar(const struct st_session *ses, time_t call_start, int reminder_at,
		      struct sched_event **ev_r, int *n_r, const char **error_r)
{
	*ev_r = NULL;
	*n_r = 0;
	int y, m, d, cy, cm, cd;
	time_t opens, closes_end;
	if (sscanf(ses->opens, "%d-%d-%d", &y, &m, &d) != 3 || sscanf(ses->closes, "%d-%d-%d", &cy, &cm, &cd) != 3 ||
	    !clock_valid_tz(ses->timezone) || clock_make_local(ses->timezone, y, m, d, 0, 0, &opens) < 0 ||
	    clock_make_local(ses->timezone, cy, cm, cd + 1, 0, 0, &closes_end) < 0 || closes_end <= opens) {
		*error_r = "the session's dates or time zone cannot be read";
		return -1;
	}
	struct sched_event *ev = NULL;
	int n = 0;
	add_event(&ev, &n, SCHED_OPEN, opens, ses->timezone, "open", 0);
	int days = 0;
	for (int i = 0;; i++) {
		time_t at;
		if (clock_make_local(ses->timezone, y, m, d + i, ses->digest_at / 60, ses->digest_at % 60, &at) < 0 ||
		    at >= closes_end)
			break;
		if (days == SCHEDULE_MAX_DAYS) {
			log_warn("session %s: the review window is longer than %d days; digests stop there",
				 ses->slug, SCHEDULE_MAX_DAYS);
			break;
		}
		add_event(&ev, &n, SCHED_DIGEST, at, ses->timezone, NULL, 0);
		days++;
	}
	add_event(&ev, &n, SCHED_DIGEST, closes_end, ses->timezone, NULL, 1);
	add_event(&ev, &n, SCHED_CLOSE, closes_end, ses->timezone, "close", 0);
	struct tm tm;
	if (call_start > 0 && clock_local(call_start, ses->timezone, &tm) == 0) {
		time_t at;
		int ry = tm.tm_year + 1900, rm = tm.tm_mon + 1, rd = tm.tm_mday;
		if (clock_make_local(ses->timezone, ry, rm, rd, reminder_at / 60, reminder_at % 60, &at) == 0) {
			/* a reminder hour after the call's start: the day before */
			if (at >= call_start)
				clock_make_local(ses->timezone, ry, rm, rd - 1, reminder_at / 60, reminder_at % 60, &at);
			char key[32], day[11];
			clock_format(call_start, ses->timezone, "%Y-%m-%d", day, sizeof(day));
			snprintf(key, sizeof(key), "reminder:%s", day);
			add_event(&ev, &n, SCHED_REMINDER, at, ses->timezone, key, 0);
		}
	}
	qsort(ev, (size_t)n, sizeof(*ev), ev_cmp);
	*ev_r = ev;
	*n_r = n;
	return 0;
}

time_t schedule_call_start(struct store *st, const struct st_session *ses, const struct session_conf *sc)
{
	struct st_call call;
	time_t start = 0;
	int r = store_call_get(st, ses->id, &call);
	if (r == 0) {
		if (strcmp(call.status, "cancelled") != 0)
			start = call.start;
		st_call_free(&call);
		return start;
	}
	const char *e;
	if (r == 1 && sc && sc->call_start && *sc->call_start &&
	    clock_parse_local(sc->call_start, ses->timezone, &start, &e) < 0)
		start = 0;
	return start;
}

/* ---- running it ---- */

struct schedule *schedule_new(struct store *st, const struct tagd_config *cfg)
{
	struct schedule *s = xcalloc(1, sizeof(*s));
	s->st = st;
	s->cfg = cfg;
	s->mo = mailout_new(st, cfg);
	return s;
}

void schedule_free(struct schedule **sp)
{
	struct schedule *s = *sp;
	if (s == NULL)
		return;
	mailout_free(&s->mo);
	free(s->notes);
	free(s);
	*sp = NULL;
}

void schedule_reload(struct schedule *s, const struct tagd_config *cfg)
{
	s->cfg = cfg;
	mailout_reload(s->mo, cfg);
}

static struct sess_note *note_of(struct schedule *s, int64_t id)
{
	for (int i = 0; i < s->nnotes; i++)
		if (s->notes[i].id == id)
			return &s->notes[i];
	s->notes = xreallocarray(s->notes, (size_t)s->nnotes + 1, sizeof(*s->notes));
	struct sess_note *n = &s->notes[s->nnotes++];
	memset(n, 0, sizeof(*n));
	n->id = id;
	return n;
}

static int ev_open(struct schedule *s, const struct st_session *ses, char *result, size_t rsize,
		   const char **error_r)
{
	int rev = 0;
	if (store_revision_current(s->st, ses->id, &rev) < 0) {
		*error_r = store_error(s->st);
		return EV_FAIL;
	}
	if (rev == 0) {
		struct sess_note *n = note_of(s, ses->id);
		if (!n->warned_no_draft)
			log_warn("session %s should open now, but it has no draft yet (tagctl draft import); "
				 "it opens when one is imported", ses->slug);
		n->warned_no_draft = 1;
		return EV_WAIT;
	}
	if (store_session_set_state(s->st, ses->id, "open") < 0) {
		*error_r = store_error(s->st);
		return EV_FAIL;
	}
	int queued;
	if (draftmail_send(s->st, s->mo, ses, &queued, error_r) < 0)
		return EV_FAIL;
	snprintf(result, rsize, "opened; draft revision %d to %d participant%s", rev, queued, queued == 1 ? "" : "s");
	return EV_DONE;
}

static int ev_digest(struct schedule *s, const struct st_session *ses, const struct session_conf *sc,
		     const struct sched_event *all, int i, char *result, size_t rsize, const char **error_r)
{
	const struct sched_event *ev = &all[i];
	struct digest_req rq;
	memset(&rq, 0, sizeof(rq));
	rq.day = ev->day;
	rq.until = ev->at;
	rq.final = ev->final;
	rq.quiet_days = sc->quiet_digest;
	rq.max_comments = (int)sc->digest_max; /* 10 to 100000 */
	rq.first = 1;
	for (int k = i - 1; k >= 0; k--) {
		if (all[k].kind == SCHED_DIGEST) {
			rq.from = all[k].at;
			rq.first = 0;
			break;
		}
		if (all[k].kind == SCHED_OPEN)
			rq.from = all[k].at;
	}
	int sent;
	if (digest_send(s->st, s->mo, ses, &rq, &sent, result, rsize, error_r) < 0)
		return EV_FAIL;
	log_info("digest %s: %s", ev->day, result);
	return EV_DONE;
}

static int ev_close(struct schedule *s, const struct st_session *ses, char *result, size_t rsize,
		    const char **error_r)
{
	static char err[512];
	struct st_comment *cs = NULL;
	struct st_participant *ps = NULL;
	int nc = 0, np = 0;
	if (store_comment_list(s->st, ses->id, 0, &cs, &nc) < 0 ||
	    store_participant_list(s->st, ses->id, "active", &ps, &np) < 0) {
		st_comment_list_free(&cs, nc);
		*error_r = store_error(s->st);
		return EV_FAIL;
	}
	/* the week in numbers: comments in time, their authors, their paragraphs */
	int comments = 0, authors = 0, paragraphs = 0;
	for (int i = 0; i < nc; i++) {
		if (cs[i].late)
			continue;
		comments++;
		int seen_a = 0, seen_p = cs[i].paragraph_id == 0;
		for (int k = 0; k < i; k++) {
			if (cs[k].late)
				continue;
			if (str_casecmp(cs[k].author_email, cs[i].author_email) == 0)
				seen_a = 1;
			if (cs[k].paragraph_id == cs[i].paragraph_id)
				seen_p = 1;
		}
		authors += !seen_a;
		paragraphs += !seen_p;
	}
	st_comment_list_free(&cs, nc);
	int ret = EV_DONE, queued = 0;
	if (store_session_set_state(s->st, ses->id, "closed") < 0) {
		*error_r = store_error(s->st);
		ret = EV_FAIL;
	}
	for (int i = 0; i < np && ret == EV_DONE; i++) {
		const struct st_participant *p = &ps[i];
		char purpose[PURPOSE_MAX];
		snprintf(purpose, sizeof(purpose), "closed:%s:%s", ses->slug, p->email);
		struct tval *v = mailout_vars(s->mo, ses, p->name, p->email);
		struct tval *counts = tval_set_map(v, "counts");
		tval_set_int(counts, "comments", comments);
		tval_set_int(counts, "authors", authors);
		tval_set_int(counts, "paragraphs", paragraphs);
		tval_set_str(v, "final_by", "");
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "session-closed";
		m.purpose = purpose;
		m.to_addr = p->email;
		m.to_name = p->name;
		m.participant_id = p->id;
		m.vars = v;
		m.msgid_kind = "closed";
		m.list_mail = 1;
		const char *e;
		int q = mailout_queue(s->mo, &m, NULL, &e);
		tval_free(&v);
		if (q < 0) {
			snprintf(err, sizeof(err), "session-closed for %s: %s", p->email, e);
			*error_r = err;
			ret = EV_FAIL;
		} else if (q == 0) {
			queued++;
		}
	}
	st_participant_list_free(&ps, np);
	snprintf(result, rsize, "closed; %d comments from %d people on %d paragraphs; %d mail%s", comments, authors,
		 paragraphs, queued, queued == 1 ? "" : "s");
	return ret;
}

/* run_event - one event and its record, in one transaction */
static int run_event(struct schedule *s, const struct st_session *ses, const struct session_conf *sc,
		     const struct sched_event *all, int i)
{
	const struct sched_event *ev = &all[i];
	char result[256] = "";
	const char *err = NULL;
	if (store_begin(s->st) < 0)
		return EV_FAIL;
	int r;
	switch (ev->kind) {
	case SCHED_OPEN:
		r = ev_open(s, ses, result, sizeof(result), &err);
		break;
	case SCHED_DIGEST:
		r = ev_digest(s, ses, sc, all, i, result, sizeof(result), &err);
		break;
	case SCHED_CLOSE:
		r = ev_close(s, ses, result, sizeof(result), &err);
		break;
	case SCHED_REMINDER:
	default:
		r = callmail_reminder(s->mo, s->st, ses, &err);
		if (r >= 0) {
			snprintf(result, sizeof(result), r == 0 ? "call reminder queued" : "no call to remind of");
			r = EV_DONE;
		} else {
			r = EV_FAIL;
		}
		break;
	}
	if (r == EV_DONE && store_sched_mark(s->st, ses->id, ev->key, ev->at, clock_now(), result) < 0) {
		err = store_error(s->st);
		r = EV_FAIL;
	}
	if (r != EV_DONE || store_commit(s->st) < 0) {
		store_rollback(s->st);
		if (r == EV_WAIT)
			return EV_WAIT;
		log_error("%s: %s; trying again later", ev->key, err ? err : store_error(s->st));
		return EV_FAIL;
	}
	if (ev->kind != SCHED_DIGEST)
		log_info("%s: %s", ev->key, result);
	return EV_DONE;
}

/* keep_drafts - the current revision to every active participant who lacks it */
static int keep_drafts(struct schedule *s, const struct st_session *ses)
{
	int missing;
	if (draftmail_pending(s->st, ses, &missing) < 0)
		return -1;
	if (missing == 0)
		return 0;
	if (store_begin(s->st) < 0)
		return -1;
	int queued = 0;
	const char *err = NULL;
	if (draftmail_send(s->st, s->mo, ses, &queued, &err) < 0 || store_commit(s->st) < 0) {
		store_rollback(s->st);
		log_error("draft mail: %s; trying again later", err ? err : store_error(s->st));
		return -1;
	}
	return queued;
}

/* run_session - one session's due events, in order */
static int run_session(struct schedule *s, const struct st_session *ses, time_t now)
{
	struct sess_note *note = note_of(s, ses->id);
	if (note->retry_after > now)
		return 0;
	struct session_conf sc;
	if (session_conf_of(ses, &sc) < 0) {
		log_warn("session %s: its session file no longer parses; its schedule waits", ses->slug);
		note->retry_after = now + SCHEDULE_RETRY_S;
		return 0;
	}
	struct sched_event *ev = NULL;
	int n = 0, done = 0, failed = 0;
	const char *err;
	if (schedule_calendar(ses, schedule_call_start(s->st, ses, &sc), sc.call_reminder_at, &ev, &n, &err) < 0) {
		log_warn("session %s: %s", ses->slug, err);
		note->retry_after = now + SCHEDULE_RETRY_S;
		session_conf_free(&sc);
		return 0;
	}
	int open = strcmp(ses->state, "open") == 0;
	time_t close_at = 0;
	for (int i = 0; i < n; i++)
		if (ev[i].kind == SCHED_CLOSE)
			close_at = ev[i].at;
	if (!open && now > close_at + (time_t)SCHEDULE_STALE_DAYS * 86400) {
		if (!note->warned_stale)
			log_warn("session %s closed on %s and was never opened: its schedule is not run", ses->slug,
				 ses->closes);
		note->warned_stale = 1;
		n = 0;
	}
	for (int i = 0; i < n && ev[i].at <= now; i++) {
		int r = store_sched_get(s->st, ses->id, ev[i].key, NULL);
		if (r < 0) {
			failed = 1;
			break;
		}
		if (r == 0) {
			if (ev[i].kind == SCHED_OPEN)
				open = 1;
			if (ev[i].kind == SCHED_CLOSE)
				open = 0;
			continue;
		}
		r = run_event(s, ses, &sc, ev, i);
		if (r == EV_FAIL)
			failed = 1;
		if (r != EV_DONE)
			break;
		done++;
		if (ev[i].kind == SCHED_OPEN)
			open = 1;
		if (ev[i].kind == SCHED_CLOSE)
			open = 0;
	}
	if (!failed && open && keep_drafts(s, ses) < 0)
		failed = 1;
	if (failed)
		note->retry_after = now + SCHEDULE_RETRY_S;
	free(ev);
	session_conf_free(&sc);
	return failed ? -1 : done;
}

int schedule_run(struct schedule *s, time_t now)
{
	struct st_session *list;
	int n;
	if (store_session_list(s->st, &list, &n) < 0)
		return -1;
	int done = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i].state, "planned") != 0 && strcmp(list[i].state, "open") != 0)
			continue;
		log_set_context(list[i].slug, NULL);
		int r = run_session(s, &list[i], now);
		log_set_context(NULL, NULL);
		if (r < 0)
			failed = 1;
		else
			done += r;
	}
	st_session_list_free(&list, n);
	return failed ? -1 : done;
}
