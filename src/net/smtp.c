#include "config.h"
#include "net/smtp.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Where the dialogue stands, from the commands curl writes (debug
   callback, CURLINFO_HEADER_OUT). The stage at which a reply came decides
   what a 5xx means: refused mail, or a broken session (login, TLS). */
enum stage {
	ST_CONNECT,   /* greeting */
	ST_EHLO,
	ST_STARTTLS,
	ST_AUTH,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,      /* DATA sent, waiting for 354 */
	ST_BODY,      /* 354 came: the message is going out */
	ST_QUIT,
	ST_OTHER,
};

/* the state of one smtp_send attempt */
struct xfer {
	const char *data;     /* the message */
	size_t len, off;
	int eof;              /* curl has read all of it */
	enum stage stage;
	int got_354;
	int got_2xx;          /* some command was accepted in this attempt */
	int final_code;       /* the reply to the end of data; 0 none yet */
	int code;             /* last complete reply code (>= 400 kept) */
	enum stage code_stage;
	char reply[SMTP_TEXT_MAX]; /* the line of `code` */
	int auth_pending;     /* a 334 asked for credentials: next line is secret */
};

struct smtp_client {
	CURL *curl;
	char *url;            /* with the EHLO name as path */
	struct curl_slist *rcpts;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	int connect_timeout_s, timeout_s;
};

const char *smtp_status_name(enum smtp_status s)
{
	switch (s) {
	case SMTP_SENT: return "sent";
	case SMTP_TEMPFAIL: return "tempfail";
	case SMTP_PERMFAIL: return "permfail";
	}
	return "?";
}

/* smtp_global_init - init libcurl and check it can speak SMTP over TLS */
int smtp_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("smtp: curl_global_init failed");
		return -1;
	}
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	int smtp = 0, smtps = 0;
	for (const char *const *p = v->protocols; p && *p; p++) {
		if (strcmp(*p, "smtp") == 0)
			smtp = 1;
		else if (strcmp(*p, "smtps") == 0)
			smtps = 1;
	}
	if (!smtp || !smtps || !(v->features & CURL_VERSION_SSL)) {
		log_error("smtp: libcurl %s lacks SMTP or TLS support", v->version);
		curl_global_cleanup();
		return -1;
	}
	return 0;
}

void smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

/* stage_of - the stage a command line (as curl wrote it) starts */
static enum stage stage_of(const char *line, size_t n)
{
	static const struct {
		const char *verb;
		enum stage st;
	} verbs[] = {
		{ "EHLO", ST_EHLO }, { "HELO", ST_EHLO }, { "STARTTLS", ST_STARTTLS },
		{ "AUTH", ST_AUTH }, { "MAIL", ST_MAIL }, { "RCPT", ST_RCPT },
		{ "DATA", ST_DATA }, { "QUIT", ST_QUIT },
	};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t vl = strlen(verbs[i].verb);
		if (n >= vl && str_ncasecmp(line, verbs[i].verb, vl) == 0 &&
		    (n == vl || line[vl] == ' ' || line[vl] == '\r' || line[vl] == '\n'))
			return verbs[i].st;
	}
	return ST_OTHER;
}

/* sanitize - a printable, single-line copy of n bytes into out */
static void sanitize(const char *p, size_t n, char *out, size_t size)
{
	size_t o = 0;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)p[i];
		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[o] = '\0';
}

/* on_reply_line - one server reply line "NNN-text" or "NNN text" */
static void on_reply_line(struct xfer *x, const char *p, size_t n)
{
	char line[SMTP_TEXT_MAX];
	sanitize(p, n, line, sizeof(line));
	log_debug(LOG_SUB_SMTP, "smtp S: %s", line);
	if (strlen(line) < 3 || line[0] < '1' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return;
	if (line[3] == '-')
		return;  /* a continuation line; the last one decides */
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	x->auth_pending = (code == 334);
	if (code >= 200 && code < 300 && x->stage != ST_CONNECT)
		x->got_2xx = 1;
	if (x->stage == ST_DATA && code == 354) {
		x->got_354 = 1;
		x->stage = ST_BODY;
		return;
	}
	if (x->stage == ST_BODY)
		x->final_code = code;
	/* keep the first failing reply of the attempt: later ones (QUIT) are
	   noise; keep a success only while nothing failed */
	if (x->code < 400 && x->stage != ST_QUIT) {
		x->code = code;
		x->code_stage = x->stage;
		snprintf(x->reply, sizeof(x->reply), "%s", line);
	}
}

/* debug_cb - follow the dialogue: commands set the stage, replies are
   recorded. Credentials (AUTH and what follows a 334) are never logged. */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct xfer *x = arg;
	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		if (x->auth_pending) {
			log_debug(LOG_SUB_SMTP, "smtp C: <credentials>");
			return 0;
		}
		enum stage st = stage_of(data, size);
		if (st != ST_OTHER || x->stage != ST_AUTH)
			x->stage = st;
		if (st == ST_AUTH) {
			log_debug(LOG_SUB_SMTP, "smtp C: AUTH <credentials>");
		} else if (log_debug_enabled(LOG_SUB_SMTP)) {
			char line[SMTP_TEXT_MAX];
			sanitize(data, size, line, sizeof(line));
			log_debug(LOG_SUB_SMTP, "smtp C: %s", line);
		}
	} else if (type == CURLINFO_HEADER_IN) {
		const char *p = data, *end = data + size;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			on_reply_line(x, p, n);
			p += n;
		}
	} else if (type == CURLINFO_TEXT && log_debug_enabled(LOG_SUB_SMTP)) {
		char line[SMTP_TEXT_MAX];
		sanitize(data, size, line, sizeof(line));
		log_debug(LOG_SUB_SMTP, "smtp *: %s", line);
	}
	return 0;
}

/* read_cb - hand curl the message */
static size_t read_cb(char *buffer, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * nitems;
	size_t n = x->len - x->off;
	if (n > room)
		n = room;
	if (n)
		memcpy(buffer, x->data + x->off, n);
	x->off += n;
	/* with the size known, curl does not ask again after the last byte */
	if (n == 0 || x->off >= x->len)
		x->eof = 1;
	return n;
}

/* url_with_helo - the URL with the EHLO name as its path (curl's way) */
static char *url_with_helo(const char *url, const char *helo)
{
	const char *p = strstr(url, "://");
	const char *path = p ? strchr(p + 3, '/') : NULL;
	size_t base = path ? (size_t)(path - url) : strlen(url);
	if (helo && *helo)
		return xasprintf("%.*s/%s", (int)base, url, helo);
	return xstrdup(url);
}

/* valid_text - at most max bytes, no spaces or controls */
static int valid_text(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 || s[n] == 0x7f || n >= max)
			return 0;
	return 1;
}

/* setup - set the options that hold for the client's life */
static int setup(struct smtp_client *c, const struct smtp_config *cfg)
{
	CURL *h = c->curl;
	int cto = c->connect_timeout_s;
	int to = c->timeout_s;
	int idle = cfg->max_idle_s > 0 ? cfg->max_idle_s : SMTP_DEFAULT_MAX_IDLE_S;
	long use_ssl = cfg->starttls >= 2 ? (long)CURLUSESSL_ALL :
		       cfg->starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, use_ssl);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* no proxy for SMTP, and no look-up of proxy variables in the
	   environment, which the main thread may be changing (lib/clock) */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_TCP_NODELAY, 1L);   /* Nagle + delayed ACK stalls 40 ms per message */
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, (long)cto);
	/* a stalled peer: no reply for `to` seconds, or under 1 byte/s for
	   `to` seconds while the body goes out */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)to);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, (long)to);
	SET(CURLOPT_MAXAGE_CONN, (long)idle);
	SET(CURLOPT_MAXCONNECTS, 1L);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, &c->x);
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, &c->x);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	if (cfg->user && *cfg->user) {
		SET(CURLOPT_USERNAME, cfg->user);
		SET(CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	if (cfg->ca_file && *cfg->ca_file)
		SET(CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->insecure_skip_verify) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
#undef SET
	if (rc != CURLE_OK) {
		log_error("smtp: cannot configure libcurl: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

struct smtp_client *smtp_client_new(const struct smtp_config *cfg)
{
	if (!cfg || !cfg->url || !(str_istarts(cfg->url, "smtp://") || str_istarts(cfg->url, "smtps://"))) {
		log_error("smtp: the smarthost URL must start with smtp:// or smtps:// (got \"%s\")",
			  cfg && cfg->url ? cfg->url : "");
		return NULL;
	}
	if (!valid_text(cfg->url, 1024) || (cfg->helo && !valid_text(cfg->helo, 255))) {
		log_error("smtp: the smarthost URL or EHLO name has spaces, controls or is too long");
		return NULL;
	}
	if (cfg->starttls < 0 || cfg->starttls > 2) {
		log_error("smtp: starttls must be 0 (none), 1 (if offered) or 2 (required)");
		return NULL;
	}
	if (cfg->user && *cfg->user && str_istarts(cfg->url, "smtp://") && cfg->starttls < 2)
		log_warn("smtp: AUTH without required TLS: the password may cross the network in clear");
	struct smtp_client *c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		log_error("smtp: curl_easy_init failed");
		free(c);
		return NULL;
	}
	c->url = url_with_helo(cfg->url, cfg->helo);
	c->connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : SMTP_DEFAULT_CONNECT_TIMEOUT_S;
	c->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : SMTP_DEFAULT_TIMEOUT_S;
	if (setup(c, cfg) < 0) {
		smtp_client_free(&c);
		return NULL;
	}
	return c;
}

/* valid_address - no controls, spaces or brackets, and not too long */
static int valid_address(const char *a, int allow_empty)
{
	size_t n = strlen(a);
	if ((n == 0 && !allow_empty) || n > SMTP_MAX_ADDRESS - 2)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>')
			return 0;
	}
	return 1;
}

/* strip_brackets - "<a@b>" to "a@b" into out */
static void strip_brackets(const char *a, char *out, size_t size)
{
	size_t n = strlen(a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		snprintf(out, size, "%.*s", (int)(n - 2), a + 1);
	else
		snprintf(out, size, "%s", a);
}

/* auth_code - reply codes that speak of our login, not of the message */
static int auth_code(int code)
{
	return code == 530 || code == 534 || code == 535 || code == 538;
}

/* classify - turn curl's result and the dialogue into a result */
static void classify(const struct xfer *x, CURLcode rc, const char *errbuf,
		     struct smtp_result *res)
{
	const char *err = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	res->ambiguous = 0;
	if (rc == CURLE_OK) {
		res->status = SMTP_SENT;
		res->code = x->final_code ? x->final_code : 250;
		snprintf(res->text, sizeof(res->text), "%s", x->final_code ? x->reply : "250 sent");
		return;
	}
	if (x->code >= 400) {
		res->code = x->code;
		snprintf(res->text, sizeof(res->text), "%s", x->reply);
		if (x->code >= 500 && !auth_code(x->code) &&
		    (x->code_stage == ST_MAIL || x->code_stage == ST_RCPT ||
		     x->code_stage == ST_DATA || x->code_stage == ST_BODY))
			res->status = SMTP_PERMFAIL;
		else
			res->status = SMTP_TEMPFAIL;
		return;
	}
	res->status = SMTP_TEMPFAIL;
	res->code = 0;
	if (x->got_354 && x->eof && x->final_code == 0) {
		/* the end of data may have reached the server: it may have taken it */
		res->ambiguous = 1;
		snprintf(res->text, sizeof(res->text),
			 "no reply to the end of data (maybe delivered): %s", err);
	} else if (rc == CURLE_USE_SSL_FAILED) {
		snprintf(res->text, sizeof(res->text), "STARTTLS required but not offered: %s", err);
	} else {
		snprintf(res->text, sizeof(res->text), "%s", err);
	}
}

/* drop_connection - a connection that may still owe a reply (a timeout
   while the server was busy) must not carry the next message: its late
   reply would answer our next command. curl keeps such a connection
   after a timeout in the final reply, so shut its socket: curl then finds
   it dead, opens a new one, and sends no QUIT into the silence. */
static void drop_connection(struct smtp_client *c)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK && fd != CURL_SOCKET_BAD)
		shutdown(fd, SHUT_RDWR);
}

/* attempt - one curl_easy_perform; the outcome through x and the return */
static CURLcode attempt(struct smtp_client *c, const char *data, size_t len, long *connects_r)
{
	memset(&c->x, 0, sizeof(c->x));
	c->x.data = data;
	c->x.len = len;
	/* replies before the first command are the greeting; on a reused
	   connection the first thing is our MAIL */
	c->x.stage = ST_CONNECT;
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	/* a hard cap on the whole attempt, for a peer that trickles just fast
	   enough to beat the other timeouts: a few replies, plus the body at
	   no less than SMTP_MIN_RATE bytes/s */
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT,
			 (long)c->connect_timeout_s + 3L * c->timeout_s + (long)(len / SMTP_MIN_RATE));
	CURLcode rc = curl_easy_perform(c->curl);
	long n = 0;
	if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &n) != CURLE_OK)
		n = 0;
	*connects_r = n;
	return rc;
}

int smtp_send(struct smtp_client *c, const char *mail_from, const char *rcpt,
	      const char *data, size_t len, struct smtp_result *res)
{
	char from[SMTP_MAX_ADDRESS + 2], to[SMTP_MAX_ADDRESS + 2];
	memset(res, 0, sizeof(*res));
	res->status = SMTP_PERMFAIL;
	if (!mail_from || !rcpt) {
		snprintf(res->text, sizeof(res->text), "no sender or recipient given");
		return -1;
	}
	strip_brackets(mail_from, from, sizeof(from));
	strip_brackets(rcpt, to, sizeof(to));
	if (!valid_address(from, 1)) {
		snprintf(res->text, sizeof(res->text), "invalid sender address");
		return -1;
	}
	if (!valid_address(to, 0)) {
		snprintf(res->text, sizeof(res->text), "invalid recipient address");
		return -1;
	}
	if (!data)
		len = 0;

	char *from_path = xasprintf("<%s>", from);
	char *to_path = xasprintf("<%s>", to);
	struct curl_slist *l = curl_slist_append(NULL, to_path);
	if (!l)
		log_fatal("smtp: out of memory");
	curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, from_path);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, l);

	long connects = 0;
	CURLcode rc = attempt(c, data ? data : "", len, &connects);
	res->connects = (int)connects;
	if (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT && connects == 0 &&
	    !c->x.got_2xx && !c->x.got_354 && (c->x.code == 0 || c->x.code == 421)) {
		/* a cached connection the server had dropped (idle timeout, or a
		   421 on shutdown) fails at once: nothing was accepted, so a
		   retry cannot duplicate; curl has closed it and opens a new one.
		   A timeout is no such case: it already took its time. */
		log_debug(LOG_SUB_SMTP, "smtp: reused connection failed (%s); reconnecting",
			  c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		rc = attempt(c, data ? data : "", len, &connects);
		res->connects += (int)connects;
	}
	classify(&c->x, rc, c->errbuf, res);
	if (rc != CURLE_OK && res->code == 0)
		drop_connection(c);
	log_debug(LOG_SUB_SMTP, "smtp: <%s> %s (curl %d, code %d%s): %s", to,
		  smtp_status_name(res->status), (int)rc, res->code,
		  res->ambiguous ? ", ambiguous" : "", res->text);

	/* the list and paths must not outlive this call inside curl */
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, NULL);
	curl_slist_free_all(l);
	free(from_path);
	free(to_path);
	c->x.data = NULL;
	return res->status == SMTP_SENT ? 0 : -1;
}

void smtp_client_close(struct smtp_client *c)
{
	if (!c || !c->curl)
		return;
	/* curl closes a handle's connection only with the handle; a duplicate
	   keeps every option (the password too) without the connection */
	CURL *dup = curl_easy_duphandle(c->curl);
	if (!dup)
		return;
	curl_easy_cleanup(c->curl);
	c->curl = dup;
	curl_easy_setopt(dup, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(dup, CURLOPT_READDATA, &c->x);
	curl_easy_setopt(dup, CURLOPT_DEBUGDATA, &c->x);
}

void smtp_client_free(struct smtp_client **cp)
{
	struct smtp_client *c = *cp;
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);  /* QUIT on an open connection */
	free(c->url);
	free(c);
	*cp = NULL;
}
