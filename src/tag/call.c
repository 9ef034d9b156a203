/* call - the launch call's iMIP objects out, REPLY/COUNTER in (see call.h) */
#include "config.h"
#include "tag/call.h"
#include "tag/tz.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_PRODID "-//tagd//tagd " PACKAGE_VERSION "//EN"
#define CALL_MAX_METHOD 32

static _Thread_local char errbuf[320];

static int is_utc_name(const char *tzid);

/* fail - set *error_r to a formatted message in the per-thread buffer */
__attribute__((format(printf, 2, 3)))
static int fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	*error_r = errbuf;
	return -1;
}

/* ---- setup ---- */

int call_init(const char **error_r)
{
	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	/* the one libical zone used (DTSTAMP, UTC times); libical's builtin
	   tzdata zones are not used at all (tz.h says why), so nothing is
	   lazy-loaded later */
	if (icaltimezone_get_utc_timezone() == NULL)
		return fail(error_r, "libical has no UTC zone");
	struct icaltimetype tt;
	if (!tz_name_ok("Etc/GMT+5") || tz_wall("Etc/GMT+5", 1531756800, &tt) < 0 || tt.hour != 11)
		return fail(error_r, "the system time zone data is missing or unreadable "
			    "(is the tzdata package installed?)");
	return 0;
}

void call_shutdown(void)
{
	tz_shutdown();
	icaltimezone_free_builtin_timezones();
	icalmemory_free_ring();
}

int call_zone_preload(const char *tzid, const char **error_r)
{
	if (!is_utc_name(tzid) && !tz_name_ok(tzid))
		return fail(error_r, "unknown time zone \"%.64s\"", tzid ? tzid : "");
	return 0;
}

/* ---- small helpers ---- */

char *call_uid(const char *slug, const char *list_address)
{
	const char *at = list_address ? strrchr(list_address, '@') : NULL;
	if (slug == NULL || *slug == '\0' || at == NULL || at[1] == '\0')
		return NULL;
	char *uid = xasprintf("%s.call@%s", slug, at + 1);
	str_lower(uid);
	return uid;
}

char *call_description(const char *dial_in, const char *url, const char *agenda)
{
	struct buf b = BUF_INIT;
	if (dial_in != NULL && *dial_in != '\0')
		buf_printf(&b, "Dial-in: %s\n", dial_in);
	if (url != NULL && *url != '\0')
		buf_printf(&b, "Join online: %s\n", url);
	if (agenda != NULL && *agenda != '\0')
		buf_printf(&b, "%sAgenda:\n%s\n", b.len > 0 ? "\n" : "", agenda);
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	return buf_steal(&b, NULL);
}

/* clean_text - a copy of s for an iCalendar TEXT or parameter value:
   CRLF and CR become LF, other control characters go. oneline (for CN)
   also turns LF and TAB into spaces and '"' into '\'' (parameter values
   cannot hold a double quote without RFC 6868, which not every client
   reads). -1 when s is longer than max or not UTF-8. */
static int clean_text(const char *s, size_t max, int oneline, char **out_r)
{
	size_t n = strlen(s);
	if (n > max || !utf8_is_valid(s, n))
		return -1;
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if (c == '\n' || c == '\t') {
			*o++ = oneline ? ' ' : (char)c;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		*o++ = oneline && c == '"' ? '\'' : (char)c;
	}
	*o = '\0';
	*out_r = out;
	return 0;
}

/* addr_ok - whether s can stand in a mailto: URI as an address */
static int addr_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strrchr(s, '@');
	if (n < 3 || n > CALL_MAX_ADDR || at == NULL || at == s || at[1] == '\0' ||
	    !utf8_is_valid(s, n))
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || strchr("<>\"(),;:\\[]", c) != NULL)
			return 0;
	}
	return 1;
}

/* token_ok - a printable token without spaces (UID, URL) */
static int token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* is_utc_name - tzid means plain UTC times */
static int is_utc_name(const char *tzid)
{
	return tzid == NULL || *tzid == '\0' || strcmp(tzid, "UTC") == 0 ||
	       strcmp(tzid, "Etc/UTC") == 0 || strcmp(tzid, "Z") == 0;
}

/* first_error - the first X-LIC-ERROR in c or below; NULL if none */
static const char *first_error(icalcomponent *c)
{
	icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
	if (p != NULL) {
		const char *e = icalproperty_get_xlicerror(p);
		return e != NULL ? e : "unknown error";
	}
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
		const char *e = first_error(s);
		if (e != NULL)
			return e;
	}
	return NULL;
}

/* date_fields_ok - libical takes month 13 and hour 25 (ICALENDAR.md §4.6) */
static int date_fields_ok(const struct icaltimetype *t)
{
	if (t->year < CALL_MIN_YEAR || t->year > CALL_MAX_YEAR || t->month < 1 || t->month > 12 ||
	    t->day < 1 || t->day > icaltime_days_in_month(t->month, t->year))
		return 0;
	if (t->is_date)
		return 1;
	return t->hour >= 0 && t->hour <= 23 && t->minute >= 0 && t->minute <= 59 &&
	       t->second >= 0 && t->second <= 60;
}

/* by_count - entries in one of libical's BY* arrays */
static int by_count(const short *a, int size)
{
	int n = 0;
	while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

/* vtimezone_sane - whether libical can expand an inbound VTIMEZONE in
   bounded time. XXX libical expands every observance from its DTSTART
   (1601 for Outlook) up to the year asked for, so an RRULE:FREQ=MINUTELY
   observance hangs the parser for minutes; real zones use one yearly
   occurrence per observance. */
static int vtimezone_sane(icalcomponent *vtz)
{
	int nobs = 0, nrdate = 0;
	for (icalcomponent *o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		if (++nobs > CALL_MAX_OBSERVANCES)
			return 0;
		struct icaltimetype st = icalcomponent_get_dtstart(o);
		if (!icaltime_is_null_time(st) && st.year < 1583)
			return 0;
		for (icalproperty *p = icalcomponent_get_first_property(o, ICAL_RDATE_PROPERTY); p;
		     p = icalcomponent_get_next_property(o, ICAL_RDATE_PROPERTY))
			if (++nrdate > CALL_MAX_RDATES)
				return 0;
		for (icalproperty *p = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY); p;
		     p = icalcomponent_get_next_property(o, ICAL_RRULE_PROPERTY)) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);
			if (r.freq != ICAL_YEARLY_RECURRENCE || r.interval < 1 ||
			    by_count(r.by_second, ICAL_BY_SECOND_SIZE) > 0 ||
			    by_count(r.by_minute, ICAL_BY_MINUTE_SIZE) > 0 ||
			    by_count(r.by_hour, ICAL_BY_HOUR_SIZE) > 0 ||
			    by_count(r.by_year_day, ICAL_BY_YEARDAY_SIZE) > 0 ||
			    by_count(r.by_week_no, ICAL_BY_WEEKNO_SIZE) > 0)
				return 0;
			int nm = by_count(r.by_month, ICAL_BY_MONTH_SIZE);
			int nd = by_count(r.by_day, ICAL_BY_DAY_SIZE);
			int nmd = by_count(r.by_month_day, ICAL_BY_MONTHDAY_SIZE);
			if ((nm ? nm : 1) * (nd ? nd : 1) * (nmd ? nmd : 1) > 31)
				return 0;
		}
	}
	return 1;
}

/* zone_of - the VCALENDAR's own VTIMEZONE for tzid as a libical zone;
   NULL when it has none; -1 with the error when it has an unusable one */
static int zone_of(icalcomponent *vcal, const char *tzid, icaltimezone **z_r, const char **error_r)
{
	*z_r = NULL;
	if (vcal == NULL)
		return 0;
	for (icalcomponent *v = icalcomponent_get_first_component(vcal, ICAL_VTIMEZONE_COMPONENT); v;
	     v = icalcomponent_get_next_component(vcal, ICAL_VTIMEZONE_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(v, ICAL_TZID_PROPERTY);
		const char *id = p != NULL ? icalproperty_get_tzid(p) : NULL;
		if (id != NULL && strcmp(id, tzid) == 0 && !vtimezone_sane(v))
			return fail(error_r, "VTIMEZONE \"%.64s\" has rules no time zone has", tzid);
	}
	*z_r = icalcomponent_get_timezone(vcal, tzid);
	return 0;
}

/* prop_time - a DTSTART/DTEND/DTSTAMP property as a UTC instant. A TZID
   resolves through vcal's VTIMEZONEs, then the system zones; a floating
   time counts as UTC only when floating_utc. resolve = 0 only checks the
   date (a REPLY's echo of the times need not name a zone we know). */
static int prop_time(icalcomponent *vcal, icalproperty *p, int floating_utc, int resolve,
		     time_t *t_r, const char **error_r)
{
	const char *name = icalproperty_get_property_name(p);
	icalvalue *v = icalproperty_get_value(p);
	if (v == NULL || (icalvalue_isa(v) != ICAL_DATETIME_VALUE && icalvalue_isa(v) != ICAL_DATE_VALUE))
		return fail(error_r, "%s is not a date", name);
	struct icaltimetype tt = icalvalue_get_datetime(v);
	if (icaltime_is_null_time(tt) || !date_fields_ok(&tt))
		return fail(error_r, "%s has an impossible date", name);
	if (!resolve)
		return 0;
	if (icaltime_is_utc(tt)) {
		*t_r = icaltime_as_timet_with_zone(tt, icaltimezone_get_utc_timezone());
		return 0;
	}
	icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	const char *tzid = tp != NULL ? icalparameter_get_tzid(tp) : NULL;
	if (tzid == NULL || *tzid == '\0') {
		if (!floating_utc)
			return fail(error_r, "%s has no time zone", name);
		*t_r = icaltime_as_timet_with_zone(tt, icaltimezone_get_utc_timezone());
		return 0;
	}
	/* the object's own VTIMEZONE (Outlook's "Eastern Standard Time" too) */
	icaltimezone *z;
	if (zone_of(vcal, tzid, &z, error_r) < 0)
		return -1;
	if (z != NULL) {
		*t_r = icaltime_as_timet_with_zone(tt, z);
		return 0;
	}
	const char *iana = tz_resolve(tzid);
	if (iana == NULL || tz_to_utc(iana, &tt, t_r) < 0)
		return fail(error_r, "%s names an unknown time zone \"%.64s\"", name, tzid);
	return 0;
}

/* ---- outgoing objects ---- */

struct fields {
	char *summary, *description, *location, *org_name, *att_name;
};

static void fields_free(struct fields *f)
{
	free(f->summary);
	free(f->description);
	free(f->location);
	free(f->org_name);
	free(f->att_name);
	memset(f, 0, sizeof(*f));
}

/* opt_text - clean an optional field; -1 with the error set */
static int opt_text(const char *s, size_t max, int oneline, const char *what, char **out_r,
		    const char **error_r)
{
	*out_r = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if (clean_text(s, max, oneline, out_r) < 0)
		return fail(error_r, "%s is too long or not UTF-8", what);
	return 0;
}

/* check_fields - every input of call_ics() checked, texts cleaned */
static int check_fields(const struct call_event *ev, const struct call_attendee *att,
			struct fields *f, const char **error_r)
{
	memset(f, 0, sizeof(*f));
	if (ev == NULL || att == NULL)
		return fail(error_r, "no event or no attendee");
	if (ev->uid == NULL || !token_ok(ev->uid, CALL_MAX_UID))
		return fail(error_r, "bad UID");
	if (ev->summary == NULL || *ev->summary == '\0')
		return fail(error_r, "the call has no summary");
	if (ev->organizer_email == NULL || !addr_ok(ev->organizer_email))
		return fail(error_r, "bad organizer address");
	if (att->email == NULL || !addr_ok(att->email))
		return fail(error_r, "bad attendee address \"%.64s\"", att->email ? att->email : "");
	if (str_casecmp(att->email, ev->organizer_email) == 0)
		return fail(error_r, "the attendee is the organizer");
	if (ev->url != NULL && *ev->url != '\0' && !token_ok(ev->url, CALL_MAX_URL))
		return fail(error_r, "bad URL");
	if (ev->start <= 0)
		return fail(error_r, "the call has no start time");
	if (ev->duration_min < 1 || ev->duration_min > CALL_MAX_DURATION)
		return fail(error_r, "call duration out of range");
	if (ev->sequence < 0 || ev->sequence > CALL_MAX_SEQUENCE)
		return fail(error_r, "SEQUENCE out of range");
	if (ev->alarm_min < 0 || ev->alarm_min > CALL_MAX_ALARM)
		return fail(error_r, "alarm out of range");
	if (!is_utc_name(ev->tzid) && !tz_name_ok(ev->tzid))
		return fail(error_r, "unknown time zone \"%.64s\"", ev->tzid);
	if (opt_text(ev->summary, CALL_MAX_TEXT, 0, "SUMMARY", &f->summary, error_r) < 0 ||
	    opt_text(ev->description, CALL_MAX_TEXT, 0, "DESCRIPTION", &f->description, error_r) < 0 ||
	    opt_text(ev->location, CALL_MAX_TEXT, 0, "LOCATION", &f->location, error_r) < 0 ||
	    opt_text(ev->organizer_name, CALL_MAX_NAME, 1, "organizer name", &f->org_name, error_r) < 0 ||
	    opt_text(att->name, CALL_MAX_NAME, 1, "attendee name", &f->att_name, error_r) < 0) {
		fields_free(f);
		return -1;
	}
	return 0;
}

/* time_prop - DTSTART/DTEND: wall-clock time with TZID=tzid, or UTC */
static icalproperty *time_prop(icalproperty_kind kind, time_t t, const char *tzid)
{
	struct icaltimetype tt;
	if (tzid == NULL || tz_wall(tzid, t, &tt) < 0) {
		tzid = NULL;
		tt = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	}
	/* a floating time plus our own TZID parameter: a time with .zone set
	   would be written with libical's /freeassociation.sourceforge.net/
	   prefix */
	icalproperty *p = kind == ICAL_DTSTART_PROPERTY ? icalproperty_new_dtstart(tt)
							: icalproperty_new_dtend(tt);
	if (tzid != NULL)
		icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

/* new_event - the VEVENT for one attendee */
static icalcomponent *new_event(const struct call_event *ev, const struct call_attendee *att,
				const struct fields *f, enum call_method m, const char *tzid)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	icalcomponent *e = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_property(e, icalproperty_new_uid(ev->uid));
	icalcomponent_add_property(e, icalproperty_new_dtstamp(
		icaltime_from_timet_with_zone(clock_now(), 0, utc)));
	icalcomponent_add_property(e, icalproperty_new_sequence(ev->sequence));
	icalcomponent_add_property(e, time_prop(ICAL_DTSTART_PROPERTY, ev->start, tzid));
	icalcomponent_add_property(e, time_prop(ICAL_DTEND_PROPERTY,
		ev->start + (time_t)ev->duration_min * 60, tzid));
	icalcomponent_add_property(e, icalproperty_new_summary(f->summary));
	if (f->description != NULL)
		icalcomponent_add_property(e, icalproperty_new_description(f->description));
	if (f->location != NULL)
		icalcomponent_add_property(e, icalproperty_new_location(f->location));
	if (ev->url != NULL && *ev->url != '\0')
		icalcomponent_add_property(e, icalproperty_new_url(ev->url));
	icalcomponent_add_property(e, icalproperty_new_status(
		m == CALL_CANCEL ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(e, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));

	char *uri = xasprintf("mailto:%s", ev->organizer_email);
	icalproperty *org = icalproperty_new_organizer(uri);
	free(uri);
	if (f->org_name != NULL)
		icalproperty_add_parameter(org, icalparameter_new_cn(f->org_name));
	icalcomponent_add_property(e, org);

	uri = xasprintf("mailto:%s", att->email);
	icalproperty *a = icalproperty_new_attendee(uri);
	free(uri);
	if (f->att_name != NULL)
		icalproperty_add_parameter(a, icalparameter_new_cn(f->att_name));
	icalproperty_add_parameter(a, icalparameter_new_cutype(ICAL_CUTYPE_INDIVIDUAL));
	icalproperty_add_parameter(a, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
	icalproperty_add_parameter(a, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
	icalproperty_add_parameter(a, icalparameter_new_rsvp(
		m == CALL_CANCEL ? ICAL_RSVP_FALSE : ICAL_RSVP_TRUE));
	icalcomponent_add_property(e, a);

	if (m == CALL_REQUEST && ev->alarm_min > 0) {
		icalcomponent *al = icalcomponent_new(ICAL_VALARM_COMPONENT);
		icalcomponent_add_property(al, icalproperty_new_action(ICAL_ACTION_DISPLAY));
		icalcomponent_add_property(al, icalproperty_new_trigger(
			icaltriggertype_from_int(-ev->alarm_min * 60)));
		icalcomponent_add_property(al, icalproperty_new_description(f->summary));
		icalcomponent_add_component(e, al);
	}
	return e;
}

/* verify - parse the text back as a client would: no X-LIC-ERROR, the
   UID, and times that convert to start and end. *times_wrong is set when
   only the times disagree. */
static int verify(const char *text, const struct call_event *ev, int *times_wrong,
		  const char **error_r)
{
	*times_wrong = 0;
	icalcomponent *c = icalparser_parse_string(text);
	if (c == NULL)
		return fail(error_r, "self-check: libical cannot read the object back");
	int rc = -1;
	const char *bad = first_error(c);
	icalcomponent *e = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
	time_t st = 0, en = 0;
	if (bad != NULL) {
		fail(error_r, "self-check: %s", bad);
	} else if (e == NULL || !str_eq(icalcomponent_get_uid(e), ev->uid)) {
		fail(error_r, "self-check: VEVENT or UID missing");
	} else {
		icalproperty *ps = icalcomponent_get_first_property(e, ICAL_DTSTART_PROPERTY);
		icalproperty *pe = icalcomponent_get_first_property(e, ICAL_DTEND_PROPERTY);
		if (ps == NULL || pe == NULL ||
		    prop_time(c, ps, 0, 1, &st, error_r) < 0 || prop_time(c, pe, 0, 1, &en, error_r) < 0) {
			*times_wrong = 1;
			if (ps == NULL || pe == NULL)
				fail(error_r, "self-check: DTSTART or DTEND missing");
		} else if (st != ev->start || en != ev->start + (time_t)ev->duration_min * 60) {
			*times_wrong = 1;
			fail(error_r, "self-check: the times do not convert back "
			     "(%lld..%lld, want %lld)", (long long)st, (long long)en, (long long)ev->start);
		} else {
			rc = 0;
		}
	}
	icalcomponent_free(c);
	return rc;
}

/* build - the whole VCALENDAR as text; vtz (consumed) may be NULL for UTC */
static char *build(const struct call_event *ev, const struct call_attendee *att,
		   const struct fields *f, enum call_method m, icalcomponent *vtz,
		   int *times_wrong, const char **error_r)
{
	*times_wrong = 0;
	icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_prodid(CALL_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(
		m == CALL_CANCEL ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
	if (vtz != NULL)
		icalcomponent_add_component(cal, vtz);
	icalcomponent_add_component(cal, new_event(ev, att, f, m, vtz != NULL ? ev->tzid : NULL));

	/* the RFC 2446 tables: catches a missing ORGANIZER, UID, DTSTAMP... */
	if (!icalrestriction_check(cal)) {
		const char *bad = first_error(cal);
		fail(error_r, "iTIP self-check: %s", bad ? bad : "failed");
		icalcomponent_free(cal);
		return NULL;
	}
	char *s = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	if (s == NULL) {
		fail(error_r, "libical could not write the object");
		return NULL;
	}
	char *out = NULL;
	if (verify(s, ev, times_wrong, error_r) == 0)
		out = xstrdup(s);
	icalmemory_free_buffer(s);
	return out;
}

char *call_ics(const struct call_event *ev, const struct call_attendee *att,
	       enum call_method m, const char **error_r)
{
	struct fields f;
	if (check_fields(ev, att, &f, error_r) < 0)
		return NULL;
	char *out = NULL;
	int times_wrong = 0;
	if (!is_utc_name(ev->tzid)) {
		const char *why = NULL;
		icalcomponent *vtz = tz_compact_vtimezone(ev->tzid, ev->start, &why);
		if (vtz != NULL) {
			out = build(ev, att, &f, m, vtz, &times_wrong, error_r);
			if (out == NULL && !times_wrong) {
				fields_free(&f);
				return NULL;
			}
			if (out == NULL)
				why = *error_r;
		}
		if (out == NULL)
			log_warn("call %s: %s time zone written as UTC: %s", ev->uid, ev->tzid, why);
	}
	if (out == NULL)
		out = build(ev, att, &f, m, NULL, &times_wrong, error_r);
	fields_free(&f);
	return out;
}

/* ---- inbound objects ---- */

static const char *const partstat_names[] = {
	[PARTSTAT_NEEDS_ACTION] = "needs-action",
	[PARTSTAT_ACCEPTED] = "accepted",
	[PARTSTAT_DECLINED] = "declined",
	[PARTSTAT_TENTATIVE] = "tentative",
	[PARTSTAT_DELEGATED] = "delegated",
	[PARTSTAT_OTHER] = "other",
};

const char *call_partstat_name(enum call_partstat p)
{
	if ((int)p < 0 || p > PARTSTAT_OTHER)
		return "other";
	return partstat_names[p];
}

int call_partstat_parse(const char *name, enum call_partstat *p_r)
{
	for (int i = 0; i <= PARTSTAT_OTHER; i++)
		if (name != NULL && str_casecmp(name, partstat_names[i]) == 0) {
			*p_r = (enum call_partstat)i;
			return 0;
		}
	return -1;
}

void call_reply_free(struct call_reply *r)
{
	free(r->method);
	free(r->uid);
	for (int i = 0; i < r->natt; i++) {
		free(r->att[i].email);
		free(r->att[i].name);
	}
	free(r->att);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

/* map_partstat - libical's PARTSTAT to ours */
static enum call_partstat map_partstat(icalproperty *p)
{
	icalparameter *ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	if (ps == NULL)
		return PARTSTAT_NEEDS_ACTION;
	switch (icalparameter_get_partstat(ps)) {
	case ICAL_PARTSTAT_NEEDSACTION: return PARTSTAT_NEEDS_ACTION;
	case ICAL_PARTSTAT_ACCEPTED: return PARTSTAT_ACCEPTED;
	case ICAL_PARTSTAT_DECLINED: return PARTSTAT_DECLINED;
	case ICAL_PARTSTAT_TENTATIVE: return PARTSTAT_TENTATIVE;
	case ICAL_PARTSTAT_DELEGATED: return PARTSTAT_DELEGATED;
	default: return PARTSTAT_OTHER;
	}
}

/* add_comment - append free text (COMMENT, X-RESPONSE-COMMENT) to b,
   keeping valid UTF-8 and LF/TAB only, within CALL_MAX_COMMENT */
static void add_comment(struct buf *b, const char *s)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	if (b->len > 0)
		buf_putc(b, '\n');
	for (size_t i = 0; i < n && b->len < CALL_MAX_COMMENT;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = utf8_valid_prefix(s + i, n - i);
		if (k == 0) {
			i++;
			continue;
		}
		if (k == 1 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)) {
			i++;
			continue;
		}
		if (b->len + k > CALL_MAX_COMMENT)
			break;
		buf_append(b, s + i, k);
		i += k;
	}
}

/* finish_comment - trimmed copy of b, or NULL when empty */
static char *finish_comment(struct buf *b)
{
	if (b->len == 0)
		return NULL;
	char *s = buf_steal(b, NULL);
	char *t = str_trim(s);
	char *out = *t ? xstrdup(t) : NULL;
	free(s);
	return out;
}

/* read_attendees - every ATTENDEE of e with a usable address, first
   occurrence of each address wins; X-RESPONSE-COMMENT parameters go to pc */
static int read_attendees(icalcomponent *e, struct call_reply *r, struct buf *pc,
			  const char **error_r)
{
	for (icalproperty *p = icalcomponent_get_first_property(e, ICAL_ATTENDEE_PROPERTY); p;
	     p = icalcomponent_get_next_property(e, ICAL_ATTENDEE_PROPERTY)) {
		const char *v = icalproperty_get_attendee(p);
		if (v == NULL)
			continue;
		while (*v == ' ')
			v++;
		if (str_istarts(v, "mailto:"))
			v += 7;
		char *addr = xstrdup(v);
		char *a = str_trim(addr);
		str_lower(a);
		if (!addr_ok(a)) {
			log_debug(LOG_SUB_CALL, "reply %s: attendee \"%.80s\" skipped", r->uid, a);
			free(addr);
			continue;
		}
		int dup = 0;
		for (int i = 0; i < r->natt && !dup; i++)
			dup = strcmp(r->att[i].email, a) == 0;
		if (dup) {
			free(addr);
			continue;
		}
		if (r->natt == CALL_MAX_ATTENDEES) {
			free(addr);
			return fail(error_r, "more than %d attendees", CALL_MAX_ATTENDEES);
		}
		r->att = xreallocarray(r->att, (size_t)r->natt + 1, sizeof(*r->att));
		struct call_reply_attendee *ra = &r->att[r->natt++];
		ra->email = xstrdup(a);
		free(addr);
		ra->partstat = map_partstat(p);
		ra->name = NULL;
		icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
		const char *cns = cn != NULL ? icalparameter_get_cn(cn) : NULL;
		if (cns != NULL && *cns != '\0' && clean_text(cns, CALL_MAX_NAME, 1, &ra->name) < 0)
			ra->name = NULL;
		char *xc = icalproperty_get_parameter_as_string_r(p, "X-RESPONSE-COMMENT");
		if (xc != NULL) {
			add_comment(pc, xc);
			free(xc);
		}
	}
	return 0;
}

/* method_of - the method: MIME parameter first, else the body's METHOD */
static int method_of(icalcomponent **cals, int ncal, icalcomponent *evcal, const char *mime_method,
		     char **method_r, const char **error_r)
{
	char *m = NULL;
	if (mime_method != NULL && *mime_method != '\0') {
		m = xstrdup(mime_method);
	} else {
		icalproperty *p = icalcomponent_get_first_property(evcal, ICAL_METHOD_PROPERTY);
		for (int i = 0; p == NULL && i < ncal; i++)
			p = icalcomponent_get_first_property(cals[i], ICAL_METHOD_PROPERTY);
		if (p != NULL)
			m = icalproperty_get_value_as_string_r(p);
	}
	if (m == NULL)
		return fail(error_r, "no METHOD");
	char *t = str_trim(m);
	size_t n = strlen(t);
	int ok = n > 0 && n <= CALL_MAX_METHOD;
	for (size_t i = 0; ok && i < n; i++) {
		char c = t[i];
		ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (c >= 'a' && c <= 'z')
			t[i] = (char)(c - 'a' + 'A');
	}
	if (!ok) {
		free(m);
		return fail(error_r, "bad METHOD");
	}
	*method_r = xstrdup(t);
	free(m);
	return 0;
}

/* read_reply - fill r from a parsed root (VCALENDAR or XROOT) */
static int read_reply(icalcomponent *root, const char *mime_method, struct call_reply *r,
		      const char **error_r)
{
	icalcomponent *cals[CALL_MAX_CALENDARS];
	int ncal = 0;
	icalcomponent_kind k = icalcomponent_isa(root);
	if (k == ICAL_VCALENDAR_COMPONENT) {
		cals[ncal++] = root;
	} else if (k == ICAL_XROOT_COMPONENT) {
		for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
		     c; c = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT)) {
			if (ncal == CALL_MAX_CALENDARS)
				return fail(error_r, "more than %d VCALENDARs", CALL_MAX_CALENDARS);
			cals[ncal++] = c;
		}
	}
	if (ncal == 0)
		return fail(error_r, "not a VCALENDAR");
	const char *bad = first_error(root);
	if (bad != NULL)
		return fail(error_r, "unreadable calendar data: %.200s", bad);

	icalcomponent *ev = NULL, *evcal = NULL;
	for (int i = 0; i < ncal && ev == NULL; i++) {
		ev = icalcomponent_get_first_component(cals[i], ICAL_VEVENT_COMPONENT);
		evcal = cals[i];
	}
	if (ev == NULL)
		return fail(error_r, "no VEVENT");
	if (method_of(cals, ncal, evcal, mime_method, &r->method, error_r) < 0)
		return -1;

	const char *uid = icalcomponent_get_uid(ev);
	if (uid == NULL || !token_ok(uid, CALL_MAX_UID))
		return fail(error_r, uid == NULL ? "no UID" : "bad UID");
	r->uid = xstrdup(uid);

	icalproperty *p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
	if (p != NULL) {
		r->sequence = icalproperty_get_sequence(p);
	} else {
		for (p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
		     p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY))
			if (str_casecmp(icalproperty_get_x_name(p), "X-MICROSOFT-CDO-APPT-SEQUENCE") == 0) {
				const char *x = icalproperty_get_x(p);
				if (x == NULL || str_to_int(x, 0, CALL_MAX_SEQUENCE, &r->sequence) < 0)
					return fail(error_r, "bad X-MICROSOFT-CDO-APPT-SEQUENCE");
				break;
			}
	}
	if (r->sequence < 0 || r->sequence > CALL_MAX_SEQUENCE)
		return fail(error_r, "SEQUENCE out of range");

	p = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
	if (p != NULL && prop_time(evcal, p, 1, 1, &r->dtstamp, error_r) < 0)
		return -1;

	int counter = strcmp(r->method, "COUNTER") == 0;
	icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	if (ps != NULL && prop_time(evcal, ps, 0, counter, &r->counter_start, error_r) < 0)
		return -1;
	if (pe != NULL && prop_time(evcal, pe, 0, counter, &r->counter_end, error_r) < 0)
		return -1;
	if (counter) {
		if (ps == NULL)
			return fail(error_r, "COUNTER without DTSTART");
		if (pe == NULL) {
			icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
			int secs = 0;
			if (pd != NULL) {
				struct icaldurationtype d = icalproperty_get_duration(pd);
				secs = icaldurationtype_as_int(d);
				if (icaldurationtype_is_bad_duration(d) || secs < 0 || secs > 366 * 86400)
					return fail(error_r, "bad DURATION");
			}
			r->counter_end = r->counter_start + secs;
		}
		if (r->counter_end < r->counter_start)
			return fail(error_r, "COUNTER ends before it starts");
	}

	struct buf pc = BUF_INIT, cm = BUF_INIT;
	int nev = 0, rc = 0;
	for (int i = 0; i < ncal && rc == 0; i++)
		for (icalcomponent *e = icalcomponent_get_first_component(cals[i], ICAL_VEVENT_COMPONENT);
		     e && rc == 0; e = icalcomponent_get_next_component(cals[i], ICAL_VEVENT_COMPONENT)) {
			if (++nev > CALL_MAX_EVENTS)
				rc = fail(error_r, "more than %d VEVENTs", CALL_MAX_EVENTS);
			else if (str_eq(icalcomponent_get_uid(e), r->uid))
				rc = read_attendees(e, r, &pc, error_r);
		}
	if (rc == 0 && r->natt == 0)
		rc = fail(error_r, "no ATTENDEE with an address");
	if (rc == 0) {
		for (p = icalcomponent_get_first_property(ev, ICAL_COMMENT_PROPERTY); p;
		     p = icalcomponent_get_next_property(ev, ICAL_COMMENT_PROPERTY))
			add_comment(&cm, icalproperty_get_comment(p));
		if (cm.len == 0)
			for (p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
			     p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY))
				if (str_casecmp(icalproperty_get_x_name(p), "X-RESPONSE-COMMENT") == 0)
					add_comment(&cm, icalproperty_get_x(p));
		if (cm.len == 0 && pc.len > 0)
			add_comment(&cm, buf_cstr(&pc));
		r->comment = finish_comment(&cm);
	}
	if (!counter)
		r->counter_start = r->counter_end = 0;
	buf_free(&pc);
	buf_free(&cm);
	return rc;
}

int call_reply_parse(const char *ics, size_t len, const char *mime_method,
		     struct call_reply *r, const char **error_r)
{
	memset(r, 0, sizeof(*r));
	if (ics == NULL || len == 0)
		return fail(error_r, "empty calendar part");
	if (len > CALL_MAX_ICS)
		return fail(error_r, "calendar part larger than %d bytes", CALL_MAX_ICS);
	if (memchr(ics, '\0', len) != NULL)
		return fail(error_r, "NUL byte in calendar part");
	char *text = xmemdup0(ics, len);
	icalerror_clear_errno();
	icalcomponent *root = icalparser_parse_string(text);
	free(text);
	if (root == NULL)
		return fail(error_r, "not an iCalendar object, or cut short");
	int rc = read_reply(root, mime_method, r, error_r);
	icalcomponent_free(root);
	if (rc < 0)
		call_reply_free(r);
	return rc;
}

/* ---- text for mail bodies ---- */

static const struct {
	const char *name;
	const char *const *zones;
} generic_zones[] = {
	{ "Eastern", (const char *const[]){ "America/New_York", "America/Detroit", "America/Toronto",
		"America/Montreal", "America/Nassau", "America/Iqaluit", "America/Nipigon",
		"America/Thunder_Bay", "America/Indiana/Indianapolis", "America/Indianapolis",
		"America/Kentucky/Louisville", "America/Louisville", "US/Eastern", "Canada/Eastern",
		"EST5EDT", NULL } },
	{ "Central", (const char *const[]){ "America/Chicago", "America/Winnipeg",
		"America/Indiana/Knox", "America/Menominee", "America/North_Dakota/Center",
		"America/Rainy_River", "US/Central", "Canada/Central", "CST6CDT", NULL } },
	{ "Mountain", (const char *const[]){ "America/Denver", "America/Edmonton", "America/Boise",
		"America/Phoenix", "America/Cambridge_Bay", "America/Yellowknife", "US/Mountain",
		"US/Arizona", "Canada/Mountain", "MST7MDT", NULL } },
	{ "Pacific", (const char *const[]){ "America/Los_Angeles", "America/Vancouver",
		"America/Tijuana", "US/Pacific", "Canada/Pacific", "PST8PDT", NULL } },
	{ "Alaska", (const char *const[]){ "America/Anchorage", "America/Juneau", "America/Sitka",
		"America/Nome", "America/Yakutat", "America/Metlakatla", "US/Alaska", NULL } },
	{ "Hawaii", (const char *const[]){ "Pacific/Honolulu", "US/Hawaii", NULL } },
	{ "Atlantic", (const char *const[]){ "America/Halifax", "America/Moncton",
		"America/Glace_Bay", "America/Goose_Bay", "America/Puerto_Rico",
		"Canada/Atlantic", NULL } },
	{ "Newfoundland", (const char *const[]){ "America/St_Johns", "Canada/Newfoundland", NULL } },
};

/* zone_label - "Eastern", "CEST" or "UTC+5:30" for tzid at t */
static void zone_label(const char *tzid, time_t t, const struct tm *lt, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof(generic_zones) / sizeof(generic_zones[0]); i++)
		for (const char *const *z = generic_zones[i].zones; *z; z++)
			if (strcmp(*z, tzid) == 0) {
				snprintf(out, size, "%s", generic_zones[i].name);
				return;
			}
	char abbr[32];
	clock_format(t, tzid, "%Z", abbr, sizeof(abbr));
	int alpha = abbr[0] != '\0';
	for (const char *p = abbr; *p; p++)
		alpha &= (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
	if (alpha) {
		snprintf(out, size, "%s", abbr);
		return;
	}
	struct tm tmp = *lt;
	long off = (long)(timegm(&tmp) - t);
	long a = off < 0 ? -off : off;
	if (a % 3600 == 0)
		snprintf(out, size, "UTC%c%ld", off < 0 ? '-' : '+', a / 3600);
	else
		snprintf(out, size, "UTC%c%ld:%02ld", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

char *call_format_local(time_t t, const char *tzid)
{
	static const char *const days[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
		"Thursday", "Friday", "Saturday" };
	static const char *const months[] = { "January", "February", "March", "April", "May",
		"June", "July", "August", "September", "October", "November", "December" };
	struct tm ut, lt;
	if (gmtime_r(&t, &ut) == NULL)
		return xstrdup("(time out of range)");
	int utc = is_utc_name(tzid) || !tz_name_ok(tzid) || clock_local(t, tzid, &lt) < 0;
	if (utc)
		lt = ut;
	int h12 = lt.tm_hour % 12 == 0 ? 12 : lt.tm_hour % 12;
	const char *ampm = lt.tm_hour < 12 ? "a.m." : "p.m.";
	if (utc)
		return xasprintf("%s, %s %d, %d, %d:%02d %s UTC", days[lt.tm_wday], months[lt.tm_mon],
				 lt.tm_mday, lt.tm_year + 1900, h12, lt.tm_min, ampm);
	char label[48];
	zone_label(tzid, t, &lt, label, sizeof(label));
	char other_day[16] = "";
	if (ut.tm_mday != lt.tm_mday)
		snprintf(other_day, sizeof(other_day), " %s", days[ut.tm_wday]);
	return xasprintf("%s, %s %d, %d, %d:%02d %s %s (%02d:%02d UTC%s)", days[lt.tm_wday],
			 months[lt.tm_mon], lt.tm_mday, lt.tm_year + 1900, h12, lt.tm_min, ampm, label,
			 ut.tm_hour, ut.tm_min, other_day);
}
