/* test-schedule - the week's calendar in the session's time zone, and the
   schedule run against a real store: the draft at the open, one digest a
   day with the right comments, quiet days, catching up after downtime,
   a comment processed after its digest hour, revisions, the close, and
   nothing twice across "restarts" (a new schedule on the same store) */
#include "config.h"
#include "tap.h"
#include "tag/callmail.h"
#include "tag/digest.h"
#include "tag/draft.h"
#include "tag/draftmail.h"
#include "tag/relay.h"
#include "tag/revise.h"
#include "tag/schedule.h"
#include "tag/session.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/msg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static time_t utc(const char *s)
{
	time_t t;
	const char *e;
	if (clock_parse_local(s, "UTC", &t, &e) < 0)
		return 0;
	return t;
}

static int load_session(struct store *st, const char *path, struct st_session *ses, struct session_conf *sc)
{
	char *text;
	size_t len;
	if (str_read_file(path, 1 << 20, &text, &len) < 0)
		return -1;
	struct buf err = BUF_INIT;
	int n = session_conf_parse(sc, text, path, &err);
	buf_free(&err);
	if (n > 0) {
		free(text);
		return -1;
	}
	struct st_session s;
	session_conf_to_store(sc, text, &s);
	int r = store_session_put(st, &s, NULL);
	session_store_free(&s);
	free(text);
	return r < 0 ? -1 : store_session_get(st, sc->slug, ses);
}

/* ---- the calendar ---- */

static void test_calendar(void)
{
	struct st_session ses;
	memset(&ses, 0, sizeof(ses));
	ses.slug = "prof-learning";
	ses.timezone = "America/New_York";
	ses.opens = "2018-07-16";
	ses.closes = "2018-07-20";
	ses.digest_at = 17 * 60;
	struct sched_event *ev;
	int n;
	const char *err;
	if (!ok(schedule_calendar(&ses, 0, 8 * 60, &ev, &n, &err) == 0, "the fixture week's calendar"))
		return;
	static const struct {
		const char *key;
		const char *utc;
		int final;
	} want[] = {
		{ "open", "2018-07-16 04:00", 0 },              /* 00:00 EDT */
		{ "digest:2018-07-16", "2018-07-16 21:00", 0 }, /* 17:00 EDT */
		{ "digest:2018-07-17", "2018-07-17 21:00", 0 },
		{ "digest:2018-07-18", "2018-07-18 21:00", 0 },
		{ "digest:2018-07-19", "2018-07-19 21:00", 0 },
		{ "digest:2018-07-20", "2018-07-20 21:00", 0 },
		{ "digest:2018-07-21", "2018-07-21 04:00", 1 }, /* the last one, at the close */
		{ "close", "2018-07-21 04:00", 0 },
	};
	is_int(n, 8, "open, five digests, the last digest and the close");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && (int)i < n; i++) {
		char at[32];
		clock_format(ev[i].at, "UTC", "%Y-%m-%d %H:%M", at, sizeof(at));
		ok(strcmp(ev[i].key, want[i].key) == 0 && strcmp(at, want[i].utc) == 0 && ev[i].final == want[i].final,
		   "event %zu: %s at %s UTC%s (got %s at %s)", i, want[i].key, want[i].utc, want[i].final ? ", final" : "",
		   ev[i].key, at);
	}
	free(ev);
	ok(schedule_calendar(&ses, utc("2018-07-16 16:00"), 8 * 60, &ev, &n, &err) == 0 && n == 9 &&
	   ev[1].kind == SCHED_REMINDER && ev[1].at == utc("2018-07-16 12:00") &&
	   strcmp(ev[1].key, "reminder:2018-07-16") == 0,
	   "with a call at 12:00 EDT: its reminder at 08:00 EDT on the call's day");
	free(ev);
	ok(schedule_calendar(&ses, utc("2018-07-17 11:30"), 8 * 60, &ev, &n, &err) == 0 && n == 9 &&
	   ev[1].kind == SCHED_REMINDER && ev[1].at == utc("2018-07-16 12:00") &&
	   strcmp(ev[1].key, "reminder:2018-07-17") == 0,
	   "a call at 07:30, before the reminder hour: the reminder is the day before");
	free(ev);

	/* across the end of summer time: still 17:00 on the wall clock */
	ses.timezone = "Europe/Berlin";
	ses.opens = "2018-10-27";
	ses.closes = "2018-10-29";
	ok(schedule_calendar(&ses, 0, 480, &ev, &n, &err) == 0 && n == 6, "a Berlin session over the DST change");
	if (n == 6) {
		is_int(ev[1].at, utc("2018-10-27 15:00"), "Saturday 17:00 CEST");
		is_int(ev[2].at, utc("2018-10-28 16:00"), "Sunday 17:00 CET");
		is_int(ev[4].at, utc("2018-10-29 23:00"), "the close: Tuesday 00:00 CET");
	}
	free(ev);
	ses.closes = "2018-10-20";
	ok(schedule_calendar(&ses, 0, 480, &ev, &n, &err) < 0, "a window that ends before it begins is refused");
	ses.timezone = "Mars/Olympus";
	ses.closes = "2018-10-29";
	ok(schedule_calendar(&ses, 0, 480, &ev, &n, &err) < 0, "an unknown zone is refused: %s", err);
}

/* ---- the schedule against a store ---- */

struct world {
	struct store *st;
	struct tagd_config cfg;
	struct mailout *mo;
	struct st_session ses;
	int64_t ana, bola, wei, dmitri;
};

static int64_t add_person(struct world *w, const char *email, const char *name, const char *mode)
{
	struct st_participant p;
	memset(&p, 0, sizeof(p));
	p.session_id = w->ses.id;
	p.email = (char *)email;
	p.name = (char *)name;
	p.organization = "Somewhere School";
	p.years = 5;
	p.status = "active";
	p.mode = (char *)mode;
	int64_t id = 0;
	store_participant_add(w->st, &p, &id);
	return id;
}

/* count - outbox mails of kind (NULL: all) to recipient (NULL: all) */
static int count(struct world *w, const char *kind, const char *to)
{
	struct st_outbox *list;
	int n, c = 0;
	if (store_outbox_list(w->st, w->ses.id, NULL, &list, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if ((kind == NULL || strcmp(list[i].kind, kind) == 0) &&
		    (to == NULL || str_casecmp(list[i].recipient, to) == 0))
			c++;
	st_outbox_list_free(&list, n);
	return c;
}

/* text_of - the decoded text part of the newest mail with this purpose prefix */
static char *text_of(struct world *w, const char *purpose)
{
	struct st_outbox *list;
	int n;
	char *text = NULL;
	if (store_outbox_list(w->st, w->ses.id, NULL, &list, &n) < 0)
		return NULL;
	int64_t id = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].purpose, purpose) == 0)
			id = list[i].id;
	st_outbox_list_free(&list, n);
	struct st_outbox o;
	if (id == 0 || store_outbox_get(w->st, id, &o) != 0)
		return NULL;
	struct mail_limits lim;
	mail_limits_default(&lim);
	struct mail_msg *m;
	const char *e;
	if (mail_parse(o.raw, o.rawlen, &lim, &m, &e) == 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "Subject: %s\nMessage-ID: %s\nReferences:", m->subject, m->message_id ? m->message_id : "");
		for (int i = 0; i < m->nreferences; i++)
			buf_printf(&b, " %s", m->references[i]);
		const char *rt = mail_header_get(m, "Reply-To");
		buf_printf(&b, "\nReply-To: %s\n\n%s\n--html--\n%s", rt ? rt : "", m->text, m->html ? m->html : "");
		text = buf_steal(&b, NULL);
		mail_msg_free(&m);
	}
	st_outbox_free(&o);
	return text;
}

static int64_t add_comment(struct world *w, int64_t author, const char *email, int number, const char *text,
			   const char *when, int64_t parent)
{
	static int64_t msgrow = 0;
	struct st_message m;
	memset(&m, 0, sizeof(m));
	char mid[64], hash[64];
	snprintf(mid, sizeof(mid), "c%lld@test", (long long)++msgrow);
	snprintf(hash, sizeof(hash), "h%lld", (long long)msgrow);
	m.message_id = mid;
	m.body_hash = hash;
	m.source = "inject";
	m.raw = "x";
	m.rawlen = 1;
	m.received = utc(when);
	int64_t row = 0;
	store_message_add(w->st, &m, &row);
	struct st_comment c;
	memset(&c, 0, sizeof(c));
	c.session_id = w->ses.id;
	c.message_id = row;
	c.revision = 1;
	c.number = number;
	if (number)
		store_paragraph_id(w->st, w->ses.id, 1, number, &c.paragraph_id);
	c.parent_id = parent;
	c.author_id = author;
	c.author_email = (char *)email;
	c.text = (char *)text;
	c.created = utc(when);
	int64_t id = 0;
	store_comment_add(w->st, &c, &id);
	return id;
}

static int run_at(struct schedule *s, const char *when)
{
	clock_set(utc(when));
	return schedule_run(s, utc(when));
}

static void test_week(struct world *w)
{
	struct schedule *s = schedule_new(w->st, &w->cfg);
	is_int(run_at(s, "2018-07-15 12:00"), 0, "Sunday: nothing is due");
	is_int(count(w, NULL, NULL), 0, "and nothing is queued");
	is_int(run_at(s, "2018-07-16 04:00"), 0, "Monday 00:00: the session has no draft, so it waits");
	struct st_session ses;
	store_session_get(w->st, "prof-learning", &ses);
	is_str(ses.state, "planned", "still planned");
	st_session_free(&ses);

	char *md;
	size_t len;
	char *path = xasprintf("%s/fixtures/prof-learning-draft.md", shared_dir());
	struct draft_import_result ir;
	const char *err;
	clock_set(utc("2018-07-16 04:10"));
	ok(str_read_file(path, 1 << 20, &md, &len) == 0 &&
	   tag_draft_import(w->st, w->ses.id, md, len, &ir, &err) == 0 && ir.revision == 1, "the draft imported at 00:10");
	free(md);
	free(path);
	is_int(run_at(s, "2018-07-16 04:11"), 1, "then the open is done");
	store_session_get(w->st, "prof-learning", &ses);
	is_str(ses.state, "open", "the session is open");
	st_session_free(&ses);
	is_int(count(w, "draft", NULL), 4, "the draft went to the four active participants");
	is_int(count(w, "draft", "left@x.example.org"), 0, "not to one who left");
	char *t = text_of(w, "draft:prof-learning:r1:ana@x.example.org");
	ok(t && strstr(t, "[7] Finally, the role of the teacher widens") && strstr(t, "tag-prof-learning+p7@tags.example.org"),
	   "the text draft numbers paragraphs [7] and gives each its address");
	ok(t && strstr(t, "draft.r1.") && strstr(t, "Understand critical differences"), "a draft.r1 Message-ID, the goals on top");
	ok(t && strstr(t, "¶7") && strstr(t, "mailto:tag-prof-learning+p7@tags.example.org"),
	   "the HTML shows ¶7 with a mailto link to its address");
	free(t);
	is_int(run_at(s, "2018-07-16 04:12"), 0, "running again does nothing");
	is_int(count(w, NULL, NULL), 4, "no mail twice");
	int pending = -1;
	ok(draftmail_pending(w->st, &w->ses, &pending) == 0 && pending == 0, "nobody lacks the draft");

	/* the launch call: invitations (callmail), then its reminder at 08:00 EDT */
	int invited = 0;
	ok(callmail_invite_all(w->mo, w->st, &w->ses, &invited, &err) == 0 && invited == 4, "the call's invitations");
	is_int(run_at(s, "2018-07-16 12:00"), 1, "Monday 08:00 EDT: the call's reminder");
	is_int(count(w, "call-reminder", NULL), 4, "to each invited participant");
	is_int(run_at(s, "2018-07-16 12:30"), 0, "once");

	/* Monday's comments; one arrives after the digest hour */
	int64_t c1 = add_comment(w, w->ana, "ana@x.example.org", 7, "Video clips of goal-setting would help.",
				 "2018-07-16 15:00", 0);
	add_comment(w, w->bola, "bola@x.example.org", 0, "The whole paper needs vignettes.", "2018-07-16 16:00", 0);
	add_comment(w, w->wei, "wei@x.example.org", 3, "Name principals as an audience.", "2018-07-16 22:00", 0);
	is_int(run_at(s, "2018-07-16 21:00"), 1, "Monday 17:00: the digest");
	is_int(count(w, "digest", NULL), 2, "one digest for each of the two digest-mode participants");
	is_int(count(w, "digest", "wei@x.example.org"), 0, "none for the each-mode participant");
	t = text_of(w, "digest:prof-learning:2018-07-16:bola@x.example.org");
	ok(t && strstr(t, "ON THE DRAFT AS A WHOLE") && strstr(t, "needs vignettes") &&
	   strstr(t, "¶7 \"Finally, the role of the teacher") && strstr(t, "Video clips"),
	   "the digest groups comments under their paragraphs, the draft as a whole first");
	ok(t && strstr(t, "¶3") == NULL, "a comment after the digest hour waits for the next one");
	ok(t && strstr(t, "digest.2018-07-16.") && strstr(t, "since the review opened"), "its Message-ID and period");
	ok(t && strstr(t, "WHOLE") && strstr(t, "WHOLE") < strstr(t, "¶7 \""), "the draft as a whole comes before ¶7");
	free(t);

	/* a restart: a new schedule on the same store repeats nothing */
	schedule_free(&s);
	s = schedule_new(w->st, &w->cfg);
	is_int(run_at(s, "2018-07-16 21:30"), 0, "after a restart nothing is done again");
	is_int(count(w, NULL, NULL), 6 + 8, "and nothing is queued twice");

	/* a message taken just before 17:00 but processed after the digest */
	add_comment(w, w->dmitri, "dmitri@x.example.org", 13, "Cap coaches at ten teachers.", "2018-07-16 20:59", 0);
	add_comment(w, w->bola, "bola@x.example.org", 7, "Agreed, video helps.", "2018-07-17 13:00", c1);
	is_int(run_at(s, "2018-07-17 21:00"), 1, "Tuesday's digest");
	t = text_of(w, "digest:prof-learning:2018-07-17:ana@x.example.org");
	ok(t && strstr(t, "Name principals") && strstr(t, "Cap coaches"),
	   "it has Monday evening's comment and the one processed late");
	ok(t && strstr(t, "Video clips") && strstr(t, "reply from Bola") && strstr(t, "Agreed, video helps"),
	   "a reply comes under the comment it answers, shown again");
	ok(t && strstr(t, "Replies:             1") && strstr(t, "New comments:        2"), "counts: 2 comments, 1 reply");
	free(t);

	/* Wednesday: a quiet day sends nothing, unless the session says so */
	is_int(run_at(s, "2018-07-18 21:00"), 1, "Wednesday's digest event");
	is_int(count(w, "digest", NULL), 4, "a quiet day sends no digest");

	/* a revision on Thursday morning */
	path = xasprintf("%s/examples/prof-learning-draft-r2.md", TOP_SRCDIR);
	clock_set(utc("2018-07-19 14:00"));
	ok(str_read_file(path, 1 << 20, &md, &len) == 0 &&
	   tag_draft_import(w->st, w->ses.id, md, len, &ir, &err) == 0 && ir.revision == 2, "revision 2 imported");
	free(md);
	free(path);
	is_int(run_at(s, "2018-07-19 14:00"), 0, "no event is due");
	is_int(count(w, "draft", NULL), 8, "but every participant gets revision 2 at once");
	t = text_of(w, "draft:prof-learning:r2:bola@x.example.org");
	if (!ok(t && strstr(t, "Revised draft (revision 2)") && strstr(t, "Changed in this revision: ¶4, ¶7, ¶13, ¶23"),
		"marked revised, naming the changed paragraphs"))
		diag("%.900s", t ? t : "(none)");
	free(t);
	add_comment(w, w->ana, "ana@x.example.org", 13, "Better now.", "2018-07-19 15:00", 0);

	/* the daemon is down from Thursday to Saturday: it catches up, in order */
	schedule_free(&s);
	s = schedule_new(w->st, &w->cfg);
	is_int(run_at(s, "2018-07-21 15:00"), 4, "Saturday: Thursday's and Friday's digests, the last one, the close");
	t = text_of(w, "digest:prof-learning:2018-07-19:ana@x.example.org");
	ok(t && strstr(t, "CHANGED PARAGRAPHS (revision 2)") && strstr(t, "¶4 (edited)") && strstr(t, "{+") &&
	   strstr(t, "¶23 (new)"), "Thursday's digest shows the changes with a word diff");
	ok(t && strstr(t, "Better now."), "and Thursday's comment");
	ok(t && strstr(t, "<del") && strstr(t, "<ins"), "the HTML diff has <del> and <ins>");
	free(t);
	is_int(count(w, "digest", NULL), 6, "Friday and the close were quiet");
	is_int(count(w, "session-closed", NULL), 4, "the session-closed mail to each active participant");
	t = text_of(w, "closed:prof-learning:wei@x.example.org");
	ok(t && strstr(t, "received 6 comments") && strstr(t, "4 people"), "with the week's numbers");
	free(t);
	store_session_get(w->st, "prof-learning", &ses);
	is_str(ses.state, "closed", "the session is closed");
	st_session_free(&ses);
	int before = count(w, NULL, NULL);
	schedule_free(&s);
	s = schedule_new(w->st, &w->cfg);
	is_int(run_at(s, "2018-07-22 15:00"), 0, "a closed session has nothing more to do");
	is_int(count(w, NULL, NULL), before, "nothing more is queued");
	struct st_sched *done;
	int nd;
	ok(store_sched_list(w->st, w->ses.id, &done, &nd) == 0 && nd == 9, "nine events recorded as done");
	for (int i = 0; i < nd; i++)
		diag("%s: %s", done[i].event, done[i].result ? done[i].result : "");
	st_sched_list_free(&done, nd);
	schedule_free(&s);
}

static void test_relay(struct world *w)
{
	/* a comment on ¶7 and a reply to it, relayed to the each-mode participant */
	int64_t a = add_comment(w, w->ana, "ana@x.example.org", 7, "Relay me.", "2018-07-20 12:00", 0);
	int64_t b = add_comment(w, w->bola, "bola@x.example.org", 7, "And me, as a reply.", "2018-07-20 12:05", a);
	int64_t ids[2] = { a, b };
	store_begin(w->st);
	ok(relay_comments(w->st, w->mo, &w->ses, ids, 2) == 0 && store_commit(w->st) == 0, "relays queued");
	is_int(count(w, "relay", "wei@x.example.org"), 2, "the each-mode participant gets both");
	is_int(count(w, "relay", NULL), 2, "nobody else");
	char purpose[128];
	snprintf(purpose, sizeof(purpose), "relay:prof-learning:%lld:wei@x.example.org", (long long)b);
	char *t = text_of(w, purpose);
	char *root = draftmail_para_root(w->mo, &w->ses, 0);
	ok(strncmp(root, "para.0.", 7) == 0, "the draft as a whole has a thread root too: %s", root);
	free(root);
	int64_t pid = 0;
	store_paragraph_id(w->st, w->ses.id, 2, 7, &pid);
	root = draftmail_para_root(w->mo, &w->ses, pid);
	char *parent = relay_msgid(w->mo, &w->ses, a, "wei@x.example.org");
	char rt[64];
	snprintf(rt, sizeof(rt), "tag-prof-learning+c%lld@tags.example.org", (long long)b);
	ok(t && strstr(t, root) && strstr(t, parent), "References name the paragraph's root and the parent's relay");
	ok(t && strstr(t, rt), "Reply-To: LIST+cID");
	ok(t && strstr(t, "Subject: ¶7 ") && strstr(t, "replying to Ana"), "subject per paragraph; who it answers");
	char mid[64];
	snprintf(mid, sizeof(mid), "comment.%lld.", (long long)b);
	ok(t && strstr(t, mid), "Message-ID comment.ID.TOKEN");
	ok(strncmp(root, "para.", 5) == 0, "the root is para.PID.TOKEN@domain: %s", root);
	free(t);
	free(root);
	free(parent);
	store_begin(w->st);
	relay_comments(w->st, w->mo, &w->ses, ids, 2);
	store_commit(w->st);
	is_int(count(w, "relay", NULL), 2, "relaying again queues nothing");

	/* late comments: one note per participant and session */
	struct st_participant ana;
	store_participant_get_id(w->st, w->ana, &ana);
	int64_t l1 = add_comment(w, w->ana, "ana@x.example.org", 7, "Late one.", "2018-07-21 10:00", 0);
	int64_t l2 = add_comment(w, w->ana, "ana@x.example.org", 8, "Late two.", "2018-07-21 11:00", 0);
	store_begin(w->st);
	ok(relay_late_note(w->st, w->mo, &w->ses, &ana, l1, "late1@x") == 0 &&
	   relay_late_note(w->st, w->mo, &w->ses, &ana, l2, "late2@x") == 0 && store_commit(w->st) == 0, "late notes");
	is_int(count(w, "late-comment", "ana@x.example.org"), 1, "a late comment is answered once per participant");
	t = text_of(w, "late:prof-learning:ana@x.example.org");
	ok(t && strstr(t, "Late one.") && strstr(t, "closed on Friday 20 July 2018"), "the note quotes it and says when the review closed");
	free(t);
	st_participant_free(&ana);
}

/* a session found long after its week, never opened: left alone */
/* test_digest_cap - a busy day: past the session's digest_max_comments
   the digest counts comments instead of showing them */
static void test_digest_cap(struct world *w)
{
	char text[64];
	int64_t first = 0;
	for (int i = 1; i <= 25; i++) {
		char when[32];
		snprintf(text, sizeof(text), "Cap comment %02d on the fifth paragraph.", i);
		snprintf(when, sizeof(when), "2018-07-24 %02d:%02d", 10 + i / 60, i % 60);
		int64_t id = add_comment(w, w->ana, "ana@x.example.org", 5, text, when, 0);
		if (i == 1)
			first = id;
	}
	add_comment(w, w->bola, "bola@x.example.org", 5, "A reply to the first.", "2018-07-24 11:00", first);
	struct digest_req rq;
	memset(&rq, 0, sizeof(rq));
	rq.day = "2018-07-24";
	rq.from = utc("2018-07-23 21:00");
	rq.until = utc("2018-07-24 21:00");
	rq.max_comments = 10;
	clock_set(rq.until);
	int sent = 0;
	char note[128];
	const char *err = NULL;
	ok(store_begin(w->st) == 0 && digest_send(w->st, w->mo, &w->ses, &rq, &sent, note, sizeof(note), &err) == 0 &&
	   store_commit(w->st) == 0 && sent == 2, "a digest of 25 comments and a reply, at most 10 shown (%s)",
	   err ? err : note);
	/* with the comments of earlier tests still pending (the relay's) */
	int nc = 0, nr = 0;
	ok(sscanf(note, "%d comment%*s %d repl", &nc, &nr) == 2 && nc >= 25 && nr >= 1, "the note counts them");
	char want_subject[64], want_more[64];
	snprintf(want_subject, sizeof(want_subject), "new comments: %d, replies: %d", nc, nr);
	snprintf(want_more, sizeof(want_more), "%d more comments and replies", nc + nr - 10);
	char *t = text_of(w, "digest:prof-learning:2018-07-24:ana@x.example.org");
	ok(t && strstr(t, want_subject), "its subject counts all of them");
	ok(t && strstr(t, "Cap comment 01") && strstr(t, "A reply to the first.") && strstr(t, "Cap comment 09"),
	   "the first comment with its reply and the next eight are shown");
	ok(t && strstr(t, "Cap comment 10") == NULL && strstr(t, "Cap comment 25") == NULL, "the rest are not");
	const char *html = t ? strstr(t, "--html--") : NULL;
	ok(t && html && strstr(t, want_more) && strstr(t, want_more) < html, "the text says how many more came (%s)",
	   want_more);
	ok(html && strstr(html, want_more) && strstr(html, "Cap comment 10") == NULL, "so does the HTML");
	free(t);
}

static void test_stale(struct world *w)
{
	char *text;
	size_t len;
	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	if (str_read_file(path, 1 << 20, &text, &len) < 0) {
		free(path);
		return;
	}
	free(path);
	struct buf b = BUF_INIT;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (str_starts(p, "slug ="))
			buf_puts(&b, "slug = old-week");
		else if (str_starts(p, "list ="))
			buf_puts(&b, "list = tag-old@tags.example.org");
		else
			buf_append(&b, p, n);
		buf_putc(&b, '\n');
		p += n + (p[n] ? 1 : 0);
	}
	struct session_conf sc;
	struct buf err = BUF_INIT;
	struct st_session old;
	memset(&old, 0, sizeof(old));
	if (session_conf_parse(&sc, buf_cstr(&b), "old.session", &err) == 0) {
		struct st_session s;
		session_conf_to_store(&sc, buf_cstr(&b), &s);
		store_session_put(w->st, &s, NULL);
		session_store_free(&s);
		store_session_get(w->st, "old-week", &old);
	}
	session_conf_free(&sc);
	buf_free(&err);
	buf_free(&b);
	free(text);
	struct draft_import_result ir;
	const char *e;
	tag_draft_import(w->st, old.id, "# Old\n\nOne paragraph.\n", 22, &ir, &e);
	struct schedule *s = schedule_new(w->st, &w->cfg);
	is_int(run_at(s, "2018-07-28 05:00"), 0, "a planned session a week after its close is left alone");
	struct st_session now;
	ok(store_session_get(w->st, "old-week", &now) == 0 && strcmp(now.state, "planned") == 0, "it stays planned");
	st_session_free(&now);
	struct st_outbox *list;
	int n = 0;
	store_outbox_list(w->st, old.id, NULL, &list, &n);
	is_int(n, 0, "and nothing is mailed for it");
	st_outbox_list_free(&list, n);
	schedule_free(&s);
	st_session_free(&old);
}

static void test_trust(void)
{
	static const struct {
		const char *hdrs;
		int want;
		const char *what;
	} cases[] = {
		{ "Authentication-Results: mx.tags.example.org; dkim=pass header.d=consulting.example.com; "
		  "dmarc=pass (p=none) header.from=consulting.example.com\n", 1, "DMARC pass from the trusted host" },
		{ "Authentication-Results: mx.tags.example.org 1; dmarc=fail header.from=consulting.example.com\n", 0,
		  "DMARC fail" },
		{ "Authentication-Results: evil.example.net; dmarc=pass header.from=consulting.example.com\n", 0,
		  "a pass from another host is not trusted" },
		{ "Authentication-Results: mx.tags.example.org; dkim=pass header.d=example.com\n", 1,
		  "DKIM aligned with a parent domain" },
		{ "Authentication-Results: mx.tags.example.org; dkim=pass header.d=other.example.net\n", 0,
		  "DKIM of another domain" },
		{ "Authentication-Results: mx.tags.example.org; dmarc=pass header.from=elsewhere.example.net\n", 0,
		  "DMARC pass for another From domain" },
		{ "Authentication-Results: mx.tags.example.org; dkim=passed header.d=consulting.example.com\n", 0,
		  "a result that only begins like pass" },
		{ "", 0, "no Authentication-Results" },
	};
	struct mail_limits lim;
	mail_limits_default(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *raw = xasprintf("From: Katherine Casey <kcasey@consulting.example.com>\n"
				      "To: tag-prof-learning+revise@tags.example.org\n%sSubject: r2\n\n# Title\n\nText.\n",
				      cases[i].hdrs);
		struct mail_msg *m = NULL;
		const char *e;
		if (mail_parse(raw, strlen(raw), &lim, &m, &e) == 0) {
			is_int(revise_trusted(m, "mx.tags.example.org"), cases[i].want, "trust: %s", cases[i].what);
			if (i == 0)
				is_int(revise_trusted(m, ""), 0, "trust: no authserv_id set, nothing is trusted");
			char *src = revise_source(m);
			if (i == 0)
				ok(src && strcmp(src, "# Title\n\nText.") == 0, "the body is the draft");
			free(src);
		}
		mail_msg_free(&m);
		free(raw);
	}
}

int main(void)
{
	test_calendar();
	test_trust();

	char tmpl[] = "/tmp/tagd-schedule.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "a temporary directory"))
		return done_testing();
	struct world w;
	memset(&w, 0, sizeof(w));
	char *db = xasprintf("%s/t.db", dir);
	const char *err;
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
	struct session_conf sc;
	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	if (ok(load_session(w.st, path, &w.ses, &sc) == 0, "the fixture session")) {
		session_conf_free(&sc);
		w.ana = add_person(&w, "ana@x.example.org", "Ana Ruiz", "digest");
		w.bola = add_person(&w, "bola@x.example.org", "Bola Okafor", "digest");
		w.wei = add_person(&w, "wei@x.example.org", "Wei Chen", "each");
		w.dmitri = add_person(&w, "dmitri@x.example.org", "Dmitri Volkov", "none");
		int64_t gone = add_person(&w, "left@x.example.org", "Left Early", "digest");
		struct st_participant p;
		if (store_participant_get_id(w.st, gone, &p) == 0) {
			free(p.status);
			p.status = xstrdup("left");
			store_participant_update(w.st, &p);
			st_participant_free(&p);
		}
		test_week(&w);
		test_relay(&w);
		test_stale(&w);
		test_digest_cap(&w);
		st_session_free(&w.ses);
	}
	free(path);
	mailout_free(&w.mo);
	tagd_config_free(&w.cfg);
	store_close(&w.st);
	clock_set(0);
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return done_testing();
}
