#include "config.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <limits.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static time_t frozen;
static time_t sim_start;
static double sim_speed;
static struct timespec sim_real0;

static double real_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

time_t clock_now(void)
{
	if (frozen)
		return frozen;
	if (sim_speed > 0) {
		double real0 = (double)sim_real0.tv_sec + sim_real0.tv_nsec / 1e9;
		return sim_start + (time_t)((real_seconds() - real0) * sim_speed);
	}
	return time(NULL);
}

void clock_set(time_t t)
{
	frozen = t;
	sim_speed = 0;
}

void clock_simulate(time_t start, double speed)
{
	frozen = 0;
	sim_start = start;
	sim_speed = speed;
	clock_gettime(CLOCK_MONOTONIC, &sim_real0);
}

int clock_is_simulated(void)
{
	return frozen != 0 || sim_speed > 0;
}

time_t clock_sleep_until(time_t t, long max_real_ms)
{
	time_t now = clock_now();
	if (t <= now || frozen)
		return now;
	double wait = (double)(t - now);
	if (sim_speed > 0)
		wait /= sim_speed;
	double max = max_real_ms / 1000.0;
	if (wait > max)
		wait = max;
	struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		break; /* a signal: let the caller look at it */
	return clock_now();
}

/* tz_push/tz_pop - run mktime/localtime_r under TZ=tz, then restore.
   XXX libc has no thread-safe zone API, so this switches the process's
   TZ; callers are the main thread. TZ is never removed once set: a setenv
   that replaces an existing variable stores a new string in place (glibc
   never frees the old one), so a getenv in another thread (libcurl,
   SQLite) reads either value, never freed memory; unsetenv/re-adding could
   move the environment array under it. */
static char *saved_tz;
static void tz_push(const char *tz)
{
	const char *old = getenv("TZ");
	/* an unset TZ means the system's zone: say so explicitly */
	saved_tz = xstrdup(old ? old : ":/etc/localtime");
	setenv("TZ", tz, 1);
	tzset();
}

static void tz_pop(void)
{
	setenv("TZ", saved_tz, 1);
	free(saved_tz);
	saved_tz = NULL;
	tzset();
}

int clock_valid_tz(const char *tz)
{
	if (tz == NULL || *tz == '\0' || tz[0] == '/' || strstr(tz, ".."))
		return 0;
	if (strcmp(tz, "UTC") == 0)
		return 1;
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", tz);
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Memos. Each change of TZ makes glibc read the zone file again: a
   message's processing asks for the same few local times (the session's
   close, Date headers at one clock second) again and again, so the
   answers are kept, per thread, a few of each. Zone files are taken not
   to change while tagd runs. */
#define TZ_MEMO 8
#define TZ_MEMO_NAME 64

struct local_memo {             /* clock_local: (tz, t) -> tm */
	char tz[TZ_MEMO_NAME];
	time_t t;
	struct tm tm;
};
struct make_memo {              /* clock_make_local: (tz, fields) -> t */
	char tz[TZ_MEMO_NAME];
	int f[5];
	time_t t;
};
static _Thread_local struct local_memo local_memo[TZ_MEMO];
static _Thread_local unsigned local_next;
static _Thread_local struct make_memo make_memo[TZ_MEMO];
static _Thread_local unsigned make_next;

/* local_tm - localtime_r under tz, through the memo */
static int local_tm(time_t t, const char *tz, struct tm *tm_r)
{
	size_t n = strlen(tz);
	if (n < TZ_MEMO_NAME)
		for (int i = 0; i < TZ_MEMO; i++)
			if (local_memo[i].tz[0] && local_memo[i].t == t && strcmp(local_memo[i].tz, tz) == 0) {
				*tm_r = local_memo[i].tm;
				return 0;
			}
	tz_push(tz);
	struct tm *r = localtime_r(&t, tm_r);
	tz_pop();
	if (r == NULL)
		return -1;
	if (n > 0 && n < TZ_MEMO_NAME) {
		struct local_memo *m = &local_memo[local_next++ % TZ_MEMO];
		memcpy(m->tz, tz, n + 1);
		m->t = t;
		m->tm = *tm_r;
	}
	return 0;
}

int clock_make_local(const char *tz, int year, int mon, int day, int hour, int min, time_t *t_r)
{
	const int f[5] = { year, mon, day, hour, min };
	size_t n = strlen(tz);
	if (n < TZ_MEMO_NAME)
		for (int i = 0; i < TZ_MEMO; i++)
			if (make_memo[i].tz[0] && memcmp(make_memo[i].f, f, sizeof(f)) == 0 &&
			    strcmp(make_memo[i].tz, tz) == 0) {
				*t_r = make_memo[i].t;
				return 0;
			}
	struct tm tm = { 0 };
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_isdst = -1;
	tz_push(tz);
	time_t t = mktime(&tm);
	tz_pop();
	if (t == (time_t)-1)
		return -1;
	*t_r = t;
	if (n > 0 && n < TZ_MEMO_NAME) {
		struct make_memo *m = &make_memo[make_next++ % TZ_MEMO];
		memcpy(m->tz, tz, n + 1);
		memcpy(m->f, f, sizeof(f));
		m->t = t;
	}
	return 0;
}

int clock_parse_local(const char *s, const char *tz, time_t *t_r, const char **error_r)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	char tail;
	int n = sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
	if (n != 3 && n != 5 && n != 6) {
		*error_r = "expected YYYY-MM-DD or YYYY-MM-DD HH:MM";
		return -1;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
		*error_r = "date or time out of range";
		return -1;
	}
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) {
		*error_r = "no such day in that month";
		return -1;
	}
	if (!clock_valid_tz(tz)) {
		*error_r = "unknown time zone";
		return -1;
	}
	if (clock_make_local(tz, y, mo, d, h, mi, t_r) < 0) {
		*error_r = "time cannot be represented";
		return -1;
	}
	*t_r += sec;
	return 0;
}

int clock_local(time_t t, const char *tz, struct tm *tm_r)
{
	return local_tm(t, tz, tm_r);
}

const char *clock_format(time_t t, const char *tz, const char *fmt, char *out, size_t size)
{
	struct tm tm;
	/* %Z reads tm.tm_zone, which glibc keeps for the process's life */
	if (local_tm(t, tz, &tm) < 0 || strftime(out, size, fmt, &tm) == 0)
		out[0] = '\0';
	return out;
}
