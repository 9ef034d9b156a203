#include "config.h"
/* The filter chain, stage by stage, on messages built by hand: the class
   each stage decides and why, the bounce details, the signature stripping,
   and the external stage with real scripts. */
#include "filters/filter.h"
#include "filters/signature.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- hand-built messages ---- */

/* set_addr - "Name <a@b>" or "a@b" into a */
static void set_addr(struct mail_addr *a, const char *v)
{
	const char *lt = strchr(v, '<');
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');
		a->addr = xstrndup(lt + 1, gt != NULL ? (size_t)(gt - lt - 1) : strlen(lt + 1));
		size_t n = (size_t)(lt - v);
		while (n > 0 && v[n - 1] == ' ')
			n--;
		a->name = n > 0 ? xstrndup(v, n) : NULL;
	} else {
		a->addr = xstrdup(v);
		a->name = NULL;
	}
}

/* msg_new - a view with the headers in hdrs ("Name: value" lines) and text */
static struct mail_msg *msg_new(const char *hdrs, const char *text)
{
	struct mail_msg *m = xcalloc(1, sizeof(*m));
	m->subject = xstrdup("");
	m->text = xstrdup(text != NULL ? text : "");
	m->content_type = xstrdup("text/plain");
	const char *p = hdrs != NULL ? hdrs : "";
	while (*p != '\0') {
		const char *le = strchr(p, '\n');
		size_t l = le != NULL ? (size_t)(le - p) : strlen(p);
		const char *colon = memchr(p, ':', l);
		if (colon != NULL) {
			m->headers = xreallocarray(m->headers, (size_t)m->nheaders + 1, sizeof(*m->headers));
			struct mail_header *h = &m->headers[m->nheaders++];
			h->name = xstrndup(p, (size_t)(colon - p));
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			h->value = xstrndup(v, (size_t)(p + l - v));
			if (str_casecmp(h->name, "Subject") == 0) {
				free(m->subject);
				m->subject = xstrdup(h->value);
			} else if (str_casecmp(h->name, "From") == 0) {
				set_addr(&m->from, h->value);
			} else if (str_casecmp(h->name, "To") == 0) {
				m->to = xreallocarray(m->to, (size_t)m->nto + 1, sizeof(*m->to));
				set_addr(&m->to[m->nto++], h->value);
			} else if (str_casecmp(h->name, "Content-Type") == 0) {
				free(m->content_type);
				m->content_type = xstrndup(h->value, strcspn(h->value, "; "));
				str_lower(m->content_type);
				const char *rt = str_casestr(h->value, "report-type=");
				if (rt != NULL) {
					m->report_type = xstrndup(rt + 12, strcspn(rt + 12, "; \""));
					str_lower(m->report_type);
				}
			}
		}
		p += l;
		if (*p == '\n')
			p++;
	}
	return m;
}

/* msg_part - add a leaf part */
static void msg_part(struct mail_msg *m, enum mail_part_role role, const char *type, const char *data)
{
	m->parts = xreallocarray(m->parts, (size_t)m->nparts + 1, sizeof(*m->parts));
	struct mail_part *p = &m->parts[m->nparts++];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->content_type = xstrdup(type);
	p->data = xstrdup(data);
	p->len = strlen(data);
	p->depth = 1;
}

static void addr_free(struct mail_addr *a)
{
	free(a->name);
	free(a->addr);
}

static void msg_free_test(struct mail_msg **mp)
{
	struct mail_msg *m = *mp;
	if (m == NULL)
		return;
	for (int i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	for (int i = 0; i < m->nparts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].data);
	}
	free(m->parts);
	for (int i = 0; i < m->nto; i++)
		addr_free(&m->to[i]);
	free(m->to);
	addr_free(&m->from);
	free(m->subject);
	free(m->text);
	free(m->content_type);
	free(m->report_type);
	free(m);
	*mp = NULL;
}

static const char *const own_addrs[] = { "tag-prof-learning@tags.example.org" };
static const char *const list_ids[] = { "prof-learning.tags.example.org" };
static const char *const participants[] = {
	"ana.ruiz@district9.example.org", "b.okafor@gmail.example.com",
};

static int is_participant(void *arg, const char *addr)
{
	int *calls = arg;
	(*calls)++;
	for (size_t i = 0; i < sizeof(participants) / sizeof(participants[0]); i++)
		if (str_casecmp(addr, participants[i]) == 0)
			return 1;
	return 0;
}

static int participant_calls;

static struct filter_env test_env(void)
{
	struct filter_env env;
	memset(&env, 0, sizeof(env));
	env.max_size = 1000;
	env.list_ids = list_ids;
	env.nlist_ids = 1;
	env.own_addrs = own_addrs;
	env.nown_addrs = 1;
	env.loop_token = "tag-prof-learning@tags.example.org";
	env.is_participant = is_participant;
	env.arg = &participant_calls;
	env.external_timeout_ms = 5000;
	return env;
}

/* run_stage - one stage on m; the class decided (CLASS_NONE if it let it through) */
static enum msg_class run_stage(const struct filter *f, const struct filter_env *env,
				struct mail_msg *m, struct filter_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->env = env;
	ctx->msg = m;
	ctx->raw = "From: x\n\nbody\n";
	ctx->rawlen = strlen(ctx->raw);
	enum filter_verdict v = f->run(ctx);
	if (v == FILTER_CONTINUE && ctx->class != CLASS_NONE)
		return (enum msg_class)-1;    /* a stage must not decide and continue */
	return ctx->class;
}

/* ---- the chain ---- */

static enum filter_verdict stop_held(struct filter_ctx *ctx)
{
	return filter_decide(ctx, CLASS_HELD, "test stop %d", 7);
}

static int after_runs;
static enum filter_verdict count_run(struct filter_ctx *ctx)
{
	(void)ctx;
	after_runs++;
	return FILTER_CONTINUE;
}

static void test_chain(void)
{
	static const struct { enum msg_class c; const char *name; } names[] = {
		{ CLASS_COMMENT, "comment" }, { CLASS_COMMAND, "command" }, { CLASS_RSVP, "rsvp" },
		{ CLASS_AUTOREPLY, "auto-reply" }, { CLASS_BOUNCE, "bounce" }, { CLASS_HELD, "held" },
		{ CLASS_DUPLICATE, "duplicate" }, { CLASS_REJECTED, "rejected" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		is_str(msg_class_name(names[i].c), names[i].name, "class name %s", names[i].name);
		is_int(msg_class_parse(names[i].name), names[i].c, "class parse %s", names[i].name);
	}
	is_int(msg_class_parse("AUTO-REPLY"), CLASS_AUTOREPLY, "class parse ignores case");
	is_int(msg_class_parse("spam"), -1, "unknown class name");
	is_int(msg_class_parse(NULL), -1, "NULL class name");
	is_str(msg_class_name((enum msg_class)99), "unknown", "out-of-range class");

	static const char *const stages[] = { "size", "loop", "autoreply", "bounce", "sender",
					      "signature", "external" };
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		const struct filter *f = filter_find(stages[i]);
		ok(f != NULL && strcmp(f->name, stages[i]) == 0, "filter_find %s", stages[i]);
	}
	ok(filter_find("LOOP") == &filter_loop, "filter_find ignores case");
	ok(filter_find("spamassassin") == NULL, "unknown stage");
	is_str(filter_default_order, "size,loop,autoreply,bounce,sender,signature", "default order");
	/* every name in the default order is a stage */
	char *order = xstrdup(filter_default_order);
	int found = 0, total = 0;
	for (char *s = order, *comma; s != NULL; s = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		total++;
		found += filter_find(s) != NULL;
	}
	free(order);
	is_int(found, total, "every default stage exists");

	struct filter_env env = test_env();
	const struct filter stop = { "stop", stop_held }, count = { "count", count_run };
	const struct filter *chain[] = { &count, &stop, &count };
	struct mail_msg *m = msg_new("From: a@b.example\nSubject: hello", "hi\n");
	struct filter_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	after_runs = 0;
	is_int(filter_chain_run(chain, 3, &ctx), CLASS_HELD, "chain stops at the deciding stage");
	is_int(after_runs, 1, "stages after the stop do not run");
	is_str(ctx.reason, "test stop 7", "reason from filter_decide");
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	const struct filter *pass[] = { &count, &count };
	is_int(filter_chain_run(pass, 2, &ctx), CLASS_NONE, "undecided chain gives CLASS_NONE");
	filter_ctx_free(&ctx);
	filter_ctx_free(NULL);
	msg_free_test(&m);

	ok(filter_addr_eq("<Ana.Ruiz@District9.example.org>", "ana.ruiz@district9.example.org"),
	   "addresses compare without case and <>");
	ok(!filter_addr_eq("ana@x.example", "ana@x.example.org"), "different addresses differ");
	ok(!filter_addr_eq(NULL, "a@b"), "NULL address never equal");
}

/* ---- size ---- */

static void test_size(void)
{
	struct filter_env env = test_env();
	struct mail_msg *m = msg_new("From: a@b.example", "x");
	struct filter_ctx ctx;
	static const struct { size_t len, limit; enum msg_class want; } cases[] = {
		{ 1001, 1000, CLASS_REJECTED }, { 1000, 1000, CLASS_NONE }, { 5, 1000, CLASS_NONE },
		{ 1u << 30, 0, CLASS_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ctx, 0, sizeof(ctx));
		env.max_size = cases[i].limit;
		ctx.env = &env;
		ctx.msg = m;
		ctx.raw = "";
		ctx.rawlen = cases[i].len;
		filter_size.run(&ctx);
		is_int(ctx.class, cases[i].want, "size %zu limit %zu", cases[i].len, cases[i].limit);
	}
	memset(&ctx, 0, sizeof(ctx));
	env.max_size = 1000;
	ctx.env = &env;
	ctx.msg = m;
	ctx.rawlen = 2500;
	filter_size.run(&ctx);
	is_str(ctx.reason, "message too large (2500 bytes, limit 1000)", "size reason");
	msg_free_test(&m);
}

/* ---- loop ---- */

static void test_loop(void)
{
	static const struct { const char *hdrs; enum msg_class want; const char *reason; } cases[] = {
		{ "From: a@b.example\nList-Id: Professional Learning <prof-learning.tags.example.org>",
		  CLASS_REJECTED, "mail loop: our List-Id <prof-learning.tags.example.org>" },
		{ "From: a@b.example\nlist-id: <PROF-LEARNING.tags.example.org>", CLASS_REJECTED, NULL },
		{ "From: a@b.example\nList-Id: prof-learning.tags.example.org", CLASS_REJECTED, NULL },
		{ "From: a@b.example\nList-Id: Other <other.lists.example.org>", CLASS_NONE, NULL },
		{ "From: a@b.example\nX-Loop: tag-prof-learning@tags.example.org", CLASS_REJECTED,
		  "mail loop: X-Loop tag-prof-learning@tags.example.org" },
		{ "From: a@b.example\nx-loop:  TAG-prof-learning@tags.example.org ", CLASS_REJECTED, NULL },
		{ "From: a@b.example\nX-Loop: procmail@b.example", CLASS_NONE, NULL },
		{ "From: CompetencyWorks TAG <Tag-Prof-Learning@TAGS.example.org>", CLASS_REJECTED,
		  "mail loop: from our own address Tag-Prof-Learning@TAGS.example.org" },
		{ "From: tag-prof-learning+p7@tags.example.org", CLASS_REJECTED, NULL },
		{ "From: tag-prof-learning@elsewhere.example.org", CLASS_NONE, NULL },
		{ "From: Ana Ruiz <ana.ruiz@district9.example.org>\nSubject: Re: Draft", CLASS_NONE, NULL },
	};
	struct filter_env env = test_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mail_msg *m = msg_new(cases[i].hdrs, "text\n");
		struct filter_ctx ctx;
		is_int(run_stage(&filter_loop, &env, m, &ctx), cases[i].want, "loop case %zu", i);
		if (cases[i].reason != NULL)
			is_str(ctx.reason, cases[i].reason, "loop case %zu reason", i);
		msg_free_test(&m);
	}
	/* no configuration: nothing is a loop */
	struct filter_env bare;
	memset(&bare, 0, sizeof(bare));
	struct mail_msg *m = msg_new("From: tag-prof-learning@tags.example.org\nList-Id: <prof-learning.tags.example.org>", "x");
	struct filter_ctx ctx;
	is_int(run_stage(&filter_loop, &bare, m, &ctx), CLASS_NONE, "loop without config");
	msg_free_test(&m);
}

/* ---- autoreply ---- */

/* one_line - s with line breaks shown as " | ", for a test's name (static buffer) */
static const char *one_line(const char *s)
{
	static char b[512];
	size_t n = 0;
	for (; *s != '\0' && n + 4 < sizeof(b); s++) {
		if (*s == '\n') {
			memcpy(b + n, " | ", 3);
			n += 3;
		} else
			b[n++] = *s;
	}
	b[n] = '\0';
	return b;
}

static void test_autoreply(void)
{
	static const struct { const char *hdrs; enum msg_class want; const char *reason; } cases[] = {
		{ "Auto-Submitted: auto-replied", CLASS_AUTOREPLY, "Auto-Submitted: auto-replied" },
		{ "auto-submitted: Auto-Generated; owner-email=x@y", CLASS_AUTOREPLY, "Auto-Submitted: Auto-Generated" },
		{ "AUTO-SUBMITTED: auto-notified", CLASS_AUTOREPLY, "Auto-Submitted" },
		{ "Auto-Submitted: no", CLASS_NONE, NULL },
		{ "Auto-Submitted: No ; comment", CLASS_NONE, NULL },
		{ "X-Autoreply: yes", CLASS_AUTOREPLY, "X-Autoreply" },
		{ "x-autoreply: YES", CLASS_AUTOREPLY, "X-Autoreply" },
		{ "X-Autorespond: Vacation", CLASS_AUTOREPLY, "X-Autorespond" },
		{ "X-Autogenerated: Reply", CLASS_AUTOREPLY, "X-Autogenerated" },
		{ "X-Autoreply: no", CLASS_NONE, NULL },
		{ "Precedence: bulk", CLASS_AUTOREPLY, "Precedence: bulk" },
		{ "precedence: JUNK", CLASS_AUTOREPLY, "Precedence: JUNK" },
		{ "Precedence: auto_reply", CLASS_AUTOREPLY, "auto_reply" },
		{ "Precedence: list", CLASS_AUTOREPLY, "Precedence: list" },
		{ "Precedence: first-class", CLASS_NONE, NULL },
		{ "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply", CLASS_NONE, NULL },
		{ "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: a@b.example",
		  CLASS_AUTOREPLY, "X-MS-Exchange-Inbox-Rules-Loop" },
		{ "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", CLASS_AUTOREPLY,
		  "X-MS-Exchange-Generated-Message-Source" },
		{ "X-Apple-Action: VACATION", CLASS_AUTOREPLY, "X-Apple-Action" },
		{ "Subject: Out of Office", CLASS_AUTOREPLY, "subject \"Out of Office\"" },
		{ "Subject: Out of Office: Re: Draft for comment", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Automatic reply: Draft for comment", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Auto-Reply: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: AutoReply", CLASS_AUTOREPLY, "subject" },
		{ "Subject: [Autoreply] Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Abwesenheitsnotiz: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Automatische Antwort: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Réponse automatique : Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Absence: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Respuesta automática: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Fuera de la oficina", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Risposta automatica: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Automatisch antwoord: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Afwezig: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Frånvaro: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: 自动回复: Draft", CLASS_AUTOREPLY, "subject" },
		{ "Subject: Re: Out of office policy for coaches", CLASS_NONE, NULL },
		{ "Subject: Absences of data in the draft", CLASS_NONE, NULL },
		{ "Subject: Re: Draft for comment", CLASS_NONE, NULL },
		/* bounces are the bounce stage's, even when marked auto-replied */
		{ "From: MAILER-DAEMON@mail.example.org\nAuto-Submitted: auto-replied\nSubject: Undelivered Mail Returned to Sender",
		  CLASS_NONE, NULL },
		{ "Content-Type: multipart/report; report-type=delivery-status\nAuto-Submitted: auto-replied",
		  CLASS_NONE, NULL },
		/* Apple Mail's unsubscribe request is the person's own wish to leave */
		{ "Subject: unsubscribe\nAuto-Submitted: auto-replied\nX-Apple-Unsubscribe: true", CLASS_NONE, NULL },
		{ "Content-Type: multipart/report; report-type=disposition-notification", CLASS_AUTOREPLY,
		  "read receipt" },
	};
	struct filter_env env = test_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hdrs[512];
		/* a sender unless the case names one */
		snprintf(hdrs, sizeof(hdrs), "%s%s", strstr(cases[i].hdrs, "From:") ? "" : "From: Bola <b.okafor@gmail.example.com>\n",
			 cases[i].hdrs);
		struct mail_msg *m = msg_new(hdrs, "I am away until July 30.\n");
		struct filter_ctx ctx;
		is_int(run_stage(&filter_autoreply, &env, m, &ctx), cases[i].want, "autoreply case %zu: %s", i,
		       one_line(cases[i].hdrs));
		if (cases[i].reason != NULL)
			ok(strstr(ctx.reason, cases[i].reason) != NULL, "autoreply reason \"%s\" names %s",
			   ctx.reason, cases[i].reason);
		msg_free_test(&m);
	}
}

/* ---- bounce ---- */

static const char dsn_two[] =
	"Reporting-MTA: dns; mail.tags.example.org\n"
	"Arrival-Date: Mon, 16 Jul 2018 09:14:03 -0400 (EDT)\n"
	"\n"
	"Final-Recipient: rfc822; slow@district9.example.org\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"\n"
	"Final-Recipient: rfc822; l.moreau@district9.example.org\n"
	"Original-Recipient: rfc822;L.Moreau@district9.example.org\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <l.moreau@district9.example.org>: Recipient\n"
	"    address rejected: User unknown\n";

static const char dsn_delayed[] =
	"Reporting-MTA: dns; mx.example.org\r\n"
	"\r\n"
	"Final-Recipient: RFC822; <late@example.net>\r\n"
	"Action: delayed\r\n"
	"Status: 4.4.7 (delivery time expired)\r\n";

static const char dsn_nostatus[] =
	"Reporting-MTA: dns; mx.example.org\n"
	"\n"
	"Final-Recipient: rfc822;quota@example.net\n"
	"Action: failed\n"
	"Diagnostic-Code: smtp;\n"
	"  552 5.2.2 Mailbox full\n";

struct bounce_case {
	const char *name;
	const char *hdrs;
	const char *text;
	const char *part_type;          /* a report part, or NULL */
	const char *part;
	enum msg_class want;
	const char *rcpt;               /* NULL: not checked */
	const char *status;
	int permanent;                  /* -1: not checked */
	const char *verp;
	const char *reason;
};

static const struct bounce_case bounce_cases[] = {
	{ "postfix DSN, two recipients",
	  "From: MAILER-DAEMON@mail.tags.example.org (Mail Delivery System)\n"
	  "To: tag-prof-learning+bounces-Ab12_x-9@tags.example.org\n"
	  "Subject: Undelivered Mail Returned to Sender\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=x",
	  "This is the mail system at host mail.tags.example.org.\n", "message/delivery-status", dsn_two,
	  CLASS_BOUNCE, "L.Moreau@district9.example.org", "5.1.1", 1, "Ab12_x-9",
	  "delivery report: failed 5.1.1 L.Moreau@district9.example.org (smtp; 550 5.1.1" },
	{ "delay DSN with CRLF",
	  "From: postmaster@example.net\nSubject: Delayed Mail (still being retried)\n"
	  "Content-Type: multipart/report; report-type=delivery-status",
	  "Delivery is delayed.\n", "message/delivery-status", dsn_delayed,
	  CLASS_BOUNCE, "late@example.net", "4.4.7", 0, NULL, "delivery report: delayed 4.4.7" },
	{ "DSN without Status: the code from Diagnostic-Code",
	  "From: MAILER-DAEMON@example.net\nSubject: failure\n"
	  "Content-Type: multipart/report; report-type=delivery-status",
	  "", "message/delivery-status", dsn_nostatus,
	  CLASS_BOUNCE, "quota@example.net", "5.2.2", 1, NULL, NULL },
	{ "DSN part inside multipart/mixed",
	  "From: Mail Delivery Subsystem <mailer-daemon@example.com>\nSubject: Delivery Status Notification (Failure)\n"
	  "Content-Type: multipart/mixed",
	  "", "message/delivery-status", dsn_two,
	  CLASS_BOUNCE, "L.Moreau@district9.example.org", "5.1.1", 1, NULL, NULL },
	{ "VERP in Delivered-To",
	  "From: MAILER-DAEMON@example.com\nDelivered-To: tag-prof-learning+bounces-tok42@tags.example.org\n"
	  "To: someone@else.example\nSubject: failure notice",
	  "Hi. This is the qmail-send program at example.com.\n"
	  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	  "<nobody@example.com>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
	  NULL, NULL, CLASS_BOUNCE, "nobody@example.com", "5.1.1", 1, "tok42", "bounce: from MAILER-DAEMON" },
	{ "VERP of another list is not ours",
	  "From: MAILER-DAEMON@example.com\nX-Original-To: other-list+bounces-tok42@tags.example.org\nSubject: failure notice",
	  "<nobody@example.com>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
	  NULL, NULL, CLASS_BOUNCE, "nobody@example.com", NULL, 1, NULL, NULL },
	{ "Exim with X-Failed-Recipients",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: gone@example.org\nEnvelope-To: tag-prof-learning+bounces-e1@tags.example.org",
	  "This message was created automatically by mail delivery software.\n\n"
	  "A message that you sent could not be delivered to one or more of its\n"
	  "recipients. This is a permanent error. The following address(es) failed:\n\n"
	  "  gone@example.org\n    SMTP error from remote mail server after RCPT TO:<gone@example.org>:\n"
	  "    550 5.1.1 User unknown\n",
	  NULL, NULL, CLASS_BOUNCE, "gone@example.org", "5.1.1", 1, "e1", "X-Failed-Recipients" },
	{ "Gmail non-DSN bounce",
	  "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	  "Subject: Delivery Status Notification (Failure)",
	  "Delivery to the following recipient failed permanently:\n\n     typo@gmial.example.com\n\n"
	  "Technical details of permanent failure:\nDNS Error: Domain name not found\n",
	  NULL, NULL, CLASS_BOUNCE, "typo@gmial.example.com", NULL, 1, NULL, NULL },
	{ "Exchange NDR from postmaster",
	  "From: System Administrator <postmaster@corp.example.com>\nSubject: Undeliverable: Draft for comment",
	  "Your message did not reach some or all of the intended recipients.\n\n"
	  "      Subject:\tDraft for comment\n      Sent:\t7/16/2018 9:14 AM\n\n"
	  "The following recipient(s) could not be reached:\n\n"
	  "      'j.doe@corp.example.com' on 7/16/2018 9:14 AM\n"
	  "            550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found\n",
	  NULL, NULL, CLASS_BOUNCE, "j.doe@corp.example.com", "5.1.10", 1, NULL, NULL },
	{ "Exim delay warning",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	  "Subject: Warning: message 1fXyZ-0001 delayed 24 hours",
	  "This message was created automatically by mail delivery software.\n"
	  "A message that you sent has not yet been delivered to one or more of its\n"
	  "recipients after more than 24 hours on the queue on mx.example.org.\n\n"
	  "  slowpoke@example.org\n    Delay reason: mailbox is full\n\n"
	  "No action is required on your part. Delivery attempts will continue for\nsome time.\n",
	  NULL, NULL, CLASS_BOUNCE, "slowpoke@example.org", NULL, 0, NULL, NULL },
	{ "ARF feedback report",
	  "From: staff@feedback.example.com\nSubject: complaint about message from 192.0.2.10\n"
	  "Content-Type: multipart/report; report-type=feedback-report",
	  "This is an email abuse report.\n", "message/feedback-report",
	  "Feedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\nVersion: 1\n"
	  "Original-Rcpt-To: <complainer@example.com>\n",
	  CLASS_BOUNCE, "complainer@example.com", NULL, 0, NULL, "feedback report" },
	{ "mail to the VERP address only",
	  "From: robot@example.com\nTo: tag-prof-learning+bounces-zz9@tags.example.org\nSubject: your mail",
	  "We got your mail.\n", NULL, NULL,
	  CLASS_BOUNCE, NULL, NULL, 0, "zz9", "bounce address" },
	{ "Hotmail complaint",
	  "From: staff@hotmail.example\nSubject: complaint about message from 192.0.2.1\nContent-Type: multipart/mixed",
	  "", "message/rfc822",
	  "X-HmXmrOriginalRecipient: <kijitora@example.com>\nTo: kijitora@example.com\nSubject: Draft\n\nbody\n",
	  CLASS_BOUNCE, "kijitora@example.com", NULL, 0, NULL, "Hotmail complaint" },
	{ "Amazon SES notification, JSON inside JSON",
	  "From: SES <no-reply@sns.amazonaws.example>\nSubject: AWS Notification Message",
	  "{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"{\\\"notificationType\\\":\\\"Bounce\\\","
	  "\\\"bounce\\\":{\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"gone@example.org\\\"}]}}\"\n}\n",
	  NULL, NULL, CLASS_BOUNCE, NULL, NULL, -1, NULL, "Amazon SES" },
	{ "sendmail: the address it was expanded from",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>\nSubject: Returned mail: see transcript for details",
	  "The original message was received at Mon, 16 Jul 2018 09:14:03\n\n"
	  "   ----- The following addresses had permanent fatal errors -----\nlocal@mailhost.example.org\n"
	  "    (expanded from: person@example.org)\n\n   ----- Transcript of session follows -----\n"
	  "550 5.1.1 local@mailhost.example.org... User unknown\n",
	  NULL, NULL, CLASS_BOUNCE, "person@example.org", "5.1.1", 1, NULL, NULL },
	{ "Exchange X.400 address",
	  "From: System Administrator <postmaster@corp.example.com>\nSubject: Undeliverable: Draft",
	  "Your message\n\n  To:      list@lists.example.org\n  Subject: Draft\n\n"
	  "did not reach the following recipient(s):\n\n"
	  "c=US;a= ;p=CORP;o=Nexus2;dda:SMTP=JDOE@CORP.EXAMPLE.COM; on Fri, 4 Oct 2002\n"
	  "    The recipient name is not recognized\n",
	  NULL, NULL, CLASS_BOUNCE, "JDOE@CORP.EXAMPLE.COM", NULL, 1, NULL, NULL },
	{ "a report rendered as text",
	  "From: MAILER-DAEMON@mx.example.org\nSubject: Delivery report",
	  "Your message could not be delivered.\n\nReporting-MTA: dns; mx.example.org\n\n"
	  "Final-Recipient: rfc822; t@example.org\nAction: failed\nStatus: 5.1.1\n",
	  NULL, NULL, CLASS_BOUNCE, "t@example.org", "5.1.1", 1, NULL, NULL },
	{ "a report forwarded inside another message",
	  "From: postmaster@gateway.example.com\nSubject: Delivery Status Notification (Failure)\n"
	  "Content-Type: multipart/mixed",
	  "This e-mail is confidential.\n", "message/rfc822",
	  "From: postmaster@ccc.example\nSubject: failure\nContent-Type: multipart/report; report-type=delivery-status;"
	  " boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; ccc.example\n\n"
	  "Final-Recipient: rfc822;horu@ccc.example\nAction: failed\nStatus: 5.1.1\n\n--b--\n",
	  CLASS_BOUNCE, "horu@ccc.example", "5.1.1", 1, NULL, NULL },
	{ "the returned message names the recipient",
	  "from: MAILER-DAEMON@mx.example.org\nsubject: failure notice\ncontent-type: multipart/mixed",
	  "Delivery failed: the remote server said it was too busy.\n", "message/rfc822",
	  "Received: from gateway.tags.example.org\n\tby mx.example.org; Mon, 16 Jul 2018 09:14:03\n"
	  "From: CompetencyWorks TAG <tag-prof-learning@tags.example.org>\nTo: Lena Moreau <lena@district9.example.org>\n"
	  "Subject: Draft\n\nbody\n",
	  CLASS_BOUNCE, "lena@district9.example.org", NULL, 1, NULL, NULL },
	{ "lowercase header names",
	  "from: Mail Delivery System <mailer-daemon@mx.example.org>\nsubject: Mail delivery failed\n"
	  "x-failed-recipients: lower@example.org\nenvelope-to: tag-prof-learning+bounces-lc1@tags.example.org",
	  "A message that you sent could not be delivered to one or more of its recipients.\n\n  lower@example.org\n",
	  NULL, NULL, CLASS_BOUNCE, "lower@example.org", NULL, 1, "lc1", "X-Failed-Recipients" },
	{ "Apple Mail unsubscribe request is not a bounce",
	  "From: Ana <Ana.Ruiz@district9.example.org>\nTo: tag-prof-learning+leave@tags.example.org\n"
	  "Subject: unsubscribe\nAuto-Submitted: auto-replied\nX-Apple-Unsubscribe: true",
	  "This message was automatically generated by Mail to unsubscribe.\n", NULL, NULL,
	  CLASS_NONE, NULL, NULL, -1, NULL, NULL },
	{ "a person quoting a bounce",
	  "From: Ana Ruiz <ana.ruiz@district9.example.org>\nReturn-Path: <ana.ruiz@district9.example.org>\n"
	  "Subject: Re: Undelivered Mail Returned to Sender",
	  "Lena's address bounced, it said:\n\nThis is the mail system at host mail.tags.example.org.\n"
	  "<l.moreau@district9.example.org>: User unknown\n",
	  NULL, NULL, CLASS_NONE, NULL, NULL, -1, NULL, NULL },
	{ "an ordinary comment",
	  "From: Ana Ruiz <ana.ruiz@district9.example.org>\nSubject: Re: Draft for comment",
	  "Para 7 could not be delivered to schools in one year.\n",
	  NULL, NULL, CLASS_NONE, NULL, NULL, -1, NULL, NULL },
	{ "null Return-Path, bounce subject and text",
	  "From: Mail Robot <robot@relay.example.com>\nReturn-Path: <>\nSubject: Returned mail: User unknown",
	  "The original message was received at Mon, 16 Jul 2018\n"
	  "   ----- The following addresses had permanent fatal errors -----\n<gone@example.com>\n"
	  "    (reason: 550 User unknown)\n",
	  NULL, NULL, CLASS_BOUNCE, "gone@example.com", "5.0.0", 1, NULL, NULL },
};

static void test_bounce(void)
{
	struct filter_env env = test_env();
	for (size_t i = 0; i < sizeof(bounce_cases) / sizeof(bounce_cases[0]); i++) {
		const struct bounce_case *c = &bounce_cases[i];
		struct mail_msg *m = msg_new(c->hdrs, c->text);
		if (c->part_type != NULL)
			msg_part(m, strcmp(c->part_type, "message/rfc822") == 0 ? MAIL_PART_MESSAGE
										: MAIL_PART_REPORT,
				 c->part_type, c->part);
		struct filter_ctx ctx;
		is_int(run_stage(&filter_bounce, &env, m, &ctx), c->want, "bounce: %s", c->name);
		if (c->rcpt != NULL)
			is_str(ctx.bounce_recipient, c->rcpt, "bounce recipient: %s", c->name);
		if (c->status != NULL)
			is_str(ctx.bounce_status, c->status, "bounce status: %s", c->name);
		if (c->permanent >= 0)
			is_int(ctx.bounce_permanent, c->permanent, "bounce permanent: %s", c->name);
		if (c->want == CLASS_BOUNCE)
			is_str(ctx.verp_token, c->verp, "VERP token: %s", c->name);
		if (c->reason != NULL)
			ok(strstr(ctx.reason, c->reason) != NULL, "bounce reason \"%s\" has \"%s\"",
			   ctx.reason, c->reason);
		/* what the autoreply stage asks: a bounce by its content (mail that
		   is only addressed to the VERP address is not) */
		int by_content = c->want == CLASS_BOUNCE && strstr(c->name, "VERP address only") == NULL;
		is_int(filter_is_bounce(&ctx), by_content, "filter_is_bounce: %s", c->name);
		filter_ctx_free(&ctx);
		ok(ctx.bounce_recipient == NULL && ctx.verp_token == NULL && ctx.bounce_status == NULL,
		   "filter_ctx_free clears: %s", c->name);
		msg_free_test(&m);
	}
	/* a DSN report part far beyond any sane size is read up to the scan limit */
	struct buf big;
	buf_init(&big, 0);
	for (int i = 0; i < 5000; i++)
		buf_printf(&big, "Final-Recipient: rfc822; r%d@example.org\nAction: failed\nStatus: 5.1.1\n\n", i);
	struct mail_msg *m = msg_new("From: MAILER-DAEMON@example.org\nContent-Type: multipart/report; report-type=delivery-status", "");
	msg_part(m, MAIL_PART_REPORT, "message/delivery-status", buf_cstr(&big));
	struct filter_ctx ctx;
	is_int(run_stage(&filter_bounce, &env, m, &ctx), CLASS_BOUNCE, "huge DSN is a bounce");
	is_str(ctx.bounce_recipient, "r0@example.org", "huge DSN: first failed recipient");
	filter_ctx_free(&ctx);
	msg_free_test(&m);
	buf_free(&big);
}

/* ---- sender ---- */

static void test_sender(void)
{
	static const struct { const char *from; int want; } cases[] = {
		{ "Ana Ruiz <Ana.Ruiz@District9.Example.org>", 1 },
		{ "b.okafor@gmail.example.com", 1 },
		{ "Stranger <someone@district9.example.org>", 0 },
		{ NULL, 0 },
	};
	struct filter_env env = test_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hdrs[256];
		snprintf(hdrs, sizeof(hdrs), "%s%s\nSubject: hi", cases[i].from ? "From: " : "X-No-From: 1",
			 cases[i].from ? cases[i].from : "");
		struct mail_msg *m = msg_new(hdrs, "x");
		struct filter_ctx ctx;
		memset(&ctx, 0, sizeof(ctx));
		ctx.env = &env;
		ctx.msg = m;
		is_int(filter_sender.run(&ctx), FILTER_CONTINUE, "sender never stops (%s)",
		       cases[i].from ? cases[i].from : "no From");
		is_int(ctx.from_participant, cases[i].want, "from_participant (%s)",
		       cases[i].from ? cases[i].from : "no From");
		is_int(ctx.class, CLASS_NONE, "sender decides no class");
		msg_free_test(&m);
	}
	env.is_participant = NULL;
	struct mail_msg *m = msg_new("From: ana.ruiz@district9.example.org", "x");
	struct filter_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	filter_sender.run(&ctx);
	is_int(ctx.from_participant, 0, "no callback: not a participant");
	msg_free_test(&m);
}

/* ---- signature ---- */

struct sig_case {
	const char *name;
	const char *in;
	const char *out;
	const char *removed;            /* a phrase in the removed text, or NULL for nothing removed */
};

static const struct sig_case strip_cases[] = {
	{ "dash-space block", "I agree with 7.\n\n-- \nElin Lindqvist, PhD\nProfessor\n",
	  "I agree with 7.\n", "Elin Lindqvist" },
	{ "bare dashes, short block", "Fine by me.\n--\nrick\n", "Fine by me.\n", "rick" },
	{ "bare dashes between points are kept",
	  "First, the timeline is tight.\n--\nSecond, name the funding streams.\n", NULL, NULL },
	{ "bare dashes before a long text are kept",
	  "Two points.\n--\n1 a\n2 b\n3 c\n4 d\n5 e\n6 f\n7 g\n8 h\n9 i\n10 j\n11 k\n12 l\n13 m\n14 n\n15 o\n16 p\n",
	  NULL, NULL },
	{ "iPhone", "Please avoid August.\n\nSent from my iPhone\n", "Please avoid August.\n", "Sent from my iPhone" },
	{ "Samsung with a full stop", "Para 8 - reviewers.\n\nSent from my Samsung Galaxy smartphone.\n",
	  "Para 8 - reviewers.\n", "Samsung" },
	{ "Yahoo: blank lines after the footer stay", "Paragraph 6 - norms.\n\nSent from Yahoo Mail on Android \n \n",
	  "Paragraph 6 - norms.\n \n", "Yahoo" },
	{ "Outlook mobile", "Yes.\n\nGet Outlook for Android\n", "Yes.\n", "Get Outlook" },
	{ "Outlook iOS", "Yes.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "Yes.\n", "Get Outlook" },
	{ "French", "D'accord.\n\nEnvoyé de mon iPhone\n", "D'accord.\n", "Envoyé" },
	{ "German", "Einverstanden.\n\nVon meinem iPhone gesendet\n", "Einverstanden.\n", "gesendet" },
	{ "Spanish", "De acuerdo.\n\nEnviado desde mi iPhone\n", "De acuerdo.\n", "Enviado" },
	{ "Italian", "Va bene.\n\nInviato da iPhone\n", "Va bene.\n", "Inviato" },
	{ "Dutch", "Prima.\n\nVerzonden vanaf mijn iPhone\n", "Prima.\n", "Verzonden" },
	{ "Chinese", "好的。\n\n從我的 iPhone 傳送\n", "好的。\n", "iPhone" },
	{ "CRLF", "Yes.\r\n\r\nSent from my iPad\r\n", "Yes.\r\n", "iPad" },
	{ "confidentiality notice",
	  "Short video clips work.\n\nAna Ruiz\nInstructional Coach\nOffice of Teaching and Learning | District 9 Schools\n(555) 010-2290\n\n"
	  "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole use of the intended recipient(s). "
	  "If you are not the intended recipient, please contact the sender by reply e-mail and destroy all copies of the original message.\n",
	  "Short video clips work.\n", "destroy all copies" },
	{ "disclaimer: e-mail and attachments",
	  "See section 3.\n\nThis e-mail and any attachments are confidential and may be privileged.\n",
	  "See section 3.\n", "confidential" },
	{ "list footer",
	  "Agreed.\n\nYou are receiving this because you are subscribed to this thread.\nReply to this email directly, view it on GitHub.\n",
	  "Agreed.\n", "receiving this" },
	{ "unsubscribe footer", "Agreed.\n\nTo unsubscribe, send mail to list-leave@example.org\n", "Agreed.\n", "unsubscribe" },
	{ "contact block with a personal note",
	  "The state role feels thin.\n\nWei Chen\nPolicy Analyst, Office of Educator Effectiveness\nState Department of Education\n(sent from my personal account)\n",
	  "The state role feels thin.\n", "sent from my personal account" },
	{ "name | title and views disclaimer",
	  "Para 15 - clock hours.\n\nWei\n\nWei Chen | Policy Analyst, State Department of Education\n"
	  "The views expressed here are my own and do not represent the Department.\n",
	  "Para 15 - clock hours.\n\nWei\n", "do not represent the Department" },
	{ "sign-off kept, contact block cut",
	  "Calibration took hold.\n\nThanks for pulling this together,\nAna\n\nAna Ruiz\nInstructional Coach\n",
	  "Calibration took hold.\n\nThanks for pulling this together,\nAna\n", "Instructional Coach" },
	{ "closing, then name and title in one paragraph",
	  "Good draft.\n\nBest,\nFarah Haddad\nTeacher-Leader, Northside Academy\n",
	  "Good draft.\n\nBest,\n", "Teacher-Leader" },
	{ "a sign-off alone is kept", "Good draft.\n\nThanks,\nAna\n", NULL, NULL },
	{ "a name alone is kept", "Good draft.\n\nBola\n", NULL, NULL },
	{ "prose after a name-like line is kept",
	  "Some notes.\n\nTitle II\nShould fund coaching positions too\n", NULL, NULL },
	{ "a closing paragraph of prose is kept",
	  "Point one.\n\nDepartment heads should meet weekly\nand plan the calendar together\n", NULL, NULL },
	{ "a short last line is kept", "I like it.\n\nGood Luck\n", NULL, NULL },
	{ "a comment that ends in a disclaimer's sentence is kept",
	  "Point one.\n\nI think we should add vignettes. The views expressed here are my own and do not represent the district.\n",
	  NULL, NULL },
	{ "a comment about intended recipients is kept",
	  "Point one.\n\nThe intended recipient of each micro-credential should be told who reviews the evidence.\n",
	  NULL, NULL },
	{ "a hard-wrapped disclaimer",
	  "Agreed.\n\nThis e-mail is confidential, may contain proprietary information\nand may be privileged. If you have "
	  "received this message in error please\ndelete it from your system.\n",
	  "Agreed.\n", "proprietary" },
	{ "a comment that mentions confidentiality is kept",
	  "Student data must stay confidential in these walks.\n", NULL, NULL },
	{ "sent from in prose is kept",
	  "Sent from my district office, this note covers the pilot schools and why they were chosen for the first year.\n",
	  NULL, NULL },
	{ "empty text", "", NULL, NULL },
	{ "all signature", "-- \nJust a sig\n", "", "Just a sig" },
};

static void test_signature(void)
{
	for (size_t i = 0; i < sizeof(strip_cases) / sizeof(strip_cases[0]); i++) {
		const struct sig_case *c = &strip_cases[i];
		struct buf out, removed;
		buf_init(&out, 0);
		buf_init(&removed, 0);
		signature_strip(c->in, &out, &removed);
		is_str(buf_cstr(&out), c->out != NULL ? c->out : c->in, "strip: %s", c->name);
		if (c->removed != NULL)
			ok(strstr(buf_cstr(&removed), c->removed) != NULL, "strip: %s: removed has \"%s\"",
			   c->name, c->removed);
		else
			is_int(removed.len, 0, "strip: %s: nothing removed", c->name);
		buf_free(&out);
		buf_free(&removed);
	}
	/* NULL removed buffer */
	struct buf out;
	buf_init(&out, 0);
	signature_strip("Yes.\n\nSent from my iPhone\n", &out, NULL);
	is_str(buf_cstr(&out), "Yes.\n", "strip with no removed buffer");
	buf_free(&out);

	static const struct sig_case text_cases[] = {
		{ "quoted lines are never touched",
		  "P3: name principals.\n\nSent from my iPhone\n\n> On Jul 16, 2018, at 6:14 AM, TAG <t@x.example> wrote:\n"
		  "> Sent from my iPhone\n> -- \n> You are receiving this because you accepted\n",
		  "P3: name principals.\n\n> On Jul 16, 2018, at 6:14 AM, TAG <t@x.example> wrote:\n"
		  "> Sent from my iPhone\n> -- \n> You are receiving this because you accepted\n", "iPhone" },
		{ "interleaved: each new piece on its own",
		  "> quote one\nAnswer one.\n\nSent from my iPhone\n> quote two\nAnswer two.\n-- \nDmitri\n",
		  "> quote one\nAnswer one.\n> quote two\nAnswer two.\n", "Dmitri" },
		{ "signature stops at the attribution",
		  "Comment.\n\n-- \nElin\n\nOn Mon, Jul 16, 2018 at 9:14 AM TAG <t@x.example> wrote:\n> draft\n",
		  "Comment.\n\nOn Mon, Jul 16, 2018 at 9:14 AM TAG <t@x.example> wrote:\n> draft\n", "Elin" },
		{ "two-line attribution",
		  "Comment.\n\nSent from my iPhone\n\nOn Mon, Jul 16, 2018 at 9:14 AM CompetencyWorks TAG <\n"
		  "tag@x.example> wrote:\n> draft\n",
		  "Comment.\n\nOn Mon, Jul 16, 2018 at 9:14 AM CompetencyWorks TAG <\ntag@x.example> wrote:\n> draft\n", "iPhone" },
		{ "Outlook original: header block kept, its footer cut",
		  "Comment.\n\nAna Ruiz\nInstructional Coach\n\n________________________________\n"
		  "From: CompetencyWorks TAG <tag@x.example>\nSent: Monday, July 16, 2018 8:14:03 AM\nTo: Ana Ruiz\n"
		  "Subject: Draft\n\n¶1 Draft framing paper.\n\nCompetencyWorks Technical Advisory Groups\n"
		  "You are receiving this because you accepted an invitation to the review.\n",
		  "Comment.\n\n________________________________\n"
		  "From: CompetencyWorks TAG <tag@x.example>\nSent: Monday, July 16, 2018 8:14:03 AM\nTo: Ana Ruiz\n"
		  "Subject: Draft\n\n¶1 Draft framing paper.\n", "receiving this" },
		{ "Original Message marker",
		  "Para 5 - pay.\n\nWei\n\nWei Chen | Policy Analyst, State Department of Education\n\n"
		  "-----Original Message-----\nFrom: TAG [mailto:t@x.example]\nSent: Monday\nSubject: Draft\n\n[1] Draft.\n",
		  "Para 5 - pay.\n\nWei\n\n-----Original Message-----\nFrom: TAG [mailto:t@x.example]\nSent: Monday\n"
		  "Subject: Draft\n\n[1] Draft.\n", "Wei Chen" },
	};
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct sig_case *c = &text_cases[i];
		struct buf o, removed;
		buf_init(&o, 0);
		buf_init(&removed, 0);
		signature_strip_text(c->in, &o, &removed);
		is_str(buf_cstr(&o), c->out, "strip text: %s", c->name);
		ok(strstr(buf_cstr(&removed), c->removed) != NULL, "strip text: %s: removed has \"%s\"",
		   c->name, c->removed);
		buf_free(&o);
		buf_free(&removed);
	}

	/* the stage rewrites msg->text and keeps what it cut */
	struct filter_env env = test_env();
	struct mail_msg *m = msg_new("From: d@x.example", "P1: tough month.\n\nSent from my iPhone\n\n> On X wrote:\n> text\n");
	struct filter_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	is_int(filter_signature.run(&ctx), FILTER_CONTINUE, "signature stage continues");
	is_str(m->text, "P1: tough month.\n\n> On X wrote:\n> text\n", "signature stage rewrites text");
	is_str(ctx.removed_signature, "Sent from my iPhone\n", "signature stage keeps the cut text");
	filter_ctx_free(&ctx);
	ok(ctx.removed_signature == NULL, "filter_ctx_free frees removed_signature");
	msg_free_test(&m);
	m = msg_new("From: d@x.example", "Nothing to cut.\n");
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	filter_signature.run(&ctx);
	is_str(m->text, "Nothing to cut.\n", "signature stage leaves clean text alone");
	ok(ctx.removed_signature == NULL, "nothing removed, nothing kept");
	msg_free_test(&m);
}

/* ---- external ---- */

static char tmpdir[64];

/* script - write an executable /bin/sh script; its path (static buffer per slot) */
static const char *script(int slot, const char *body)
{
	static char paths[16][128];
	snprintf(paths[slot], sizeof(paths[slot]), "%s/f%d.sh", tmpdir, slot);
	FILE *f = fopen(paths[slot], "w");
	if (f == NULL)
		return "/nonexistent";
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(paths[slot], 0700);
	return paths[slot];
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* process_running - pid exists and is not a zombie waiting for its reaper */
static int process_running(int pid)
{
	char path[64], *stat = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (str_read_file(path, 4096, &stat, &len) != 0)
		return kill(pid, 0) == 0;
	const char *rp = strrchr(stat, ')');
	int running = rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
	free(stat);
	return running;
}

static void test_external(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tagd-filters-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	/* a 1 MB message: bigger than a pipe buffer */
	size_t rawlen = 1 << 20;
	char *raw = xmalloc(rawlen + 1);
	memcpy(raw, "From: a@b.example\nSubject: x\n\n", 30);
	memset(raw + 30, 'a', rawlen - 30);
	for (size_t i = 100; i < rawlen; i += 100)
		raw[i] = '\n';
	raw[rawlen] = '\0';
	char cmdline[512], pidfile[160];
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", tmpdir);
	struct {
		const char *name;
		const char *body;
		const char *args;       /* appended to the command line */
		int timeout_ms;
		enum msg_class want;
		const char *reason;     /* a phrase of the reason */
	} cases[] = {
		{ "exit 0 passes", "cat >/dev/null\nexit 0", "", 5000, CLASS_NONE, NULL },
		{ "exit 1 holds with its first line", "cat >/dev/null\necho\necho 'looks like spam: score 9.5'\necho second\nexit 1",
		  "", 5000, CLASS_HELD, "external filter: looks like spam: score 9.5" },
		{ "exit 2 rejects, without reading stdin", "echo 'virus found'\nexit 2", "", 5000,
		  CLASS_REJECTED, "external filter: virus found" },
		{ "the whole message reaches stdin", "n=$(wc -c)\necho \"got $n bytes\"\nexit 1", "", 5000,
		  CLASS_HELD, "got 1048576 bytes" },
		{ "arguments are passed without a shell", "echo \"arg=$1 two=$2\"\nexit 1", " 'quoted' *", 5000,
		  CLASS_HELD, "arg='quoted' two=*" },
		{ "exit 1 without output", "exit 1", "", 5000, CLASS_HELD, "external filter: held (exit 1)" },
		{ "other exit statuses hold", "echo oops >&2\nexit 3", "", 5000, CLASS_HELD, "exited 3: oops" },
		{ "a crash holds", "kill -SEGV $$", "", 5000, CLASS_HELD, "killed by signal 11" },
		{ "a hang is killed and held", "sleep 30", "", 300, CLASS_HELD, "timed out after 300 ms" },
		{ "the whole process group is killed", NULL, "", 300, CLASS_HELD, "timed out" },
	};
	char bg[256];
	snprintf(bg, sizeof(bg), "sleep 30 &\necho $! > %s\nwait", pidfile);
	cases[9].body = bg;
	struct filter_env env = test_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = script((int)i, cases[i].body);
		snprintf(cmdline, sizeof(cmdline), "%s%s", path, cases[i].args);
		env.external_program = cmdline;
		env.external_timeout_ms = cases[i].timeout_ms;
		struct mail_msg *m = msg_new("From: a@b.example", "x");
		struct filter_ctx ctx;
		memset(&ctx, 0, sizeof(ctx));
		ctx.env = &env;
		ctx.msg = m;
		ctx.raw = raw;
		ctx.rawlen = rawlen;
		long long t0 = mono_ms();
		enum filter_verdict v = filter_external.run(&ctx);
		long long took = mono_ms() - t0;
		is_int(ctx.class, cases[i].want, "external: %s", cases[i].name);
		is_int(v, cases[i].want == CLASS_NONE ? FILTER_CONTINUE : FILTER_STOP, "external verdict: %s",
		       cases[i].name);
		if (cases[i].reason != NULL)
			ok(strstr(ctx.reason, cases[i].reason) != NULL, "external reason \"%s\" has \"%s\"",
			   ctx.reason, cases[i].reason);
		ok(took < cases[i].timeout_ms + 2000, "external: %s took %lld ms", cases[i].name, took);
		msg_free_test(&m);
	}
	/* the background sleep of the last case died with its group */
	char *pidtxt = NULL;
	size_t pidlen = 0;
	int bgpid = 0;
	if (str_read_file(pidfile, 64, &pidtxt, &pidlen) == 0) {
		str_to_int(str_trim(pidtxt), 1, 1 << 30, &bgpid);
		free(pidtxt);
	}
	int alive = 1;
	for (int k = 0; k < 100 && alive; k++) {     /* at most 1 s for it to die */
		alive = bgpid > 0 && process_running(bgpid);
		if (alive) {
			struct timespec ts = { 0, 10 * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	ok(bgpid > 0 && !alive, "a background child of the filter is killed too (pid %d)", bgpid);

	/* a program that does not exist */
	env.external_program = "/nonexistent/tagd-filter --flag";
	struct mail_msg *m = msg_new("From: a@b.example", "x");
	struct filter_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	ctx.raw = raw;
	ctx.rawlen = 100;
	filter_external.run(&ctx);
	is_int(ctx.class, CLASS_HELD, "missing program holds");
	ok(strstr(ctx.reason, "cannot run /nonexistent/tagd-filter") != NULL, "missing program reason: %s", ctx.reason);
	/* no program configured: the stage does nothing */
	env.external_program = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msg = m;
	is_int(filter_external.run(&ctx), FILTER_CONTINUE, "no external program: continue");
	env.external_program = "   ";
	is_int(filter_external.run(&ctx), FILTER_CONTINUE, "blank external program: continue");
	msg_free_test(&m);
	/* we are still alive after writing into closed pipes: SIGPIPE was contained */
	ok(1, "no SIGPIPE reached the caller");

	for (int i = 0; i < 10; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/f%d.sh", tmpdir, i);
		unlink(p);
	}
	unlink(pidfile);
	rmdir(tmpdir);
	free(raw);
}

int main(void)
{
	test_chain();
	test_size();
	test_loop();
	test_autoreply();
	test_bounce();
	test_sender();
	test_signature();
	test_external();
	return done_testing();
}
