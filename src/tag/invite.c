/* invite.c - the TAG invitation to a list of contacts */
#include "config.h"
#include "tag/invite.h"
#include "tag/session.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_EMAIL, COL_NAME, NCOLS };

void invite_result_free(struct invite_result *r)
{
	buf_free(&r->errors);
	memset(r, 0, sizeof(*r));
}

void invite_call_when(struct store *st, const struct st_session *ses, char *title, size_t titlesize,
		      char *when, size_t whensize)
{
	title[0] = '\0';
	when[0] = '\0';
	struct session_conf sc;
	int have_sc = session_conf_of(ses, &sc) == 0;
	time_t start = 0;
	int duration = 60;
	const char *tz = ses->timezone;
	struct st_call c;
	int have_call = store_call_get(st, ses->id, &c) == 0;
	if (have_call && strcmp(c.status, "cancelled") != 0) {
		start = c.start;
		duration = c.duration;
		if (c.timezone && *c.timezone)
			tz = c.timezone;
	} else if (!have_call && have_sc && sc.call_start && *sc.call_start) {
		const char *e;
		if (clock_parse_local(sc.call_start, ses->timezone, &start, &e) < 0)
			start = 0;
		duration = (int)sc.call_duration;
	}
	if (start) {
		char day[64], from[16], to[32];
		clock_format(start, tz, "%A %-d %B %Y", day, sizeof(day));
		clock_format(start, tz, "%H:%M", from, sizeof(from));
		clock_format(start + (time_t)duration * 60, tz, "%H:%M %Z", to, sizeof(to));
		snprintf(when, whensize, "%s, %s-%s", day, from, to);
		snprintf(title, titlesize, "%s", have_sc && sc.call_title && *sc.call_title ? sc.call_title :
			 "Launch call");
	}
	if (have_call)
		st_call_free(&c);
	if (have_sc)
		session_conf_free(&sc);
}

/* count_rows - data rows in the file, for the progress figure */
static int count_rows(const char *csv, size_t len)
{
	struct csv_reader r;
	struct csv_record rec;
	const char *e;
	int n = 0, rc;
	csv_reader_init(&r, csv, len);
	while ((rc = csv_next(&r, &rec, &e)) != 0 && n <= INVITE_MAX_CONTACTS + 1)
		n++;
	csv_reader_free(&r);
	return n > 0 ? n - 1 : 0;
}

/* field_of - a column's value: controls made blanks, trimmed, at most
   INVITE_MAX_FIELD bytes (cut on a character boundary); NULL when empty */
static char *field_of(const struct csv_record *rec, int col)
{
	if (col < 0 || col >= rec->nfields)
		return NULL;
	char *f = xstrdup(rec->fields[col]);
	for (char *p = f; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	char *t = str_trim(f);
	size_t n = strlen(t);
	if (n > INVITE_MAX_FIELD) {
		n = INVITE_MAX_FIELD;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--;
	}
	char *out = n ? xstrndup(t, n) : NULL;
	free(f);
	return out;
}

int invite_csv(struct store *st, struct mailout *mo, const struct st_session *ses, const char *csv,
	       size_t len, const char *file, invite_progress_fn progress, void *arg,
	       struct invite_result *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	int total = count_rows(csv, len);
	if (total > INVITE_MAX_CONTACTS)
		total = INVITE_MAX_CONTACTS;
	struct session_conf sc;
	char about[1024] = "";
	if (session_conf_of(ses, &sc) == 0) {
		snprintf(about, sizeof(about), "%s", sc.about ? sc.about : "");
		session_conf_free(&sc);
	}
	char call_title[256], call_when[128];
	invite_call_when(st, ses, call_title, sizeof(call_title), call_when, sizeof(call_when));

	int col[NCOLS] = { -1, -1 };
	struct csv_reader rd;
	struct csv_record rec;
	const char *err;
	int rc, header = 1, ret = 0, done = 0;
	csv_reader_init(&rd, csv, len);
	while ((rc = csv_next(&rd, &rec, &err)) != 0) {
		if (rc < 0) {
			buf_printf(&r->errors, "%s:%d: %s\n", file, rec.line ? rec.line : rd.line, err);
			r->bad++;
			continue;
		}
		if (header) {
			header = 0;
			for (int f = 0; f < rec.nfields; f++) {
				char *h = xstrdup(rec.fields[f]);
				char *t = str_trim(h);
				str_lower(t);
				if (strcmp(t, "email") == 0 || strcmp(t, "e-mail") == 0 || strcmp(t, "address") == 0)
					col[COL_EMAIL] = f;
				else if (strcmp(t, "name") == 0)
					col[COL_NAME] = f;
				free(h);
			}
			if (col[COL_EMAIL] < 0) {
				buf_printf(&r->errors, "%s:%d: the header row has no 'email' column\n", file, rec.line);
				r->bad++;
				break;
			}
			continue;
		}
		if (r->contacts >= INVITE_MAX_CONTACTS) {
			buf_printf(&r->errors, "%s:%d: more than %d contacts: the rest is left out\n", file, rec.line,
				   INVITE_MAX_CONTACTS);
			r->bad++;
			break;
		}
		r->contacts++;
		char *email = field_of(&rec, col[COL_EMAIL]);
		char *name = field_of(&rec, col[COL_NAME]);
		if (email == NULL || !addr_valid(email)) {
			if (email)
				buf_printf(&r->errors, "%s:%d: '%s' is not an email address\n", file, rec.line, email);
			else
				buf_printf(&r->errors, "%s:%d: no email address\n", file, rec.line);
			r->bad++;
		} else {
			struct st_participant p;
			int pr = store_participant_get(st, ses->id, email, &p);
			if (pr == 0) {
				r->participants++;
				st_participant_free(&p);
			} else if (pr < 0) {
				*error_r = store_error(st);
				ret = -1;
			} else {
				struct tval *v = mailout_vars(mo, ses, name, email);
				tval_set_str(v, "about", about);
				tval_set_int(v, "min_years", ses->min_years);
				tval_set_bool(v, "one_year", ses->min_years == 1);
				struct tval *call = tval_set_map(v, "call");
				tval_set_str(call, "title", call_title);
				tval_set_str(call, "when", call_when);
				char *lower = xstrdup(email);
				str_lower(lower);
				char *purpose = xasprintf("invitation:%s:%s", ses->slug, lower);
				struct mailout_msg m;
				memset(&m, 0, sizeof(m));
				m.ses = ses;
				m.kind = "invitation";
				m.purpose = purpose;
				m.to_addr = email;
				m.to_name = name;
				m.vars = v;
				m.reply_to_tag = "join";
				m.list_mail = 1;
				int q = mailout_queue(mo, &m, NULL, error_r);
				if (q < 0)
					ret = -1;
				else if (q == 0)
					r->queued++;
				else
					r->already_invited++;
				free(purpose);
				free(lower);
				tval_free(&v);
			}
		}
		free(email);
		free(name);
		if (ret < 0)
			break;
		done++;
		if (progress)
			progress(arg, done, total);
	}
	csv_reader_free(&rd);
	if (ret == 0)
		log_debug(LOG_SUB_MAIN, "session %s: %d invitation%s queued, %d already invited, %d participants skipped, %d bad",
			 ses->slug, r->queued, r->queued == 1 ? "" : "s", r->already_invited, r->participants, r->bad);
	return ret;
}
