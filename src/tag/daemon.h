#ifndef TAGD_TAG_DAEMON_H
#define TAGD_TAG_DAEMON_H
/* tagd's main job: take mail from the configured sources (a Maildir inbox,
   IMAP with IDLE in its own thread, an LMTP listener), process it, send the
   outbox and run each session's schedule, until a signal says stop.
   SIGHUP reloads the config and templates; SIGTERM/SIGINT finish the
   message and the transaction under way, then exit; a second one exits at
   once (the store and the outbox make that safe). */
#include <time.h>

struct daemon_opts {
	const char *config_path;        /* NULL: the system config if present */
	const char *db_path;            /* NULL: from the config */
	const char *debug;              /* -v list */
	int background;                 /* --daemon */
	int once;                       /* take what is there, do what is due, exit */
	time_t clock_start;             /* simulated clock start, 0 = real time */
	double clock_speed;             /* simulated seconds per real second */
	time_t until;                   /* stop when the clock passes this, 0 = never */
};

/* daemon_run - the exit status for main() */
int daemon_run(const struct daemon_opts *o);

/* daemon_check_config - load the config and every session file it names,
   report each problem as file:line; with connections, also try IMAP and
   SMTP. The exit status for main(). */
int daemon_check_config(const char *config_path, int connections);
/* daemon_dump_config - print the effective settings, secrets hidden */
int daemon_dump_config(const char *config_path);

#endif
