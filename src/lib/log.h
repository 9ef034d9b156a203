#ifndef TAGD_LOG_H
#define TAGD_LOG_H
/* Logging with fixed meanings (Postfix msg.c): info, warn, error; fatal is a
   broken environment (exit 1), panic a bug (abort). The *_errno variants add
   strerror(errno). One line per event; the context (session slug and
   message id) set with log_set_context() is prefixed to every line so one
   mail can be followed through the log. */
#include <stdarg.h>

enum log_subsys {
	LOG_SUB_MAIN = 1 << 0,
	LOG_SUB_STORE = 1 << 1,
	LOG_SUB_IMAP = 1 << 2,
	LOG_SUB_LMTP = 1 << 3,
	LOG_SUB_SMTP = 1 << 4,
	LOG_SUB_MAIL = 1 << 5,
	LOG_SUB_FILTER = 1 << 6,
	LOG_SUB_THREAD = 1 << 7,
	LOG_SUB_SCHED = 1 << 8,
	LOG_SUB_CALL = 1 << 9,
	LOG_SUB_CONFIG = 1 << 10,
	LOG_SUB_ALL = 0x7fffffff,
};

/* log_open - ident for syslog/stderr; use_syslog != 0 sends to syslog (journald) */
void log_open(const char *ident, int use_syslog);
/* log_set_debug - a mask of enum log_subsys that log_debug prints */
void log_set_debug(int mask);
/* log_debug_mask_parse - "imap,smtp" or "all" to a mask; -1 on an unknown name */
int log_debug_mask_parse(const char *list, const char **bad_r);
int log_debug_enabled(enum log_subsys sub);
/* log_set_quiet - suppress info lines (warnings and errors still go out) */
void log_set_quiet(int quiet);
/* log_set_context - session and message id for the following lines; NULL clears */
void log_set_context(const char *session, const char *msgid);

void log_debug(enum log_subsys sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_fatal_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
