/* ctl_call.c - tagctl call SLUG [show] | invite | reschedule | cancel | rsvps | ics */
#include "config.h"
#include "tag/ctl.h"
#include "mail/msg.h"
#include "tag/call.h"
#include "tag/callmail.h"
#include "tag/mailout.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"SLUG [show] [--json] | invite [--json] | reschedule --start \"YYYY-MM-DD HH:MM\" | cancel"
	" | rsvps [--json] | ics [--method request|cancel] [--attendee EMAIL]";

static const char help_text[] =
	"\n  The launch call of a session, made from its [call] settings on first use\n"
	"  (UID SLUG.call@LISTDOMAIN). Each participant gets their own invitation.\n\n"
	"  call SLUG [show] [--json]     the call: UID, sequence, status, time\n"
	"  call SLUG invite [--json]     queue the invitation for every active participant\n"
	"                                who has not had the current sequence\n"
	"  call SLUG reschedule --start \"YYYY-MM-DD HH:MM\"\n"
	"                                move the call (session-local time): SEQUENCE + 1,\n"
	"                                answers reset, an update to every participant\n"
	"  call SLUG cancel              cancel it: a METHOD:CANCEL to every participant\n"
	"  call SLUG rsvps [--json]      each active participant's answer to the current\n"
	"                                sequence: accepted, declined, tentative, needs-action\n"
	"  call SLUG ics [--method request|cancel] [--attendee EMAIL]\n"
	"                                the iCalendar object exactly as it is mailed (for\n"
	"                                EMAIL, else the first participant); a cancel of a\n"
	"                                call not cancelled yet shows what `cancel` sends\n"
	"  The daemon (tagd) sends what is queued.\n";

/* utc_iso - "2018-07-16T16:00:00Z" */
static void utc_iso(time_t t, char *out, size_t size)
{
	clock_format(t, "UTC", "%Y-%m-%dT%H:%M:%SZ", out, size);
}

/* call_json - the call's fields, inside an open object */
static void call_json(struct json *j, const struct st_session *s, const struct st_call *call)
{
	char iso[32];
	char *when = callmail_when(s, call);
	json_kstr(j, "session", s->slug);
	json_kstr(j, "uid", call->uid);
	json_kint(j, "sequence", call->sequence);
	json_kstr(j, "status", call->status);
	utc_iso(call->start, iso, sizeof(iso));
	json_kstr(j, "start", iso);
	json_kstr(j, "timezone", call->timezone);
	json_kint(j, "duration", call->duration);
	json_kstr(j, "when", when);
	free(when);
}

/* get_call - the session's call (made on first use); prints the error */
static int get_call(struct ctl *c, const struct st_session *s, struct st_call *call)
{
	const char *err;
	int r = callmail_ensure(c->st, s, call, &err);
	if (r == 1)
		fprintf(stderr, "tagctl: %s plans no launch call ([call] start is empty in its session file)\n",
			s->slug);
	else if (r < 0)
		fprintf(stderr, "tagctl: %s\n", err);
	return r == 0 ? 0 : -1;
}

static int cmd_show(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	struct st_call call;
	if (get_call(c, s, &call) < 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		call_json(&j, s, &call);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	} else {
		char *when = callmail_when(s, &call);
		buf_printf(&out, "%s\n  %s, %d minutes\n  UID %s, sequence %d, %s\n", s->slug, when, call.duration,
			   call.uid, call.sequence, call.status);
		free(when);
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_call_free(&call);
	return CTL_OK;
}

/* queued_report - print what a sending command did */
static void queued_report(const struct st_session *s, const struct st_call *call, const char *what, int queued,
			  int json)
{
	if (json) {
		struct buf out = BUF_INIT;
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		call_json(&j, s, call);
		json_kint(&j, "queued", queued);
		json_obj_end(&j);
		buf_putc(&out, '\n');
		ctl_print(out.data, out.len);
		buf_free(&out);
	} else {
		printf("%s: %d %s%s queued (sequence %d)\n", s->slug, queued, what, queued == 1 ? "" : "s",
		       call->sequence);
	}
}

/* after - the call as it is now, for the report; prints an error */
static int after(struct ctl *c, const struct st_session *s, struct st_call *call)
{
	int r = store_call_get(c->st, s->id, call);
	if (r != 0)
		fprintf(stderr, "tagctl: %s\n", r < 0 ? store_error(c->st) : "the call is gone");
	return r == 0 ? 0 : -1;
}

static int cmd_invite(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	struct st_call call;
	if (get_call(c, s, &call) < 0)
		return CTL_FAIL;
	st_call_free(&call);
	struct mailout *mo = mailout_new(c->st, &c->cfg);
	const char *err;
	int queued = 0;
	int r = callmail_invite_all(mo, c->st, s, &queued, &err);
	mailout_free(&mo);
	if (r < 0) {
		fprintf(stderr, "tagctl: call invite: nothing queued: %s\n", err);
		return CTL_FAIL;
	}
	if (after(c, s, &call) < 0)
		return CTL_FAIL;
	queued_report(s, &call, strcmp(call.status, "cancelled") == 0 ? "cancellation" : "invitation", queued, json);
	st_call_free(&call);
	return CTL_OK;
}

static int cmd_reschedule(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	const char *start = NULL;
	if (ctl_option(&argc, argv, "--start", &start) != 1 || argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	time_t t;
	const char *err;
	if (strchr(start, ' ') == NULL || clock_parse_local(start, s->timezone, &t, &err) < 0) {
		fprintf(stderr, "tagctl: --start \"%s\": give the date and time, YYYY-MM-DD HH:MM (%s)\n", start,
			s->timezone);
		return CTL_USAGE;
	}
	struct mailout *mo = mailout_new(c->st, &c->cfg);
	int queued = 0;
	int r = callmail_reschedule(mo, c->st, s, t, &queued, &err);
	mailout_free(&mo);
	if (r < 0) {
		fprintf(stderr, "tagctl: call reschedule: nothing changed: %s\n", err);
		return CTL_FAIL;
	}
	struct st_call call;
	if (after(c, s, &call) < 0)
		return CTL_FAIL;
	if (r == 1 && !json)
		printf("%s: the call is at that time already; nothing sent\n", s->slug);
	else
		queued_report(s, &call, "update", queued, json);
	st_call_free(&call);
	return CTL_OK;
}

static int cmd_cancel(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	struct mailout *mo = mailout_new(c->st, &c->cfg);
	const char *err;
	int queued = 0;
	int r = callmail_cancel(mo, c->st, s, &queued, &err);
	mailout_free(&mo);
	if (r < 0) {
		fprintf(stderr, "tagctl: call cancel: nothing changed: %s\n", err);
		return CTL_FAIL;
	}
	struct st_call call;
	if (after(c, s, &call) < 0)
		return CTL_FAIL;
	if (r == 1 && !json)
		printf("%s: the call was cancelled already; %d cancellation%s still owed queued\n", s->slug, queued,
		       queued == 1 ? "" : "s");
	else
		queued_report(s, &call, "cancellation", queued, json);
	st_call_free(&call);
	return CTL_OK;
}

enum { N_ACCEPTED, N_DECLINED, N_TENTATIVE, N_NEEDS, N_OTHER, N_KINDS };

/* kind_of - the counting bucket of a partstat name */
static int kind_of(const char *ps)
{
	if (strcmp(ps, "accepted") == 0)
		return N_ACCEPTED;
	if (strcmp(ps, "declined") == 0)
		return N_DECLINED;
	if (strcmp(ps, "tentative") == 0)
		return N_TENTATIVE;
	if (strcmp(ps, "needs-action") == 0)
		return N_NEEDS;
	return N_OTHER;
}

static int cmd_rsvps(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	struct st_call call;
	if (get_call(c, s, &call) < 0)
		return CTL_FAIL;
	struct st_participant *ps = NULL;
	struct st_rsvp *answers = NULL;
	int np = 0, na = 0;
	if (store_participant_list(c->st, s->id, "active", &ps, &np) < 0 ||
	    store_rsvp_list(c->st, s->id, &answers, &na) < 0) {
		fprintf(stderr, "tagctl: %s\n", store_error(c->st));
		st_participant_list_free(&ps, np);
		st_call_free(&call);
		return CTL_FAIL;
	}
	int counts[N_KINDS] = { 0 };
	struct buf out = BUF_INIT, rows = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json) {
		json_obj_begin(&j);
		call_json(&j, s, &call);
		json_key(&j, "attendees");
		json_arr_begin(&j);
	}
	for (int i = 0; i < np; i++) {
		const struct st_participant *p = &ps[i];
		const struct st_rsvp *a = NULL;
		for (int k = 0; k < na && a == NULL; k++)
			if (str_casecmp(answers[k].email, p->email) == 0)
				a = &answers[k];
		/* an answer to an older sequence no longer counts */
		int current = a && a->sequence >= call.sequence;
		const char *partstat = current ? a->partstat : "needs-action";
		counts[kind_of(partstat)]++;
		if (json) {
			char iso[32];
			json_obj_begin(&j);
			json_kstr(&j, "email", p->email);
			json_kstr(&j, "name", p->name);
			json_kstr(&j, "partstat", partstat);
			if (current && a->dtstamp) {
				utc_iso(a->dtstamp, iso, sizeof(iso));
				json_kstr(&j, "answered", iso);
			} else {
				json_kstr(&j, "answered", NULL);
			}
			json_kint(&j, "sequence", a ? a->sequence : -1);
			json_kstr(&j, "comment", current ? a->comment : NULL);
			json_obj_end(&j);
		} else {
			buf_printf(&rows, "%-13s %s%s%s%s", partstat, p->name && *p->name ? p->name : "",
				   p->name && *p->name ? " <" : "", p->email, p->name && *p->name ? ">" : "");
			if (current && a->comment && *a->comment) {
				/* the comment on one line, cut */
				char note[81];
				snprintf(note, sizeof(note), "%s", a->comment);
				for (char *q = note; *q; q++)
					if (*q == '\n' || *q == '\r' || *q == '\t')
						*q = ' ';
				buf_printf(&rows, "  \"%s%s\"", note, strlen(a->comment) > 80 ? "..." : "");
			}
			buf_putc(&rows, '\n');
		}
	}
	if (json) {
		json_arr_end(&j);
		json_key(&j, "counts");
		json_obj_begin(&j);
		json_kint(&j, "accepted", counts[N_ACCEPTED]);
		json_kint(&j, "declined", counts[N_DECLINED]);
		json_kint(&j, "tentative", counts[N_TENTATIVE]);
		json_kint(&j, "needs-action", counts[N_NEEDS]);
		json_kint(&j, "other", counts[N_OTHER]);
		json_obj_end(&j);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	} else {
		char *when = callmail_when(s, &call);
		buf_printf(&out, "%s: %s (sequence %d, %s)\n", s->slug, when, call.sequence, call.status);
		free(when);
		buf_append(&out, rows.data, rows.len);
		buf_printf(&out, "%d accepted, %d declined, %d tentative, %d not answered", counts[N_ACCEPTED],
			   counts[N_DECLINED], counts[N_TENTATIVE], counts[N_NEEDS]);
		if (counts[N_OTHER])
			buf_printf(&out, ", %d other", counts[N_OTHER]);
		buf_putc(&out, '\n');
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	buf_free(&rows);
	st_participant_list_free(&ps, np);
	st_rsvp_list_free(&answers, na);
	st_call_free(&call);
	return CTL_OK;
}

/* mailed_ics - the iCalendar object of the invitation (or cancellation)
   of the call's current sequence as it was queued for attendee (NULL: the
   first active participant); NULL when none was queued */
static char *mailed_ics(struct ctl *c, const struct st_session *s, const char *attendee, enum call_method m)
{
	struct st_call call;
	if (store_call_get(c->st, s->id, &call) != 0)
		return NULL;
	int cancelled = strcmp(call.status, "cancelled") == 0;
	int seq = call.sequence;
	st_call_free(&call);
	if (cancelled != (m == CALL_CANCEL))
		return NULL;
	char *who = NULL;
	if (attendee) {
		who = xstrdup(attendee);
	} else {
		struct st_participant *list;
		int n;
		if (store_participant_list(c->st, s->id, "active", &list, &n) < 0)
			return NULL;
		if (n > 0)
			who = xstrdup(list[0].email);
		st_participant_list_free(&list, n);
	}
	if (who == NULL)
		return NULL;
	str_lower(who);
	char *purpose = xasprintf("call:%s:seq%d:%s", s->slug, seq, who);
	free(who);
	int64_t id;
	char *ics = NULL;
	struct st_outbox o;
	if (store_outbox_find(c->st, purpose, &id) == 0 && store_outbox_get(c->st, id, &o) == 0) {
		struct mail_limits lim;
		struct mail_msg *msg = NULL;
		const char *e;
		mail_limits_default(&lim);
		if (mail_parse(o.raw, o.rawlen, &lim, &msg, &e) == 0) {
			for (int i = 0; i < msg->nparts && ics == NULL; i++)
				if (msg->parts[i].role == MAIL_PART_CALENDAR)
					ics = xmemdup0(msg->parts[i].data, msg->parts[i].len);
			mail_msg_free(&msg);
		}
		st_outbox_free(&o);
	}
	free(purpose);
	return ics;
}

static int cmd_ics(struct ctl *c, const struct st_session *s, int argc, char **argv)
{
	const char *method = NULL, *attendee = NULL;
	if (ctl_option(&argc, argv, "--method", &method) < 0 || ctl_option(&argc, argv, "--attendee", &attendee) < 0 ||
	    argc != 0)
		return ctl_usage("call", usage_text, NULL, 0);
	struct st_call call;
	if (get_call(c, s, &call) < 0)
		return CTL_FAIL;
	enum call_method m = strcmp(call.status, "cancelled") == 0 ? CALL_CANCEL : CALL_REQUEST;
	st_call_free(&call);
	if (method) {
		if (str_casecmp(method, "request") == 0) {
			m = CALL_REQUEST;
		} else if (str_casecmp(method, "cancel") == 0) {
			m = CALL_CANCEL;
		} else {
			fprintf(stderr, "tagctl: --method %s: request or cancel\n", method);
			return CTL_USAGE;
		}
	}
	const char *err;
	/* what was mailed, when it was: the calendar part of the queued mail
	   (its DTSTAMP is the one the attendee got) */
	char *sent = mailed_ics(c, s, attendee, m);
	if (sent) {
		ctl_print(sent, strlen(sent));
		free(sent);
		return CTL_OK;
	}
	char *ics = callmail_ics(c->st, s, attendee, m, &err);
	if (ics == NULL) {
		fprintf(stderr, "tagctl: call ics: %s\n", err);
		return CTL_FAIL;
	}
	ctl_print(ics, strlen(ics));
	free(ics);
	return CTL_OK;
}

int ctl_cmd_call(struct ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv))
		return ctl_usage("call", usage_text, help_text, 1);
	if (argc < 1 || argv[0][0] == '-')
		return ctl_usage("call", usage_text, NULL, 0);
	static const struct {
		const char *name;
		int (*run)(struct ctl *c, const struct st_session *s, int argc, char **argv);
	} subs[] = {
		{ "show", cmd_show },
		{ "invite", cmd_invite },
		{ "reschedule", cmd_reschedule },
		{ "cancel", cmd_cancel },
		{ "rsvps", cmd_rsvps },
		{ "ics", cmd_ics },
	};
	int (*run)(struct ctl *, const struct st_session *, int, char **) = cmd_show;
	int skip = 1;
	if (argc >= 2 && argv[1][0] != '-') {
		run = NULL;
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				run = subs[i].run;
		if (run == NULL) {
			fprintf(stderr, "tagctl: call: unknown subcommand '%s'\n", argv[1]);
			return ctl_usage("call", usage_text, NULL, 0);
		}
		skip = 2;
	}
	struct st_session s;
	int rc = CTL_FAIL;
	if (ctl_session(c, argv[0], &s) == 0) {
		rc = run(c, &s, argc - skip, argv + skip);
		st_session_free(&s);
	}
	return rc;
}
