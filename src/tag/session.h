#ifndef TAGD_TAG_SESSION_H
#define TAGD_TAG_SESSION_H
/* Session files: what an organizer writes to describe one TAG week (see
   examples/ and tagd-session(5)). Parsed with the typed-table config
   reader; every error names the file, the line and the key. */
#include "lib/buf.h"
#include "lib/cfg.h"
#include "store/store.h"
#include <stdint.h>

enum delivery_mode { MODE_EACH, MODE_DIGEST, MODE_NONE };

struct session_conf {
	/* [session] */
	char *slug;
	char *title;
	char *list;             /* the list address: local@domain */
	struct cfg_list organizer; /* "Name <addr>" */
	char *timezone;
	char *opens;            /* YYYY-MM-DD */
	char *closes;
	int digest_at;          /* minutes */
	int64_t min_years;
	int default_mode;       /* enum delivery_mode */
	int ack;                /* acknowledge comments */
	int quiet_digest;       /* send a digest on a day with nothing new */
	int64_t digest_max;     /* comments and replies shown in one digest (CFG_INT: int64_t) */
	int approval;           /* organizers approve sign-ups */
	char *templates;        /* template overrides for this session */
	char *newcomers_url;    /* where the not-yet-eligible can start */
	char *about;            /* topic, for invitations */
	/* [goals] */
	struct cfg_list goal;
	/* [call] */
	char *call_title;
	char *call_start;       /* YYYY-MM-DD HH:MM, session-local */
	int64_t call_duration;  /* minutes */
	char *call_dial_in;
	char *call_url;
	char *call_location;
	char *call_agenda;
	int64_t call_alarm;     /* minutes before */
	int call_reminder_at;   /* local time of the reminder on the call's day */
};

extern const struct cfg_def session_conf_defs[];

/* session_conf_parse - read a session file from text (name for errors).
   Appends "name:line: [section] key: message" lines to errors and
   returns their count; the struct is usable only when that is 0. */
int session_conf_parse(struct session_conf *sc, const char *text, const char *name, struct buf *errors);
int session_conf_load(struct session_conf *sc, const char *path, struct buf *errors);
void session_conf_free(struct session_conf *sc);
/* session_conf_to_store - fill a store record (borrowing sc's strings but
   allocating the organizer/goal arrays: free with session_store_free) */
void session_conf_to_store(const struct session_conf *sc, const char *source, struct st_session *s);
void session_store_free(struct st_session *s);

/* session_conf_of - the full settings of a stored session, from the
   session file text it was created from; 0, or -1 when it no longer parses */
int session_conf_of(const struct st_session *s, struct session_conf *sc);

/* parse_name_addr - "Name <a@b>" or "a@b" into parts (malloc'd); -1 if no address */
int parse_name_addr(const char *in, char **name_r, char **addr_r);
/* addr_valid - a plausible local@domain with no spaces or controls */
int addr_valid(const char *addr);

#endif
