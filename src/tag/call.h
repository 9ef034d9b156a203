#ifndef TAGD_TAG_CALL_H
#define TAGD_TAG_CALL_H
/* The launch call's iCalendar objects (iMIP, RFC 5545/5546/6047): the
   REQUEST and CANCEL tagd sends, one recipient per object, and the REPLY
   and COUNTER that participants' calendars send back. Pure functions: no
   store, no mail. libical lives behind this module and nowhere else
   (shared/ICALENDAR.md lists its traps).

   Zones: libical's builtin zones are not used (libical 3.0.16 misreads
   some TZif files, see tz.c); the C library reads the system tzdata under
   a temporarily set TZ, so callers must be single-threaded. Call
   call_init() at startup and call_shutdown() at exit. Error texts
   (*error_r) are static or live in a per-thread buffer until the next
   call_* call. */
#include <stddef.h>
#include <time.h>

/* Limits on what goes in and comes out */
#define CALL_MAX_ICS        (1024 * 1024) /* an inbound object, bytes */
#define CALL_MAX_TEXT       (32 * 1024)   /* SUMMARY, DESCRIPTION, LOCATION */
#define CALL_MAX_UID        255
#define CALL_MAX_ADDR       254           /* an e-mail address */
#define CALL_MAX_NAME       200           /* a CN */
#define CALL_MAX_URL        2000
#define CALL_MAX_DURATION   (7 * 24 * 60) /* minutes */
#define CALL_MAX_ALARM      (7 * 24 * 60) /* minutes before the start */
#define CALL_MAX_SEQUENCE   1000000
#define CALL_MAX_ATTENDEES  1000          /* ATTENDEEs read from one reply */
#define CALL_MAX_CALENDARS  16            /* VCALENDARs in one part */
#define CALL_MAX_EVENTS     64            /* VEVENTs looked at in one part */
#define CALL_MAX_COMMENT    4096          /* reply comment, bytes; longer is cut */
#define CALL_MIN_YEAR       1970          /* dates read from a reply */
#define CALL_MAX_YEAR       2200
#define CALL_MAX_OBSERVANCES 64           /* in one inbound VTIMEZONE */
#define CALL_MAX_RDATES     1000          /* RDATEs in one inbound VTIMEZONE */

struct call_event {
	const char *uid;             /* SLUG.call@LISTDOMAIN (call_uid) */
	const char *summary;         /* required */
	const char *description;     /* dial-in, link, agenda; NULL = none */
	const char *location;        /* NULL = none */
	const char *url;             /* NULL = none */
	const char *organizer_email; /* required; the address RSVPs go to */
	const char *organizer_name;  /* CN; NULL = none */
	const char *tzid;            /* IANA zone the call is shown in;
					NULL or "UTC" = UTC times */
	time_t start;                /* UTC instant */
	int duration_min;            /* 1..CALL_MAX_DURATION */
	int sequence;                /* 0 first, +1 on each reschedule/cancel */
	int alarm_min;               /* VALARM this long before; 0 = none */
};

struct call_attendee {
	const char *email;           /* required */
	const char *name;            /* CN; NULL = none */
};

enum call_method { CALL_REQUEST, CALL_CANCEL };

/* call_init - set libical up (errors are not fatal, the UTC zone made)
   and check that the system tzdata is readable. -1 with *error_r when it
   is not. */
int call_init(const char **error_r);
/* call_shutdown - free libical's zones and buffers (valgrind-clean exit) */
void call_shutdown(void);
/* call_zone_preload - check at startup that tzid (a session's zone) is a
   zone the system knows; "UTC" is fine. Nothing is left to load lazily.
   -1 with *error_r otherwise. */
int call_zone_preload(const char *tzid, const char **error_r);

/* call_uid - "SLUG.call@DOMAIN" for a session slug and its list address
   (the domain is what follows the last '@'); the caller frees. NULL when
   the list address has no domain. */
char *call_uid(const char *slug, const char *list_address);

/* call_description - the DESCRIPTION text for a call: "Dial-in: ...",
   "Join online: ...", then "Agenda:" and the agenda, each part only when
   given; the caller frees */
char *call_description(const char *dial_in, const char *url, const char *agenda);

/* call_ics - the iCalendar text (UTF-8, CRLF, folded at 75 octets) of one
   iMIP object for one attendee; the caller frees it with free().

   CALL_REQUEST (invitation and reschedule: the caller passes the same UID
   and a larger sequence) has METHOD:REQUEST, STATUS:CONFIRMED, the
   attendee with PARTSTAT=NEEDS-ACTION and RSVP=TRUE, and the VALARM.
   CALL_CANCEL has METHOD:CANCEL, STATUS:CANCELLED, the same UID, times and
   SUMMARY, the attendee with RSVP=FALSE, and no VALARM. DTSTAMP is
   clock_now() in UTC.

   With a time zone, DTSTART/DTEND carry TZID=<tzid> and the object holds a
   compact VTIMEZONE (tz_compact_vtimezone); if the zone's rules around
   the call cannot be written compactly, or the written object does not
   convert back to ev->start, the times are written in UTC instead (and a
   warning is logged). Every object is self-checked before it is returned:
   libical parses it back without X-LIC-ERROR, its times convert back to
   start and start + duration, and it passes icalrestriction_check (the
   RFC 2446 tables).

   NULL with *error_r on a bad field (missing, too long, not UTF-8, an
   address that is not one) or a failed self-check. */
char *call_ics(const struct call_event *ev, const struct call_attendee *att,
	       enum call_method m, const char **error_r);

enum call_partstat {
	PARTSTAT_NEEDS_ACTION,
	PARTSTAT_ACCEPTED,
	PARTSTAT_DECLINED,
	PARTSTAT_TENTATIVE,
	PARTSTAT_DELEGATED,
	PARTSTAT_OTHER,              /* an X- or unexpected value */
};

/* call_partstat_name - "needs-action", "accepted", "declined",
   "tentative", "delegated", "other" */
const char *call_partstat_name(enum call_partstat p);
/* call_partstat_parse - the reverse of call_partstat_name; -1 if unknown */
int call_partstat_parse(const char *name, enum call_partstat *p_r);

struct call_reply_attendee {
	char *email;                 /* without mailto:, lowercased */
	char *name;                  /* CN, or NULL */
	enum call_partstat partstat; /* no PARTSTAT = NEEDS-ACTION (RFC 5545) */
};

struct call_reply {
	char *method;                /* uppercased: the MIME method= if given,
					else the body's METHOD */
	char *uid;
	int sequence;                /* SEQUENCE, else X-MICROSOFT-CDO-APPT-
					SEQUENCE, else 0 */
	time_t dtstamp;              /* 0 when absent */
	struct call_reply_attendee *att; /* each distinct address, in order */
	int natt;                    /* >= 1 */
	char *comment;               /* COMMENT / X-RESPONSE-COMMENT, trimmed,
					at most CALL_MAX_COMMENT bytes; NULL */
	time_t counter_start;        /* METHOD COUNTER: the proposed times */
	time_t counter_end;          /* (UTC); 0 for other methods */
};

/* call_reply_parse - read an inbound iMIP object (REPLY, COUNTER, or
   anything else: the caller looks at r->method) from the text of a
   text/calendar or application/ics part. mime_method is the part's
   method= parameter, or NULL. The object may come from Outlook/Exchange
   (no ORGANIZER, Windows TZIDs, MAILTO:), Google, Apple or Thunderbird,
   and may hold several VCALENDARs; the first VEVENT gives UID, SEQUENCE
   and DTSTAMP, and the ATTENDEEs of every VEVENT with that UID are read.
   TZIDs resolve through the object's own VTIMEZONE, then the system zones
   (IANA names, prefixed names, Windows names); a VTIMEZONE whose rules
   would make libical expand without end (not yearly) is refused. Dates
   are range-checked (libical accepts month 13; years CALL_MIN_YEAR to
   CALL_MAX_YEAR).

   0 on success: *r is filled and must be freed with call_reply_free().
   -1 with *error_r (and *r empty) when the text is not iCalendar, is cut
   short, holds a line libical could not read (X-LIC-ERROR), has no
   method, no VEVENT, no UID, no attendee with an address, an impossible
   date, an unknown time zone, or passes a CALL_MAX_* limit. */
int call_reply_parse(const char *ics, size_t len, const char *mime_method,
		     struct call_reply *r, const char **error_r);
/* call_reply_free - free what call_reply_parse() filled; r can be reused */
void call_reply_free(struct call_reply *r);

/* call_format_local - the call's time for mail bodies, in English:
   "Monday, July 16, 2018, 12:00 p.m. Eastern (16:00 UTC)". North American
   zones get their generic name (Eastern, Central, Mountain, Pacific, ...),
   other zones their abbreviation (CEST) or "UTC+5:30"; tzid NULL or "UTC"
   gives "Monday, July 16, 2018, 4:00 p.m. UTC". The caller frees. */
char *call_format_local(time_t t, const char *tzid);

#endif
