#ifndef TAGD_TAG_SETTINGS_H
#define TAGD_TAG_SETTINGS_H
/* tagd.conf: the daemon's settings, declared once in config.c as a typed
   table. Every program starts from the embedded defaults (a SQLite file
   and Maildirs in the state directory: nothing to set up) and reads a
   config file over them. */
#include "lib/buf.h"
#include "lib/cfg.h"
#include <stdint.h>

enum imap_tls { IMAP_TLS_NONE, IMAP_TLS_STARTTLS, IMAP_TLS_IMAPS };
enum smtp_tls { SMTP_TLS_NONE, SMTP_TLS_TRY, SMTP_TLS_REQUIRED };
enum trust_mode { TRUST_TOKEN, TRUST_DMARC, TRUST_FROM };

struct tagd_config {
	/* [tagd] */
	char *state_dir;
	char *database;         /* relative paths are under state_dir */
	struct cfg_list sessions; /* session files loaded at start */
	char *templates;        /* organizers' override directory, "" = none */
	char *template_dir;     /* the shipped templates */
	char *hostname;         /* for Message-IDs and EHLO */
	char *user;             /* drop to this user when started as root */
	char *pid_file;
	char *web_url;          /* https base for one-click unsubscribe, "" = none */
	/* [log] */
	int syslog;
	char *debug;
	/* [maildir] */
	char *maildir_in;       /* a Maildir inbox to take mail from, "" = none */
	char *maildir_out;      /* with no SMTP url: outgoing mail is delivered here */
	/* [imap] */
	char *imap_host;        /* "" = no IMAP */
	int64_t imap_port;
	int imap_tls;
	char *imap_ca_file;
	char *imap_user;
	char *imap_password;    /* from imap password_file */
	int imap_auth_plain;
	char *imap_mailbox;
	char *imap_move_to;
	int64_t imap_poll;
	int imap_idle;
	int64_t imap_timeout;
	/* [lmtp] */
	char *lmtp_listen;      /* "127.0.0.1:2424" or a socket path, "" = off */
	/* [http] the one-click unsubscribe endpoint (only with [tagd] web_url) */
	char *http_listen;      /* "127.0.0.1:8025", "" = off */
	int64_t http_timeout;   /* seconds a client has for its request */
	int64_t http_max_conns; /* connections at once */
	/* [smtp] */
	char *smtp_url;         /* "" = deliver to maildir_out */
	int smtp_tls;
	char *smtp_ca_file;
	char *smtp_user;
	char *smtp_password;
	char *smtp_helo;
	int64_t smtp_timeout;
	int64_t smtp_rate;      /* messages per minute, 0 = unlimited */
	int64_t smtp_connections; /* connections (sender threads) to the smarthost */
	int64_t smtp_retry_for; /* give up deferred mail after this long */
	int64_t bounce_threshold;
	/* [limits] */
	int64_t max_message_size;
	int64_t max_line_length;
	int64_t max_headers;
	int64_t max_mime_depth;
	int64_t max_parts;
	int64_t parser_timeout;
	/* [filters] */
	char *filter_order;
	char *external_program;
	int64_t external_timeout;
	/* [trust] */
	int trust;
	char *trusted_authserv;
};

extern const struct cfg_def tagd_config_defs[];

/* tagd_config_load - defaults, then path if given (NULL: the system config
   if it exists). Problems are appended to errors as file:line lines;
   returns their count. */
int tagd_config_load(struct tagd_config *c, const char *path, struct buf *errors);
/* tagd_config_db_path - the database path (state_dir joined); caller frees */
char *tagd_config_path(const struct tagd_config *c, const char *p);
void tagd_config_free(struct tagd_config *c);

#endif
