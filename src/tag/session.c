/* session.c - session files */
#include "config.h"
#include "tag/session.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(f) offsetof(struct session_conf, f)
#define SI(f) CFG_I64_FIELD(struct session_conf, f) /* CFG_INT, CFG_SIZE, CFG_SECONDS */

static int check_slug(const char *v, const char **error_r)
{
	size_t n = strlen(v);
	if (n == 0 || n > 64) {
		*error_r = "a slug is 1 to 64 characters";
		return -1;
	}
	for (const char *c = v; *c; c++) {
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-')) {
			*error_r = "a slug uses only a-z, 0-9 and -";
			return -1;
		}
	}
	return 0;
}

int addr_valid(const char *addr)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0' || strlen(addr) > 254)
		return 0;
	for (const char *c = addr; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '<' || *c == '>' || *c == ',' ||
		    *c == '"' || *c == '\\' || *c == 0x7f)
			return 0;
	return strchr(at + 1, '.') != NULL && strchr(at + 1, '@') == NULL;
}

int parse_name_addr(const char *in, char **name_r, char **addr_r)
{
	const char *lt = strrchr(in, '<');
	*name_r = NULL;
	*addr_r = NULL;
	if (lt) {
		const char *gt = strchr(lt, '>');
		if (gt == NULL)
			return -1;
		char *addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		char *trimmed = str_trim(addr);
		if (!addr_valid(trimmed)) {
			free(addr);
			return -1;
		}
		*addr_r = xstrdup(trimmed);
		free(addr);
		char *name = xstrndup(in, (size_t)(lt - in));
		char *n = str_trim(name);
		size_t len = strlen(n);
		if (len >= 2 && n[0] == '"' && n[len - 1] == '"') {
			n[len - 1] = '\0';
			n++;
		}
		*name_r = *n ? xstrdup(n) : NULL;
		free(name);
		return 0;
	}
	char *copy = xstrdup(in);
	char *t = str_trim(copy);
	if (!addr_valid(t)) {
		free(copy);
		return -1;
	}
	*addr_r = xstrdup(t);
	free(copy);
	return 0;
}

static int check_addr(const char *v, const char **error_r)
{
	if (!addr_valid(v)) {
		*error_r = "not an email address (local@domain)";
		return -1;
	}
	return 0;
}

static int check_name_addr(const char *v, const char **error_r)
{
	char *n, *a;
	if (parse_name_addr(v, &n, &a) < 0) {
		*error_r = "expected Name <address> or an address";
		return -1;
	}
	free(n);
	free(a);
	return 0;
}

static int check_tz(const char *v, const char **error_r)
{
	if (!clock_valid_tz(v)) {
		*error_r = "unknown time zone (use an IANA name such as America/New_York)";
		return -1;
	}
	return 0;
}

static int check_real_date(const char *v, const char **error_r)
{
	time_t t;
	return clock_parse_local(v, "UTC", &t, error_r);
}

static int check_url(const char *v, const char **error_r)
{
	if (*v && !str_istarts(v, "https://") && !str_istarts(v, "http://")) {
		*error_r = "not an http(s) URL";
		return -1;
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c <= ' ') {
			*error_r = "a URL has no spaces or controls";
			return -1;
		}
	return 0;
}

const struct cfg_def session_conf_defs[] = {
	{ "session", "slug", CFG_STR, S(slug), NULL, 0, 0, NULL, "short name: a-z, 0-9, -", check_slug },
	{ "session", "title", CFG_STR, S(title), NULL, 0, 0, NULL, "the TAG's title", NULL },
	{ "session", "list", CFG_STR, S(list), NULL, 0, 0, NULL, "the list address", check_addr },
	{ "session", "organizer", CFG_LIST, S(organizer), NULL, 0, 0, NULL, "Name <address> (repeatable)", check_name_addr },
	{ "session", "timezone", CFG_STR, S(timezone), "America/New_York", 0, 0, NULL, "IANA time zone of the session", check_tz },
	{ "session", "opens", CFG_DATE, S(opens), NULL, 0, 0, NULL, "first day of the review window", check_real_date },
	{ "session", "closes", CFG_DATE, S(closes), NULL, 0, 0, NULL, "last day of the review window", check_real_date },
	{ "session", "digest_at", CFG_HHMM, S(digest_at), "17:00", 0, 0, NULL, "local time of the daily digest", NULL },
	{ "session", "min_years_experience", CFG_INT, SI(min_years), "0", 0, 80, NULL, "years of experience asked of participants", NULL },
	{ "session", "default_mode", CFG_ENUM, S(default_mode), "digest", 0, 0, "each|digest|nomail", "delivery mode of new participants", NULL },
	{ "session", "acknowledge", CFG_BOOL, S(ack), "yes", 0, 0, NULL, "tell participants where their comments landed", NULL },
	{ "session", "digest_max_comments", CFG_INT, SI(digest_max), "100", 10, 100000, NULL, "comments and replies shown in full in one digest; more are counted", NULL },
	{ "session", "digest_on_quiet_days", CFG_BOOL, S(quiet_digest), "no", 0, 0, NULL, "send a digest on a day with nothing new", NULL },
	{ "session", "approval", CFG_BOOL, S(approval), "no", 0, 0, NULL, "organizers approve each sign-up", NULL },
	{ "session", "templates", CFG_PATH, S(templates), "", 0, 0, NULL, "template overrides for this session", NULL },
	{ "session", "newcomers_url", CFG_STR, S(newcomers_url), "", 0, 0, NULL, "where people not yet eligible can start", check_url },
	{ "session", "about", CFG_STR, S(about), "", 0, 0, NULL, "a sentence on the topic, for invitations", NULL },
	{ "goals", "goal", CFG_LIST, S(goal), NULL, 0, 0, NULL, "a goal of the review (repeatable)", NULL },
	{ "call", "title", CFG_STR, S(call_title), "", 0, 0, NULL, "the launch call's title", NULL },
	{ "call", "start", CFG_DATETIME, S(call_start), "", 0, 0, NULL, "YYYY-MM-DD HH:MM in the session's time zone", NULL },
	{ "call", "duration", CFG_INT, SI(call_duration), "60", 5, 1440, NULL, "minutes", NULL },
	{ "call", "dial_in", CFG_STR, S(call_dial_in), "", 0, 0, NULL, "phone dial-in", NULL },
	{ "call", "url", CFG_STR, S(call_url), "", 0, 0, NULL, "video link", check_url },
	{ "call", "location", CFG_STR, S(call_location), "", 0, 0, NULL, "location text (default: the dial-in)", NULL },
	{ "call", "agenda", CFG_STR, S(call_agenda), "", 0, 0, NULL, "agenda text", NULL },
	{ "call", "alarm", CFG_INT, SI(call_alarm), "15", 0, 1440, NULL, "reminder alarm, minutes before", NULL },
	{ "call", "reminder_at", CFG_HHMM, S(call_reminder_at), "08:00", 0, 0, NULL, "local time of the reminder mail on the call's day", NULL },
	CFG_END
};

static void need(const struct session_conf *sc, const char *name, const char *v,
		 const char *file, struct buf *errors, int *n)
{
	if (v == NULL || *v == '\0') {
		buf_printf(errors, "%s: [session] %s: missing (required)\n", file, name);
		(*n)++;
	}
	(void)sc;
}

int session_conf_parse(struct session_conf *sc, const char *text, const char *name, struct buf *errors)
{
	memset(sc, 0, sizeof(*sc));
	cfg_defaults(session_conf_defs, sc);
	int ndefs = 0;
	while (session_conf_defs[ndefs].name)
		ndefs++;
	int *lines = xcalloc((size_t)ndefs, sizeof(int));
	int n = cfg_load_lines(session_conf_defs, sc, text, name, errors, lines);
	need(sc, "slug", sc->slug, name, errors, &n);
	need(sc, "title", sc->title, name, errors, &n);
	need(sc, "list", sc->list, name, errors, &n);
	need(sc, "opens", sc->opens, name, errors, &n);
	need(sc, "closes", sc->closes, name, errors, &n);
	if (sc->organizer.n == 0) {
		buf_printf(errors, "%s: [session] organizer: at least one is required\n", name);
		n++;
	}
	if (n == 0 && strcmp(sc->opens, sc->closes) > 0) {
		buf_printf(errors, "%s:%d: [session] closes: %s is before opens (%s)\n", name,
			   lines[cfg_def_index(session_conf_defs, "session", "closes")], sc->closes, sc->opens);
		n++;
	}
	if (n == 0 && sc->call_start && *sc->call_start) {
		time_t t;
		const char *err;
		int line = lines[cfg_def_index(session_conf_defs, "call", "start")];
		if (clock_parse_local(sc->call_start, sc->timezone, &t, &err) < 0) {
			buf_printf(errors, "%s:%d: [call] start: %s\n", name, line, err);
			n++;
		} else if (sc->call_title == NULL || *sc->call_title == '\0') {
			free(sc->call_title);
			sc->call_title = xasprintf("Launch call: %s", sc->title);
		}
	}
	free(lines);
	return n;
}

int session_conf_load(struct session_conf *sc, const char *path, struct buf *errors)
{
	char *text;
	size_t len;
	if (str_read_file(path, 1024 * 1024, &text, &len) < 0) {
		memset(sc, 0, sizeof(*sc));
		buf_printf(errors, "%s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	int n = session_conf_parse(sc, text, path, errors);
	free(text);
	return n;
}

int session_conf_of(const struct st_session *s, struct session_conf *sc)
{
	struct buf err = BUF_INIT;
	int n = session_conf_parse(sc, s->source ? s->source : "", s->slug, &err);
	buf_free(&err);
	if (n > 0) {
		session_conf_free(sc);
		return -1;
	}
	return 0;
}

void session_conf_free(struct session_conf *sc)
{
	cfg_free(session_conf_defs, sc);
}

void session_conf_to_store(const struct session_conf *sc, const char *source, struct st_session *s)
{
	memset(s, 0, sizeof(*s));
	s->slug = sc->slug;
	s->title = sc->title;
	s->list_addr = sc->list;
	s->timezone = sc->timezone;
	s->opens = sc->opens;
	s->closes = sc->closes;
	s->digest_at = sc->digest_at;
	s->min_years = (int)sc->min_years;
	s->source = (char *)source;
	s->organizers = xcalloc((size_t)sc->organizer.n + 1, sizeof(*s->organizers));
	for (int i = 0; i < sc->organizer.n; i++) {
		parse_name_addr(sc->organizer.v[i], &s->organizers[i].name, &s->organizers[i].email);
		s->norganizers++;
	}
	s->goals = sc->goal.v;
	s->ngoals = sc->goal.n;
}

void session_store_free(struct st_session *s)
{
	for (int i = 0; i < s->norganizers; i++) {
		free(s->organizers[i].name);
		free(s->organizers[i].email);
	}
	free(s->organizers);
	memset(s, 0, sizeof(*s));
}
