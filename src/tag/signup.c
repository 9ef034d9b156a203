/* signup.c - sign-up by mail, commands, organizers' decisions, one-click unsubscribe */
#include "config.h"
#include "tag/signup.h"
#include "tag/callmail.h"
#include "tag/draftmail.h"
#include "tag/session.h"
#include "tag/token.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABEL 48            /* a form label longer than this is prose, not a label */
#define PARSER_TIMEOUT_MS 10000 /* re-reading the join request at confirmation */

/* ---- small helpers ---- */

static char *lower_dup(const char *s)
{
	char *c = xstrdup(s ? s : "");
	str_lower(c);
	return c;
}

static int status_is(const struct st_participant *p, const char *status)
{
	return p && p->status && strcmp(p->status, status) == 0;
}

/* today - the session's local date */
static void today(const struct st_session *ses, char out[16])
{
	clock_format(clock_now(), ses->timezone, "%Y-%m-%d", out, 16);
}

/* session_over - closed by state, or past its last day */
static int session_over(const struct st_session *ses)
{
	if (ses->state && (strcmp(ses->state, "closed") == 0 || strcmp(ses->state, "final") == 0))
		return 1;
	char d[16];
	today(ses, d);
	return ses->closes && strcmp(d, ses->closes) > 0;
}

/* session_open - the review week is under way: the schedule has opened it
   (which it does on the first day once a draft is imported) */
static int session_open(const struct st_session *ses)
{
	return ses->state && strcmp(ses->state, "open") == 0;
}

/* answer_allowed - may an automatic answer go to addr? Always to an active
   participant; to anyone else once a day. 1 yes, 0 no, -1 store error. */
static int answer_allowed(struct store *st, const struct st_session *ses, const char *addr,
			  const struct st_participant *p)
{
	if (status_is(p, "active"))
		return 1;
	char day[16];
	today(ses, day);
	int r = store_ack_once(st, addr, day);
	return r < 0 ? -1 : r == 0;
}

static void set_delivery(struct tval *v, const char *mode)
{
	struct tval *d = tval_set_map(v, "delivery");
	tval_set_bool(d, "each", mode && strcmp(mode, "each") == 0);
	tval_set_bool(d, "digest", mode == NULL || strcmp(mode, "digest") == 0);
	tval_set_bool(d, "none", mode && strcmp(mode, "none") == 0);
}

/* set_example - example_reply_to: LIST+p7, or the last paragraph of a shorter draft */
static void set_example(struct tval *v, struct store *st, const struct st_session *ses)
{
	int rev = 0, n = 7;
	if (store_revision_current(st, ses->id, &rev) == 0 && rev > 0) {
		struct st_block *b;
		int nb, numbered = 0;
		if (store_revision_blocks(st, ses->id, rev, &b, &nb) == 0) {
			for (int i = 0; i < nb; i++)
				if (b[i].number > 0)
					numbered++;
			st_block_list_free(&b, nb);
		}
		if (numbered > 0 && numbered < n)
			n = numbered;
	}
	char tag[16];
	snprintf(tag, sizeof(tag), "p%d", n);
	char *a = listaddr_make(ses->list_addr, tag);
	tval_set_str(v, "example_reply_to", a);
	free(a);
}

/* send - queue one mail of kind to addr; purpose KIND:SLUG:ADDR:WHAT */
struct send_args {
	const char *kind;
	const char *what;
	const char *to_addr, *to_name;
	int64_t participant_id;
	const struct tval *vars;
	const char *subject;
	const char *reply_to_tag;
	const char *in_reply_to;
	int automatic;
};

static int send_mail(struct mailout *mo, const struct st_session *ses, const struct send_args *a,
		     const char **error_r)
{
	char *addr = lower_dup(a->to_addr);
	char *purpose = xasprintf("%s:%s:%s:%s", a->kind, ses->slug, addr, a->what);
	struct mailout_msg m;
	memset(&m, 0, sizeof(m));
	m.ses = ses;
	m.kind = a->kind;
	m.purpose = purpose;
	m.to_addr = a->to_addr;
	m.to_name = a->to_name;
	m.participant_id = a->participant_id;
	m.vars = a->vars;
	m.subject = a->subject;
	m.reply_to_tag = a->reply_to_tag;
	m.in_reply_to = a->in_reply_to;
	m.automatic = a->automatic;
	int r = mailout_queue(mo, &m, NULL, error_r);
	free(purpose);
	free(addr);
	return r < 0 ? -1 : 0;
}

/* help_answer - the help template, with a subject of our own when it
   answers another command (leave, mode, a second join) */
static int help_answer(struct store *st, struct mailout *mo, const struct signup_request *rq,
		       const struct st_participant *p, const char *subject, const char *what)
{
	const struct st_session *ses = rq->ses;
	const char *name = p && p->name ? p->name : rq->msg->from.name;
	struct tval *v = mailout_vars(mo, ses, name, rq->msg->from.addr);
	tval_set_bool(v, "is_participant", status_is(p, "active"));
	set_delivery(v, p ? p->mode : NULL);
	set_example(v, st, ses);
	char w[64];
	snprintf(w, sizeof(w), "%s.m%lld", what, (long long)rq->message_row);
	struct send_args a = { 0 };
	a.kind = "help";
	a.what = w;
	a.to_addr = rq->msg->from.addr;
	a.to_name = name;
	a.participant_id = p ? p->id : 0;
	a.vars = v;
	a.subject = subject;
	a.in_reply_to = rq->msg->message_id;
	a.automatic = 1;
	const char *err;
	int r = send_mail(mo, ses, &a, &err);
	if (r < 0)
		log_error("help answer to %s not queued: %s", rq->msg->from.addr, err);
	tval_free(&v);
	return r;
}

/* ---- the short form ---- */

void signup_form_free(struct signup_form *f)
{
	free(f->name);
	free(f->organization);
	free(f->role);
	memset(f, 0, sizeof(*f));
	f->years = -1;
}

static const char *const num_units[] = { "zero", "one", "two", "three", "four", "five", "six", "seven",
					 "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
					 "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", NULL };
static const char *const num_tens[] = { "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
					"eighty", "ninety", NULL };

static int word_value(const char *w, size_t n, int *tens_r)
{
	*tens_r = 0;
	for (int i = 0; num_units[i]; i++)
		if (strlen(num_units[i]) == n && strncmp(w, num_units[i], n) == 0)
			return i;
	for (int i = 2; num_tens[i]; i++)
		if (strlen(num_tens[i]) == n && strncmp(w, num_tens[i], n) == 0) {
			*tens_r = 1;
			return i * 10;
		}
	if (n == 1 && w[0] == 'a')
		return -2; /* "a year", "a decade" */
	if ((n == 6 && strncmp(w, "couple", 6) == 0))
		return 2;
	return -1;
}

int signup_years_parse(const char *s)
{
	if (s == NULL)
		return -1;
	char *t = xstrndup(s, 200);
	str_lower(t);
	int result = -1;
	struct tm tm;
	time_t now = clock_now();
	gmtime_r(&now, &tm);
	int year = tm.tm_year + 1900;
	const char *d = t;
	while (*d && !isdigit((unsigned char)*d))
		d++;
	if (*d) {
		long n = 0;
		int digits = 0;
		while (isdigit((unsigned char)*d) && digits < 7) {
			n = n * 10 + (*d - '0');
			d++;
			digits++;
		}
		if (n >= 1900 && n <= year)
			n = year - n; /* "since 2012" */
		else if (strstr(t, "month"))
			n /= 12;
		else if (strstr(t, "decade"))
			n *= 10;
		result = n <= SIGNUP_MAX_YEARS ? (int)n : -1;
		goto out;
	}
	if (strstr(t, "less than") || strstr(t, "under a year") || strstr(t, "half a year") ||
	    strstr(t, "month") || strstr(t, "none") || strstr(t, "no experience") || strcmp(str_trim(t), "no") == 0 ||
	    strstr(t, "not yet") || strstr(t, "just starting") || strstr(t, "new to")) {
		result = 0;
		goto out;
	}
	/* number words: "four", "twenty-five", "twenty five", "a decade", "two decades" */
	for (const char *p = t; *p;) {
		while (*p && !isalpha((unsigned char)*p))
			p++;
		const char *w = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (p == w)
			break;
		int tens;
		int v = word_value(w, (size_t)(p - w), &tens);
		if (v == -1)
			continue;
		if (v == -2) {
			/* "a" counts only before year or decade */
			const char *q = p;
			while (*q == ' ')
				q++;
			if (str_starts(q, "year"))
				v = 1;
			else if (str_starts(q, "decade"))
				v = 1;
			else
				continue;
		}
		if (tens) {
			const char *q = p;
			while (*q == ' ' || *q == '-')
				q++;
			const char *u = q;
			while (isalpha((unsigned char)*q))
				q++;
			int t2, unit = word_value(u, (size_t)(q - u), &t2);
			if (unit > 0 && unit < 10 && !t2) {
				v += unit;
				p = q;
			}
		}
		const char *q = p;
		while (*q == ' ')
			q++;
		if (str_starts(q, "decade"))
			v *= 10;
		result = v <= SIGNUP_MAX_YEARS ? v : -1;
		break;
	}
out:
	free(t);
	return result;
}

enum field { F_NONE, F_NAME, F_ORG, F_ROLE, F_YEARS };

static int label_in(const char *l, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(l, list[i]) == 0)
			return 1;
	return 0;
}

/* classify - which field a normalised label names */
static enum field classify(const char *l)
{
	static const char *const names[] = { "name", "full name", "your name", "first and last name",
					     "name and surname", "contact name", "participant name", NULL };
	static const char *const orgs[] = { "org", "company", "school", "district", "agency", "workplace",
					    "school/district", "district/school", "employer", "place of work",
					    "organization/school", "school/organization", NULL };
	static const char *const roles[] = { "role", "position", "title", "job title", "job", "your role",
					     "current role", "role/title", "title/role", "position/title",
					     "occupation", "current position", "job role", NULL };
	if (strstr(l, "experience") || str_starts(l, "years") || str_starts(l, "yrs") ||
	    strcmp(l, "number of years") == 0)
		return F_YEARS;
	if (strstr(l, "organi") || strstr(l, "affiliation") || strstr(l, "institution") || label_in(l, orgs))
		return F_ORG;
	if (label_in(l, roles))
		return F_ROLE;
	if (label_in(l, names))
		return F_NAME;
	return F_NONE;
}

/* clean_value - trimmed, markdown emphasis and controls removed, capped */
static char *clean_value(const char *v)
{
	char *c = xstrdup(v);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	char *t = c;
	while (*t == '*' || *t == '_' || *t == ' ')
		t++;
	size_t n = strlen(t);
	while (n > 0 && (t[n - 1] == '*' || t[n - 1] == '_' || t[n - 1] == ' '))
		t[--n] = '\0';
	if (n > SIGNUP_MAX_FIELD) {
		/* cut before the character that would straddle the limit */
		n = SIGNUP_MAX_FIELD;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--;
	}
	char *out = n ? xstrndup(t, n) : NULL;
	free(c);
	return out;
}

/* stop_line - a line after which the rest is someone else's text */
static int stop_line(const char *l)
{
	if (strcmp(l, "-- ") == 0 || strcmp(l, "--") == 0 || strcmp(l, "__") == 0)
		return 1;
	if (str_casestr(l, "original message") && str_starts(l, "--"))
		return 1;
	if (str_starts(l, "________________") || str_istarts(l, "begin forwarded message") ||
	    (str_starts(l, "----------") && str_casestr(l, "forwarded")))
		return 1;
	size_t n = strlen(l);
	if (str_istarts(l, "on ") && n > 6 && (str_ends(l, "wrote:") || str_ends(l, "writes:")))
		return 1;
	return 0;
}

int signup_form_parse(const char *text, struct signup_form *f)
{
	memset(f, 0, sizeof(*f));
	f->years = -1;
	int found = 0;
	if (text == NULL)
		return 0;
	char *copy = xstrdup(text);
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (stop_line(line))
			break;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '>')
			continue;
		/* list bullets: "* ", "- ", "• " */
		if ((*p == '*' || *p == '-') && p[1] == ' ')
			p += 2;
		else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xa2)
			p += 3;
		char *colon = strchr(p, ':');
		if (colon == NULL || colon - p > MAX_LABEL)
			continue;
		/* the label, lower case, without emphasis, blanks collapsed */
		char label[MAX_LABEL + 1];
		size_t k = 0;
		for (char *q = p; q < colon && k < MAX_LABEL; q++) {
			char ch = *q;
			if (ch == '*' || ch == '_')
				continue;
			if (ch == '\t')
				ch = ' ';
			if (ch == ' ' && (k == 0 || label[k - 1] == ' '))
				continue;
			label[k++] = (char)tolower((unsigned char)ch);
		}
		while (k > 0 && label[k - 1] == ' ')
			k--;
		label[k] = '\0';
		enum field fld = classify(label);
		if (fld == F_NONE)
			continue;
		char *value = clean_value(colon + 1);
		if (value == NULL)
			continue;
		switch (fld) {
		case F_NAME:
			if (f->name == NULL) {
				f->name = value;
				value = NULL;
				found++;
			}
			break;
		case F_ORG:
			if (f->organization == NULL) {
				f->organization = value;
				value = NULL;
				found++;
			}
			break;
		case F_ROLE:
			if (f->role == NULL) {
				f->role = value;
				value = NULL;
				found++;
			}
			break;
		case F_YEARS:
			if (f->years < 0) {
				f->years = signup_years_parse(value);
				if (f->years >= 0)
					found++;
			}
			break;
		case F_NONE:
			break;
		}
		free(value);
	}
	free(copy);
	return found;
}

/* ---- confirmation tokens ---- */

static char *confirm_kind(int64_t session_id, const char *addr)
{
	char *a = lower_dup(addr);
	char *k = xasprintf("confirm:%lld:%s", (long long)session_id, a);
	free(a);
	return k;
}

char *signup_token_make(struct store *st, int64_t session_id, const char *addr, int64_t message_row,
			time_t expires)
{
	char subject[48];
	snprintf(subject, sizeof(subject), "%lld.%lld", (long long)message_row, (long long)expires);
	char *kind = confirm_kind(session_id, addr);
	char *t = token_make(st, kind, subject);
	free(kind);
	return t;
}

enum signup_token_result signup_token_check(struct store *st, int64_t session_id, const char *addr,
					    const char *token, time_t now, int64_t *message_row_r,
					    time_t *expires_r)
{
	if (token == NULL || addr == NULL || strlen(token) > 100)
		return SIGNUP_TOKEN_BAD;
	char *kind = confirm_kind(session_id, addr);
	char *subject = NULL;
	int r = token_check(st, kind, token, &subject);
	free(kind);
	if (r < 0)
		return SIGNUP_TOKEN_BAD;
	enum signup_token_result res = SIGNUP_TOKEN_BAD;
	char *dot = strchr(subject, '.');
	int64_t row, exp;
	if (dot) {
		*dot = '\0';
		if (str_to_i64(subject, 1, INT64_MAX, &row) == 0 && str_to_i64(dot + 1, 0, INT64_MAX, &exp) == 0) {
			*message_row_r = row;
			*expires_r = (time_t)exp;
			res = now > (time_t)exp ? SIGNUP_TOKEN_EXPIRED : SIGNUP_TOKEN_OK;
		}
	}
	free(subject);
	return res;
}

/* ---- join and confirm ---- */

/* send_confirm - the "reply to confirm" mail for the join request in message row */
static int send_confirm(struct store *st, struct mailout *mo, const struct signup_request *rq, int64_t row,
			const char *name, const char *what, time_t *expires_r)
{
	const struct st_session *ses = rq->ses;
	const char *addr = rq->msg->from.addr;
	time_t expires = clock_now() + SIGNUP_CONFIRM_VALID;
	char *token = signup_token_make(st, ses->id, addr, row, expires);
	if (token == NULL)
		return -1;
	char *tag = xasprintf("confirm-%s", token);
	char *confirm_addr = listaddr_make(ses->list_addr, tag);
	char when[96];
	clock_format(expires, ses->timezone, "%A %-d %B %Y, %H:%M %Z", when, sizeof(when));
	struct tval *v = mailout_vars(mo, ses, name, addr);
	tval_set_str(v, "confirm_addr", confirm_addr);
	tval_set_str(v, "expires", when);
	struct send_args a = { 0 };
	a.kind = "signup-confirm";
	a.what = what;
	a.to_addr = addr;
	a.to_name = name;
	a.vars = v;
	a.reply_to_tag = tag;
	a.in_reply_to = rq->msg->message_id;
	a.automatic = 1;
	const char *err;
	int r = send_mail(mo, ses, &a, &err);
	if (r < 0)
		log_error("confirmation to %s not queued: %s", addr, err);
	tval_free(&v);
	free(confirm_addr);
	free(tag);
	free(token);
	*expires_r = expires;
	return r;
}

/* send_decline - the kind decline, with where newcomers can start */
static int send_decline(struct mailout *mo, const struct st_session *ses, const char *addr, const char *name,
			int64_t pid, const char *reason, const char *what, const char *in_reply_to, int automatic)
{
	struct tval *v = mailout_vars(mo, ses, name, addr);
	tval_set_str(v, "reason", reason);
	struct tval *res = tval_set_list(v, "resources");
	struct session_conf sc;
	if (session_conf_of(ses, &sc) == 0) {
		if (sc.newcomers_url && *sc.newcomers_url) {
			struct tval *r = tval_list_add_map(res);
			tval_set_str(r, "title", "Where to start");
			tval_set_str(r, "url", sc.newcomers_url);
			tval_set_str(r, "about", "chosen by the organizers for people who are new to the field");
		}
		session_conf_free(&sc);
	}
	struct send_args a = { 0 };
	a.kind = "decline";
	a.what = what;
	a.to_addr = addr;
	a.to_name = name;
	a.participant_id = pid;
	a.vars = v;
	a.in_reply_to = in_reply_to;
	a.automatic = automatic;
	const char *err;
	int r = send_mail(mo, ses, &a, &err);
	if (r < 0)
		log_error("decline to %s not queued: %s", addr, err);
	tval_free(&v);
	return r;
}

static int cmd_join(struct store *st, struct mailout *mo, const struct signup_request *rq, char *reason,
		    size_t rsize)
{
	const struct st_session *ses = rq->ses;
	const char *addr = rq->msg->from.addr;
	struct st_participant *p = rq->author;
	if (status_is(p, "active")) {
		char subj[300];
		snprintf(subj, sizeof(subj), "You are already taking part in the %s review", ses->title);
		snprintf(reason, rsize, "join from %s, already an active participant: told so", addr);
		return help_answer(st, mo, rq, p, subj, "join");
	}
	if (status_is(p, "pending")) {
		snprintf(reason, rsize, "join from %s, whose sign-up already waits for the organizers", addr);
		return 0;
	}
	int ok = answer_allowed(st, ses, addr, p);
	if (ok < 0)
		return -1;
	if (!ok) {
		snprintf(reason, rsize, "join from %s: answered once today already, no answer", addr);
		return 0;
	}
	struct signup_form f;
	signup_form_parse(rq->msg->text, &f);
	const char *name = f.name ? f.name : rq->msg->from.name;
	char what[48];
	snprintf(what, sizeof(what), "m%lld", (long long)rq->message_row);
	int r;
	if (session_over(ses)) {
		char closed[64], why[160];
		mailout_date(ses->closes, closed, sizeof(closed));
		snprintf(why, sizeof(why), "The review closed on %s.", closed);
		r = send_decline(mo, ses, addr, name, p ? p->id : 0, why, what, rq->msg->message_id, 1);
		snprintf(reason, rsize, "join from %s after the review closed: declined", addr);
	} else {
		time_t expires;
		r = send_confirm(st, mo, rq, rq->message_row, name, what, &expires);
		char when[32];
		clock_format(expires, "UTC", "%Y-%m-%d %H:%M", when, sizeof(when));
		snprintf(reason, rsize, "join request from %s (%s%syears %d): confirmation sent, valid until %s UTC",
			 addr, f.organization ? f.organization : "", f.organization ? ", " : "", f.years, when);
	}
	signup_form_free(&f);
	return r;
}

/* read_join - the form of the join request archived as message row; the
   message is parsed again in the isolated parser (it is untrusted mail) */
static int read_join(struct store *st, int64_t row, int64_t session_id, struct signup_form *f,
		     char **from_name_r)
{
	struct st_message m;
	*from_name_r = NULL;
	memset(f, 0, sizeof(*f));
	f->years = -1;
	int r = store_message_get(st, row, &m);
	if (r != 0)
		return r < 0 ? -1 : 1;
	if (m.session_id != session_id || m.class == NULL || strcmp(m.class, "command") != 0) {
		st_message_free(&m);
		return 1;
	}
	struct mail_limits lim;
	mail_limits_default(&lim);
	struct mail_parser *parser = mail_parser_new(&lim, PARSER_TIMEOUT_MS);
	struct mail_msg *msg = NULL;
	const char *err;
	if (mail_parser_parse(parser, m.raw, m.rawlen, &msg, &err) == 0) {
		signup_form_parse(msg->text, f);
		if (msg->from.name && *msg->from.name)
			*from_name_r = clean_value(msg->from.name);
		mail_msg_free(&msg);
	} else {
		log_warn("join request (message %lld) cannot be read again: %s", (long long)row, err);
	}
	mail_parser_free(&parser);
	st_message_free(&m);
	return 0;
}

static const char *default_mode(const struct st_session *ses)
{
	struct session_conf sc;
	const char *mode = "digest";
	if (session_conf_of(ses, &sc) == 0) {
		mode = sc.default_mode == MODE_EACH ? "each" : sc.default_mode == MODE_NONE ? "none" : "digest";
		session_conf_free(&sc);
	}
	return mode;
}

static int needs_approval(const struct st_session *ses)
{
	struct session_conf sc;
	int a = 0;
	if (session_conf_of(ses, &sc) == 0) {
		a = sc.approval;
		session_conf_free(&sc);
	}
	return a;
}

static int cmd_confirm(struct store *st, struct mailout *mo, const struct signup_request *rq, char *reason,
		       size_t rsize)
{
	const struct st_session *ses = rq->ses;
	const char *addr = rq->msg->from.addr;
	struct st_participant *p = rq->author;
	const char *token = rq->tag && str_starts(rq->tag, "confirm-") ? rq->tag + 8 : NULL;
	int64_t row = 0;
	time_t expires = 0;
	enum signup_token_result tr = signup_token_check(st, ses->id, addr, token, clock_now(), &row, &expires);
	if (tr == SIGNUP_TOKEN_BAD) {
		/* forged, damaged or someone else's: no answer to a possibly forged sender */
		snprintf(reason, rsize, "confirmation refused: the token is not valid for %s", addr);
		return 0;
	}
	if (status_is(p, "active") || status_is(p, "pending")) {
		snprintf(reason, rsize, "confirmation from %s, who is %s already: nothing to do", addr, p->status);
		return 0;
	}
	if (tr == SIGNUP_TOKEN_EXPIRED) {
		int ok = answer_allowed(st, ses, addr, p);
		if (ok < 0)
			return -1;
		if (!ok) {
			snprintf(reason, rsize, "expired confirmation from %s: answered once today already", addr);
			return 0;
		}
		char what[64];
		snprintf(what, sizeof(what), "m%lld.again.m%lld", (long long)row, (long long)rq->message_row);
		time_t exp2;
		snprintf(reason, rsize, "expired confirmation from %s: a new one sent", addr);
		return send_confirm(st, mo, rq, row, p && p->name ? p->name : rq->msg->from.name, what, &exp2);
	}
	struct signup_form f;
	char *from_name;
	int jr = read_join(st, row, ses->id, &f, &from_name);
	if (jr < 0)
		return -1;
	if (jr == 1) {
		snprintf(reason, rsize, "confirmation from %s: the join request (message %lld) is not in this session",
			 addr, (long long)row);
		signup_form_free(&f);
		return 0;
	}
	int min = ses->min_years;
	int approval = needs_approval(ses);
	const char *status;
	char why[300] = "";
	if (min > 0 && f.years >= 0 && f.years < min) {
		status = "declined";
		snprintf(why, sizeof(why), "This review asks for at least %d year%s of experience in the field, "
			 "and your request gave %d.", min, min == 1 ? "" : "s", f.years);
	} else if (min > 0 && f.years < 0) {
		status = "pending"; /* the rule cannot decide: the organizers do */
	} else {
		status = approval ? "pending" : "active";
	}
	struct st_participant np;
	memset(&np, 0, sizeof(np));
	np.session_id = ses->id;
	np.email = (char *)addr;
	char *reply_name = rq->msg->from.name ? clean_value(rq->msg->from.name) : NULL;
	np.name = f.name ? f.name : from_name ? from_name : reply_name;
	np.organization = f.organization;
	np.role = f.role;
	np.years = f.years;
	np.status = (char *)status;
	np.mode = (char *)default_mode(ses);
	int r;
	if (p) {
		/* someone who left, was declined or disabled signs up again */
		np.id = p->id;
		np.mode = p->mode;
		np.bounce_score = 0;
		if (np.name == NULL)
			np.name = p->name;
		if (np.organization == NULL)
			np.organization = p->organization;
		if (np.role == NULL)
			np.role = p->role;
		if (np.years < 0)
			np.years = p->years;
		r = store_participant_update(st, &np);
	} else {
		r = store_participant_add(st, &np, &np.id);
		if (r == 1)
			r = 0;
	}
	if (r < 0)
		goto out;
	char what[48];
	snprintf(what, sizeof(what), "m%lld", (long long)rq->message_row);
	if (strcmp(status, "active") == 0) {
		const char *err;
		r = signup_admit(st, mo, ses, &np, what, rq->msg->message_id, &err);
		if (r < 0)
			log_error("welcome for %s: %s", addr, err);
		snprintf(reason, rsize, "%s confirmed: active participant (years %d), welcome sent", addr, np.years);
	} else if (strcmp(status, "declined") == 0) {
		r = send_decline(mo, ses, addr, np.name, np.id, why, what, rq->msg->message_id, 1);
		snprintf(reason, rsize, "%s confirmed: declined (years %d, the session asks %d)", addr, np.years, min);
	} else {
		snprintf(reason, rsize, "%s confirmed: pending, for the organizers to approve (%s)", addr,
			 approval ? "the session asks for approval" : "years of experience not given");
	}
out:
	signup_form_free(&f);
	free(from_name);
	free(reply_name);
	return r < 0 ? -1 : 0;
}

/* ---- leave, help, modes ---- */

static int cmd_leave(struct store *st, struct mailout *mo, const struct signup_request *rq, char *reason,
		     size_t rsize)
{
	const struct st_session *ses = rq->ses;
	const char *addr = rq->msg->from.addr;
	struct st_participant *p = rq->author;
	int was_active = status_is(p, "active");
	char subj[300];
	if (p && (was_active || status_is(p, "pending") || status_is(p, "disabled"))) {
		int ok = was_active ? 1 : answer_allowed(st, ses, addr, p);
		if (ok < 0)
			return -1;
		free(p->status);
		p->status = xstrdup("left");
		if (store_participant_update(st, p) < 0)
			return -1;
		log_info("%s left the session by mail", addr);
		snprintf(reason, rsize, "%s left the session", addr);
		if (!ok)
			return 0;
		snprintf(subj, sizeof(subj), "You have left the %s review", ses->title);
		return help_answer(st, mo, rq, p, subj, "leave");
	}
	int ok = answer_allowed(st, ses, addr, p);
	if (ok < 0)
		return -1;
	snprintf(reason, rsize, "leave from %s, who is not taking part%s", addr, ok ? ": told so" : "");
	if (!ok)
		return 0;
	snprintf(subj, sizeof(subj), "You are not taking part in the %s review", ses->title);
	return help_answer(st, mo, rq, p, subj, "leave");
}

static const char *mode_of(const struct signup_request *rq)
{
	const char *w = rq->word;
	if (strcmp(w, "each") == 0 || strcmp(w, "digest") == 0)
		return w;
	if (strcmp(w, "nomail") == 0)
		return "none";
	char m[32];
	snprintf(m, sizeof(m), "%s", rq->arg ? rq->arg : "");
	char *t = str_trim(m);
	str_lower(t);
	if (strcmp(t, "each") == 0 || strcmp(t, "digest") == 0)
		return strcmp(t, "each") == 0 ? "each" : "digest";
	if (strcmp(t, "nomail") == 0 || strcmp(t, "none") == 0 || strcmp(t, "no mail") == 0)
		return "none";
	return NULL;
}

static int cmd_mode(struct store *st, struct mailout *mo, const struct signup_request *rq, char *reason,
		    size_t rsize)
{
	const struct st_session *ses = rq->ses;
	const char *addr = rq->msg->from.addr;
	struct st_participant *p = rq->author;
	const char *mode = mode_of(rq);
	int taking_part = status_is(p, "active") || status_is(p, "pending");
	if (mode == NULL || !taking_part) {
		int ok = answer_allowed(st, ses, addr, p);
		if (ok < 0)
			return -1;
		if (mode == NULL)
			snprintf(reason, rsize, "mode from %s: takes each, digest or nomail%s", addr, ok ? "; help sent" : "");
		else
			snprintf(reason, rsize, "mode change from %s, who is not taking part%s", addr, ok ? "; help sent" : "");
		return ok ? help_answer(st, mo, rq, p, NULL, "mode") : 0;
	}
	free(p->mode);
	p->mode = xstrdup(mode);
	if (store_participant_update(st, p) < 0)
		return -1;
	snprintf(reason, rsize, "delivery mode of %s is now %s", addr, strcmp(mode, "none") == 0 ? "nomail" : mode);
	int ok = answer_allowed(st, ses, addr, p);
	if (ok <= 0)
		return ok;
	char subj[300];
	snprintf(subj, sizeof(subj), "Your %s mail: %s", ses->title,
		 strcmp(mode, "each") == 0 ? "each comment as it is posted" :
		 strcmp(mode, "digest") == 0 ? "one digest a day" : "no comment mail");
	return help_answer(st, mo, rq, p, subj, "mode");
}

static int cmd_help(struct store *st, struct mailout *mo, const struct signup_request *rq, char *reason,
		    size_t rsize)
{
	const char *addr = rq->msg->from.addr;
	int ok = answer_allowed(st, rq->ses, addr, rq->author);
	if (ok < 0)
		return -1;
	snprintf(reason, rsize, "help for %s%s", addr, ok ? ": sent" : ": answered once today already, no answer");
	return ok ? help_answer(st, mo, rq, rq->author, NULL, "help") : 0;
}

int signup_command(struct store *st, struct mailout *mo, const struct signup_request *rq,
		   char *reason, size_t reasonsize)
{
	const char *word = rq->word;
	const char *addr = rq->msg ? rq->msg->from.addr : NULL;
	if (addr == NULL || !addr_valid(addr)) {
		snprintf(reason, reasonsize, "%s without a usable From address: no answer", word);
		return 0;
	}
	if (strcmp(word, "join") == 0)
		return cmd_join(st, mo, rq, reason, reasonsize);
	if (strcmp(word, "confirm") == 0)
		return cmd_confirm(st, mo, rq, reason, reasonsize);
	if (strcmp(word, "leave") == 0)
		return cmd_leave(st, mo, rq, reason, reasonsize);
	if (strcmp(word, "help") == 0)
		return cmd_help(st, mo, rq, reason, reasonsize);
	if (strcmp(word, "mode") == 0 || strcmp(word, "each") == 0 || strcmp(word, "digest") == 0 ||
	    strcmp(word, "nomail") == 0)
		return cmd_mode(st, mo, rq, reason, reasonsize);
	/* a command word this module does not know: the list of commands */
	return cmd_help(st, mo, rq, reason, reasonsize);
}

/* ---- decisions ---- */

int signup_admit(struct store *st, struct mailout *mo, const struct st_session *ses,
		 const struct st_participant *p, const char *occasion, const char *in_reply_to,
		 const char **error_r)
{
	int open = session_open(ses);
	if (open) {
		/* the draft first: the welcome says it came just before */
		int queued = 0;
		if (draftmail_send(st, mo, ses, &queued, error_r) < 0)
			return -1;
	}
	struct tval *v = mailout_vars(mo, ses, p->name, p->email);
	set_delivery(v, p->mode);
	tval_set_bool(v, "session_open", open);
	set_example(v, st, ses);
	struct send_args a = { 0 };
	a.kind = "welcome";
	a.what = occasion;
	a.to_addr = p->email;
	a.to_name = p->name;
	a.participant_id = p->id;
	a.vars = v;
	a.in_reply_to = in_reply_to;
	a.automatic = in_reply_to != NULL;
	int r = send_mail(mo, ses, &a, error_r);
	tval_free(&v);
	if (r < 0)
		return -1;
	/* then the launch call's invitation, unless no call is planned or it is over */
	int c = callmail_invite_one(mo, st, ses, p, error_r);
	if (c < 0)
		return -1;
	log_info("%s is an active participant: welcome%s queued", p->email, c == 0 ? " and call invitation" : "");
	return 0;
}

static int decision_target(struct store *st, const struct st_session *ses, const char *email,
			   struct st_participant *p, const char **error_r)
{
	int r = store_participant_get(st, ses->id, email, p);
	if (r < 0) {
		*error_r = store_error(st);
		return -1;
	}
	if (r == 1) {
		*error_r = "no sign-up from that address";
		return 1;
	}
	return 0;
}

int signup_approve(struct store *st, struct mailout *mo, const struct st_session *ses, const char *email,
		   const char **error_r)
{
	struct st_participant p;
	int r = decision_target(st, ses, email, &p, error_r);
	if (r != 0)
		return r;
	if (!status_is(&p, "pending") && !status_is(&p, "declined")) {
		*error_r = status_is(&p, "active") ? "already an active participant" :
			   "not waiting for approval (they left or were disabled; they can join again by mail)";
		st_participant_free(&p);
		return 1;
	}
	free(p.status);
	p.status = xstrdup("active");
	r = store_participant_update(st, &p);
	if (r == 0) {
		char occasion[48];
		snprintf(occasion, sizeof(occasion), "approved.%lld", (long long)clock_now());
		r = signup_admit(st, mo, ses, &p, occasion, NULL, error_r);
	} else {
		*error_r = store_error(st);
	}
	st_participant_free(&p);
	return r < 0 ? -1 : 0;
}

int signup_reject(struct store *st, struct mailout *mo, const struct st_session *ses, const char *email,
		  const char *reason, const char **error_r)
{
	struct st_participant p;
	int r = decision_target(st, ses, email, &p, error_r);
	if (r != 0)
		return r;
	if (!status_is(&p, "pending")) {
		*error_r = status_is(&p, "declined") ? "declined already" : "not waiting for approval";
		st_participant_free(&p);
		return 1;
	}
	free(p.status);
	p.status = xstrdup("declined");
	r = store_participant_update(st, &p);
	if (r == 0) {
		char what[48];
		snprintf(what, sizeof(what), "rejected.%lld", (long long)clock_now());
		r = send_decline(mo, ses, p.email, p.name, p.id,
				 reason && *reason ? reason :
				 "The organizers have looked at every request and could not add everyone this time.",
				 what, NULL, 0);
		if (r < 0)
			*error_r = "the decline mail could not be queued (see the log)";
	} else {
		*error_r = store_error(st);
	}
	st_participant_free(&p);
	return r < 0 ? -1 : 0;
}

/* ---- one-click unsubscribe ---- */

enum signup_unsub signup_unsubscribe(struct store *st, const char *token, int act, char *title,
				     size_t titlesize)
{
	if (titlesize)
		title[0] = '\0';
	char *subject = NULL;
	if (token == NULL || token_check(st, "unsubscribe", token, &subject) < 0)
		return SIGNUP_UNSUB_BAD;
	int64_t pid;
	int bad = str_to_i64(subject, 1, INT64_MAX, &pid) < 0;
	free(subject);
	if (bad)
		return SIGNUP_UNSUB_BAD;
	struct st_participant p;
	int r = store_participant_get_id(st, pid, &p);
	if (r < 0)
		return SIGNUP_UNSUB_ERROR;
	if (r == 1)
		return SIGNUP_UNSUB_ALREADY; /* removed by the organizers */
	struct st_session s;
	if (store_session_get_id(st, p.session_id, &s) == 0) {
		snprintf(title, titlesize, "%s", s.title);
		st_session_free(&s);
	}
	enum signup_unsub res;
	if (status_is(&p, "left") || status_is(&p, "declined")) {
		res = SIGNUP_UNSUB_ALREADY;
	} else if (!act) {
		res = SIGNUP_UNSUB_ACTIVE;
	} else {
		free(p.status);
		p.status = xstrdup("left");
		if (store_begin(st) < 0) {
			res = SIGNUP_UNSUB_ERROR;
		} else if (store_participant_update(st, &p) < 0 || store_commit(st) < 0) {
			store_rollback(st);
			res = SIGNUP_UNSUB_ERROR;
		} else {
			log_info("%s left session %s by one-click unsubscribe", p.email, title);
			res = SIGNUP_UNSUB_LEFT;
		}
	}
	st_participant_free(&p);
	return res;
}

/* page - a small self-contained HTML page; form adds the one-click button */
static void page(struct http_response *resp, int status, const char *heading, const char *text,
		 const char *title, int form)
{
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	struct buf *b = &resp->body;
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"robots\" content=\"noindex\">\n<title>");
	http_html_escape(b, heading);
	buf_puts(b, "</title>\n</head>\n<body style=\"font-family:Georgia,serif;max-width:36em;margin:3em auto;"
		    "padding:0 1em;line-height:1.5;color:#1f2328;\">\n<h1 style=\"font-size:1.4em;\">");
	http_html_escape(b, heading);
	buf_puts(b, "</h1>\n");
	if (title && *title) {
		buf_puts(b, "<p><strong>");
		http_html_escape(b, title);
		buf_puts(b, "</strong></p>\n");
	}
	buf_puts(b, "<p>");
	http_html_escape(b, text);
	buf_puts(b, "</p>\n");
	if (form)
		buf_puts(b, "<form method=\"post\">\n"
			    "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
			    "<button type=\"submit\" style=\"font-size:1em;padding:0.5em 1.2em;\">Unsubscribe</button>\n"
			    "</form>\n");
	buf_puts(b, "</body>\n</html>\n");
}

/* one_click_body - the POST carries List-Unsubscribe=One-Click (RFC 8058 3.2) */
static int one_click_body(const struct http_request *rq)
{
	const char *ct = http_header_get(rq, "Content-Type");
	if (ct && str_istarts(ct, "multipart/form-data")) {
		const char *n = str_casestr(rq->body, "name=\"List-Unsubscribe\"");
		if (n == NULL)
			return 0;
		const char *v = strstr(n, "\r\n\r\n");
		size_t skip = 4;
		if (v == NULL) {
			v = strstr(n, "\n\n");
			skip = 2;
		}
		return v && str_starts(v + skip, "One-Click");
	}
	char *v = http_form_value(rq->body, rq->body_len, "List-Unsubscribe");
	int ok = v && strcmp(v, "One-Click") == 0;
	free(v);
	return ok;
}

void signup_web(struct store *st, const struct http_request *rq, struct http_response *resp)
{
	static const char marker[] = "/unsubscribe/";
	const char *path = rq->path, *tok = NULL;
	for (const char *p = path; (p = strstr(p, marker)) != NULL; p++)
		tok = p + sizeof(marker) - 1;
	int good = tok && *tok && strlen(tok) <= 128;
	for (const char *c = tok; good && *c; c++)
		good = isalnum((unsigned char)*c) || *c == '-' || *c == '.';
	if (!good) {
		page(resp, 404, "Not found", "There is nothing here.", NULL, 0);
		return;
	}
	int post = strcmp(rq->method, "POST") == 0;
	if (!post && strcmp(rq->method, "GET") != 0) {
		resp->allow = "GET, HEAD, POST";
		page(resp, 405, "Method not allowed", "This address takes GET and POST only.", NULL, 0);
		return;
	}
	if (post && !one_click_body(rq)) {
		page(resp, 400, "Unsubscribe",
		     "This address unsubscribes with a POST of List-Unsubscribe=One-Click. "
		     "Open it in a browser to get a button.", NULL, 0);
		return;
	}
	char title[256];
	enum signup_unsub r = signup_unsubscribe(st, tok, post, title, sizeof(title));
	switch (r) {
	case SIGNUP_UNSUB_BAD:
		page(resp, 404, "Link not valid",
		     "This unsubscribe link is not valid. To leave a review, reply to any of its messages "
		     "with the word unsubscribe.", NULL, 0);
		break;
	case SIGNUP_UNSUB_ERROR:
		page(resp, 500, "Please try again", "Something went wrong on our side. Please try again later.",
		     NULL, 0);
		break;
	case SIGNUP_UNSUB_ACTIVE:
		page(resp, 200, "Unsubscribe",
		     "Stop receiving mail from this review? Your comments so far stay with the review.", title, 1);
		break;
	case SIGNUP_UNSUB_LEFT:
		page(resp, 200, "Unsubscribed",
		     "You have been unsubscribed and will receive no more mail from this review. "
		     "To come back, write to the list address with the word join.", title, 0);
		break;
	case SIGNUP_UNSUB_ALREADY:
		page(resp, 200, "Unsubscribed", "You are not receiving mail from this review.", title, 0);
		break;
	}
}
