#ifndef TAGD_NET_HTTP_H
#define TAGD_NET_HTTP_H
/* A small HTTP/1.1 server for tagd's one web endpoint, the one-click
   unsubscribe of RFC 8058. It listens on loopback behind a reverse proxy
   that does TLS (README: "One-click unsubscribe"); it speaks plain HTTP.

   Non-blocking, served from the caller's poll() loop like the LMTP server
   (http_server_fds + poll + http_server_handle), or http_server_run_once.
   One request per connection: every answer carries Connection: close, and
   the connection is closed once the answer is written.

   Bounded everywhere: the request head (request line and header fields)
   HTTP_DEFAULT_MAX_HEAD bytes (beyond: 431), HTTP_DEFAULT_MAX_HEADERS
   header fields (431), a body of at most HTTP_DEFAULT_MAX_BODY bytes given
   by Content-Length (413; Transfer-Encoding is not taken: 501), one
   deadline for the whole request (408) and one for writing the answer,
   HTTP_DEFAULT_MAX_CONNS connections at once (one more gets 503 and is
   closed). A malformed request gets 400, a version other than HTTP/1.0 or
   1.1 gets 505; HTTP/1.1 without Host gets 400.

   The handler runs synchronously in the caller's thread and fills in the
   response; the server adds Date, Content-Length, Connection: close,
   Cache-Control: no-store and headers that keep the page from being framed
   or loading anything. HEAD reaches the handler as GET (rq->head set) and
   the server leaves the body out. Times are monotonic (not the settable
   tagd clock). */
#include "lib/buf.h"
#include <poll.h>
#include <stddef.h>

#define HTTP_DEFAULT_MAX_CONNS 32
#define HTTP_DEFAULT_MAX_HEAD 8192          /* request line + header fields, bytes */
#define HTTP_DEFAULT_MAX_HEADERS 50
#define HTTP_DEFAULT_MAX_BODY 8192
#define HTTP_DEFAULT_TIMEOUT_MS 10000       /* to receive a whole request; also to write the answer */
#define HTTP_LINGER_MS 1000                 /* after the answer: read and drop what the client still sends */
#define HTTP_MAX_METHOD 16

/* the limits; a 0 field keeps its default */
struct http_limits {
	size_t max_conns;
	size_t max_head;
	size_t max_headers;
	size_t max_body;
	int timeout_ms;
};

struct http_header {
	char *name;             /* as sent */
	char *value;            /* leading and trailing blanks removed */
};

struct http_request {
	const char *method;     /* GET (also for HEAD), POST, ... as sent */
	int head;               /* the request was HEAD */
	const char *target;     /* the request target as sent: /unsubscribe/TOKEN?x=y */
	const char *path;       /* the target without its query */
	const char *query;      /* after '?', or NULL */
	int minor;              /* HTTP/1.minor */
	const struct http_header *headers;
	size_t nheaders;
	const char *body;       /* Content-Length bytes (NUL-terminated), "" when none */
	size_t body_len;
	const char *peer;       /* "127.0.0.1:port" */
};

struct http_response {
	int status;             /* 200 when left 0 */
	const char *content_type; /* NULL: text/plain; charset=utf-8 */
	const char *allow;      /* an Allow: value (405 answers), or NULL */
	struct buf body;
};

/* http_handler_fn - answer one complete request: set resp->status,
   content_type and body (borrowed strings must live until it returns) */
typedef void (*http_handler_fn)(void *arg, const struct http_request *rq, struct http_response *resp);

struct http_server;

/* http_server_new - listen on "HOST:PORT" ("127.0.0.1:8025", "[::1]:8025";
   port 0 = any free one). NULL with *error_r (valid until the next call)
   when the address is bad or taken. */
struct http_server *http_server_new(const char *listen, http_handler_fn fn, void *arg, const char **error_r);
/* http_server_set_limits - change the limits (new connections and requests) */
void http_server_set_limits(struct http_server *s, const struct http_limits *l);
/* http_server_address - "127.0.0.1:PORT" with the real port */
const char *http_server_address(const struct http_server *s);
/* http_server_max_fds - how many pollfds http_server_fds may need */
size_t http_server_max_fds(const struct http_server *s);
/* http_server_fds - fill at most max pollfds and return how many; lowers
   *timeout_ms_r (-1 = infinite) to the next deadline. Give those pollfds,
   after poll(), to http_server_handle. */
size_t http_server_fds(struct http_server *s, struct pollfd *fds, size_t max, int *timeout_ms_r);
/* http_server_handle - accept, read, answer, write, and expire connections
   past their deadline; call it after every poll(), even one that timed out */
void http_server_handle(struct http_server *s, const struct pollfd *fds, size_t n);
/* http_server_run_once - one poll() of at most timeout_ms and its work; 0,
   or -1 with errno when poll fails (not on EINTR) */
int http_server_run_once(struct http_server *s, int timeout_ms);
/* http_server_connections - connections open now */
size_t http_server_connections(const struct http_server *s);
/* http_server_free - close every connection and the listener; sets *s NULL */
void http_server_free(struct http_server **s);

/* http_header_get - the first header field of that name (any case), or NULL */
const char *http_header_get(const struct http_request *rq, const char *name);
/* http_reason - the reason phrase of a status code ("Not Found") */
const char *http_reason(int status);
/* http_form_value - the decoded value of key in an
   application/x-www-form-urlencoded text (len bytes); NULL when absent.
   The caller frees it. */
char *http_form_value(const char *form, size_t len, const char *key);
/* http_html_escape - append s to out with & < > " ' escaped */
void http_html_escape(struct buf *out, const char *s);

#endif
