#ifndef TAGD_MAIL_MSG_H
#define TAGD_MAIL_MSG_H
/* The parsed view of one incoming message: decoded headers, the text a
   person wrote (as UTF-8), the MIME leaves, calendar and report parts.
   Everything here is owned by the struct mail_msg and freed with it.

   Parsing untrusted mail uses libetpan, which crashes on some inputs (see
   shared/DEPENDENCIES.md §2). mail_parse() guards the known triggers and
   checks every range; mail_parser_* runs mail_parse() in a long-lived child
   process so that a crash costs one message (class "rejected"), never the
   daemon. */
#include <stddef.h>
#include <time.h>

struct mail_limits {
	size_t max_size;        /* whole message, bytes */
	size_t max_line;        /* one physical line, bytes */
	size_t max_headers;     /* header fields in one header block */
	size_t max_depth;       /* MIME nesting */
	size_t max_parts;       /* MIME parts in all */
};

/* mail_limits_default - 25 MB, 1 MB lines, 1000 headers, depth 20, 500 parts */
void mail_limits_default(struct mail_limits *lim);

/* What one view holds at most, beyond the limits above. */
#define MAIL_MAX_REFERENCES 500 /* References ids kept (the first ones) */
#define MAIL_MAX_ADDRS 1000     /* To (or Cc) addresses kept */

struct mail_addr {
	char *name;             /* display name, decoded to UTF-8; may be NULL */
	char *addr;             /* local@domain as written; NULL if unparsable */
};

struct mail_header {
	char *name;             /* as written */
	char *value;            /* unfolded, RFC 2047 words decoded to UTF-8 */
};

enum mail_part_role {
	MAIL_PART_BODY_TEXT,    /* the text/plain body chosen as msg->text */
	MAIL_PART_BODY_HTML,    /* the text/html alternative */
	MAIL_PART_CALENDAR,     /* text/calendar or application/ics */
	MAIL_PART_REPORT,       /* message/delivery-status, message/feedback-report,
				   message/disposition-notification */
	MAIL_PART_MESSAGE,      /* an enclosed message/rfc822 (its headers+body raw) */
	MAIL_PART_ATTACHMENT,   /* anything else */
	MAIL_PART_OTHER_TEXT,   /* a text part not chosen as the body */
};

struct mail_part {
	enum mail_part_role role;
	char *content_type;     /* lowercased "type/subtype" */
	char *charset;          /* lowercased, NULL if none */
	char *filename;         /* RFC 2231 / RFC 2047 decoded, NULL if none */
	char *method;           /* text/calendar method= parameter, uppercased, or NULL */
	int depth;              /* MIME depth, 0 = top */
	char *data;             /* decoded content: UTF-8 for text parts,
				   raw bytes otherwise; NUL-terminated */
	size_t len;
};

struct mail_msg {
	char *message_id;       /* without <>; NULL if absent */
	char *in_reply_to;      /* first id, without <> */
	char **references;      /* ids without <>, oldest first */
	int nreferences;
	char *subject;          /* decoded UTF-8, "" if absent */
	struct mail_addr from;
	struct mail_addr reply_to;
	struct mail_addr sender;
	struct mail_addr *to;
	int nto;
	struct mail_addr *cc;
	int ncc;
	time_t date;            /* 0 if absent or unparsable */
	struct mail_header *headers; /* the top-level header block, in order */
	int nheaders;

	char *text;             /* the body as text, UTF-8, LF line ends:
				   text/plain (format=flowed unwrapped) if there
				   is one, else the HTML made text (quoted HTML
				   blocks rendered as "> " lines), else "" */
	int text_from_html;     /* 1 when text was made from HTML */
	char *html;             /* the text/html body as UTF-8, NULL if none */
	struct mail_part *parts;/* every leaf part, in document order */
	int nparts;

	char *content_type;     /* top-level, lowercased type/subtype */
	char *report_type;      /* multipart/report report-type=, lowercased, or NULL */
	int problems;           /* count of things repaired or guarded while parsing */
	char *problem;          /* the first such thing, for the log; NULL if none */
};

/* mail_parse - parse raw (len bytes; need not be NUL-terminated) into a
   view. 0 on success (possibly with msg->problems); -1 when the message
   cannot be read at all or passes a limit, with *error_r saying which.
   Never crashes on the inputs listed in DEPENDENCIES.md §2.
   Limits (lim NULL: mail_limits_default): over max_size, a line over
   max_line, or more than max_headers fields in the top-level block (in
   nested blocks too when the structure had to be followed) give -1; an
   entity nested beyond max_depth is kept whole as an attachment
   (application/octet-stream) and the parts past max_parts are dropped,
   both counted in problems. Error strings are static.
   Installs libetpan's extended_charconv hook (process-wide) so libetpan's
   own conversions go through our converters. Thread-safe. */
int mail_parse(const char *raw, size_t len, const struct mail_limits *lim,
	       struct mail_msg **msg_r, const char **error_r);
void mail_msg_free(struct mail_msg **msg);

/* mail_cleanup - release this thread's cached charset converters (iconv
   descriptors kept between messages); parsing again later is fine */
void mail_cleanup(void);

/* mail_header_get - the first header of that name (case-insensitive), decoded; NULL if none */
const char *mail_header_get(const struct mail_msg *m, const char *name);
/* mail_header_next - the next header of that name after index *i (start with *i = -1) */
const char *mail_header_next(const struct mail_msg *m, const char *name, int *i);

/* An isolated parser: a child process that parses, and is restarted when it
   dies. mail_parser_parse() gives the same result as mail_parse(), or -1
   with *error_r "parser crashed: ..." / "parser timed out" when the child
   died or hung on this message. *error_r stays valid until the next call
   on p. mail_parser_new forks at once (do it before starting threads):
   NULL if no child can be started; timeout_ms <= 0 means 10 s. One parser
   serves one thread. The child reads TAGD_MAIL_PARSER_FAULTS (tests only:
   fault injection, see parser.c) when it starts. */
struct mail_parser;
struct mail_parser *mail_parser_new(const struct mail_limits *lim, int timeout_ms);
int mail_parser_parse(struct mail_parser *p, const char *raw, size_t len,
		      struct mail_msg **msg_r, const char **error_r);
/* mail_parser_send_ahead - hand the child the message that will be parsed
   next, so that it parses while this thread works on the one before; the
   mail_parser_parse of the same bytes then only reads the answer. A hint:
   it does nothing when a message is already ahead, the child cannot be
   reached, or the message is over 1 MB; a parse of other bytes reads the
   answer ahead and drops it. The bytes are copied. */
void mail_parser_send_ahead(struct mail_parser *p, const char *raw, size_t len);
void mail_parser_free(struct mail_parser **p);
/* mail_parser_child_pid - the current child's process id, -1 when none is
   running (one is started on the next parse); for tests and the log */
int mail_parser_child_pid(const struct mail_parser *p);

#endif
