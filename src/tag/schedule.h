#ifndef TAGD_TAG_SCHEDULE_H
#define TAGD_TAG_SCHEDULE_H
/* The week's calendar. Each session has these events, in its time zone:

     open        the first day (opens) at 00:00: the session goes from
                 planned to open and the draft is mailed to every active
                 participant (it waits while the session has no draft)
     reminder:DAY the launch call's reminder mail (callmail_reminder), on
                 the call's day at [call] reminder_at, or the day before
                 when the call starts earlier than that (only when the
                 session has a call that is not cancelled)
     digest:DAY  each day of the window at digest_at: the daily digest
     digest:DAY  the day after the last one, at the close: the last digest
                 (what came after the last digest hour)
     close       the day after closes at 00:00: the session is closed and
                 every active participant gets the session-closed mail

   Events are done in order when their time has come on the one clock
   (clock_now(): tagd --clock/--speed set it), each in one transaction
   with the mail it queues and a row in the store's schedule table, so a
   restart at any point neither skips nor repeats one: a daemon that was
   down catches up, in order. While a session is open, every active
   participant is also kept supplied with the current revision of the
   draft: someone who joins gets it, and a revision imported during the
   window (tagctl draft import, or mailed to LIST+revise) goes out at the
   next pass, within a second, marked as revised with the paragraphs that
   changed; the next digest shows the same changes as a word diff.

   A session that is still planned more than SCHEDULE_STALE_DAYS after its
   close (an old database, a clock far off) is left alone, with a warning:
   tagd does not mail a whole past week at once. */
#include "store/store.h"
#include "tag/session.h"
#include "tag/settings.h"
#include <time.h>

#define SCHEDULE_MAX_DAYS 92          /* review windows longer than this are cut (logged) */
#define SCHEDULE_RETRY_S 60           /* wait after a failed event before trying again (simulated seconds) */
#define SCHEDULE_STALE_DAYS 7         /* a planned session found this long after its close is left alone */

enum sched_kind { SCHED_OPEN, SCHED_REMINDER, SCHED_DIGEST, SCHED_CLOSE };

struct sched_event {
	enum sched_kind kind;
	time_t at;
	char key[32];           /* "open", "reminder:2018-07-16", "digest:2018-07-16", "close" */
	char day[11];           /* the session-local day it falls on */
	int final;              /* the last digest, at the close */
};

/* schedule_calendar - the session's events in order (at, then kind).
   call_start: when the launch call starts (0: no call, no reminder);
   reminder_at: the reminder's local time on the call's day, in minutes.
   0, or -1 with *error_r for dates or a zone that cannot be read. The
   caller frees *ev_r. */
int schedule_calendar(const struct st_session *ses, time_t call_start, int reminder_at,
		      struct sched_event **ev_r, int *n_r, const char **error_r);

/* schedule_call_start - the launch call's start for the calendar: the
   stored call (callmail keeps it, moved or not; 0 when cancelled), else
   the session file's [call] start; 0 when there is none */
time_t schedule_call_start(struct store *st, const struct st_session *ses, const struct session_conf *sc);

/* schedule_kind_name - "open", "reminder", "digest", "close" */
const char *schedule_kind_name(enum sched_kind k);

struct schedule;

struct schedule *schedule_new(struct store *st, const struct tagd_config *cfg);
void schedule_free(struct schedule **s);
/* schedule_reload - after SIGHUP: the new config (templates are read again by mailout) */
void schedule_reload(struct schedule *s, const struct tagd_config *cfg);

/* schedule_run - do what is due at now in every session that is not
   closed: events in order, then the draft for whoever lacks the current
   revision. Returns the number of events done, or -1 when the store
   failed (what failed is tried again at a later call). */
int schedule_run(struct schedule *s, time_t now);

#endif
