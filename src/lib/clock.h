#ifndef TAGD_CLOCK_H
#define TAGD_CLOCK_H
/* The one source of "now". Tests and the demo set it; the daemon can also
   run a simulated clock that starts at a given instant and goes faster than
   real time. Time-zone conversions for session-local times are here too
   (libc's TZ machinery; single-threaded callers only). */
#include <time.h>

time_t clock_now(void);
/* clock_set - freeze the clock at t (0 = back to real time) */
void clock_set(time_t t);
/* clock_simulate - from now on, time starts at start and runs speed times
   faster than the real clock */
void clock_simulate(time_t start, double speed);
int clock_is_simulated(void);
/* clock_sleep_until - sleep (in real time) until the clock reads t, or at
   most max_real_ms; returns the clock reading afterwards */
time_t clock_sleep_until(time_t t, long max_real_ms);

/* clock_parse_local - "YYYY-MM-DD[ HH:MM[:SS]]" in time zone tz (IANA name)
   to a UTC instant; -1 with *error_r on a bad value */
int clock_parse_local(const char *s, const char *tz, time_t *t_r, const char **error_r);
/* clock_local - broken-down local time of t in tz */
int clock_local(time_t t, const char *tz, struct tm *tm_r);
/* clock_make_local - local date and time in tz to a UTC instant */
int clock_make_local(const char *tz, int year, int mon, int day, int hour, int min, time_t *t_r);
/* clock_format - strftime of t in tz into buf; returns buf */
const char *clock_format(time_t t, const char *tz, const char *fmt, char *buf, size_t size);
/* clock_valid_tz - whether tz names a zone the system knows */
int clock_valid_tz(const char *tz);

#endif
