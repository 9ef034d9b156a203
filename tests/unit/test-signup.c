/* test-signup - the sign-up form, confirmation tokens and their expiry,
   the commands by mail (signup_command on a real store), and the one-click
   unsubscribe endpoint over a real HTTP connection on 127.0.0.1 */
#include "config.h"
#include "tap.h"
#include "tag/signup.h"
#include "tag/invite.h"
#include "tag/mailout.h"
#include "tag/session.h"
#include "tag/settings.h"
#include "tag/token.h"
#include "net/http.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/msg.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char dir[] = "/tmp/tagd-test-signup-XXXXXX";

/* ---- years and the form ---- */

static void test_years(void)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "4", 4 }, { " 4 years", 4 }, { "4+", 4 }, { "4-5 years", 4 }, { "15+ yrs", 15 },
		{ "four years", 4 }, { "Four", 4 }, { "twenty-five", 25 }, { "twenty five years", 25 },
		{ "thirty", 30 }, { "eleven years in the classroom", 11 }, { "a decade", 10 },
		{ "two decades", 20 }, { "a year", 1 }, { "about a year", 1 }, { "one year", 1 },
		{ "18 months", 1 }, { "6 months", 0 }, { "less than a year", 0 }, { "none", 0 },
		{ "None yet", 0 }, { "no", 0 }, { "0", 0 }, { "zero", 0 }, { "since 2012", 6 },
		{ "a couple of years", 2 }, { "2.5", 2 }, { "many", -1 }, { "", -1 }, { "lots", -1 },
		{ "120", -1 }, { "ninety", -1 },
	};
	clock_set(1531760000); /* 2018-07-16 */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(signup_years_parse(cases[i].in), cases[i].want, "years: \"%s\"", cases[i].in);
	is_int(signup_years_parse(NULL), -1, "years: NULL");
}

static void test_form(void)
{
	struct signup_form f;
	/* the fixture join request, as the parser gives its text */
	char *path = xasprintf("%s/fixtures/replies/012-priya-join-request.eml", shared_dir());
	char *raw;
	size_t len;
	if (ok(str_read_file(path, 1 << 20, &raw, &len) == 0, "fixture 012 read")) {
		struct mail_limits lim;
		mail_limits_default(&lim);
		struct mail_msg *m = NULL;
		const char *err;
		if (ok(mail_parse(raw, len, &lim, &m, &err) == 0, "fixture 012 parses")) {
			is_int(signup_form_parse(m->text, &f), 4, "012: four fields");
			is_str(f.name, "Priya Nair", "012: name");
			is_str(f.organization, "Eastview Elementary School", "012: organization");
			is_str(f.role, "Assessment coordinator", "012: role");
			is_int(f.years, 4, "012: years");
			signup_form_free(&f);
			mail_msg_free(&m);
		}
		free(raw);
	}
	free(path);

	is_int(signup_form_parse("join\n\n* **Full name:** Ana Ruiz\n- Organisation: District 9\n"
				 "Position: Coach\nExperience: 6 years\n", &f), 4, "variants: four fields");
	is_str(f.name, "Ana Ruiz", "variants: markdown bold and a bullet");
	is_str(f.organization, "District 9", "variants: Organisation");
	is_str(f.role, "Coach", "variants: Position");
	is_int(f.years, 6, "variants: Experience: 6 years");
	signup_form_free(&f);

	is_int(signup_form_parse("Name: Bo\nYears in the field: four\n-- \nName: Signature Person\nRole: x\n", &f), 2,
	       "reading stops at the signature separator");
	is_str(f.name, "Bo", "the name before the signature");
	is_int(f.years, 4, "Years in the field: four");
	ok(f.role == NULL, "the signature's Role is not read");
	signup_form_free(&f);

	is_int(signup_form_parse("Name:\nRole: Teacher\n> Name: Quoted Person\n"
				 "On Mon, 16 Jul 2018 Someone <a@b.c> wrote:\nName: Later\n", &f), 1,
	       "quotes and what follows an attribution line are not read");
	ok(f.name == NULL, "an empty Name: is no name");
	signup_form_free(&f);

	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big, "Name: ", 6);
	big[sizeof(big) - 1] = '\0';
	signup_form_parse(big, &f);
	ok(f.name && strlen(f.name) == SIGNUP_MAX_FIELD, "a long value is cut to %d bytes", SIGNUP_MAX_FIELD);
	signup_form_free(&f);
	/* cut on a character boundary: 199 'x' then a two-byte character */
	char utf[400];
	size_t n = 0;
	n += (size_t)snprintf(utf, sizeof(utf), "Role: ");
	for (int i = 0; i < 199; i++)
		utf[n++] = 'x';
	memcpy(utf + n, "\xc3\xa9\xc3\xa9", 4);
	utf[n + 4] = '\0';
	signup_form_parse(utf, &f);
	ok(f.role && strlen(f.role) == 199, "a cut never splits a UTF-8 character");
	signup_form_free(&f);
	is_int(signup_form_parse("Nothing to see here: really\nDear all, I would like to join.\n", &f), 0,
	       "prose is not a form");
	signup_form_free(&f);
	is_int(signup_form_parse(NULL, &f), 0, "no text");
	signup_form_free(&f);
}

/* ---- tokens ---- */

static void test_tokens(struct store *st)
{
	time_t now = 1531764000;
	int64_t row = 0;
	time_t exp = 0;
	char *t = signup_token_make(st, 3, "Priya.Nair@Eastview.example.org", 42, now + SIGNUP_CONFIRM_VALID);
	if (!ok(t != NULL, "a confirmation token: %s", t ? t : "(none)"))
		return;
	char *want = xasprintf("42.%lld-", (long long)(now + SIGNUP_CONFIRM_VALID));
	ok(str_starts(t, want), "it names the request and the expiry");
	free(want);
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", t, now, &row, &exp), SIGNUP_TOKEN_OK,
	       "valid for the same address in any case");
	is_int(row, 42, "the message row comes back");
	is_int(exp, now + SIGNUP_CONFIRM_VALID, "the expiry comes back");
	is_int(signup_token_check(st, 3, "mallory@eastview.example.org", t, now, &row, &exp), SIGNUP_TOKEN_BAD,
	       "refused for another address");
	is_int(signup_token_check(st, 4, "priya.nair@eastview.example.org", t, now, &row, &exp), SIGNUP_TOKEN_BAD,
	       "refused for another session");
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", t, now + SIGNUP_CONFIRM_VALID, &row, &exp),
	       SIGNUP_TOKEN_OK, "valid up to the last second");
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", t, now + SIGNUP_CONFIRM_VALID + 1, &row,
				  &exp), SIGNUP_TOKEN_EXPIRED, "expired one second later");
	/* the upper-case form an address may come back in */
	char *up = xstrdup(t);
	for (char *c = strrchr(up, '-'); *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", up, now, &row, &exp), SIGNUP_TOKEN_OK,
	       "the MAC in upper case is still valid");
	free(up);
	/* a later expiry with the old MAC */
	char *forged = xstrdup(t);
	char *dot = strchr(forged, '.');
	dot[1] = '9';
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", forged, now, &row, &exp),
	       SIGNUP_TOKEN_BAD, "a changed expiry is refused");
	forged[0] = '7';
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", forged, now, &row, &exp),
	       SIGNUP_TOKEN_BAD, "a changed row is refused");
	free(forged);
	char *flip = xstrdup(t);
	char *last = flip + strlen(flip) - 1;
	*last = *last == '0' ? '1' : '0';
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", flip, now, &row, &exp), SIGNUP_TOKEN_BAD,
	       "a changed MAC is refused");
	free(flip);
	/* a genuine token of another kind (the unsubscribe link) is no confirmation */
	char *other = token_make(st, "unsubscribe", "42.1531764000");
	is_int(signup_token_check(st, 3, "priya.nair@eastview.example.org", other, now, &row, &exp), SIGNUP_TOKEN_BAD,
	       "another kind of token is refused");
	free(other);
	static const char *const junk[] = { "", "-", "42", "42.1-", "x.y-0123456789abcdef", "42.1531764000-zz", NULL };
	for (int i = 0; junk[i]; i++)
		is_int(signup_token_check(st, 3, "a@b.org", junk[i], now, &row, &exp), SIGNUP_TOKEN_BAD,
		       "junk token \"%s\" refused", junk[i]);
	is_int(signup_token_check(st, 3, "a@b.org", NULL, now, &row, &exp), SIGNUP_TOKEN_BAD, "no token");
	free(t);
}

/* ---- commands on a real store ---- */

struct world {
	struct store *st;
	struct tagd_config cfg;
	struct mailout *mo;
	struct st_session ses;
};

static int outbox_count(struct store *st, const char *kind, const char *rcpt)
{
	struct st_outbox *list;
	int n, c = 0;
	if (store_outbox_list(st, 0, NULL, &list, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if ((kind == NULL || strcmp(list[i].kind, kind) == 0) &&
		    (rcpt == NULL || str_casecmp(list[i].recipient, rcpt) == 0))
			c++;
	st_outbox_list_free(&list, n);
	return c;
}

/* last_raw - the newest outbox mail's bytes */
static char *last_raw(struct store *st)
{
	struct st_outbox *list;
	int n;
	char *raw = NULL;
	if (store_outbox_list(st, 0, NULL, &list, &n) == 0 && n > 0) {
		struct st_outbox o;
		if (store_outbox_get(st, list[n - 1].id, &o) == 0) {
			raw = xmemdup0(o.raw, o.rawlen);
			st_outbox_free(&o);
		}
	}
	if (n >= 0)
		st_outbox_list_free(&list, n);
	return raw;
}

/* run - a message from from_line with subject and body to LIST(+tag), as ingest hands it over */
static int run(struct world *w, const char *from, const char *tag, const char *subject, const char *body,
	       const char *word, const char *arg, char *reason, size_t rsize)
{
	static int seq;
	char *raw = xasprintf("From: %s\r\nTo: tag-prof-learning%s%s@tags.example.org\r\nSubject: %s\r\n"
			      "Message-ID: <t%d@mail.example>\r\n\r\n%s\r\n", from, tag ? "+" : "", tag ? tag : "",
			      subject, ++seq, body);
	struct mail_limits lim;
	mail_limits_default(&lim);
	struct mail_msg *m = NULL;
	const char *err;
	if (mail_parse(raw, strlen(raw), &lim, &m, &err) < 0) {
		free(raw);
		return -2;
	}
	/* archive it as ingest does, so that a confirmation finds the join request */
	struct st_message sm = { 0 };
	char hash[32];
	snprintf(hash, sizeof(hash), "h%d", seq);
	sm.message_id = m->message_id;
	sm.body_hash = hash;
	sm.source = "inject";
	sm.raw = raw;
	sm.rawlen = strlen(raw);
	sm.received = clock_now();
	int64_t row = 0;
	store_message_add(w->st, &sm, &row);
	struct st_participant author;
	int have = store_participant_get(w->st, w->ses.id, m->from.addr, &author) == 0;
	struct signup_request rq = { 0 };
	rq.ses = &w->ses;
	rq.msg = m;
	rq.word = word;
	rq.arg = arg;
	rq.tag = tag;
	rq.author = have ? &author : NULL;
	rq.message_row = row;
	store_begin(w->st);
	int r = signup_command(w->st, w->mo, &rq, reason, rsize);
	if (r == 0)
		store_commit(w->st);
	else
		store_rollback(w->st);
	store_message_set_result(w->st, row, w->ses.id, "command", reason, "done", m->from.addr, m->subject);
	if (have)
		st_participant_free(&author);
	mail_msg_free(&m);
	free(raw);
	return r;
}

static char *header_value(const char *raw, const char *name)
{
	/* the header's value, unfolded */
	size_t n = strlen(name);
	for (const char *p = raw; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (p[0] == '\r' || p[0] == '\n')
			break;
		if (str_ncasecmp(p, name, n) == 0 && p[n] == ':') {
			struct buf b = BUF_INIT;
			const char *v = p + n + 1;
			for (;;) {
				const char *e = strchr(v, '\n');
				size_t l = e ? (size_t)(e - v) : strlen(v);
				buf_append(&b, v, l);
				if (e == NULL || (e[1] != ' ' && e[1] != '\t'))
					break;
				v = e + 1;
			}
			char *s = buf_steal(&b, NULL);
			char *t = s, *o = s;
			for (; *t; t++)
				if (*t != '\r' && *t != '\n')
					*o++ = *t;
			*o = '\0';
			char *trimmed = xstrdup(str_trim(s));
			free(s);
			return trimmed;
		}
	}
	return NULL;
}

static void test_commands(struct world *w)
{
	char reason[256];
	const char *priya = "Priya Nair <priya.nair@eastview.example.org>";
	clock_set(1531764600); /* Monday 16 July 2018, 18:10 UTC */

	/* join with the form: a confirmation whose Reply-To carries the token */
	is_int(run(w, priya, NULL, "join",
		   "Name: Priya Nair\nOrganization: Eastview Elementary School\nRole: Assessment coordinator\n"
		   "Years of experience: 4\n", "join", "", reason, sizeof(reason)), 0, "join: %s", reason);
	is_int(outbox_count(w->st, "signup-confirm", "priya.nair@eastview.example.org"), 1, "join: a confirmation");
	char *raw = last_raw(w->st);
	char *reply_to = raw ? header_value(raw, "Reply-To") : NULL;
	ok(reply_to && str_starts(reply_to, "tag-prof-learning+confirm-"), "join: Reply-To LIST+confirm-TOKEN: %s",
	   reply_to ? reply_to : "(none)");
	char *auto_sub = raw ? header_value(raw, "Auto-Submitted") : NULL;
	is_str(auto_sub, "auto-replied", "join: the answer is Auto-Submitted: auto-replied");
	free(auto_sub);
	free(raw);
	char token_tag[160] = "";
	if (reply_to) {
		char *at = strchr(reply_to, '@');
		char *plus = strchr(reply_to, '+');
		if (at && plus)
			snprintf(token_tag, sizeof(token_tag), "%.*s", (int)(at - plus - 1), plus + 1);
	}
	free(reply_to);

	/* someone else replying with that token: refused, nothing sent */
	int before = outbox_count(w->st, NULL, NULL);
	run(w, "Mallory <mallory@example.net>", token_tag, "Re: Please confirm", "yes", "confirm", "", reason,
	    sizeof(reason));
	ok(strstr(reason, "refused") != NULL, "confirm from another address: %s", reason);
	is_int(outbox_count(w->st, NULL, NULL), before, "confirm from another address: no mail");
	struct st_participant p;
	is_int(store_participant_get(w->st, w->ses.id, "mallory@example.net", &p), 1,
	       "confirm from another address: no participant");

	/* the owner confirms: active, welcomed */
	is_int(run(w, priya, token_tag, "Re: Please confirm", "yes", "confirm", "", reason, sizeof(reason)), 0,
	       "confirm: %s", reason);
	if (ok(store_participant_get(w->st, w->ses.id, "priya.nair@eastview.example.org", &p) == 0,
	       "confirm: a participant")) {
		is_str(p.status, "active", "confirm: active");
		is_int(p.years, 4, "confirm: years from the join request");
		is_str(p.organization, "Eastview Elementary School", "confirm: organization from the join request");
		is_str(p.mode, "digest", "confirm: the session's default mode");
		st_participant_free(&p);
	}
	is_int(outbox_count(w->st, "welcome", "priya.nair@eastview.example.org"), 1, "confirm: a welcome");
	/* confirming again changes nothing */
	before = outbox_count(w->st, NULL, NULL);
	run(w, priya, token_tag, "Re: Please confirm", "yes again", "confirm", "", reason, sizeof(reason));
	is_int(outbox_count(w->st, NULL, NULL), before, "a second confirmation sends nothing: %s", reason);

	/* not enough experience: declined after confirming */
	const char *zed = "Zed Newman <zed@newschool.example.org>";
	run(w, zed, "join", "please add me", "Name: Zed Newman\nYears of experience: none yet\n", "join", "", reason,
	    sizeof(reason));
	raw = last_raw(w->st);
	reply_to = raw ? header_value(raw, "Reply-To") : NULL;
	char zed_tag[160] = "";
	if (reply_to && strchr(reply_to, '+') && strchr(reply_to, '@'))
		snprintf(zed_tag, sizeof(zed_tag), "%.*s", (int)(strchr(reply_to, '@') - strchr(reply_to, '+') - 1),
			 strchr(reply_to, '+') + 1);
	free(reply_to);
	free(raw);
	run(w, zed, zed_tag, "Re: confirm", "ok", "confirm", "", reason, sizeof(reason));
	ok(strstr(reason, "declined") != NULL, "no experience: %s", reason);
	if (store_participant_get(w->st, w->ses.id, "zed@newschool.example.org", &p) == 0) {
		is_str(p.status, "declined", "no experience: status declined");
		st_participant_free(&p);
	}
	is_int(outbox_count(w->st, "decline", "zed@newschool.example.org"), 1, "no experience: a decline mail");
	raw = last_raw(w->st);
	ok(raw && strstr(raw, "competencyworks.example.org/getting-started") != NULL,
	   "the decline points to the session's newcomers_url");
	free(raw);

	/* an expired token: a fresh confirmation, once a day */
	const char *late = "Lou Late <lou@late.example.org>";
	run(w, late, "join", "join", "Name: Lou Late\nYears of experience: 3\n", "join", "", reason, sizeof(reason));
	raw = last_raw(w->st);
	reply_to = raw ? header_value(raw, "Reply-To") : NULL;
	char lou_tag[160] = "";
	if (reply_to && strchr(reply_to, '+') && strchr(reply_to, '@'))
		snprintf(lou_tag, sizeof(lou_tag), "%.*s", (int)(strchr(reply_to, '@') - strchr(reply_to, '+') - 1),
			 strchr(reply_to, '+') + 1);
	free(reply_to);
	free(raw);
	clock_set(1531764600 + SIGNUP_CONFIRM_VALID + 3600);
	run(w, late, lou_tag, "Re: confirm", "ok", "confirm", "", reason, sizeof(reason));
	ok(strstr(reason, "expired") != NULL, "expired token: %s", reason);
	is_int(store_participant_get(w->st, w->ses.id, "lou@late.example.org", &p), 1, "expired token: no participant");
	is_int(outbox_count(w->st, "signup-confirm", "lou@late.example.org"), 2, "expired token: a fresh confirmation");
	run(w, late, lou_tag, "Re: confirm", "ok!", "confirm", "", reason, sizeof(reason));
	is_int(outbox_count(w->st, "signup-confirm", "lou@late.example.org"), 2,
	       "expired again the same day: no more mail (%s)", reason);
	clock_set(1531764600);

	/* help: a stranger gets one answer a day */
	const char *stranger = "Sam Stranger <sam@elsewhere.example.com>";
	run(w, stranger, "help", "help", "", "help", "", reason, sizeof(reason));
	run(w, stranger, NULL, "help", "", "help", "", reason, sizeof(reason));
	run(w, stranger, NULL, "mode each", "", "mode", " each", reason, sizeof(reason));
	is_int(outbox_count(w->st, NULL, "sam@elsewhere.example.com"), 1,
	       "a stranger gets one automatic answer a day (%s)", reason);
	clock_set(1531764600 + 86400);
	run(w, stranger, NULL, "help", "", "help", "", reason, sizeof(reason));
	is_int(outbox_count(w->st, NULL, "sam@elsewhere.example.com"), 2, "and one the next day");

	/* a participant: help, modes, leave, each answered */
	run(w, priya, NULL, "help", "", "help", "", reason, sizeof(reason));
	run(w, priya, NULL, "help", "", "help", "", reason, sizeof(reason));
	is_int(outbox_count(w->st, "help", "priya.nair@eastview.example.org"), 2, "a participant's help is answered each time");
	run(w, priya, NULL, "mode each", "", "mode", " each", reason, sizeof(reason));
	if (store_participant_get(w->st, w->ses.id, "priya.nair@eastview.example.org", &p) == 0) {
		is_str(p.mode, "each", "mode each: %s", reason);
		st_participant_free(&p);
	}
	raw = last_raw(w->st);
	char *subj = raw ? header_value(raw, "Subject") : NULL;
	ok(subj && strstr(subj, "each comment") != NULL, "mode each: answered (%s)", subj ? subj : "none");
	free(subj);
	free(raw);
	run(w, priya, "nomail", "nomail", "", "nomail", "", reason, sizeof(reason));
	if (store_participant_get(w->st, w->ses.id, "priya.nair@eastview.example.org", &p) == 0) {
		is_str(p.mode, "none", "nomail: %s", reason);
		st_participant_free(&p);
	}
	run(w, priya, NULL, "mode sometimes", "", "mode", " sometimes", reason, sizeof(reason));
	ok(strstr(reason, "takes each, digest or nomail") != NULL, "an unknown mode: %s", reason);
	run(w, priya, "leave", "unsubscribe", "", "leave", "", reason, sizeof(reason));
	if (store_participant_get(w->st, w->ses.id, "priya.nair@eastview.example.org", &p) == 0) {
		is_str(p.status, "left", "leave: %s", reason);
		st_participant_free(&p);
	}
	raw = last_raw(w->st);
	subj = raw ? header_value(raw, "Subject") : NULL;
	ok(subj && strstr(subj, "You have left") != NULL, "leave: answered (%s)", subj ? subj : "none");
	free(subj);
	free(raw);
	clock_set(0);
}

static void test_decisions(struct world *w)
{
	const char *err = NULL;
	struct st_participant p = { 0 };
	p.session_id = w->ses.id;
	p.email = "pat@pending.example.org";
	p.name = "Pat Pending";
	p.years = 5;
	p.status = "pending";
	store_participant_add(w->st, &p, NULL);
	p.email = "rex@pending.example.org";
	store_participant_add(w->st, &p, NULL);
	is_int(signup_approve(w->st, w->mo, &w->ses, "pat@pending.example.org", &err), 0, "approve a pending sign-up");
	is_int(outbox_count(w->st, "welcome", "pat@pending.example.org"), 1, "approve: a welcome");
	is_int(signup_approve(w->st, w->mo, &w->ses, "pat@pending.example.org", &err), 1, "approve again: %s", err);
	is_int(signup_approve(w->st, w->mo, &w->ses, "nobody@example.org", &err), 1, "approve a stranger: %s", err);
	is_int(signup_reject(w->st, w->mo, &w->ses, "rex@pending.example.org", "We need district leaders this time.",
			     &err), 0, "reject a pending sign-up");
	char *raw = last_raw(w->st);
	ok(raw && strstr(raw, "We need district leaders this time.") != NULL, "reject: the reason is in the mail");
	ok(raw && strstr(raw, "Auto-Submitted") == NULL, "reject: an organizer's mail is not Auto-Submitted");
	free(raw);
	struct st_participant q;
	if (store_participant_get(w->st, w->ses.id, "rex@pending.example.org", &q) == 0) {
		is_str(q.status, "declined", "reject: declined");
		st_participant_free(&q);
	}
	is_int(signup_reject(w->st, w->mo, &w->ses, "rex@pending.example.org", NULL, &err), 1, "reject again: %s", err);
}

static void test_invite(struct world *w)
{
	static const char csv[] =
		"name,email,organization\n"
		"Ana Ruiz,ana.ruiz@district9.example.org,District 9\n"
		"Pat Pending,PAT@pending.example.org,x\n"
		"Nora New,nora@new.example.org,\n"
		"Nora Again,NORA@new.example.org,\n"
		",not-an-address,\n";
	struct invite_result r;
	const char *err = NULL;
	store_begin(w->st);
	is_int(invite_csv(w->st, w->mo, &w->ses, csv, sizeof(csv) - 1, "c.csv", NULL, NULL, &r, &err), 0, "invite");
	store_commit(w->st);
	is_int(r.contacts, 5, "invite: five rows");
	is_int(r.queued, 2, "invite: two invitations (Ana and Nora)");
	is_int(r.participants, 1, "invite: Pat is a participant (any case)");
	is_int(r.already_invited, 1, "invite: Nora listed twice is invited once");
	is_int(r.bad, 1, "invite: one bad row");
	ok(strstr(buf_cstr(&r.errors), "c.csv:6: 'not-an-address'") != NULL, "invite: the bad row named: %s",
	   buf_cstr(&r.errors));
	invite_result_free(&r);
	char *raw = last_raw(w->st);
	char *rt = raw ? header_value(raw, "Reply-To") : NULL;
	is_str(rt, "tag-prof-learning+join@tags.example.org", "invite: a reply joins");
	ok(raw && strstr(raw, "Precedence: list") && strstr(raw, "List-Unsubscribe:") && strstr(raw, "12:00-13:00 EDT"),
	   "invite: list headers and the launch call's time");
	free(rt);
	free(raw);
	store_begin(w->st);
	invite_csv(w->st, w->mo, &w->ses, csv, sizeof(csv) - 1, "c.csv", NULL, NULL, &r, &err);
	store_commit(w->st);
	is_int(r.queued, 0, "invite again: nothing new");
	invite_result_free(&r);

	/* a hostile name: line breaks become blanks, a long one is cut */
	struct buf h = BUF_INIT;
	buf_puts(&h, "email,name\nivy@new.example.org,\"Ivy\r\nBcc: victim@x.example\"\nlong@new.example.org,");
	for (int i = 0; i < 5000; i++)
		buf_putc(&h, 'L');
	buf_putc(&h, '\n');
	store_begin(w->st);
	is_int(invite_csv(w->st, w->mo, &w->ses, h.data, h.len, "h.csv", NULL, NULL, &r, &err), 0, "invite hostile names");
	store_commit(w->st);
	is_int(r.queued, 2, "invite hostile names: both invited");
	invite_result_free(&r);
	buf_free(&h);
	raw = last_raw(w->st);
	char *to = raw ? header_value(raw, "To") : NULL;
	ok(to && strlen(to) < 400 && strstr(to, "LLLL") != NULL, "a 5,000-character name is cut (To: %.40s...)",
	   to ? to : "");
	free(to);
	free(raw);
	struct st_outbox *list;
	int n;
	int bcc = 0;
	if (store_outbox_list(w->st, 0, NULL, &list, &n) == 0) {
		for (int i = 0; i < n; i++) {
			struct st_outbox o;
			if (strcmp(list[i].recipient, "ivy@new.example.org") == 0 && store_outbox_get(w->st, list[i].id, &o) == 0) {
				bcc = strstr(o.raw, "\nBcc:") != NULL || strstr(o.raw, "\rBcc:") != NULL;
				char *t = header_value(o.raw, "To");
				ok(t && strstr(t, "Ivy") != NULL, "the name with a line break keeps its text: %s", t ? t : "");
				free(t);
				st_outbox_free(&o);
			}
		}
		st_outbox_list_free(&list, n);
	}
	ok(!bcc, "no header injected through a name");
}

/* ---- HTTP ---- */

static void echo(void *arg, const struct http_request *rq, struct http_response *resp)
{
	(void)arg;
	resp->status = 200;
	buf_printf(&resp->body, "%s %s body=%zu:%s", rq->method, rq->path, rq->body_len, rq->body);
}

struct unsub_arg {
	struct store *st;
};

static void web(void *arg, const struct http_request *rq, struct http_response *resp)
{
	struct unsub_arg *u = arg;
	signup_web(u->st, rq, resp);
}

static int connect_to(const char *address)
{
	const char *colon = strrchr(address, ':');
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	int port = 0;
	str_to_int(colon + 1, 1, 65535, &port);
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* exchange - send req, serve, read the answer until the server closes (bounded) */
static char *exchange_fd(struct http_server *s, int fd, const char *req, size_t len, int max_rounds)
{
	struct buf b = BUF_INIT;
	if (len && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		diag("send: %s", strerror(errno));
	for (int i = 0; i < max_rounds; i++) {
		http_server_run_once(s, 20);
		char chunk[4096];
		ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n > 0)
			buf_append(&b, chunk, (size_t)n);
		else if (n == 0)
			break;
	}
	close(fd);
	return buf_steal(&b, NULL);
}

static char *exchange(struct http_server *s, const char *req)
{
	int fd = connect_to(http_server_address(s));
	if (fd < 0)
		return xstrdup("");
	return exchange_fd(s, fd, req, strlen(req), 200);
}

static int status_of(const char *resp)
{
	int st = 0;
	if (sscanf(resp, "HTTP/1.1 %d", &st) != 1)
		return 0;
	return st;
}

static void test_http(void)
{
	const char *err;
	struct http_server *s = http_server_new("127.0.0.1:0", echo, NULL, &err);
	if (!ok(s != NULL, "HTTP server on 127.0.0.1:%s", s ? strrchr(http_server_address(s), ':') + 1 : err))
		return;
	char *r = exchange(s, "GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	is_int(status_of(r), 200, "GET: 200");
	ok(strstr(r, "GET /x body=0:") && strstr(r, "Connection: close") && strstr(r, "Content-Length: 14") &&
	   strstr(r, "Cache-Control: no-store"), "GET: path without query, standard headers");
	free(r);
	r = exchange(s, "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(status_of(r) == 200 && strstr(r, "Content-Length: 14") && strstr(r, "GET /x") == NULL,
	   "HEAD: reaches the handler as GET, no body sent");
	free(r);
	r = exchange(s, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 26\r\n\r\nList-Unsubscribe=One-Click");
	ok(strstr(r, "POST /p body=26:List-Unsubscribe=One-Click") != NULL, "POST: the body reaches the handler");
	free(r);
	r = exchange(s, "GET /x HTTP/1.1\r\n\r\n");
	is_int(status_of(r), 400, "HTTP/1.1 without Host: 400");
	free(r);
	r = exchange(s, "GET /x HTTP/1.0\r\n\r\n");
	is_int(status_of(r), 200, "HTTP/1.0 without Host: 200");
	free(r);
	r = exchange(s, "GET /x HTTP/2.0\r\nHost: a\r\n\r\n");
	is_int(status_of(r), 505, "HTTP/2.0: 505");
	free(r);
	r = exchange(s, "GET x HTTP/1.1\r\nHost: a\r\n\r\n");
	is_int(status_of(r), 400, "a target that is not a path: 400");
	free(r);
	r = exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n");
	is_int(status_of(r), 400, "a folded header: 400");
	free(r);
	r = exchange(s, "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	is_int(status_of(r), 501, "Transfer-Encoding: 501");
	free(r);
	r = exchange(s, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
	is_int(status_of(r), 400, "conflicting Content-Length: 400");
	free(r);
	r = exchange(s, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n");
	is_int(status_of(r), 413, "a body over the limit: 413");
	free(r);
	struct buf big = BUF_INIT;
	buf_puts(&big, "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ");
	for (int i = 0; i < HTTP_DEFAULT_MAX_HEAD; i++)
		buf_putc(&big, 'a');
	buf_puts(&big, "\r\n\r\n");
	r = exchange(s, buf_cstr(&big));
	is_int(status_of(r), 431, "a head over %d bytes: 431", HTTP_DEFAULT_MAX_HEAD);
	free(r);
	buf_reset(&big);
	buf_puts(&big, "GET /x HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_DEFAULT_MAX_HEADERS + 1; i++)
		buf_printf(&big, "X-H%d: v\r\n", i);
	buf_puts(&big, "\r\n");
	r = exchange(s, buf_cstr(&big));
	is_int(status_of(r), 431, "more than %d header fields: 431", HTTP_DEFAULT_MAX_HEADERS);
	free(r);
	buf_free(&big);

	/* a client that never finishes its request */
	struct http_limits lim = { 0 };
	lim.timeout_ms = 300;
	lim.max_conns = 2;
	http_server_set_limits(s, &lim);
	int fd = connect_to(http_server_address(s));
	r = exchange_fd(s, fd, "GET /slow HTTP/1.1\r\nHost:", 25, 100);
	is_int(status_of(r), 408, "a request not finished in time: 408");
	free(r);
	for (int i = 0; i < 100 && http_server_connections(s) > 0; i++)
		http_server_run_once(s, 20);
	/* connections over the limit */
	int a = connect_to(http_server_address(s)), b = connect_to(http_server_address(s));
	for (int i = 0; i < 5; i++)
		http_server_run_once(s, 20);
	is_int(http_server_connections(s), 2, "two connections open");
	int c = connect_to(http_server_address(s));
	r = exchange_fd(s, c, "", 0, 20);
	is_int(status_of(r), 503, "one connection too many: 503");
	free(r);
	close(a);
	close(b);
	for (int i = 0; i < 20 && http_server_connections(s) > 0; i++)
		http_server_run_once(s, 20);
	is_int(http_server_connections(s), 0, "closed connections are swept");
	http_server_free(&s);
	ok(s == NULL, "http_server_free sets NULL");

	char *v = http_form_value("a=1&List-Unsubscribe=One%2dClick&b", 34, "List-Unsubscribe");
	is_str(v, "One-Click", "form value, percent-decoded");
	free(v);
	v = http_form_value("x=a+b%20c", 9, "x");
	is_str(v, "a b c", "form value, + and %%20");
	free(v);
	ok(http_form_value("x=1", 3, "y") == NULL, "a missing key");
	err = "";
	s = http_server_new("127.0.0.1:99999", echo, NULL, &err);
	ok(s == NULL, "a bad port is refused: %s", err);
}

static void test_web(struct world *w)
{
	const char *err;
	struct unsub_arg u = { w->st };
	struct http_server *s = http_server_new("127.0.0.1:0", web, &u, &err);
	if (!ok(s != NULL, "unsubscribe endpoint"))
		return;
	struct st_participant p = { 0 };
	p.session_id = w->ses.id;
	p.email = "olga@oneclick.example.org";
	p.status = "active";
	int64_t id = 0;
	store_participant_add(w->st, &p, &id);
	char sid[32];
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	char *tok = token_make(w->st, "unsubscribe", sid);
	char *req = xasprintf("GET /tagd/unsubscribe/%s HTTP/1.1\r\nHost: tags.example.org\r\n\r\n", tok);
	char *r = exchange(s, req);
	free(req);
	ok(status_of(r) == 200 && strstr(r, "<form method=\"post\">") && strstr(r, "value=\"One-Click\"") &&
	   strstr(r, "Professional Learning &amp; Competency-Based Education"),
	   "GET: a page with a button (behind a path prefix)");
	free(r);
	struct st_participant q;
	store_participant_get(w->st, w->ses.id, "olga@oneclick.example.org", &q);
	is_str(q.status, "active", "GET changes nothing");
	st_participant_free(&q);
	req = xasprintf("POST /unsubscribe/%s HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
			"Content-Length: 9\r\n\r\nsomething", tok);
	r = exchange(s, req);
	free(req);
	is_int(status_of(r), 400, "POST without List-Unsubscribe=One-Click: 400");
	free(r);
	req = xasprintf("POST /unsubscribe/%s HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
			"Content-Length: 26\r\n\r\nList-Unsubscribe=One-Click", tok);
	r = exchange(s, req);
	ok(status_of(r) == 200 && strstr(r, "unsubscribed"), "POST List-Unsubscribe=One-Click: 200");
	free(r);
	store_participant_get(w->st, w->ses.id, "olga@oneclick.example.org", &q);
	is_str(q.status, "left", "POST: the participant has left");
	st_participant_free(&q);
	r = exchange(s, req);
	is_int(status_of(r), 200, "POST again: still 200");
	free(r);
	free(req);
	static const char mpbody[] =
		"--XX\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XX--\r\n";
	char *mp = xasprintf("POST /unsubscribe/%s HTTP/1.1\r\nHost: a\r\n"
			     "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: %zu\r\n\r\n%s",
			     tok, sizeof(mpbody) - 1, mpbody);
	r = exchange(s, mp);
	is_int(status_of(r), 200, "POST as multipart/form-data: 200");
	free(r);
	free(mp);
	char *bad = xstrdup(tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	req = xasprintf("GET /unsubscribe/%s HTTP/1.1\r\nHost: a\r\n\r\n", bad);
	r = exchange(s, req);
	is_int(status_of(r), 404, "a forged token: 404");
	free(r);
	free(req);
	free(bad);
	r = exchange(s, "DELETE /unsubscribe/1-0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(status_of(r) == 405 && strstr(r, "Allow: GET, HEAD, POST"), "DELETE: 405 with Allow");
	free(r);
	r = exchange(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	is_int(status_of(r), 404, "another path: 404");
	free(r);
	r = exchange(s, "GET /unsubscribe/<script> HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(status_of(r) == 404 && strstr(r, "<script>") == NULL, "a token with odd characters: 404, not echoed");
	free(r);
	free(tok);
	http_server_free(&s);
}

int main(void)
{
	test_years();
	test_form();
	if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
		return done_testing();
	struct world w;
	memset(&w, 0, sizeof(w));
	char *db = xasprintf("%s/t.db", dir);
	const char *err;
	if (!ok(store_open(db, &w.st, &err) == 0, "store")) {
		free(db);
		return done_testing();
	}
	struct buf e = BUF_INIT;
	tagd_config_load(&w.cfg, NULL, &e);
	buf_free(&e);
	free(w.cfg.template_dir);
	w.cfg.template_dir = xstrdup(TOP_SRCDIR "/templates");
	w.mo = mailout_new(w.st, &w.cfg);
	struct session_conf sc;
	struct buf errs = BUF_INIT;
	char *text;
	size_t len;
	str_read_file(TOP_SRCDIR "/tests/data/signup/signup.session", 1 << 20, &text, &len);
	is_int(session_conf_parse(&sc, text, "signup.session", &errs), 0, "session file %s", buf_cstr(&errs));
	struct st_session s;
	session_conf_to_store(&sc, text, &s);
	int64_t sid;
	store_session_put(w.st, &s, &sid);
	session_store_free(&s);
	session_conf_free(&sc);
	buf_free(&errs);
	free(text);
	store_session_get(w.st, "prof-learning", &w.ses);

	test_tokens(w.st);
	test_commands(&w);
	test_decisions(&w);
	test_invite(&w);
	test_http();
	test_web(&w);

	st_session_free(&w.ses);
	mailout_free(&w.mo);
	tagd_config_free(&w.cfg);
	store_close(&w.st);
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	free(db);
	return done_testing();
}
