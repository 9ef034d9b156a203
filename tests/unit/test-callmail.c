/* test-callmail - the launch call by mail on a real store: the call row
   from the session file, the objects as mailed (read back by libical
   itself: parse, X-LIC-ERROR, iTIP restrictions, times through the
   object's own VTIMEZONE), invitations once per participant and sequence,
   the fixture RSVPs, a reminder, a reschedule (answers reset, stale replies
   ignored), a COUNTER passed to the organizers, a cancel, newcomers */
#include "config.h"
#include "tap.h"
#include "tag/callmail.h"
#include "tag/mailout.h"
#include "tag/rsvp.h"
#include "tag/session.h"
#include "tag/settings.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/msg.h"
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UID "prof-learning.call@tags.example.org"
#define T_START 1531756800  /* 2018-07-16 16:00 UTC = 12:00 in New York */
#define T_BEFORE 1531224000 /* 2018-07-10 12:00 UTC */
#define T_MORNING 1531742400 /* 2018-07-16 12:00 UTC = 08:00 in New York */

static char dir[] = "/tmp/tagd-test-callmail-XXXXXX";

struct world {
	struct store *st;
	struct tagd_config cfg;
	struct mailout *mo;
	struct st_session ses;
};

static const char *const people[][2] = {
	{ "ana.ruiz@district9.example.org", "Ana Ruiz" },
	{ "b.okafor@gmail.example.com", "Bola Okafor" },
	{ "chen.wei@outlook.example.com", "Wei Chen" },
};

/* add_participant - an active (or other status) participant */
static int64_t add_participant(struct world *w, const char *email, const char *name, const char *status)
{
	struct st_participant p;
	memset(&p, 0, sizeof(p));
	p.session_id = w->ses.id;
	p.email = (char *)email;
	p.name = (char *)name;
	p.role = (char *)"Teacher";
	p.years = 5;
	p.status = (char *)status;
	p.mode = (char *)"digest";
	int64_t id = 0;
	store_participant_add(w->st, &p, &id);
	return id;
}

/* outbox_count - mails in the outbox of this kind (NULL = all) whose purpose starts with prefix */
static int outbox_count(struct world *w, const char *kind, const char *prefix)
{
	struct st_outbox *list;
	int n, count = 0;
	if (store_outbox_list(w->st, 0, NULL, &list, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if ((kind == NULL || strcmp(list[i].kind, kind) == 0) &&
		    (prefix == NULL || str_starts(list[i].purpose, prefix)))
			count++;
	st_outbox_list_free(&list, n);
	return count;
}

/* outbox_raw - the raw mail of the first entry whose purpose is purpose; the caller frees */
static char *outbox_raw(struct world *w, const char *purpose)
{
	struct st_outbox *list;
	int n;
	char *raw = NULL;
	if (store_outbox_list(w->st, 0, NULL, &list, &n) < 0)
		return NULL;
	for (int i = 0; i < n && raw == NULL; i++) {
		if (strcmp(list[i].purpose, purpose) != 0)
			continue;
		struct st_outbox o;
		if (store_outbox_get(w->st, list[i].id, &o) == 0) {
			raw = xstrndup(o.raw, o.rawlen);
			st_outbox_free(&o);
		}
	}
	st_outbox_list_free(&list, n);
	return raw;
}

/* has_method - the raw mail has a text/calendar part with method=M (quoted or not) */
static int has_method(const char *raw, const char *m)
{
	char *a = xasprintf("text/calendar; charset=\"UTF-8\"; method=\"%s\"", m);
	char *b = xasprintf("text/calendar; charset=UTF-8; method=%s", m);
	int r = str_casestr(raw, a) != NULL || str_casestr(raw, b) != NULL;
	free(a);
	free(b);
	return r;
}

/* partstat_of - the stored answer of email ("" when none); sequence through *seq_r */
static void partstat_of(struct world *w, const char *email, char *out, size_t size, int *seq_r)
{
	struct st_rsvp r;
	out[0] = '\0';
	*seq_r = -1;
	if (store_rsvp_get(w->st, w->ses.id, email, &r) == 0) {
		snprintf(out, size, "%s", r.partstat);
		*seq_r = r.sequence;
		st_rsvp_free(&r);
	}
}

/* count_errors - X-LIC-ERROR properties anywhere in c */
static int count_errors(icalcomponent *c)
{
	int n = 0;
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
		diag("X-LIC-ERROR: %s", icalproperty_get_xlicerror(p));
		n++;
	}
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		n += count_errors(s);
	return n;
}

/* check_object - read ics with libical and check what the mail promises */
static void check_object(const char *what, const char *ics, icalproperty_method method, int sequence,
			 const char *status, time_t start, const char *attendee)
{
	icalerror_set_errors_are_fatal(0);
	icalcomponent *cal = ics ? icalparser_parse_string(ics) : NULL;
	if (!ok(cal && icalcomponent_isa(cal) == ICAL_VCALENDAR_COMPONENT, "%s: libical parses it", what)) {
		if (cal)
			icalcomponent_free(cal);
		return;
	}
	icalrestriction_check(cal);
	is_int(count_errors(cal), 0, "%s: no X-LIC-ERROR after the iTIP restriction check", what);
	is_int(icalcomponent_get_method(cal), method, "%s: METHOD", what);
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	if (!ok(ev != NULL, "%s: one VEVENT", what)) {
		icalcomponent_free(cal);
		return;
	}
	is_str(icalcomponent_get_uid(ev), UID, "%s: UID", what);
	is_int(icalcomponent_get_sequence(ev), sequence, "%s: SEQUENCE %d", what, sequence);
	is_str(icalproperty_status_to_string(icalcomponent_get_status(ev)), status, "%s: STATUS", what);
	icalproperty *dp = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	icalparameter *tzp = dp ? icalproperty_get_first_parameter(dp, ICAL_TZID_PARAMETER) : NULL;
	icaltimezone *zone = tzp ? icalcomponent_get_timezone(cal, icalparameter_get_tzid(tzp)) : NULL;
	ok(tzp && zone && strcmp(icalparameter_get_tzid(tzp), "America/New_York") == 0,
	   "%s: DTSTART has TZID=America/New_York and the object holds its VTIMEZONE", what);
	struct icaltimetype dt = icalcomponent_get_dtstart(ev);
	is_int((long long)icaltime_as_timet_with_zone(dt, zone), (long long)start,
	       "%s: DTSTART through the object's VTIMEZONE is the right UTC instant", what);
	icalproperty *att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	char *want = xasprintf("mailto:%s", attendee);
	ok(att && str_casecmp(icalproperty_get_attendee(att), want) == 0 &&
	   icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY) == NULL,
	   "%s: one ATTENDEE, %s", what, attendee);
	free(want);
	icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	ok(org && strcmp(icalproperty_get_organizer(org), "mailto:tag-prof-learning@tags.example.org") == 0,
	   "%s: the ORGANIZER is the list address", what);
	int alarms = icalcomponent_count_components(ev, ICAL_VALARM_COMPONENT);
	is_int(alarms, method == ICAL_METHOD_CANCEL ? 0 : 1, "%s: VALARM only in a REQUEST", what);
	icalcomponent_free(cal);
}

/* calendar_part - the first calendar part of a fixture mail, through mail_parse */
static char *calendar_part(const char *name, char **method_r)
{
	char *path = xasprintf("%s/fixtures/replies/%s", shared_dir(), name);
	char *raw = NULL, *out = NULL;
	size_t len;
	*method_r = NULL;
	if (str_read_file(path, 1 << 20, &raw, &len) == 0) {
		struct mail_limits lim;
		mail_limits_default(&lim);
		struct mail_msg *m = NULL;
		const char *err;
		if (mail_parse(raw, len, &lim, &m, &err) == 0) {
			for (int i = 0; i < m->nparts && out == NULL; i++)
				if (m->parts[i].role == MAIL_PART_CALENDAR) {
					out = xstrndup(m->parts[i].data, m->parts[i].len);
					*method_r = m->parts[i].method ? xstrdup(m->parts[i].method) : NULL;
				}
			mail_msg_free(&m);
		} else {
			diag("%s: %s", name, err);
		}
		free(raw);
	}
	free(path);
	return out;
}

/* take - rsvp_take on a text; returns its result, the answer in answer */
static int take(struct world *w, const char *ics, const char *method, char *answer, size_t size)
{
	char reason[256] = "";
	int r = rsvp_take(w->st, w->mo, NULL, ics, strlen(ics), method, answer, size, reason, sizeof(reason));
	diag("rsvp_take: %d %s (%s)", r, answer, reason);
	return r;
}

static void test_ensure(struct world *w)
{
	struct st_call c;
	const char *err = NULL;
	clock_set(T_BEFORE);
	if (!is_int(callmail_ensure(w->st, &w->ses, &c, &err), 0, "ensure: the call is made from [call] (%s)",
		    err ? err : "ok"))
		return;
	is_str(c.uid, UID, "ensure: UID SLUG.call@LISTDOMAIN");
	is_int(c.sequence, 0, "ensure: sequence 0");
	is_int((long long)c.start, T_START, "ensure: 2018-07-16 12:00 America/New_York is 16:00 UTC");
	is_str(c.timezone, "America/New_York", "ensure: the session's zone");
	is_int(c.duration, 60, "ensure: 60 minutes");
	is_str(c.status, "confirmed", "ensure: confirmed");
	st_call_free(&c);
	is_int(callmail_ensure(w->st, &w->ses, NULL, &err), 0, "ensure: a second time finds the stored row");
	char *when = NULL;
	if (store_call_get(w->st, w->ses.id, &c) == 0) {
		when = callmail_when(&w->ses, &c);
		st_call_free(&c);
	}
	is_str(when, "Monday 16 July 2018, 12:00-13:00 EDT (16:00 UTC)", "callmail_when");
	free(when);
}

static void test_no_call(struct world *w)
{
	/* the fixture session without its [call] section */
	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	char *text;
	size_t len;
	if (!ok(str_read_file(path, 1 << 20, &text, &len) == 0, "no call: session file read")) {
		free(path);
		return;
	}
	free(path);
	char *cut = strstr(text, "[call]");
	if (cut)
		*cut = '\0';
	struct buf b = BUF_INIT;
	buf_puts(&b, text);
	free(text);
	/* another slug and list */
	char *s = buf_steal(&b, NULL);
	struct buf t = BUF_INIT;
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (str_starts(line, "slug"))
			buf_puts(&t, "slug = no-call\n");
		else if (str_starts(line, "list"))
			buf_puts(&t, "list = tag-no-call@tags.example.org\n");
		else
			buf_printf(&t, "%s\n", line);
	}
	free(s);
	struct session_conf sc;
	struct buf errs = BUF_INIT;
	int n = session_conf_parse(&sc, buf_cstr(&t), "no-call.session", &errs);
	is_int(n, 0, "no call: the session parses %s", buf_cstr(&errs));
	buf_free(&errs);
	if (n == 0) {
		struct st_session rec, got;
		int64_t id;
		session_conf_to_store(&sc, buf_cstr(&t), &rec);
		store_session_put(w->st, &rec, &id);
		session_store_free(&rec);
		if (store_session_get(w->st, "no-call", &got) == 0) {
			const char *err;
			int queued = -1;
			is_int(callmail_ensure(w->st, &got, NULL, &err), 1, "no call: ensure says none is planned");
			is_int(callmail_invite_all(w->mo, w->st, &got, &queued, &err), 0, "no call: invite_all is fine");
			is_int(queued, 0, "no call: and sends nothing");
			err = NULL;
			char *none = callmail_ics(w->st, &got, NULL, CALL_REQUEST, &err);
			ok(none == NULL && err != NULL, "no call: no object (%s)", err ? err : "?");
			free(none);
			st_session_free(&got);
		}
	}
	session_conf_free(&sc);
	buf_free(&t);
}

static void test_objects(struct world *w)
{
	const char *err = NULL;
	char *ics = callmail_ics(w->st, &w->ses, NULL, CALL_REQUEST, &err);
	ok(ics != NULL, "ics: the REQUEST is made (%s)", ics ? "ok" : err);
	check_object("REQUEST", ics, ICAL_METHOD_REQUEST, 0, "CONFIRMED", T_START, people[0][0]);
	ok(ics && strstr(ics, "PARTSTAT=NEEDS-ACTION") && strstr(ics, "RSVP=TRUE"), "REQUEST: NEEDS-ACTION, RSVP=TRUE");
	free(ics);
	ics = callmail_ics(w->st, &w->ses, people[2][0], CALL_CANCEL, &err);
	check_object("CANCEL (not sent yet)", ics, ICAL_METHOD_CANCEL, 1, "CANCELLED", T_START, people[2][0]);
	free(ics);
	err = NULL;
	ics = callmail_ics(w->st, &w->ses, "nobody@example.org", CALL_REQUEST, &err);
	ok(ics == NULL && err && strstr(err, "not a participant"), "ics: a stranger gets no object (%s)",
	   ics || err == NULL ? "?" : err);
	free(ics);
	struct st_call c;
	if (store_call_get(w->st, w->ses.id, &c) == 0) {
		is_int(c.sequence, 0, "ics: showing the CANCEL changes nothing");
		st_call_free(&c);
	}
}

static void test_invite(struct world *w)
{
	const char *err = NULL;
	int queued = -1;
	clock_set(T_BEFORE);
	is_int(callmail_invite_all(w->mo, w->st, &w->ses, &queued, &err), 0, "invite_all (%s)", err ? err : "ok");
	is_int(queued, 3, "invite_all: one invitation per active participant (not the pending one)");
	is_int(outbox_count(w, "call-invitation", "call:prof-learning:seq0:"), 3, "outbox: three call-invitation mails");
	queued = -1;
	callmail_invite_all(w->mo, w->st, &w->ses, &queued, &err);
	is_int(queued, 0, "invite_all again: nothing new");
	is_int(outbox_count(w, NULL, NULL), 3, "outbox: still three");
	struct st_participant p;
	if (store_participant_get(w->st, w->ses.id, people[1][0], &p) == 0) {
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 1, "invite_one: already invited");
		st_participant_free(&p);
	}
	char ps[32];
	int seq;
	partstat_of(w, people[0][0], ps, sizeof(ps), &seq);
	ok(strcmp(ps, "needs-action") == 0 && seq == 0, "the invited have a needs-action row for sequence 0");

	char *raw = outbox_raw(w, "call:prof-learning:seq0:b.okafor@gmail.example.com");
	if (ok(raw != NULL, "the invitation to Bola is in the outbox")) {
		ok(strstr(raw, "Content-Type: multipart/mixed") != NULL, "mail: multipart/mixed");
		ok(has_method(raw, "REQUEST"), "mail: text/calendar with method=REQUEST");
		ok(strstr(raw, "application/ics") != NULL && strstr(raw, "invite.ics") != NULL,
		   "mail: application/ics invite.ics attached");
		ok(strstr(raw, "To: Bola Okafor <b.okafor@gmail.example.com>") != NULL, "mail: to Bola alone");
		ok(strstr(raw, "Message-ID: <call.seq0.") != NULL, "mail: Message-ID call.seq0.TOKEN@domain");
		free(raw);
	}
}

static void test_rsvps(struct world *w)
{
	char answer[32], ps[32];
	int seq;
	char *method;
	char *ics = calendar_part("004-ana-outlook-accepted.eml", &method);
	if (ok(ics != NULL, "fixture 004 has a calendar part")) {
		is_int(take(w, ics, method, answer, sizeof(answer)), 1, "004: an RSVP");
		is_str(answer, "accepted", "004: accepted");
	}
	free(ics);
	free(method);
	partstat_of(w, people[0][0], ps, sizeof(ps), &seq);
	is_str(ps, "accepted", "004: Ana's answer is stored as accepted");
	ics = calendar_part("005-bola-google-declined.eml", &method);
	if (ok(ics != NULL, "fixture 005 has a calendar part")) {
		is_int(take(w, ics, method, answer, sizeof(answer)), 1, "005: an RSVP");
		is_str(answer, "declined", "005: declined");
	}
	free(ics);
	free(method);
	partstat_of(w, people[1][0], ps, sizeof(ps), &seq);
	is_str(ps, "declined", "005: Bola's answer is stored as declined");
	struct st_rsvp r;
	if (store_rsvp_get(w->st, w->ses.id, people[1][0], &r) == 0) {
		ok(r.comment && strstr(r.comment, "family commitment"), "005: the comment is kept");
		st_rsvp_free(&r);
	}
	is_int(outbox_count(w, NULL, NULL), 3, "answers send no mail");
}

static void test_reminder(struct world *w)
{
	const char *err = NULL;
	clock_set(T_MORNING);
	is_int(callmail_reminder(w->mo, w->st, &w->ses, &err), 0, "reminder (%s)", err ? err : "ok");
	is_int(outbox_count(w, "call-reminder", NULL), 2, "reminder: to Ana and Wei, not to Bola who declined");
	is_int(callmail_reminder(w->mo, w->st, &w->ses, &err), 0, "reminder again");
	is_int(outbox_count(w, "call-reminder", NULL), 2, "reminder again: nothing new");
	char *raw = outbox_raw(w, "call-reminder:prof-learning:seq0:ana.ruiz@district9.example.org");
	ok(raw && strstr(raw, "today at 12:00 EDT"), "reminder: 'today at 12:00 EDT'");
	free(raw);
	clock_set(T_START + 60);
	is_int(callmail_reminder(w->mo, w->st, &w->ses, &err), 1, "reminder: not once the call has begun");
	clock_set(T_BEFORE);
}

static void test_reschedule(struct world *w)
{
	const char *err = NULL;
	int queued = -1;
	time_t later = T_START + 2 * 3600; /* 14:00 in New York */
	clock_set(T_BEFORE);
	is_int(callmail_reschedule(w->mo, w->st, &w->ses, T_START - 10 * 86400, &queued, &err), -1,
	       "reschedule: a time in the past is refused (%s)", err ? err : "");
	is_int(callmail_reschedule(w->mo, w->st, &w->ses, T_START, &queued, &err), 1,
	       "reschedule: the same time changes nothing");
	is_int(callmail_reschedule(w->mo, w->st, &w->ses, later, &queued, &err), 0, "reschedule (%s)",
	       err ? err : "ok");
	is_int(queued, 3, "reschedule: an update to each participant");
	is_int(outbox_count(w, "call-invitation", "call:prof-learning:seq1:"), 3, "outbox: three seq1 mails");
	struct st_call c;
	if (store_call_get(w->st, w->ses.id, &c) == 0) {
		is_int(c.sequence, 1, "reschedule: sequence 1 stored");
		is_int((long long)c.start, (long long)later, "reschedule: the new time stored");
		is_str(c.uid, UID, "reschedule: the same UID");
		st_call_free(&c);
	}
	char ps[32];
	int seq;
	partstat_of(w, people[0][0], ps, sizeof(ps), &seq);
	ok(strcmp(ps, "needs-action") == 0 && seq == 1, "reschedule: Ana's acceptance reset to needs-action, sequence 1");
	partstat_of(w, people[1][0], ps, sizeof(ps), &seq);
	ok(strcmp(ps, "needs-action") == 0 && seq == 1, "reschedule: Bola's refusal reset too");
	char *ics = callmail_ics(w->st, &w->ses, people[0][0], CALL_REQUEST, &err);
	check_object("update", ics, ICAL_METHOD_REQUEST, 1, "CONFIRMED", later, people[0][0]);
	free(ics);

	/* the old answer comes again: stale */
	char answer[32], *method;
	ics = calendar_part("005-bola-google-declined.eml", &method);
	if (ics) {
		take(w, ics, method, answer, sizeof(answer));
		partstat_of(w, people[1][0], ps, sizeof(ps), &seq);
		is_str(ps, "needs-action", "a reply to sequence 0 does not count after the update");
	}
	free(ics);
	free(method);

	/* a reminder on the new day goes again (a new sequence) */
	clock_set(T_MORNING);
	callmail_reminder(w->mo, w->st, &w->ses, &err);
	is_int(outbox_count(w, "call-reminder", "call-reminder:prof-learning:seq1:"), 3,
	       "reminder after the move: to all three (nobody has declined the new time)");
	clock_set(T_BEFORE);
}

static void test_counter(struct world *w)
{
	char *path = xasprintf("%s/tests/data/callmail/counter.ics", TOP_SRCDIR);
	char *ics;
	size_t len;
	int r = str_read_file(path, 1 << 20, &ics, &len);
	free(path);
	if (!ok(r == 0, "counter.ics read"))
		return;
	char answer[32], reason[256];
	int before = outbox_count(w, NULL, NULL);
	r = rsvp_take(w->st, w->mo, &w->ses, ics, len, "COUNTER", answer, sizeof(answer), reason, sizeof(reason));
	is_int(r, 1, "COUNTER: taken (%s)", reason);
	is_str(answer, "counter", "COUNTER: the answer is 'counter'");
	ok(strstr(reason, "passed to the organizers") != NULL, "COUNTER: the reason says it was passed on");
	is_int(outbox_count(w, "call-counter", "call-counter:prof-learning:seq1:ana.ruiz@district9.example.org:"), 2,
	       "COUNTER: one mail to each of the two organizers");
	is_int(outbox_count(w, NULL, NULL), before + 2, "COUNTER: nothing else");
	char *purpose = xasprintf("call-counter:prof-learning:seq1:ana.ruiz@district9.example.org:%lld:"
				  "kcasey@consulting.example.com", (long long)(T_START + 86400 + 2 * 3600));
	char *raw = outbox_raw(w, purpose);
	free(purpose);
	if (ok(raw != NULL, "COUNTER: the mail to Katherine Casey (proposed 2018-07-17 18:00 UTC)")) {
		ok(strstr(raw, "tagctl call prof-learning reschedule --start \"2018-07-17 14:00\"") != NULL,
		   "COUNTER: it gives the command that moves the call");
		ok(strstr(raw, "Tuesday 17 July 2018, 14:00-15:00 EDT") != NULL, "COUNTER: the proposed time");
		ok(strstr(raw, "district PD day") != NULL, "COUNTER: their note");
		ok(strstr(raw, "To: Katherine Casey <kcasey@consulting.example.com>") != NULL, "COUNTER: to the organizer");
		free(raw);
	}
	r = rsvp_take(w->st, w->mo, NULL, ics, len, "COUNTER", answer, sizeof(answer), reason, sizeof(reason));
	is_int(outbox_count(w, NULL, NULL), before + 2, "COUNTER again: passed on once only");
	char ps[32];
	int seq;
	partstat_of(w, people[0][0], ps, sizeof(ps), &seq);
	is_str(ps, "needs-action", "COUNTER: Ana's answer is not changed by it");
	free(ics);
}

static void test_cancel_and_newcomers(struct world *w)
{
	const char *err = NULL;
	int queued = -1;
	clock_set(T_BEFORE);
	/* a newcomer while the call stands gets the current sequence, not as an update */
	add_participant(w, "dmitri@icloud.example.com", "Dmitri Volkov", "active");
	struct st_participant p;
	if (store_participant_get(w->st, w->ses.id, "dmitri@icloud.example.com", &p) == 0) {
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 0, "newcomer: invited (%s)",
		       err ? err : "ok");
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 1, "newcomer: once");
		st_participant_free(&p);
	}
	char *raw = outbox_raw(w, "call:prof-learning:seq1:dmitri@icloud.example.com");
	ok(raw && strstr(raw, "Subject: Invitation:") != NULL, "newcomer: an invitation, not 'New time'");
	free(raw);
	raw = outbox_raw(w, "call:prof-learning:seq1:ana.ruiz@district9.example.org");
	ok(raw && strstr(raw, "Subject: New time:") != NULL, "the invited got 'New time' with the update");
	free(raw);

	is_int(callmail_cancel(w->mo, w->st, &w->ses, &queued, &err), 0, "cancel (%s)", err ? err : "ok");
	is_int(queued, 4, "cancel: to the four active participants");
	is_int(outbox_count(w, "call-invitation", "call:prof-learning:seq2:"), 4, "outbox: four seq2 mails");
	raw = outbox_raw(w, "call:prof-learning:seq2:chen.wei@outlook.example.com");
	ok(raw && has_method(raw, "CANCEL") && strstr(raw, "Subject: Cancelled:"),
	   "cancel: method=CANCEL, 'Cancelled:' subject");
	free(raw);
	char *ics = callmail_ics(w->st, &w->ses, people[2][0], CALL_CANCEL, &err);
	check_object("CANCEL", ics, ICAL_METHOD_CANCEL, 2, "CANCELLED", T_START + 2 * 3600, people[2][0]);
	free(ics);
	is_int(callmail_cancel(w->mo, w->st, &w->ses, &queued, &err), 1, "cancel again: already cancelled");
	is_int(queued, 0, "cancel again: nothing new");
	is_int(callmail_reminder(w->mo, w->st, &w->ses, &err), 1, "no reminder for a cancelled call");

	/* someone who joins after the cancel hears nothing of it */
	add_participant(w, "e.lindqvist@uni.example.edu", "Elin Lindqvist", "active");
	if (store_participant_get(w->st, w->ses.id, "e.lindqvist@uni.example.edu", &p) == 0) {
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 1, "after the cancel: nothing for a newcomer");
		st_participant_free(&p);
	}
	/* a pending sign-up is not invited */
	if (store_participant_get(w->st, w->ses.id, "priya.nair@eastview.example.org", &p) == 0) {
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 1, "a pending sign-up is not invited");
		st_participant_free(&p);
	}
	/* a call that is over: no invitation */
	queued = -1;
	callmail_reschedule(w->mo, w->st, &w->ses, T_START, &queued, &err);
	is_int(queued, 5, "reschedule after the cancel: the call is back, for all five");
	clock_set(T_START + 3 * 3600);
	add_participant(w, "f.haddad@yahoo.example.com", "Farah Haddad", "active");
	if (store_participant_get(w->st, w->ses.id, "f.haddad@yahoo.example.com", &p) == 0) {
		is_int(callmail_invite_one(w->mo, w->st, &w->ses, &p, &err), 1, "the call is over: no invitation");
		st_participant_free(&p);
	}
	clock_set(T_BEFORE);
}

int main(void)
{
	const char *err;
	if (!ok(call_init(&err) == 0, "call_init") || !ok(mkdtemp(dir) != NULL, "temporary directory"))
		return done_testing();
	struct world w;
	memset(&w, 0, sizeof(w));
	char *db = xasprintf("%s/t.db", dir);
	if (!ok(store_open(db, &w.st, &err) == 0, "store")) {
		free(db);
		return done_testing();
	}
	free(db);
	struct buf e = BUF_INIT;
	tagd_config_load(&w.cfg, NULL, &e);
	buf_free(&e);
	free(w.cfg.template_dir);
	w.cfg.template_dir = xstrdup(TOP_SRCDIR "/templates");
	w.mo = mailout_new(w.st, &w.cfg);

	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	struct session_conf sc;
	struct buf errs = BUF_INIT;
	is_int(session_conf_load(&sc, path, &errs), 0, "the fixture session %s", buf_cstr(&errs));
	buf_free(&errs);
	char *text;
	size_t len;
	str_read_file(path, 1 << 20, &text, &len);
	free(path);
	struct st_session s;
	session_conf_to_store(&sc, text, &s);
	int64_t sid;
	store_session_put(w.st, &s, &sid);
	session_store_free(&s);
	session_conf_free(&sc);
	free(text);
	if (!ok(store_session_get(w.st, "prof-learning", &w.ses) == 0, "session stored"))
		return done_testing();
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		add_participant(&w, people[i][0], people[i][1], "active");
	add_participant(&w, "priya.nair@eastview.example.org", "Priya Nair", "pending");

	test_ensure(&w);
	test_no_call(&w);
	test_objects(&w);
	test_invite(&w);
	test_rsvps(&w);
	test_reminder(&w);
	test_reschedule(&w);
	test_counter(&w);
	test_cancel_and_newcomers(&w);

	st_session_free(&w.ses);
	mailout_free(&w.mo);
	tagd_config_free(&w.cfg);
	store_close(&w.st);
	call_shutdown();
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return done_testing();
}
