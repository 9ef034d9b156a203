#include "config.h"
#include "lib/log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "tagd";
static int log_syslog;
static int log_debug_mask;
static int log_quiet;
/* the context of this thread's work: each thread (main loop, IMAP poller,
   senders) names its own message, never another's */
static _Thread_local char ctx_session[64];
static _Thread_local char ctx_msgid[160];

static const struct {
	const char *name;
	int bit;
} subsys_names[] = {
	{ "main", LOG_SUB_MAIN }, { "store", LOG_SUB_STORE },
	{ "imap", LOG_SUB_IMAP }, { "lmtp", LOG_SUB_LMTP },
	{ "smtp", LOG_SUB_SMTP }, { "mail", LOG_SUB_MAIL },
	{ "filter", LOG_SUB_FILTER }, { "thread", LOG_SUB_THREAD },
	{ "sched", LOG_SUB_SCHED }, { "call", LOG_SUB_CALL },
	{ "config", LOG_SUB_CONFIG }, { "all", LOG_SUB_ALL },
};

void log_open(const char *ident, int use_syslog)
{
	log_ident = ident;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_MAIL);
}

void log_set_debug(int mask) { log_debug_mask = mask; }
void log_set_quiet(int quiet) { log_quiet = quiet; }
int log_debug_enabled(enum log_subsys sub) { return (log_debug_mask & (int)sub) != 0; }

int log_debug_mask_parse(const char *list, const char **bad_r)
{
	static char bad[32];
	int mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;
		for (i = 0; i < sizeof(subsys_names) / sizeof(subsys_names[0]); i++)
			if (strlen(subsys_names[i].name) == n &&
			    strncmp(subsys_names[i].name, p, n) == 0)
				break;
		if (i == sizeof(subsys_names) / sizeof(subsys_names[0])) {
			snprintf(bad, sizeof(bad), "%.*s", (int)(n < 31 ? n : 31), p);
			if (bad_r)
				*bad_r = bad;
			return -1;
		}
		mask |= subsys_names[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	return mask;
}

void log_set_context(const char *session, const char *msgid)
{
	snprintf(ctx_session, sizeof(ctx_session), "%s", session ? session : "");
	snprintf(ctx_msgid, sizeof(ctx_msgid), "%s", msgid ? msgid : "");
}

static void emit(int prio, const char *level, int with_errno, int err,
		 const char *fmt, va_list ap)
{
	char text[2048];
	char line[2600];
	vsnprintf(text, sizeof(text), fmt, ap);
	/* one event, one line: fold any newline a value brought in */
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	char ctx[256] = "";
	if (ctx_session[0] || ctx_msgid[0])
		snprintf(ctx, sizeof(ctx), "%s%s%s%s%s: ",
			 ctx_session[0] ? "session=" : "", ctx_session,
			 ctx_session[0] && ctx_msgid[0] ? " " : "",
			 ctx_msgid[0] ? "msgid=" : "", ctx_msgid);
	if (with_errno)
		snprintf(line, sizeof(line), "%s%s: %s", ctx, text, strerror(err));
	else
		snprintf(line, sizeof(line), "%s%s", ctx, text);
	if (log_syslog) {
		syslog(prio, "%s: %s", level, line);
	} else {
		fprintf(stderr, "%s: %s: %s\n", log_ident, level, line);
		fflush(stderr);
	}
}

#define LOG_BODY(prio, level, witherr)                         \
	do {                                                   \
		int saved = errno;                             \
		va_list ap;                                    \
		va_start(ap, fmt);                             \
		emit(prio, level, witherr, saved, fmt, ap);    \
		va_end(ap);                                    \
		errno = saved;                                 \
	} while (0)

void log_debug(enum log_subsys sub, const char *fmt, ...)
{
	if (!(log_debug_mask & (int)sub))
		return;
	LOG_BODY(LOG_DEBUG, "debug", 0);
}

void log_info(const char *fmt, ...)
{
	if (log_quiet)
		return;
	LOG_BODY(LOG_INFO, "info", 0);
}

void log_warn(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "warning", 0); }
void log_warn_errno(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "warning", 1); }
void log_error(const char *fmt, ...) { LOG_BODY(LOG_ERR, "error", 0); }
void log_error_errno(const char *fmt, ...) { LOG_BODY(LOG_ERR, "error", 1); }

void log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal", 0);
	exit(1);
}

void log_fatal_errno(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal", 1);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "panic", 0);
	abort();
}
