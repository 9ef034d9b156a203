/* config.c - the table of tagd.conf settings */
#include "config.h"
#include "tag/settings.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C(f) offsetof(struct tagd_config, f)
#define CI(f) CFG_I64_FIELD(struct tagd_config, f) /* CFG_INT, CFG_SIZE, CFG_SECONDS */

static int check_filters(const char *v, const char **error_r);

/* check_https - the one-click unsubscribe needs an https URL (RFC 8058) */
static int check_https(const char *v, const char **error_r)
{
	if (strncmp(v, "https://", 8) != 0 || v[8] == '\0' || strpbrk(v, " \t\r\n\"<>") != NULL) {
		*error_r = "must be an https:// URL (RFC 8058 one-click unsubscribe needs https)";
		return -1;
	}
	return 0;
}

const struct cfg_def tagd_config_defs[] = {
	{ "tagd", "state_dir", CFG_PATH, C(state_dir), TAGD_STATEDIR, 0, 0, NULL, "directory for the database and Maildirs", NULL },
	{ "tagd", "database", CFG_PATH, C(database), "tagd.db", 0, 0, NULL, "SQLite database (relative to state_dir)", NULL },
	{ "tagd", "session", CFG_LIST, C(sessions), NULL, 0, 0, NULL, "a session file to load at start (repeatable)", NULL },
	{ "tagd", "templates", CFG_PATH, C(templates), "", 0, 0, NULL, "directory of organizers' template overrides", NULL },
	{ "tagd", "template_dir", CFG_PATH, C(template_dir), TAGD_TEMPLATEDIR, 0, 0, NULL, "the shipped templates", NULL },
	{ "tagd", "hostname", CFG_STR, C(hostname), "localhost", 0, 0, NULL, "host name for Message-IDs and EHLO", NULL },
	{ "tagd", "user", CFG_STR, C(user), "", 0, 0, NULL, "unprivileged user to switch to when started as root", NULL },
	{ "tagd", "pid_file", CFG_PATH, C(pid_file), "", 0, 0, NULL, "write the daemon's pid here", NULL },
	{ "tagd", "web_url", CFG_STR, C(web_url), "", 0, 0, NULL, "https base URL of tagd's web endpoint (one-click unsubscribe), empty = none", check_https },
	{ "log", "syslog", CFG_BOOL, C(syslog), "no", 0, 0, NULL, "log to syslog/journald instead of stderr", NULL },
	{ "log", "debug", CFG_STR, C(debug), "", 0, 0, NULL, "debug subsystems: imap,lmtp,smtp,mail,filter,thread,sched,call,store,config or all", NULL },
	{ "maildir", "inbox", CFG_PATH, C(maildir_in), "mail/in", 0, 0, NULL, "Maildir to take incoming mail from (relative to state_dir), empty = none", NULL },
	{ "maildir", "outbox", CFG_PATH, C(maildir_out), "mail/out", 0, 0, NULL, "Maildir that receives outgoing mail when no SMTP url is set", NULL },
	{ "imap", "host", CFG_STR, C(imap_host), "", 0, 0, NULL, "IMAP server; empty = no IMAP", NULL },
	{ "imap", "port", CFG_INT, CI(imap_port), "993", 1, 65535, NULL, "IMAP port", NULL },
	{ "imap", "tls", CFG_ENUM, C(imap_tls), "imaps", 0, 0, "none|starttls|imaps", "TLS mode; the certificate is always checked", NULL },
	{ "imap", "ca_file", CFG_PATH, C(imap_ca_file), "", 0, 0, NULL, "CA bundle for a private CA (default: system store)", NULL },
	{ "imap", "user", CFG_STR, C(imap_user), "", 0, 0, NULL, "IMAP login", NULL },
	{ "imap", "password_file", CFG_SECRET_FILE, C(imap_password), NULL, 0, 0, NULL, "file holding the IMAP password (not readable by others)", NULL },
	{ "imap", "auth", CFG_ENUM, C(imap_auth_plain), "login", 0, 0, "login|plain", "LOGIN or AUTHENTICATE PLAIN", NULL },
	{ "imap", "mailbox", CFG_STR, C(imap_mailbox), "INBOX", 0, 0, NULL, "mailbox to take mail from", NULL },
	{ "imap", "move_to", CFG_STR, C(imap_move_to), "", 0, 0, NULL, "move taken mail to this folder (empty: only mark \\Seen)", NULL },
	{ "imap", "poll_interval", CFG_SECONDS, CI(imap_poll), "60s", 1, 86400, NULL, "poll interval when the server has no IDLE", NULL },
	{ "imap", "idle", CFG_BOOL, C(imap_idle), "yes", 0, 0, NULL, "use IDLE when the server offers it", NULL },
	{ "imap", "timeout", CFG_SECONDS, CI(imap_timeout), "60s", 1, 3600, NULL, "network timeout", NULL },
	{ "lmtp", "listen", CFG_STR, C(lmtp_listen), "", 0, 0, NULL, "LMTP listener: host:port or a UNIX socket path; empty = off", NULL },
	{ "http", "listen", CFG_STR, C(http_listen), "127.0.0.1:8025", 0, 0, NULL, "HTTP listener for one-click unsubscribe (RFC 8058), HOST:PORT behind a TLS reverse proxy; used only when [tagd] web_url is set; empty = off", NULL },
	{ "http", "timeout", CFG_SECONDS, CI(http_timeout), "10s", 1, 300, NULL, "time a client has to send its whole request", NULL },
	{ "http", "max_connections", CFG_INT, CI(http_max_conns), "32", 1, 1000, NULL, "HTTP connections at once (one more gets 503)", NULL },
	{ "smtp", "url", CFG_STR, C(smtp_url), "", 0, 0, NULL, "smarthost: smtp://host:587 or smtps://host:465; empty = Maildir outbox", NULL },
	{ "smtp", "tls", CFG_ENUM, C(smtp_tls), "required", 0, 0, "none|try|required", "STARTTLS for smtp:// urls", NULL },
	{ "smtp", "ca_file", CFG_PATH, C(smtp_ca_file), "", 0, 0, NULL, "CA bundle for the smarthost", NULL },
	{ "smtp", "user", CFG_STR, C(smtp_user), "", 0, 0, NULL, "SMTP AUTH user (empty: no AUTH)", NULL },
	{ "smtp", "password_file", CFG_SECRET_FILE, C(smtp_password), NULL, 0, 0, NULL, "file holding the SMTP password", NULL },
	{ "smtp", "helo", CFG_STR, C(smtp_helo), "", 0, 0, NULL, "EHLO name (default: hostname)", NULL },
	{ "smtp", "timeout", CFG_SECONDS, CI(smtp_timeout), "60s", 1, 3600, NULL, "per-message timeout", NULL },
	{ "smtp", "rate_per_minute", CFG_INT, CI(smtp_rate), "0", 0, 1000000, NULL, "sending rate limit, 0 = none", NULL },
	{ "smtp", "connections", CFG_INT, CI(smtp_connections), "1", 1, 16, NULL,
	  "connections to the smarthost, each sending its share of the outbox (the rate limit is shared out too)", NULL },
	{ "smtp", "retry_for", CFG_SECONDS, CI(smtp_retry_for), "5d", 60, 60 * 86400, NULL, "how long deferred mail is retried", NULL },
	{ "smtp", "bounce_threshold", CFG_INT, CI(bounce_threshold), "5", 1, 1000, NULL, "bounce score that disables delivery to a participant", NULL },
	{ "limits", "max_message_size", CFG_SIZE, CI(max_message_size), "25M", 1024, (int64_t)1 << 31, NULL, "largest message taken", NULL },
	{ "limits", "max_line_length", CFG_SIZE, CI(max_line_length), "1M", 998, (int64_t)1 << 30, NULL, "longest line", NULL },
	{ "limits", "max_headers", CFG_INT, CI(max_headers), "1000", 10, 100000, NULL, "most header fields", NULL },
	{ "limits", "max_mime_depth", CFG_INT, CI(max_mime_depth), "20", 1, 100, NULL, "deepest MIME nesting", NULL },
	{ "limits", "max_parts", CFG_INT, CI(max_parts), "500", 1, 100000, NULL, "most MIME parts", NULL },
	{ "limits", "parser_timeout", CFG_SECONDS, CI(parser_timeout), "10s", 1, 600, NULL, "time one message may take to parse", NULL },
	{ "filters", "order", CFG_STR, C(filter_order), "size,loop,autoreply,bounce,sender,signature", 0, 0, NULL, "filter stages in order", check_filters },
	{ "filters", "external_program", CFG_STR, C(external_program), "", 0, 0, NULL, "program for the external stage (message on stdin)", NULL },
	{ "filters", "external_timeout", CFG_SECONDS, CI(external_timeout), "30s", 1, 3600, NULL, "time the external program may take", NULL },
	{ "trust", "mode", CFG_ENUM, C(trust), "from", 0, 0, "token|dmarc|from", "what proves a comment comes from its participant", NULL },
	{ "trust", "authserv_id", CFG_STR, C(trusted_authserv), "", 0, 0, NULL, "Authentication-Results host whose verdicts are trusted", NULL },
	CFG_END
};

static int check_filters(const char *v, const char **error_r)
{
	static const char *const known[] = { "size", "loop", "autoreply", "bounce", "sender",
					     "signature", "external" };
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == 0)
			break;
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == n && strncmp(known[i], p, n) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			*error_r = "unknown filter stage (known: size, loop, autoreply, bounce, sender, signature, external)";
			return -1;
		}
		p += n;
	}
	return 0;
}

int tagd_config_load(struct tagd_config *c, const char *path, struct buf *errors)
{
	memset(c, 0, sizeof(*c));
	cfg_defaults(tagd_config_defs, c);
	/* under systemd (StateDirectory=tagd) the state lives where it says */
	const char *sdir = getenv("STATE_DIRECTORY");
	if (sdir && *sdir) {
		char *first = xstrndup(sdir, strcspn(sdir, ":"));
		const char *e;
		cfg_set(tagd_config_defs, c, "tagd", "state_dir", first, &e);
		free(first);
	}
	/* an uninstalled build (tests, make demo) names its templates here */
	const char *tdir = getenv("TAGD_TEMPLATE_DIR");
	if (tdir && *tdir) {
		const char *e;
		cfg_set(tagd_config_defs, c, "tagd", "template_dir", tdir, &e);
	}
	const char *sys = TAGD_SYSCONFDIR "/tagd.conf";
	if (path == NULL) {
		if (access(sys, F_OK) != 0)
			return 0;
		path = sys;
	}
	return cfg_load_file(tagd_config_defs, c, path, errors);
}

char *tagd_config_path(const struct tagd_config *c, const char *p)
{
	if (p[0] == '/' || c->state_dir == NULL || c->state_dir[0] == '\0')
		return xstrdup(p);
	return xasprintf("%s/%s", c->state_dir, p);
}

void tagd_config_free(struct tagd_config *c)
{
	cfg_free(tagd_config_defs, c);
}
