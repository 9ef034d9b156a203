/* callmail.c - the launch call by mail: invitations, updates, the
   cancellation, the reminder and counter proposals */
#include "config.h"
#include "tag/callmail.h"
#include "tag/session.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char errbuf[512];

/* fail - set *error_r to a formatted text; returns -1 */
static int fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	*error_r = errbuf;
	return -1;
}

/* store_fail - a store error as *error_r */
static int store_fail(struct store *st, const char **error_r)
{
	return fail(error_r, "store: %s", store_error(st));
}

static int nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

static int is_utc(const char *tz)
{
	return tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0;
}

/* web_url - s if it is an https: or http: address (templates make links of it) */
static const char *web_url(const char *s)
{
	if (nonempty(s) && (str_istarts(s, "https://") || str_istarts(s, "http://")))
		return s;
	return NULL;
}

/* call_zone - the zone the call is shown in */
static const char *call_zone(const struct st_session *ses, const struct st_call *call)
{
	return nonempty(call->timezone) ? call->timezone : ses->timezone;
}

/* format_when - "Monday 16 July 2018, 12:00-13:00 EDT (16:00 UTC)"; the caller frees */
static char *format_when(time_t start, int duration, const char *tz)
{
	char day[64], from[16], to[32], utc[16];
	if (is_utc(tz))
		tz = "UTC";
	clock_format(start, tz, "%A %-d %B %Y", day, sizeof(day));
	clock_format(start, tz, "%H:%M", from, sizeof(from));
	clock_format(start + (time_t)duration * 60, tz, "%H:%M %Z", to, sizeof(to));
	if (strcmp(tz, "UTC") == 0)
		return xasprintf("%s, %s-%s", day, from, to);
	clock_format(start, "UTC", "%H:%M", utc, sizeof(utc));
	return xasprintf("%s, %s-%s (%s UTC)", day, from, to, utc);
}

/* lower_dup - a lowercased copy (addresses in purpose keys) */
static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	str_lower(d);
	return d;
}

/* ---- the event, from the session file and the stored call ---- */

struct built {
	struct session_conf sc;
	int have_sc;
	char *summary;
	char *description;
	struct buf agenda;
	struct call_event ev;
	const char *dial_in;            /* borrowed from sc; NULL = none */
	const char *url;                /* https:/http: only */
};

/* build - the call_event for the stored call: its time and sequence from
   the store, its texts from the session file's [call] (defaults when the
   file no longer parses) */
static void build(const struct st_session *ses, const struct st_call *call, struct built *b)
{
	memset(b, 0, sizeof(*b));
	b->have_sc = session_conf_of(ses, &b->sc) == 0;
	const struct session_conf *sc = b->have_sc ? &b->sc : NULL;
	if (sc == NULL)
		log_warn("call: the session file of %s no longer parses; the call's texts are left out", ses->slug);
	if (sc && nonempty(sc->call_title))
		b->summary = xstrdup(sc->call_title);
	else
		b->summary = xasprintf("Launch call: %s", ses->title);
	if (sc && nonempty(sc->call_agenda)) {
		buf_puts(&b->agenda, sc->call_agenda);
	} else {
		for (int i = 0; i < ses->ngoals; i++)
			buf_printf(&b->agenda, "%s- %s", i ? "\n" : "", ses->goals[i]);
	}
	b->dial_in = sc && nonempty(sc->call_dial_in) ? sc->call_dial_in : NULL;
	b->url = sc ? web_url(sc->call_url) : NULL;
	b->description = call_description(b->dial_in, b->url, buf_cstr(&b->agenda));
	const char *location = sc && nonempty(sc->call_location) ? sc->call_location :
			       b->dial_in ? b->dial_in : b->url;
	struct call_event *ev = &b->ev;
	ev->uid = call->uid;
	ev->summary = b->summary;
	ev->description = nonempty(b->description) ? b->description : NULL;
	ev->location = location;
	ev->url = b->url;
	/* the ORGANIZER is the list address, so that answers come back to
	   tagd; its name is the From name of the mail (the session title) */
	ev->organizer_email = ses->list_addr;
	ev->organizer_name = ses->title;
	ev->tzid = call_zone(ses, call);
	ev->start = call->start;
	ev->duration_min = call->duration;
	ev->sequence = call->sequence;
	ev->alarm_min = sc ? (int)sc->call_alarm : 15;
}

static void built_free(struct built *b)
{
	if (b->have_sc)
		session_conf_free(&b->sc);
	free(b->summary);
	free(b->description);
	buf_free(&b->agenda);
	memset(b, 0, sizeof(*b));
}

/* set_call_vars - the call.* values the call templates share */
static struct tval *set_call_vars(struct tval *v, const struct built *b, const struct st_call *call,
				  const char *tz)
{
	struct tval *c = tval_set_map(v, "call");
	char *when = format_when(call->start, call->duration, tz);
	tval_set_str(c, "title", b->summary);
	tval_set_str(c, "when", when);
	free(when);
	return c;
}

/* ---- the call row ---- */

int callmail_ensure(struct store *st, const struct st_session *ses, struct st_call *call_r,
		    const char **error_r)
{
	struct st_call c;
	int r = store_call_get(st, ses->id, &c);
	if (r < 0)
		return store_fail(st, error_r);
	if (r == 0) {
		if (call_r)
			*call_r = c;
		else
			st_call_free(&c);
		return 0;
	}
	struct session_conf sc;
	if (session_conf_of(ses, &sc) < 0)
		return fail(error_r, "the session file of %s no longer parses", ses->slug);
	if (!nonempty(sc.call_start)) {
		session_conf_free(&sc);
		return 1;
	}
	time_t start;
	const char *e;
	if (clock_parse_local(sc.call_start, ses->timezone, &start, &e) < 0) {
		fail(error_r, "[call] start %s: %s", sc.call_start, e);
		session_conf_free(&sc);
		return -1;
	}
	char *uid = call_uid(ses->slug, ses->list_addr);
	if (uid == NULL) {
		session_conf_free(&sc);
		return fail(error_r, "the list address %s has no domain", ses->list_addr);
	}
	memset(&c, 0, sizeof(c));
	c.session_id = ses->id;
	c.uid = uid;
	c.sequence = 0;
	c.start = start;
	c.timezone = xstrdup(nonempty(ses->timezone) ? ses->timezone : "UTC");
	c.duration = (int)sc.call_duration;
	c.status = xstrdup("confirmed");
	c.updated = clock_now();
	session_conf_free(&sc);
	if (c.duration < 1 || c.duration > CALL_MAX_DURATION) {
		st_call_free(&c);
		return fail(error_r, "[call] duration out of range");
	}
	if (store_call_put(st, &c) < 0) {
		st_call_free(&c);
		return store_fail(st, error_r);
	}
	log_info("call: %s planned (%s)", c.uid, ses->slug);
	if (call_r)
		*call_r = c;
	else
		st_call_free(&c);
	return 0;
}

/* ---- one invitation, update or cancellation ---- */

/* invite - queue the object of the call's current sequence for p: a
   REQUEST, or the CANCEL for a cancelled call (only to someone who knew of
   it). 0 queued, 1 nothing to do, -1 with *error_r. */
static int invite(struct mailout *mo, struct store *st, const struct st_session *ses,
		  const struct st_call *call, const struct built *b, const struct st_participant *p,
		  const char **error_r)
{
	if (strcmp(p->status, "active") != 0)
		return 1;
	int cancelled = strcmp(call->status, "cancelled") == 0;
	struct st_rsvp old;
	int r = store_rsvp_get(st, ses->id, p->email, &old);
	if (r < 0)
		return store_fail(st, error_r);
	int knew = r == 0;
	if (knew)
		st_rsvp_free(&old);
	if (cancelled && !knew)
		return 1;
	if (!cancelled && call->start + (time_t)call->duration * 60 <= clock_now())
		return 1;               /* the call is over */

	char *lower = lower_dup(p->email);
	char *purpose = xasprintf("call:%s:seq%d:%s", ses->slug, call->sequence, lower);
	free(lower);
	char seq[32];
	snprintf(seq, sizeof(seq), "seq%d", call->sequence);
	struct call_attendee att = { p->email, nonempty(p->name) ? p->name : NULL };
	const char *e;
	char *ics = call_ics(&b->ev, &att, cancelled ? CALL_CANCEL : CALL_REQUEST, &e);
	if (ics == NULL) {
		free(purpose);
		return fail(error_r, "the calendar object for %s: %s", p->email, e);
	}
	struct tval *v = mailout_vars(mo, ses, p->name, p->email);
	struct tval *c = set_call_vars(v, b, call, call_zone(ses, call));
	tval_set_int(c, "duration", call->duration);
	tval_set_str(c, "dial_in", b->dial_in);
	tval_set_str(c, "url", b->url);
	tval_set_bool(c, "updated", !cancelled && knew && call->sequence > 0);
	tval_set_bool(c, "cancelled", cancelled);

	struct mailout_msg m;
	memset(&m, 0, sizeof(m));
	m.ses = ses;
	m.kind = "call-invitation";
	m.purpose = purpose;
	m.to_addr = p->email;
	m.to_name = p->name;
	m.participant_id = p->id;
	m.vars = v;
	m.msgid_kind = "call";
	m.msgid_what = seq;
	m.list_mail = 1;
	m.calendar = ics;
	m.calendar_method = cancelled ? "CANCEL" : "REQUEST";
	int q = mailout_queue(mo, &m, NULL, error_r);
	tval_free(&v);
	free(ics);
	free(purpose);
	if (q < 0)
		return -1;
	if (q == 0 && !knew) {
		/* they know of the call now: an answer row, not answered yet */
		struct st_rsvp nr;
		memset(&nr, 0, sizeof(nr));
		nr.email = p->email;
		nr.partstat = (char *)call_partstat_name(PARTSTAT_NEEDS_ACTION);
		nr.sequence = call->sequence;
		if (store_rsvp_put(st, ses->id, &nr) < 0)
			return store_fail(st, error_r);
	}
	if (q == 0)
		log_debug(LOG_SUB_CALL, "call: %s sequence %d queued for %s", cancelled ? "CANCEL" : "REQUEST",
			  call->sequence, p->email);
	return q;
}

/* invite_active - invite() for every active participant; *queued_r counts */
static int invite_active(struct mailout *mo, struct store *st, const struct st_session *ses,
			 const struct st_call *call, int *queued_r, const char **error_r)
{
	struct st_participant *list;
	int n;
	if (store_participant_list(st, ses->id, "active", &list, &n) < 0)
		return store_fail(st, error_r);
	struct built b;
	build(ses, call, &b);
	int ret = 0, queued = 0;
	for (int i = 0; i < n && ret == 0; i++) {
		int r = invite(mo, st, ses, call, &b, &list[i], error_r);
		if (r < 0)
			ret = -1;
		else if (r == 0)
			queued++;
	}
	built_free(&b);
	st_participant_list_free(&list, n);
	if (queued_r)
		*queued_r = queued;
	return ret;
}

int callmail_invite_one(struct mailout *mo, struct store *st, const struct st_session *ses,
			const struct st_participant *p, const char **error_r)
{
	if (strcmp(p->status, "active") != 0)
		return 1;
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = callmail_ensure(st, ses, &call, error_r);
	if (r == 0) {
		struct built b;
		build(ses, &call, &b);
		r = invite(mo, st, ses, &call, &b, p, error_r);
		built_free(&b);
		st_call_free(&call);
	}
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	return r;
}

int callmail_invite_all(struct mailout *mo, struct store *st, const struct st_session *ses,
			int *queued_r, const char **error_r)
{
	if (queued_r)
		*queued_r = 0;
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = callmail_ensure(st, ses, &call, error_r);
	if (r == 1) {
		r = 0;          /* no call planned: nobody to invite */
	} else if (r == 0) {
		r = invite_active(mo, st, ses, &call, queued_r, error_r);
		st_call_free(&call);
	}
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	return 0;
}

/* ensure_planned - callmail_ensure, where "no call" is an error */
static int ensure_planned(struct store *st, const struct st_session *ses, struct st_call *call,
			  const char **error_r)
{
	int r = callmail_ensure(st, ses, call, error_r);
	if (r == 1)
		return fail(error_r, "%s plans no launch call ([call] start is empty)", ses->slug);
	return r;
}

/* bump - the next sequence, stored with the new time and status */
static int bump(struct store *st, struct st_call *call, time_t start, const char *status,
		const char **error_r)
{
	if (call->sequence >= CALL_MAX_SEQUENCE)
		return fail(error_r, "the call has been changed %d times; no more", call->sequence);
	call->sequence++;
	call->start = start;
	free(call->status);
	call->status = xstrdup(status);
	if (store_call_put(st, call) < 0)
		return store_fail(st, error_r);
	return 0;
}

int callmail_reschedule(struct mailout *mo, struct store *st, const struct st_session *ses,
			time_t new_start, int *queued_r, const char **error_r)
{
	if (queued_r)
		*queued_r = 0;
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = ensure_planned(st, ses, &call, error_r);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	int cancelled = strcmp(call.status, "cancelled") == 0;
	if (new_start == call.start && !cancelled) {
		st_call_free(&call);
		store_commit(st);
		return 1;
	}
	if (new_start <= clock_now()) {
		r = fail(error_r, "the new time is in the past");
		goto out;
	}
	if ((r = bump(st, &call, new_start, "confirmed", error_r)) < 0)
		goto out;
	/* every answer was to the old time: needs-action for the new sequence */
	struct st_rsvp *answers;
	int n;
	if (store_rsvp_list(st, ses->id, &answers, &n) < 0) {
		r = store_fail(st, error_r);
		goto out;
	}
	for (int i = 0; i < n && r == 0; i++) {
		struct st_rsvp nr;
		memset(&nr, 0, sizeof(nr));
		nr.email = answers[i].email;
		nr.partstat = (char *)call_partstat_name(PARTSTAT_NEEDS_ACTION);
		nr.sequence = call.sequence;
		if (store_rsvp_put(st, ses->id, &nr) < 0)
			r = store_fail(st, error_r);
	}
	st_rsvp_list_free(&answers, n);
	if (r == 0)
		r = invite_active(mo, st, ses, &call, queued_r, error_r);
	if (r == 0) {
		char *when = format_when(call.start, call.duration, call_zone(ses, &call));
		log_info("call: %s moved to %s (sequence %d)", call.uid, when, call.sequence);
		free(when);
	}
out:
	st_call_free(&call);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	return 0;
}

int callmail_cancel(struct mailout *mo, struct store *st, const struct st_session *ses,
		    int *queued_r, const char **error_r)
{
	if (queued_r)
		*queued_r = 0;
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = ensure_planned(st, ses, &call, error_r);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	int already = strcmp(call.status, "cancelled") == 0;
	if (!already)
		r = bump(st, &call, call.start, "cancelled", error_r);
	if (r == 0)
		r = invite_active(mo, st, ses, &call, queued_r, error_r);
	if (r == 0 && !already)
		log_info("call: %s cancelled (sequence %d)", call.uid, call.sequence);
	st_call_free(&call);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	return already ? 1 : 0;
}

char *callmail_when(const struct st_session *ses, const struct st_call *call)
{
	return format_when(call->start, call->duration, call_zone(ses, call));
}

/* ---- the object on its own (tagctl call SLUG ics) ---- */

char *callmail_ics(struct store *st, const struct st_session *ses, const char *attendee_email,
		   enum call_method m, const char **error_r)
{
	struct st_call call;
	if (ensure_planned(st, ses, &call, error_r) < 0)
		return NULL;
	struct st_participant p;
	int have_p = 0;
	struct call_attendee att = { ses->list_addr, NULL };
	if (attendee_email) {
		int r = store_participant_get(st, ses->id, attendee_email, &p);
		if (r != 0) {
			if (r < 0)
				store_fail(st, error_r);
			else
				fail(error_r, "%s is not a participant of %s", attendee_email, ses->slug);
			st_call_free(&call);
			return NULL;
		}
		have_p = 1;
	} else {
		struct st_participant *list;
		int n;
		if (store_participant_list(st, ses->id, "active", &list, &n) < 0) {
			store_fail(st, error_r);
			st_call_free(&call);
			return NULL;
		}
		if (n > 0) {
			p = list[0];
			memset(&list[0], 0, sizeof(list[0]));
			have_p = 1;
		}
		st_participant_list_free(&list, n);
	}
	if (have_p) {
		att.email = p.email;
		att.name = nonempty(p.name) ? p.name : NULL;
	}
	if (m == CALL_CANCEL && strcmp(call.status, "cancelled") != 0)
		call.sequence++;        /* what callmail_cancel would send */
	struct built b;
	build(ses, &call, &b);
	const char *e;
	char *ics = call_ics(&b.ev, &att, m, &e);
	if (ics == NULL)
		fail(error_r, "%s", e);
	built_free(&b);
	if (have_p)
		st_participant_free(&p);
	st_call_free(&call);
	return ics;
}

/* ---- the reminder ---- */

/* starts_in - when the call starts, seen from now, in words */
static char *starts_in(time_t start, time_t now, const char *tz)
{
	time_t d = start - now;
	if (d < 90 * 60) {
		long min = (long)((d + 59) / 60);
		return min <= 1 ? xstrdup("in one minute") : xasprintf("in %ld minutes", min);
	}
	struct tm a, b;
	char hm[32];
	if (is_utc(tz))
		tz = "UTC";
	clock_format(start, tz, "%H:%M %Z", hm, sizeof(hm));
	if (clock_local(now, tz, &a) == 0 && clock_local(start, tz, &b) == 0) {
		time_t da, db;
		/* whole local days between the two dates */
		if (clock_make_local("UTC", a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, 12, 0, &da) == 0 &&
		    clock_make_local("UTC", b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, 12, 0, &db) == 0) {
			long days = (long)((db - da) / 86400);
			if (days == 0)
				return xasprintf("today at %s", hm);
			if (days == 1)
				return xasprintf("tomorrow at %s", hm);
		}
	}
	char day[64];
	clock_format(start, tz, "%A %-d %B", day, sizeof(day));
	return xasprintf("on %s at %s", day, hm);
}

int callmail_reminder(struct mailout *mo, struct store *st, const struct st_session *ses,
		      const char **error_r)
{
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = callmail_ensure(st, ses, &call, error_r);
	if (r != 0) {
		if (r < 0)
			store_rollback(st);
		else
			store_commit(st);
		return r;
	}
	time_t now = clock_now();
	if (strcmp(call.status, "cancelled") == 0 || call.start <= now) {
		st_call_free(&call);
		store_commit(st);
		return 1;
	}
	struct st_participant *list;
	int n;
	if (store_participant_list(st, ses->id, "active", &list, &n) < 0) {
		r = store_fail(st, error_r);
		st_call_free(&call);
		store_rollback(st);
		return -1;
	}
	const char *tz = call_zone(ses, &call);
	struct built b;
	build(ses, &call, &b);
	char *when_words = starts_in(call.start, now, tz);
	int queued = 0;
	for (int i = 0; i < n && r == 0; i++) {
		const struct st_participant *p = &list[i];
		struct st_rsvp a;
		int ar = store_rsvp_get(st, ses->id, p->email, &a);
		if (ar < 0) {
			r = store_fail(st, error_r);
			break;
		}
		if (ar == 0) {
			int declined = a.sequence >= call.sequence && strcmp(a.partstat, "declined") == 0;
			st_rsvp_free(&a);
			if (declined)
				continue;
		}
		char *lower = lower_dup(p->email);
		char *purpose = xasprintf("call-reminder:%s:seq%d:%s", ses->slug, call.sequence, lower);
		free(lower);
		struct tval *v = mailout_vars(mo, ses, p->name, p->email);
		struct tval *c = set_call_vars(v, &b, &call, tz);
		tval_set_str(c, "starts_in", when_words);
		tval_set_str(c, "dial_in", b.dial_in);
		tval_set_str(c, "url", b.url);
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "call-reminder";
		m.purpose = purpose;
		m.to_addr = p->email;
		m.to_name = p->name;
		m.participant_id = p->id;
		m.vars = v;
		m.msgid_kind = "call-reminder";
		m.list_mail = 1;
		int q = mailout_queue(mo, &m, NULL, error_r);
		tval_free(&v);
		free(purpose);
		if (q < 0)
			r = -1;
		else if (q == 0)
			queued++;
	}
	free(when_words);
	built_free(&b);
	st_participant_list_free(&list, n);
	st_call_free(&call);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	if (queued)
		log_info("call: %d reminder%s queued for %s", queued, queued == 1 ? "" : "s", ses->slug);
	return 0;
}

/* ---- a counter proposal, to the organizers ---- */

int callmail_counter(struct mailout *mo, struct store *st, const struct st_session *ses,
		     const struct call_reply *reply, const char **error_r)
{
	if (reply->natt < 1)
		return fail(error_r, "a counter proposal without an attendee");
	if (store_begin(st) < 0)
		return store_fail(st, error_r);
	struct st_call call;
	int r = ensure_planned(st, ses, &call, error_r);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	/* the proposer: the first attendee who takes part in the session */
	const struct call_reply_attendee *from = &reply->att[0];
	struct st_participant p;
	int have_p = 0;
	for (int i = 0; i < reply->natt && !have_p; i++) {
		int pr = store_participant_get(st, ses->id, reply->att[i].email, &p);
		if (pr < 0) {
			r = store_fail(st, error_r);
			goto out;
		}
		if (pr == 0) {
			have_p = 1;
			from = &reply->att[i];
		}
	}
	const char *from_name = have_p && nonempty(p.name) ? p.name : from->name;
	const char *tz = call_zone(ses, &call);
	char *proposed, *command = NULL;
	if (reply->counter_start > 0) {
		int dur = call.duration;
		if (reply->counter_end > reply->counter_start &&
		    reply->counter_end - reply->counter_start <= (time_t)CALL_MAX_DURATION * 60)
			dur = (int)((reply->counter_end - reply->counter_start) / 60);
		proposed = format_when(reply->counter_start, dur, tz);
		char local[32];
		clock_format(reply->counter_start, is_utc(tz) ? "UTC" : tz, "%Y-%m-%d %H:%M", local, sizeof(local));
		command = xasprintf("tagctl call %s reschedule --start \"%s\"", ses->slug, local);
	} else {
		proposed = xstrdup("another time (none given)");
	}
	struct built b;
	build(ses, &call, &b);
	char *lower = lower_dup(from->email);
	int queued = 0;
	for (int i = 0; i < ses->norganizers && r == 0; i++) {
		const struct st_person *o = &ses->organizers[i];
		char *olower = lower_dup(o->email);
		char *purpose = xasprintf("call-counter:%s:seq%d:%s:%lld:%s", ses->slug, call.sequence, lower,
					  (long long)reply->counter_start, olower);
		free(olower);
		struct tval *v = mailout_vars(mo, ses, o->name, o->email);
		set_call_vars(v, &b, &call, tz);
		struct tval *c = tval_set_map(v, "counter");
		tval_set_str(c, "from", from->email);
		tval_set_str(c, "from_name", from_name);
		tval_set_str(c, "proposed", proposed);
		tval_set_str(c, "comment", reply->comment);
		tval_set_str(c, "command", command);
		struct mailout_msg m;
		memset(&m, 0, sizeof(m));
		m.ses = ses;
		m.kind = "call-counter";
		m.purpose = purpose;
		m.to_addr = o->email;
		m.to_name = o->name;
		m.vars = v;
		m.msgid_kind = "call-counter";
		m.automatic = 1;
		int q = mailout_queue(mo, &m, NULL, error_r);
		tval_free(&v);
		free(purpose);
		if (q < 0)
			r = -1;
		else if (q == 0)
			queued++;
	}
	if (r == 0 && queued)
		log_info("call: %s proposes %s; passed to %d organizer%s", from->email, proposed, queued,
			 queued == 1 ? "" : "s");
	free(lower);
	built_free(&b);
	free(proposed);
	free(command);
out:
	if (have_p)
		st_participant_free(&p);
	st_call_free(&call);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return store_fail(st, error_r);
	return 0;
}
