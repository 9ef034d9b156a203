/* tz - time zones for the call's iCalendar objects: compact VTIMEZONEs from
   the system tzdata, TZID resolution for replies (see tz.h) */
#include "config.h"
#include "tag/tz.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How the zone's offsets are sampled: one look a day over six years from
   the start of the call's year. Six years is enough to tell "last Sunday"
   from "fourth Sunday" (their dates part within any six years). */
#define TZ_SCAN_YEARS 6
#define TZ_SCAN_STEP 86400
#define TZ_NAME_MAX 64

/* ---- civil calendar arithmetic (proleptic Gregorian, UTC) ---- */

/* days_from_civil - days since 1970-01-01 of y-m-d */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* civil_from_days - the date of a day number */
static void civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(yoe + era * 400 + (m <= 2));
	*m_r = m;
	*d_r = d;
}

/* weekday - 0 = Sunday for a day number */
static int weekday(int64_t days)
{
	int w = (int)((days + 4) % 7);
	return w < 0 ? w + 7 : w;
}

static int month_days(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : md[m - 1];
}

struct local {
	int y, mo, d, h, mi, s, wday;
};

/* local_of - the wall-clock time of instant t at UTC offset off */
static void local_of(time_t t, int off, struct local *l)
{
	int64_t s = (int64_t)t + off;
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t sod = s - days * 86400;
	civil_from_days(days, &l->y, &l->mo, &l->d);
	l->h = (int)(sod / 3600);
	l->mi = (int)(sod / 60 % 60);
	l->s = (int)(sod % 60);
	l->wday = weekday(days);
}

/* ---- zones, read by the C library ----

   XXX libical 3.0.16 turns TZif files into VTIMEZONEs with heuristics that
   are wrong for some zones (Asia/Tehran 2017-2022: DST only when March 21
   or 22 is a Saturday; Pacific/Easter from 2020), so offsets come from
   glibc's localtime_r under TZ=zone, which reads the same tzdata
   correctly. Single-threaded callers only (TZ is process state). */

int tz_name_ok(const char *tzid)
{
	if (tzid == NULL || *tzid == '\0' || strlen(tzid) > TZ_NAME_MAX)
		return 0;
	for (const char *p = tzid; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+'))
			return 0;
	}
	return clock_valid_tz(tzid);
}

struct tz_env {
	char *saved;            /* TZ before, or NULL when it was unset */
};

/* tz_enter - run the C library's local time in zone tzid until tz_leave */
static void tz_enter(const char *tzid, struct tz_env *e)
{
	const char *old = getenv("TZ");
	e->saved = old ? xstrdup(old) : NULL;
	setenv("TZ", tzid, 1);
	tzset();
}

static void tz_leave(struct tz_env *e)
{
	if (e->saved) {
		setenv("TZ", e->saved, 1);
		free(e->saved);
		e->saved = NULL;
	} else {
		unsetenv("TZ");
	}
	tzset();
}

/* offset_at - the UTC offset at t in the zone entered */
static int offset_at(time_t t)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int)tm.tm_gmtoff;
}

/* abbr_at - the zone's abbreviation at t (EST, CEST, +04); "" if odd */
static void abbr_at(time_t t, char *out, size_t size)
{
	struct tm tm;
	out[0] = '\0';
	if (localtime_r(&t, &tm) == NULL || tm.tm_zone == NULL || strlen(tm.tm_zone) > 16)
		return;
	for (const char *p = tm.tm_zone; *p; p++)
		if (*p <= ' ' || *p > '~')
			return;
	snprintf(out, size, "%s", tm.tm_zone);
}

int tz_wall(const char *tzid, time_t t, struct icaltimetype *tt_r)
{
	struct tm tm;
	if (!tz_name_ok(tzid) || clock_local(t, tzid, &tm) < 0)
		return -1;
	struct icaltimetype tt = icaltime_null_time();
	tt.year = tm.tm_year + 1900;
	tt.month = tm.tm_mon + 1;
	tt.day = tm.tm_mday;
	tt.hour = tm.tm_hour;
	tt.minute = tm.tm_min;
	tt.second = tm.tm_sec;
	tt.is_date = 0;
	tt.zone = NULL;
	*tt_r = tt;
	return 0;
}

int tz_to_utc(const char *tzid, const struct icaltimetype *tt, time_t *t_r)
{
	if (!tz_name_ok(tzid))
		return -1;
	time_t t;
	int h = tt->is_date ? 0 : tt->hour, mi = tt->is_date ? 0 : tt->minute;
	if (clock_make_local(tzid, tt->year, tt->month, tt->day, h, mi, &t) < 0)
		return -1;
	*t_r = t + (tt->is_date ? 0 : tt->second);
	return 0;
}

/* ---- transitions ---- */

struct trans {
	time_t t;               /* first instant of the new offset */
	int from, to;           /* UTC offsets in seconds */
	struct local l;         /* wall clock at t in the old offset */
};

/* scan - every offset change in [from, to] of the zone entered, found by
   sampling once a day and bisecting to the second; -1 when more than max */
static int scan(time_t from, time_t to, struct trans *tr, int max, int *n_r)
{
	int n = 0;
	time_t prev = from;
	int poff = offset_at(prev);
	for (time_t t = from + TZ_SCAN_STEP;; t += TZ_SCAN_STEP) {
		if (t > to)
			t = to;
		int off = offset_at(t);
		while (off != poff) {
			time_t lo = prev, hi = t;
			while (hi - lo > 1) {
				time_t mid = lo + (hi - lo) / 2;
				if (offset_at(mid) == poff)
					lo = mid;
				else
					hi = mid;
			}
			if (n == max)
				return -1;
			tr[n].t = hi;
			tr[n].from = poff;
			tr[n].to = offset_at(hi);
			local_of(hi, poff, &tr[n].l);
			poff = tr[n].to;
			prev = hi;
			n++;
		}
		prev = t;
		if (t >= to)
			break;
	}
	*n_r = n;
	return 0;
}

/* ---- yearly rules ---- */

enum rule_kind { RULE_NTH, RULE_LAST, RULE_WINDOW };

struct rule {
	enum rule_kind kind;
	int month, wday;
	int n;                  /* RULE_NTH: 1..4 */
	int k;                  /* RULE_WINDOW: the weekday on or after day k */
};

static int fits_nth(int d, int n) { return (d - 1) / 7 + 1 == n; }
static int fits_last(int y, int m, int d) { return d + 7 > month_days(y, m); }

/* derive_rule - the yearly rule that gives transition tr[i] in its year
   and, where they exist, the same transitions of the following years */
static void derive_rule(const struct trans *tr, int ntr, int i, struct rule *r)
{
	const struct local *l = &tr[i].l;
	int ys[TZ_SCAN_YEARS + 1], ds[TZ_SCAN_YEARS + 1];
	int ne = 0;
	ys[ne] = l->y;
	ds[ne++] = l->d;
	for (int j = 0; j < ntr && ne < TZ_SCAN_YEARS + 1; j++) {
		const struct local *o = &tr[j].l;
		if (j == i || o->y <= ys[ne - 1] || tr[j].from != tr[i].from ||
		    tr[j].to != tr[i].to || o->mo != l->mo || o->wday != l->wday ||
		    o->h != l->h || o->mi != l->mi || o->s != l->s)
			continue;
		ys[ne] = o->y;
		ds[ne++] = o->d;
	}
	r->month = l->mo;
	r->wday = l->wday;
	int n0 = (l->d - 1) / 7 + 1;
	int all_last = 1, all_nth = n0 <= 4;
	int klo = 1, khi = (l->mo == 2 ? 28 : month_days(1970, l->mo)) - 6;
	for (int e = 0; e < ne; e++) {
		all_last &= fits_last(ys[e], l->mo, ds[e]);
		all_nth &= fits_nth(ds[e], n0);
		if (ds[e] - 6 > klo)
			klo = ds[e] - 6;
		if (ds[e] < khi)
			khi = ds[e];
	}
	if (all_last) {
		r->kind = RULE_LAST;    /* preferred: tzdata's "lastSun" is common */
	} else if (all_nth) {
		r->kind = RULE_NTH;
		r->n = n0;
	} else if (klo <= khi) {
		r->kind = RULE_WINDOW;  /* e.g. "Friday before the last Sunday" */
		r->k = klo;
	} else if (fits_last(l->y, l->mo, l->d)) {
		r->kind = RULE_LAST;    /* the rule changes: right for this year */
	} else {
		r->kind = RULE_NTH;
		r->n = n0;
	}
}

/* rule_day_1970 - the day of the month the rule gives in 1970 */
static int rule_day_1970(const struct rule *r)
{
	if (r->kind == RULE_LAST) {
		int last = month_days(1970, r->month);
		int w = weekday(days_from_civil(1970, r->month, last));
		return last - (w - r->wday + 7) % 7;
	}
	int from = r->kind == RULE_WINDOW ? r->k : 1;
	int w = weekday(days_from_civil(1970, r->month, from));
	int d = from + (r->wday - w + 7) % 7;
	return r->kind == RULE_NTH ? d + 7 * (r->n - 1) : d;
}

static const char *const wday_code[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

/* rule_rrule - the RRULE text of a rule */
static void rule_rrule(const struct rule *r, struct buf *b)
{
	buf_printf(b, "FREQ=YEARLY;BYMONTH=%d;", r->month);
	switch (r->kind) {
	case RULE_NTH:
		buf_printf(b, "BYDAY=%d%s", r->n, wday_code[r->wday]);
		break;
	case RULE_LAST:
		buf_printf(b, "BYDAY=-1%s", wday_code[r->wday]);
		break;
	case RULE_WINDOW:
		buf_puts(b, "BYMONTHDAY=");
		for (int d = r->k; d < r->k + 7; d++)
			buf_printf(b, "%s%d", d == r->k ? "" : ",", d);
		buf_printf(b, ";BYDAY=%s", wday_code[r->wday]);
		break;
	}
}

/* ---- building the component ---- */

/* observance - a STANDARD or DAYLIGHT sub-component */
static icalcomponent *observance(int daylight, const struct local *start, int from, int to,
				 const char *tzname, const struct rule *r)
{
	icalcomponent *o = icalcomponent_new(daylight ? ICAL_XDAYLIGHT_COMPONENT : ICAL_XSTANDARD_COMPONENT);
	struct icaltimetype t = icaltime_null_time();
	t.year = start->y;
	t.month = start->mo;
	t.day = start->d;
	t.hour = start->h;
	t.minute = start->mi;
	t.second = start->s;
	t.is_date = 0;
	icalcomponent_add_property(o, icalproperty_new_dtstart(t));
	icalcomponent_add_property(o, icalproperty_new_tzoffsetfrom(from));
	icalcomponent_add_property(o, icalproperty_new_tzoffsetto(to));
	if (tzname != NULL)
		icalcomponent_add_property(o, icalproperty_new_tzname(tzname));
	if (r != NULL) {
		struct buf b = BUF_INIT;
		rule_rrule(r, &b);
		struct icalrecurrencetype rt = icalrecurrencetype_from_string(buf_cstr(&b));
		buf_free(&b);
		icalcomponent_add_property(o, icalproperty_new_rrule(rt));
	}
	return o;
}

/* new_vtimezone - an empty VTIMEZONE named tzid */
static icalcomponent *new_vtimezone(const char *tzid)
{
	icalcomponent *vtz = icalcomponent_new(ICAL_VTIMEZONE_COMPONENT);
	icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
	icalproperty *loc = icalproperty_new_x(tzid);
	icalproperty_set_x_name(loc, "X-LIC-LOCATION");
	icalcomponent_add_property(vtz, loc);
	return vtz;
}

/* tz_stdname - a TZNAME for an observance: the abbreviation, or NULL */
static const char *tz_stdname(time_t t, char *out, size_t size)
{
	abbr_at(t, out, size);
	return out[0] ? out : NULL;
}

/* compact - the body of tz_compact_vtimezone, with TZ=tzid entered */
static icalcomponent *compact(const char *tzid, time_t start, const char **error_r)
{
	int off_start = offset_at(start);
	struct local ls;
	local_of(start, off_start, &ls);
	if (ls.y < 1971 || ls.y > 9990) {
		*error_r = "call time out of range";
		return NULL;
	}
	time_t from = (time_t)(days_from_civil(ls.y, 1, 1) * 86400 - 2 * 86400);
	time_t to = (time_t)(days_from_civil(ls.y + TZ_SCAN_YEARS, 1, 1) * 86400 + 2 * 86400);
	struct trans tr[TZ_MAX_TRANSITIONS];
	int ntr;
	if (scan(from, to, tr, TZ_MAX_TRANSITIONS, &ntr) < 0) {
		*error_r = "time zone changes too often to describe compactly";
		return NULL;
	}
	/* the transitions in the call's year */
	int iy[TZ_MAX_TRANSITIONS], ny = 0;
	for (int i = 0; i < ntr; i++)
		if (tr[i].l.y == ls.y)
			iy[ny++] = i;
	char n1[32], n2[32];
	if (ny == 2 && tr[iy[0]].from == tr[iy[1]].to && tr[iy[0]].to == tr[iy[1]].from) {
		/* a yearly pair: the larger offset is DAYLIGHT (also for zones
		   such as Europe/Dublin that tzdata writes with negative DST;
		   Outlook knows only a positive daylight bias) */
		int d = tr[iy[0]].to > tr[iy[0]].from ? iy[0] : iy[1];
		int s = d == iy[0] ? iy[1] : iy[0];
		struct rule rd, rs;
		derive_rule(tr, ntr, d, &rd);
		derive_rule(tr, ntr, s, &rs);
		struct local sd = tr[s].l, dd = tr[d].l;
		sd.y = dd.y = 1970;
		sd.d = rule_day_1970(&rs);
		dd.d = rule_day_1970(&rd);
		icalcomponent *vtz = new_vtimezone(tzid);
		icalcomponent_add_component(vtz, observance(0, &sd, tr[s].from, tr[s].to,
			tz_stdname(tr[s].t, n1, sizeof(n1)), &rs));
		icalcomponent_add_component(vtz, observance(1, &dd, tr[d].from, tr[d].to,
			tz_stdname(tr[d].t, n2, sizeof(n2)), &rd));
		return vtz;
	}
	/* otherwise only a zone that keeps one offset for a year after the
	   call can be written compactly: one STANDARD */
	int last = -1;
	for (int i = 0; i < ntr; i++) {
		if (tr[i].t <= start)
			last = i;
		else if (tr[i].t <= start + 366 * 86400) {
			*error_r = "time zone rules around the call cannot be written compactly";
			return NULL;
		}
	}
	icalcomponent *vtz = new_vtimezone(tzid);
	const char *abbr = tz_stdname(start, n1, sizeof(n1));
	if (last >= 0) {
		icalcomponent_add_component(vtz, observance(0, &tr[last].l, tr[last].from,
			tr[last].to, abbr, NULL));
	} else {
		struct local l1970 = { 1970, 1, 1, 0, 0, 0, 4 };
		icalcomponent_add_component(vtz, observance(0, &l1970, off_start, off_start, abbr, NULL));
	}
	return vtz;
}

/* The last zone built: every attendee of a call gets the same one */
static struct {
	char *tzid;
	time_t start;
	icalcomponent *vtz;
} last_built;

void tz_shutdown(void)
{
	free(last_built.tzid);
	if (last_built.vtz != NULL)
		icalcomponent_free(last_built.vtz);
	memset(&last_built, 0, sizeof(last_built));
}

icalcomponent *tz_compact_vtimezone(const char *tzid, time_t start, const char **error_r)
{
	if (!tz_name_ok(tzid)) {
		*error_r = "unknown time zone";
		return NULL;
	}
	if (last_built.vtz != NULL && last_built.start == start && strcmp(last_built.tzid, tzid) == 0)
		return icalcomponent_new_clone(last_built.vtz);
	struct tz_env e;
	tz_enter(tzid, &e);
	icalcomponent *vtz = compact(tzid, start, error_r);
	tz_leave(&e);
	if (vtz != NULL) {
		tz_shutdown();
		last_built.tzid = xstrdup(tzid);
		last_built.start = start;
		last_built.vtz = icalcomponent_new_clone(vtz);
	}
	return vtz;
}

/* ---- Windows zone names (CLDR windowsZones.xml, territory 001) ---- */

static const struct {
	const char *windows, *iana;
} windows_zones[] = {
	{ "Dateline Standard Time", "Etc/GMT+12" },
	{ "UTC-11", "Etc/GMT+11" },
	{ "Aleutian Standard Time", "America/Adak" },
	{ "Hawaiian Standard Time", "Pacific/Honolulu" },
	{ "Marquesas Standard Time", "Pacific/Marquesas" },
	{ "Alaskan Standard Time", "America/Anchorage" },
	{ "UTC-09", "Etc/GMT+9" },
	{ "Pacific Standard Time (Mexico)", "America/Tijuana" },
	{ "UTC-08", "Etc/GMT+8" },
	{ "Pacific Standard Time", "America/Los_Angeles" },
	{ "US Mountain Standard Time", "America/Phoenix" },
	{ "Mountain Standard Time (Mexico)", "America/Mazatlan" },
	{ "Mountain Standard Time", "America/Denver" },
	{ "Yukon Standard Time", "America/Whitehorse" },
	{ "Central America Standard Time", "America/Guatemala" },
	{ "Central Standard Time", "America/Chicago" },
	{ "Easter Island Standard Time", "Pacific/Easter" },
	{ "Central Standard Time (Mexico)", "America/Mexico_City" },
	{ "Canada Central Standard Time", "America/Regina" },
	{ "SA Pacific Standard Time", "America/Bogota" },
	{ "Eastern Standard Time (Mexico)", "America/Cancun" },
	{ "Eastern Standard Time", "America/New_York" },
	{ "Haiti Standard Time", "America/Port-au-Prince" },
	{ "Cuba Standard Time", "America/Havana" },
	{ "US Eastern Standard Time", "America/Indiana/Indianapolis" },
	{ "Turks And Caicos Standard Time", "America/Grand_Turk" },
	{ "Paraguay Standard Time", "America/Asuncion" },
	{ "Atlantic Standard Time", "America/Halifax" },
	{ "Venezuela Standard Time", "America/Caracas" },
	{ "Central Brazilian Standard Time", "America/Cuiaba" },
	{ "SA Western Standard Time", "America/La_Paz" },
	{ "Pacific SA Standard Time", "America/Santiago" },
	{ "Newfoundland Standard Time", "America/St_Johns" },
	{ "Tocantins Standard Time", "America/Araguaina" },
	{ "E. South America Standard Time", "America/Sao_Paulo" },
	{ "SA Eastern Standard Time", "America/Cayenne" },
	{ "Argentina Standard Time", "America/Argentina/Buenos_Aires" },
	{ "Greenland Standard Time", "America/Nuuk" },
	{ "Montevideo Standard Time", "America/Montevideo" },
	{ "Magallanes Standard Time", "America/Punta_Arenas" },
	{ "Saint Pierre Standard Time", "America/Miquelon" },
	{ "Bahia Standard Time", "America/Bahia" },
	{ "UTC-02", "Etc/GMT+2" },
	{ "Mid-Atlantic Standard Time", "Etc/GMT+2" },
	{ "Azores Standard Time", "Atlantic/Azores" },
	{ "Cape Verde Standard Time", "Atlantic/Cape_Verde" },
	{ "UTC", "Etc/UTC" },
	{ "GMT Standard Time", "Europe/London" },
	{ "Greenwich Standard Time", "Atlantic/Reykjavik" },
	{ "Sao Tome Standard Time", "Africa/Sao_Tome" },
	{ "Morocco Standard Time", "Africa/Casablanca" },
	{ "W. Europe Standard Time", "Europe/Berlin" },
	{ "Central Europe Standard Time", "Europe/Budapest" },
	{ "Romance Standard Time", "Europe/Paris" },
	{ "Central European Standard Time", "Europe/Warsaw" },
	{ "W. Central Africa Standard Time", "Africa/Lagos" },
	{ "Jordan Standard Time", "Asia/Amman" },
	{ "GTB Standard Time", "Europe/Bucharest" },
	{ "Middle East Standard Time", "Asia/Beirut" },
	{ "Egypt Standard Time", "Africa/Cairo" },
	{ "E. Europe Standard Time", "Europe/Chisinau" },
	{ "Syria Standard Time", "Asia/Damascus" },
	{ "West Bank Standard Time", "Asia/Hebron" },
	{ "South Africa Standard Time", "Africa/Johannesburg" },
	{ "FLE Standard Time", "Europe/Kyiv" },
	{ "Israel Standard Time", "Asia/Jerusalem" },
	{ "South Sudan Standard Time", "Africa/Juba" },
	{ "Kaliningrad Standard Time", "Europe/Kaliningrad" },
	{ "Sudan Standard Time", "Africa/Khartoum" },
	{ "Libya Standard Time", "Africa/Tripoli" },
	{ "Namibia Standard Time", "Africa/Windhoek" },
	{ "Arabic Standard Time", "Asia/Baghdad" },
	{ "Turkey Standard Time", "Europe/Istanbul" },
	{ "Arab Standard Time", "Asia/Riyadh" },
	{ "Belarus Standard Time", "Europe/Minsk" },
	{ "Russian Standard Time", "Europe/Moscow" },
	{ "E. Africa Standard Time", "Africa/Nairobi" },
	{ "Volgograd Standard Time", "Europe/Volgograd" },
	{ "Iran Standard Time", "Asia/Tehran" },
	{ "Arabian Standard Time", "Asia/Dubai" },
	{ "Astrakhan Standard Time", "Europe/Astrakhan" },
	{ "Azerbaijan Standard Time", "Asia/Baku" },
	{ "Russia Time Zone 3", "Europe/Samara" },
	{ "Mauritius Standard Time", "Indian/Mauritius" },
	{ "Saratov Standard Time", "Europe/Saratov" },
	{ "Georgian Standard Time", "Asia/Tbilisi" },
	{ "Caucasus Standard Time", "Asia/Yerevan" },
	{ "Afghanistan Standard Time", "Asia/Kabul" },
	{ "West Asia Standard Time", "Asia/Tashkent" },
	{ "Ekaterinburg Standard Time", "Asia/Yekaterinburg" },
	{ "Pakistan Standard Time", "Asia/Karachi" },
	{ "Qyzylorda Standard Time", "Asia/Qyzylorda" },
	{ "India Standard Time", "Asia/Kolkata" },
	{ "Sri Lanka Standard Time", "Asia/Colombo" },
	{ "Nepal Standard Time", "Asia/Kathmandu" },
	{ "Central Asia Standard Time", "Asia/Almaty" },
	{ "Bangladesh Standard Time", "Asia/Dhaka" },
	{ "Omsk Standard Time", "Asia/Omsk" },
	{ "Myanmar Standard Time", "Asia/Yangon" },
	{ "SE Asia Standard Time", "Asia/Bangkok" },
	{ "Altai Standard Time", "Asia/Barnaul" },
	{ "W. Mongolia Standard Time", "Asia/Hovd" },
	{ "North Asia Standard Time", "Asia/Krasnoyarsk" },
	{ "N. Central Asia Standard Time", "Asia/Novosibirsk" },
	{ "Tomsk Standard Time", "Asia/Tomsk" },
	{ "China Standard Time", "Asia/Shanghai" },
	{ "North Asia East Standard Time", "Asia/Irkutsk" },
	{ "Singapore Standard Time", "Asia/Singapore" },
	{ "W. Australia Standard Time", "Australia/Perth" },
	{ "Taipei Standard Time", "Asia/Taipei" },
	{ "Ulaanbaatar Standard Time", "Asia/Ulaanbaatar" },
	{ "Aus Central W. Standard Time", "Australia/Eucla" },
	{ "Transbaikal Standard Time", "Asia/Chita" },
	{ "Tokyo Standard Time", "Asia/Tokyo" },
	{ "North Korea Standard Time", "Asia/Pyongyang" },
	{ "Korea Standard Time", "Asia/Seoul" },
	{ "Yakutsk Standard Time", "Asia/Yakutsk" },
	{ "Cen. Australia Standard Time", "Australia/Adelaide" },
	{ "AUS Central Standard Time", "Australia/Darwin" },
	{ "E. Australia Standard Time", "Australia/Brisbane" },
	{ "AUS Eastern Standard Time", "Australia/Sydney" },
	{ "West Pacific Standard Time", "Pacific/Port_Moresby" },
	{ "Tasmania Standard Time", "Australia/Hobart" },
	{ "Vladivostok Standard Time", "Asia/Vladivostok" },
	{ "Lord Howe Standard Time", "Australia/Lord_Howe" },
	{ "Bougainville Standard Time", "Pacific/Bougainville" },
	{ "Russia Time Zone 10", "Asia/Srednekolymsk" },
	{ "Magadan Standard Time", "Asia/Magadan" },
	{ "Norfolk Standard Time", "Pacific/Norfolk" },
	{ "Sakhalin Standard Time", "Asia/Sakhalin" },
	{ "Central Pacific Standard Time", "Pacific/Guadalcanal" },
	{ "Russia Time Zone 11", "Asia/Kamchatka" },
	{ "Kamchatka Standard Time", "Asia/Kamchatka" },
	{ "New Zealand Standard Time", "Pacific/Auckland" },
	{ "UTC+12", "Etc/GMT-12" },
	{ "Fiji Standard Time", "Pacific/Fiji" },
	{ "Chatham Islands Standard Time", "Pacific/Chatham" },
	{ "UTC+13", "Etc/GMT-13" },
	{ "Tonga Standard Time", "Pacific/Tongatapu" },
	{ "Samoa Standard Time", "Pacific/Apia" },
	{ "Line Islands Standard Time", "Pacific/Kiritimati" },
};

int tz_windows_count(void)
{
	return (int)(sizeof(windows_zones) / sizeof(windows_zones[0]));
}

void tz_windows_entry(int i, const char **windows_r, const char **iana_r)
{
	*windows_r = windows_zones[i].windows;
	*iana_r = windows_zones[i].iana;
}

const char *tz_windows_to_iana(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < tz_windows_count(); i++)
		if (str_casecmp(name, windows_zones[i].windows) == 0)
			return windows_zones[i].iana;
	return NULL;
}

const char *tz_resolve(const char *tzid)
{
	if (tzid == NULL || *tzid == '\0' || strlen(tzid) > 256)
		return NULL;
	if (tz_name_ok(tzid))
		return tzid;
	/* a prefixed IANA name: the longest suffix after a '/' that names a
	   zone */
	for (const char *p = strchr(tzid, '/'); p != NULL; p = strchr(p + 1, '/'))
		if (tz_name_ok(p + 1))
			return p + 1;
	return tz_windows_to_iana(tzid);
}
