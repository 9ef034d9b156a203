/* trust.c - does a comment come from the participant its From names? */
#include "config.h"
#include "tag/trust.h"
#include "tag/token.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AR_MAX_VALUE 256        /* bytes of one value read from a header */
#define VOUCH_PREFIX "vouch-"

/* ---- Authentication-Results (RFC 8601) ---- */

/* skip_cfws - blanks, line breaks and (nested (comments)) */
static void skip_cfws(const char **pp)
{
	const char *p = *pp;
	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p != '(')
			break;
		int depth = 1;
		p++;
		while (*p && depth > 0) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		}
	}
	*pp = p;
}

/* read_value - a quoted-string or a run of characters up to a blank, a
   comment, ';' or one of stops, into out (NUL-terminated). The length, or
   -1 when it does not fit (it is consumed all the same). */
static int read_value(const char **pp, const char *stops, char out[AR_MAX_VALUE])
{
	const char *p = *pp;
	size_t n = 0;
	int over = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < AR_MAX_VALUE)
				out[n++] = *p;
			else
				over = 1;
			p++;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && !strchr(" \t\r\n();\"", *p) && !strchr(stops, *p)) {
			if (n + 1 < AR_MAX_VALUE)
				out[n++] = *p;
			else
				over = 1;
			p++;
		}
	}
	out[n] = '\0';
	*pp = p;
	return over ? -1 : (int)n;
}

/* skip_to_semicolon - past the rest of a result that cannot be read */
static void skip_to_semicolon(const char **pp)
{
	const char *p = *pp;
	while (*p && *p != ';') {
		if (*p == '(') {
			skip_cfws(&p);
			continue;
		}
		if (*p == '"') {
			char tmp[AR_MAX_VALUE];
			read_value(&p, "", tmp);
			continue;
		}
		p++;
	}
	*pp = p;
}

/* domain_of - the part after the last '@' (the whole string without one) */
static const char *domain_of(const char *s)
{
	const char *at = strrchr(s, '@');
	return at ? at + 1 : s;
}

/* same_domain - equal without case, a trailing dot ignored */
static int same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la > 0 && la == lb && str_ncasecmp(a, b, la) == 0;
}

/* dkim_aligned - the signing domain d is the From domain or a parent of
   it that is not a top-level name */
static int dkim_aligned(const char *d, const char *from_domain)
{
	if (same_domain(d, from_domain))
		return 1;
	size_t ld = strlen(d), lf = strlen(from_domain);
	if (ld == 0 || strchr(d, '.') == NULL || d[0] == '.' || lf <= ld + 1)
		return 0;
	return from_domain[lf - ld - 1] == '.' && str_casecmp(from_domain + lf - ld, d) == 0;
}

struct ar_result {
	char method[AR_MAX_VALUE];
	char result[AR_MAX_VALUE];
	char header_from[AR_MAX_VALUE];
	char header_d[AR_MAX_VALUE];
	char header_i[AR_MAX_VALUE];
	int bad;                        /* a value did not fit: not believed */
};

/* ar_result_pass - does one result prove the From domain? */
static int ar_result_pass(const struct ar_result *res, const char *from_domain)
{
	if (res->bad || str_casecmp(res->result, "pass") != 0)
		return 0;
	if (str_casecmp(res->method, "dmarc") == 0)
		return res->header_from[0] == '\0' || same_domain(domain_of(res->header_from), from_domain);
	if (str_casecmp(res->method, "dkim") == 0) {
		const char *d = res->header_d[0] ? res->header_d : res->header_i[0] ? domain_of(res->header_i) : "";
		return *d && dkim_aligned(d, from_domain);
	}
	return 0;
}

/* read_result - one resinfo after its ';': method[/version]=result
   [reason=...] *(ptype.property=pvalue) */
static void read_result(const char **pp, struct ar_result *res)
{
	const char *p = *pp;
	char tmp[AR_MAX_VALUE];
	memset(res, 0, sizeof(*res));
	skip_cfws(&p);
	if (read_value(&p, "=/", res->method) < 0)
		res->bad = 1;
	skip_cfws(&p);
	if (*p == '/') {
		p++;
		skip_cfws(&p);
		read_value(&p, "=", tmp);
		skip_cfws(&p);
	}
	if (res->method[0] == '\0' || *p != '=') {
		res->method[0] = '\0';
		skip_to_semicolon(&p);
		*pp = p;
		return;
	}
	p++;
	skip_cfws(&p);
	if (read_value(&p, "", res->result) < 0)
		res->bad = 1;
	for (;;) {
		skip_cfws(&p);
		if (*p == '\0' || *p == ';')
			break;
		const char *start = p;
		char ptype[AR_MAX_VALUE], prop[AR_MAX_VALUE] = "";
		read_value(&p, ".=", ptype);
		skip_cfws(&p);
		if (*p == '.') {
			p++;
			skip_cfws(&p);
			read_value(&p, "=", prop);
			skip_cfws(&p);
		}
		if (*p == '=') {
			p++;
			skip_cfws(&p);
			char *dst = tmp;
			if (str_casecmp(ptype, "header") == 0) {
				if (str_casecmp(prop, "from") == 0)
					dst = res->header_from;
				else if (str_casecmp(prop, "d") == 0)
					dst = res->header_d;
				else if (str_casecmp(prop, "i") == 0)
					dst = res->header_i;
			}
			if (read_value(&p, "", dst) < 0 && dst != tmp)
				res->bad = 1;
		}
		if (p == start)
			p++; /* a stray character: go past it */
	}
	*pp = p;
}

/* ar_header_pass - one header value: from authserv_id, and a passing result */
static int ar_header_pass(const char *value, const char *authserv_id, const char *from_domain)
{
	const char *p = value;
	char id[AR_MAX_VALUE], tmp[AR_MAX_VALUE];
	skip_cfws(&p);
	if (read_value(&p, "", id) <= 0 || str_casecmp(id, authserv_id) != 0)
		return 0;
	skip_cfws(&p);
	if (*p >= '0' && *p <= '9') {
		read_value(&p, "", tmp); /* a version */
		skip_cfws(&p);
	}
	for (int n = 0; *p == ';' && n < TRUST_MAX_AR_RESULTS; n++) {
		p++;
		struct ar_result res;
		read_result(&p, &res);
		if (ar_result_pass(&res, from_domain))
			return 1;
		skip_to_semicolon(&p);
	}
	return 0;
}

int trust_dmarc_pass(const struct mail_msg *msg, const char *authserv_id)
{
	if (authserv_id == NULL || *authserv_id == '\0' || msg->from.addr == NULL)
		return 0;
	const char *at = strrchr(msg->from.addr, '@');
	if (at == NULL || at[1] == '\0')
		return 0;
	int i = -1, n = 0;
	const char *v;
	while ((v = mail_header_next(msg, "Authentication-Results", &i)) != NULL && n++ < TRUST_MAX_AR_HEADERS)
		if (ar_header_pass(v, authserv_id, at + 1))
			return 1;
	return 0;
}

/* ---- tokens in Message-IDs ---- */

int trust_token_pass(struct store *st, const struct st_session *ses, const struct mail_msg *msg)
{
	if (msg->from.addr == NULL)
		return 0;
	const char *ids[TRUST_MAX_REFS];
	int n = 0;
	if (msg->in_reply_to)
		ids[n++] = msg->in_reply_to;
	for (int i = msg->nreferences - 1; i >= 0 && n < TRUST_MAX_REFS; i--)
		ids[n++] = msg->references[i];
	for (int i = 0; i < n; i++) {
		struct st_sent_ref ref;
		int rc = store_sent_ref_get(st, ids[i], &ref);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		int good = ref.session_id == ses->id && ref.recipient && str_casecmp(ref.recipient, msg->from.addr) == 0;
		st_sent_ref_free(&ref);
		if (good)
			return 1;
	}
	return 0;
}

/* ---- holding and confirming ---- */

/* excerpt - the first n words of s, "…" when cut */
static void excerpt(const char *s, int n, struct buf *out)
{
	const char *p = s;
	int w = 0;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	while (*p && w < n) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
				p++;
			if (*p)
				buf_putc(out, ' ');
			w++;
			continue;
		}
		buf_putc(out, *p++);
	}
	while (out->len && out->data[out->len - 1] == ' ')
		buf_truncate(out, out->len - 1);
	if (*p)
		buf_puts(out, "…");
}

/* request_allowed - claim one of today's confirmation requests to addr:
   1 yes, 0 the day's limit is reached, -1 store error */
static int request_allowed(struct store *st, const char *addr)
{
	char day[16], key[32];
	clock_format(clock_now(), "UTC", "%Y-%m-%d", day, sizeof(day));
	char *who = xasprintf("vouch:%s", addr);
	int r = 0;
	for (int k = 1; k <= TRUST_MAX_REQUESTS_PER_DAY; k++) {
		snprintf(key, sizeof(key), "%s#%d", day, k);
		r = store_ack_once(st, who, key);
		if (r <= 0)
			break;
	}
	free(who);
	return r < 0 ? -1 : r == 0;
}

/* queue_request - the confirmation request for a held message */
static int queue_request(struct store *st, struct mailout *mo, const struct st_session *ses,
			 const struct st_message *row, const struct mail_msg *msg, const char *to_addr,
			 const char *to_name, int64_t participant_id)
{
	char subject[48];
	snprintf(subject, sizeof(subject), "%lld.%lld", (long long)row->id, (long long)participant_id);
	char *tok = token_make(st, "vouch", subject);
	if (tok == NULL)
		return -1;
	char *tag = xasprintf(VOUCH_PREFIX "%s", tok);
	char *addr = listaddr_make(ses->list_addr, tag);
	struct tval *v = mailout_vars(mo, ses, to_name, to_addr);
	tval_set_str(v, "confirm_addr", addr);
	struct tval *h = tval_set_map(v, "held");
	tval_set_str(h, "subject", msg->subject ? msg->subject : "");
	char when[64];
	clock_format(row->received, ses->timezone, "%A %-d %B %Y, %H:%M %Z", when, sizeof(when));
	tval_set_str(h, "received", when);
	struct buf ex = BUF_INIT;
	excerpt(msg->text ? msg->text : "", 30, &ex);
	tval_set_str(h, "excerpt", buf_cstr(&ex));
	buf_free(&ex);
	char purpose[64], what[32];
	snprintf(purpose, sizeof(purpose), "vouch:%lld", (long long)row->id);
	snprintf(what, sizeof(what), "%lld", (long long)row->id);
	struct mailout_msg m;
	memset(&m, 0, sizeof(m));
	m.ses = ses;
	m.kind = "confirm-comment";
	m.purpose = purpose;
	m.to_addr = to_addr;
	m.to_name = to_name;
	m.participant_id = participant_id;
	m.vars = v;
	m.msgid_kind = "vouch";
	m.msgid_what = what;
	m.in_reply_to = msg->message_id;
	m.reply_to_tag = tag;
	m.automatic = 1;
	const char *err;
	int q = mailout_queue(mo, &m, NULL, &err);
	if (q < 0)
		log_error("confirmation request not queued: %s", err);
	tval_free(&v);
	free(addr);
	free(tag);
	free(tok);
	return q < 0 ? -1 : 0;
}

static const char *mode_name(int mode)
{
	return mode == TRUST_TOKEN ? "token" : mode == TRUST_DMARC ? "dmarc" : "from";
}

int trust_hold(struct store *st, struct mailout *mo, const struct tagd_config *cfg,
	       const struct st_session *ses, const struct st_message *row, const struct mail_msg *msg,
	       const struct st_participant *author, struct ingest_result *r, int *ret_r)
{
	*ret_r = 0;
	if (cfg->trust != TRUST_TOKEN && cfg->trust != TRUST_DMARC)
		return 0;
	if (msg->from.addr == NULL)
		return 0; /* the sender filter let no such message through */
	int proven;
	if (cfg->trust == TRUST_TOKEN) {
		proven = trust_token_pass(st, ses, msg);
		if (proven < 0) {
			*ret_r = -1;
			return 1;
		}
	} else {
		proven = trust_dmarc_pass(msg, cfg->trusted_authserv);
	}
	if (proven) {
		log_debug(LOG_SUB_FILTER, "trust %s: %s proven", mode_name(cfg->trust), msg->from.addr);
		return 0;
	}
	const char *to_addr = author ? author->email : msg->from.addr;
	const char *to_name = author ? author->name : msg->from.name;
	int allowed = request_allowed(st, to_addr);
	if (allowed < 0) {
		*ret_r = -1;
		return 1;
	}
	r->class = CLASS_HELD;
	if (allowed && queue_request(st, mo, ses, row, msg, to_addr, to_name, author ? author->id : 0) < 0) {
		*ret_r = -1;
		return 1;
	}
	snprintf(r->reason, sizeof(r->reason), "not shown to come from %s ([trust] mode %s): %s", msg->from.addr,
		 mode_name(cfg->trust),
		 allowed ? "a confirmation was asked of them" : "today's confirmation requests to them are used up");
	return 1;
}

int trust_is_vouch(const char *tag)
{
	return tag != NULL && str_starts(tag, VOUCH_PREFIX);
}

/* vouch_outcome - class the vouching message a command with this reason */
static int vouch_outcome(struct ingest_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vouch_outcome(struct ingest_result *r, const char *fmt, ...)
{
	va_list ap;
	r->class = CLASS_COMMAND;
	free(r->command);
	r->command = xstrdup("vouch");
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return 0;
}

int trust_vouch(struct ingest *in, struct store *st, const struct st_session *ses,
		const struct mail_msg *msg, const char *tag, struct ingest_result *r)
{
	char *subject = NULL;
	if (token_check(st, "vouch", tag + strlen(VOUCH_PREFIX), &subject) < 0)
		return vouch_outcome(r, "a confirmation with a token that is not good");
	/* the token's subject is ROW.PARTICIPANT (0 for an organizer) */
	int64_t row_id = 0, pid = -1;
	char *dot = strchr(subject, '.');
	int good = dot != NULL;
	if (good) {
		*dot = '\0';
		good = str_to_i64(subject, 1, INT64_MAX, &row_id) == 0 && str_to_i64(dot + 1, 0, INT64_MAX, &pid) == 0;
	}
	free(subject);
	if (!good)
		return vouch_outcome(r, "a confirmation with a token that is not good");
	struct st_message held;
	int rc = store_message_get(st, row_id, &held);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return vouch_outcome(r, "a confirmation for message %lld, which is not in the store", (long long)row_id);
	int ret = 0;
	const char *sender = held.sender ? held.sender : "";
	/* the token's participant must still be the held message's sender,
	   and the confirmation must come from that address */
	int bound;
	if (pid > 0) {
		struct st_participant p;
		int pr = store_participant_get(st, ses->id, sender, &p);
		if (pr < 0) {
			ret = -1;
			goto out;
		}
		bound = pr == 0 && p.id == pid;
		if (pr == 0)
			st_participant_free(&p);
	} else {
		bound = *sender != '\0';
	}
	if (held.session_id != ses->id || !bound) {
		vouch_outcome(r, "a confirmation for message %lld, which it does not match", (long long)row_id);
		goto out;
	}
	if (msg->from.addr == NULL || str_casecmp(msg->from.addr, sender) != 0) {
		vouch_outcome(r, "a confirmation for message %lld from %s, not from its sender", (long long)row_id,
			      msg->from.addr ? msg->from.addr : "an unknown address");
		goto out;
	}
	if (held.state == NULL || strcmp(held.state, "held") != 0) {
		vouch_outcome(r, "a confirmation for message %lld, which is %s already", (long long)row_id,
			      held.state && strcmp(held.state, "discarded") == 0 ? "discarded" : "taken");
		goto out;
	}
	struct ingest_result rel;
	memset(&rel, 0, sizeof(rel));
	int x = ingest_release(in, row_id, &rel);
	if (x < 0) {
		ingest_result_free(&rel);
		ret = -1;
		goto out;
	}
	log_info("message %lld released by its sender's confirmation: %s", (long long)row_id, rel.reason);
	vouch_outcome(r, "confirmed message %lld: %s", (long long)row_id, rel.reason);
	ingest_result_free(&rel);
out:
	st_message_free(&held);
	return ret;
}
