#ifndef TAGD_TAG_TZ_H
#define TAGD_TAG_TZ_H
/* Time zones for the launch call's iCalendar objects: part of the call
   module, the one place that uses libical. Zone data is the system tzdata
   as the C library reads it: libical 3.0.16's own reading of it is wrong
   for some zones (see tz.c), so libical's builtin zones are not used.
   Not thread-safe: the C library's TZ is process state. */
#include <libical/ical.h>
#include <time.h>

/* Most transitions tz_compact_vtimezone() looks at in the six years it
   scans; a zone with more is written as UTC by the caller. */
#define TZ_MAX_TRANSITIONS 128

/* tz_name_ok - whether tzid is a plausible IANA zone name that the system
   tzdata holds (no leading '/', no "..", the file exists) or "UTC" */
int tz_name_ok(const char *tzid);

/* tz_wall - the wall-clock time of instant t in zone tzid, as a floating
   icaltimetype (zone NULL); -1 for an unknown zone */
int tz_wall(const char *tzid, time_t t, struct icaltimetype *tt_r);

/* tz_to_utc - a wall-clock time (a DATE counts as midnight) in IANA zone
   tzid to a UTC instant; a time in a DST gap or overlap is read the way
   mktime() reads it. -1 for an unknown zone. */
int tz_to_utc(const char *tzid, const struct icaltimetype *tt, time_t *t_r);

/* tz_compact_vtimezone - a VTIMEZONE for tzid with TZID exactly tzid (no
   /freeassociation.sourceforge.net/ prefix), X-LIC-LOCATION, and at most
   two observances: one STANDARD and one DAYLIGHT, each from 1970 with a
   yearly RRULE, derived from the zone's transitions in the year of start
   (the later years only choose between equivalent rules). A zone with no
   transitions then gets one STANDARD from 1970; a zone whose last change
   before start is permanent gets one STANDARD from that change. The
   caller owns the component (a copy of the last one built when tzid and
   start repeat, as they do for every attendee of a call). NULL with *error_r when the zone is unknown
   or its rules around start cannot be written that way (Morocco's Ramadan
   breaks, a zone changing both offset and DST in one year): the caller
   then writes UTC times. The caller should still check the result by
   converting its own times with it (call.c does). */
icalcomponent *tz_compact_vtimezone(const char *tzid, time_t start, const char **error_r);

/* tz_shutdown - free the last VTIMEZONE kept for reuse (call_shutdown) */
void tz_shutdown(void);

/* tz_windows_to_iana - the IANA zone for a Windows zone name as Outlook
   and Exchange write it in TZID ("Eastern Standard Time"), from the CLDR
   windowsZones table (territory 001); NULL when the name is not there */
const char *tz_windows_to_iana(const char *name);

/* tz_resolve - the IANA zone name a TZID stands for when the object
   itself carries no VTIMEZONE for it: an IANA name, a prefixed one
   ("/freeassociation.sourceforge.net/Europe/Berlin",
   "/mozilla.org/20050126_1/Europe/Berlin": a pointer into tzid), or a
   Windows name (a static string). NULL when none of these fits. */
const char *tz_resolve(const char *tzid);

/* tz_windows_count, tz_windows_entry - the Windows table, for tests */
int tz_windows_count(void);
void tz_windows_entry(int i, const char **windows_r, const char **iana_r);

#endif
