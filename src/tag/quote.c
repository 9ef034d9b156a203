#include "config.h"
#include "tag/quote.h"
#include "lib/xalloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Lines longer than this are never taken for a reply header: headers are
   short, and this keeps the per-line checks cheap on pathological input. */
#define HEADER_MAX_LINE   400
/* An Outlook header block spans at most this many lines (blank lines and
   wrapped values included). */
#define HEADER_BLOCK_MAX  14
/* A sign-off block is at most this many lines. */
#define SIGNOFF_MAX_LINES 10

enum lkind { LK_NEW, LK_QUOTE, LK_ATTR, LK_FWD };

struct qline {
	const char *p;          /* the line, without LF and a CR before it */
	size_t len;
	const char *c;          /* content after the quote markers */
	size_t clen;
	int depth;              /* '>' markers */
	int blank;              /* content is white space only */
	int kind;               /* enum lkind */
	int eff;                /* effective depth (unmarked quotes add one) */
	size_t pre;             /* LK_ATTR: bytes of content before the header
				   that are the author's (a shared line) */
};

/* ---- small string helpers ------------------------------------------------ */

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* is_alpha - an ASCII letter */
static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - an ASCII digit */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* is_upper_start - s opens with a capital (or a caseless CJK/Hangul letter) */
static int is_upper_start(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] >= 'A' && s[0] <= 'Z')
		return 1;
	/* Latin-1 capitals and Latin Extended-A (even code points are capitals) */
	if (n >= 2 && s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e && s[1] != 0x97)
		return 1;
	if (n >= 2 && (s[0] == 0xc4 || s[0] == 0xc5) && (s[1] & 1) == 0)
		return 1;
	/* Cyrillic capitals U+0410..U+042F */
	if (n >= 2 && s[0] == 0xd0 && s[1] >= 0x90 && s[1] <= 0xaf)
		return 1;
	/* CJK, Hangul: names without case */
	if (s[0] >= 0xe3 && s[0] <= 0xed)
		return 1;
	return 0;
}

/* white space at s (ASCII, NBSP, LRM/RLM, ZWSP, BOM): its length, or 0 */
static size_t ws_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	if (u[0] == ' ' || u[0] == '\t' || u[0] == '\r' || u[0] == '\f' || u[0] == '\v')
		return 1;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0x8b || u[2] == 0x8e || u[2] == 0x8f || u[2] == 0xaf))
		return 3;
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return 3;
	return 0;
}

/* the length of the white space ending at s+n, or 0 */
static size_t ws_len_back(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	unsigned char c = u[n - 1];
	if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
		return 1;
	if (n >= 2 && u[n - 2] == 0xc2 && c == 0xa0)
		return 2;
	if (n >= 3 && u[n - 3] == 0xe2 && u[n - 2] == 0x80 &&
	    (c == 0x8b || c == 0x8e || c == 0x8f || c == 0xaf))
		return 3;
	if (n >= 3 && u[n - 3] == 0xef && u[n - 2] == 0xbb && c == 0xbf)
		return 3;
	return 0;
}

/* trim_span - drop white space at both ends of s[0..n) */
static void trim_span(const char **s, size_t *n)
{
	size_t k;
	while ((k = ws_len(*s, *n)) > 0) {
		*s += k;
		*n -= k;
	}
	while ((k = ws_len_back(*s, *n)) > 0)
		*n -= k;
}

/* all_blank - s[0..n) is only white space */
static int all_blank(const char *s, size_t n)
{
	trim_span(&s, &n);
	return n == 0;
}

/* ci_prefix - s starts with pat (pat lowercase; ASCII compared without case) */
static int ci_prefix(const char *s, size_t n, const char *pat)
{
	size_t i = 0;
	for (; pat[i]; i++)
		if (i >= n || lc((unsigned char)s[i]) != (unsigned char)pat[i])
			return 0;
	return 1;
}

/* ci_eq - s equals pat without ASCII case */
static int ci_eq(const char *s, size_t n, const char *pat)
{
	size_t i = 0;
	for (; pat[i]; i++)
		if (i >= n || lc((unsigned char)s[i]) != (unsigned char)pat[i])
			return 0;
	return i == n;
}

/* ci_find - offset of pat in s (ASCII case ignored), -1 if absent */
static long ci_find(const char *s, size_t n, const char *pat)
{
	int f = (unsigned char)pat[0];
	if (f == 0)
		return -1;
	int F = f >= 'a' && f <= 'z' ? f - 32 : f;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != f && c != F)
			continue;
		if (ci_prefix(s + i, n - i, pat))
			return (long)i;
	}
	return -1;
}

/* find_word - pat in s where an ASCII-letter pattern is not glued to a
   letter on the left; -1 if absent */
static long find_word(const char *s, size_t n, const char *pat)
{
	size_t off = 0;
	while (off < n) {
		long i = ci_find(s + off, n - off, pat);
		if (i < 0)
			return -1;
		size_t at = off + (size_t)i;
		if (at == 0 || !is_alpha((unsigned char)s[at - 1]) || !is_alpha((unsigned char)pat[0]))
			return (long)at;
		off = at + 1;
	}
	return -1;
}

/* ends_with_colon - s ends with ":" or a fullwidth colon */
static int ends_with_colon(const char *s, size_t n)
{
	if (n >= 1 && s[n - 1] == ':')
		return 1;
	/* U+FF1A FULLWIDTH COLON */
	if (n >= 3 && (unsigned char)s[n - 3] == 0xef && (unsigned char)s[n - 2] == 0xbc &&
	    (unsigned char)s[n - 1] == 0x9a)
		return 1;
	return 0;
}

/* ---- reply headers ----------------------------------------------------- */

/* Verbs of "On … X wrote:" in the languages we have met. */
static const char *const attr_verbs[] = {
	"wrote", "writes", "sent", "schrieb", "geschrieben", "a écrit", "a ecrit",
	"escribió", "escribio", "ha escrit", "schreef", "het volgende",
	"ha scritto", "scrisse", "pisze", "napisał", "napisal", "skrev",
	"skriver", "kirjoitti", "escreveu", "написал", "написала", "написав",
	"пише", "写道", "寫道", "작성", "のメッセージ", "írta", "napsal",
	"napísal", "yazdı", "έγραψε", "kirjutas", "rakstīja", "parašė",
	"a scris", "đã viết", "viết", "skrifaði", "je napisal", "je napisao",
	NULL
};

/* Words that open an attribution ("On", "Am", "Le", …), lowercase,
   followed by a space. */
static const char *const on_words[] = {
	"on ", "am ", "le ", "el ", "op ", "il ", "w dniu ", "den ", "dne ",
	"em ", "på ", "pa ", "dana ", "в ", "у ", "во ", "na ", "ngày ",
	"vào ", "vao ", "在", "pada ", "o ", "la ", "kl. ", "tir. ", "ons. ",
	"tor. ", "fre. ", "lør. ", "søn. ", "man. ",
	NULL
};

/* has_verb - s holds a "wrote" verb of some language */
static int has_verb(const char *s, size_t n)
{
	for (int i = 0; attr_verbs[i]; i++)
		if (find_word(s, n, attr_verbs[i]) >= 0)
			return 1;
	return 0;
}

/* starts_on_word - s opens like an attribution ("On ", "Am ", "Le ", …) */
static int starts_on_word(const char *s, size_t n)
{
	for (int i = 0; on_words[i]; i++)
		if (ci_prefix(s, n, on_words[i]))
			return 1;
	return 0;
}

/* has_time_or_year - "9:14", "12:00" or a year 19xx/20xx somewhere */
static int has_time_or_year(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++) {
		if (is_digit((unsigned char)s[i]) && s[i + 1] == ':' && is_digit((unsigned char)s[i + 2]) &&
		    is_digit((unsigned char)s[i + 3]))
			return 1;
		if ((s[i] == '1' && s[i + 1] == '9') || (s[i] == '2' && s[i + 1] == '0')) {
			if (is_digit((unsigned char)s[i + 2]) && is_digit((unsigned char)s[i + 3]) &&
			    (i == 0 || !is_digit((unsigned char)s[i - 1])) &&
			    (i + 4 >= n || !is_digit((unsigned char)s[i + 4])))
				return 1;
		}
	}
	return 0;
}

enum attr_strength { ATTR_NONE, ATTR_WEAK, ATTR_STRONG };

/* attribution_text - judge one (possibly joined) header candidate */
static enum attr_strength attribution_text(const char *s, size_t n)
{
	trim_span(&s, &n);
	if (n < 4 || n > HEADER_MAX_LINE)
		return ATTR_NONE;
	/* Android and others: "---- John Smith wrote ----" */
	if (s[0] == '-' && s[n - 1] == '-') {
		const char *t = s;
		size_t m = n;
		while (m > 0 && t[0] == '-') { t++; m--; }
		while (m > 0 && t[m - 1] == '-') m--;
		trim_span(&t, &m);
		if (m > 0 && has_verb(t, m))
			return ATTR_STRONG;
		return ATTR_NONE;
	}
	int digit_start = is_digit((unsigned char)s[0]);
	if (!digit_start && !ends_with_colon(s, n))
		return ATTR_NONE;
	int at = memchr(s, '@', n) != NULL;
	if (!ends_with_colon(s, n)) {
		/* Gmail with a date first and the colon lost: "2011/4/7 Name
		   <a@b>", "2016-03-03 17:21 GMT+01:00 Some One" */
		if (digit_start && has_time_or_year(s, n) && n <= 120 &&
		    ((at && s[n - 1] == '>') || find_word(s, n, "gmt") >= 0))
			return ATTR_STRONG;
		return ATTR_NONE;
	}
	if (has_verb(s, n)) {
		if (starts_on_word(s, n) || digit_start || at || has_time_or_year(s, n))
			return ATTR_STRONG;
		return n <= 150 ? ATTR_WEAK : ATTR_NONE;
	}
	/* Gmail with ISO dates: "2014-03-20 8:48 GMT+01:00 Name <a@b>:" */
	if (digit_start && at && n >= 2 && s[n - 2] == '>')
		return ATTR_STRONG;
	return ATTR_NONE;
}

/* Phrases of "-----Original Message-----" separators */
static const char *const original_phrases[] = {
	"original message", "ursprüngliche nachricht", "ursprungliche nachricht",
	"message d'origine", "message d’origine", "mensaje original",
	"messaggio originale", "oorspronkelijk bericht", "oprindelig meddelelse",
	"opprinnelig melding", "ursprungligt meddelande", "alkuperäinen viesti",
	"wiadomość oryginalna", "oryginalna wiadomość", "původní zpráva",
	"исходное сообщение", "mensagem original", "eredeti üzenet",
	"originalnachricht", "antwort nachricht", "reply message", "previous replies", "original e-mail", "original email",
	NULL
};

static const char *const forward_phrases[] = {
	"forwarded message", "forwarded message follows", "weitergeleitete nachricht",
	"message transféré", "message transfere", "mensaje reenviado",
	"doorgestuurd bericht", "messaggio inoltrato", "mensagem encaminhada",
	"videresendt melding", "videresendt meddelelse", "vidarebefordrat meddelande",
	"välitetty viesti", "przekazana wiadomość", "wiadomość przekazana",
	"пересылаемое сообщение", "转发的邮件", "原始邮件", "forwarded e-mail",
	NULL
};

/* Apple Mail and friends: a whole line */
static const char *const forward_lines[] = {
	"begin forwarded message:", "début du message réexpédié :",
	"début du message réexpédié:", "anfang der weitergeleiteten nachricht:",
	"inicio del mensaje reenviado:", "comienzo del mensaje reenviado:",
	"inizio messaggio inoltrato:", "begin doorgestuurd bericht:",
	"início da mensagem reencaminhada:", "videresendt meddelelse:",
	"vidarebefordrat brev:",
	NULL
};

enum sep_kind { SEP_NONE, SEP_ORIGINAL, SEP_FORWARD, SEP_RULE };

/* "## Please reply above this line ##" and the like, anywhere in a line */
static const char *const reply_above[] = {
	"reply above this line", "respond above this line", "write above this line",
	"type your reply above", "antwort oberhalb dieser zeile", "oberhalb dieser zeile antworten",
	"répondez au-dessus de cette ligne", "repondez au-dessus de cette ligne",
	"responda por encima de esta línea", "responde por encima de esta línea",
	"rispondi sopra questa riga", "antwoord boven deze regel",
	NULL
};

/* separator_line - "-----Original Message-----", "---------- Forwarded
   message ---------", "Begin forwarded message:", or a rule of dashes or
   underscores (which counts only above a header block) */
static enum sep_kind separator_line(const char *s, size_t n)
{
	trim_span(&s, &n);
	if (n < 3 || n > HEADER_MAX_LINE)
		return SEP_NONE;
	unsigned char c0 = (unsigned char)s[0];
	int marked = c0 == '-' || c0 == '_' || c0 == '=' || c0 == '*' || c0 == '#' || c0 == '~' ||
		     c0 == '<' || c0 == '[' || c0 == '(';
	/* separators are short or start with a rule character */
	if (!marked && n > 80)
		return SEP_NONE;
	if ((marked && n <= 100) || n <= 40)
		for (int i = 0; reply_above[i]; i++)
			if (ci_find(s, n, reply_above[i]) >= 0)
				return SEP_ORIGINAL;
	if (!marked) {
		for (int i = 0; forward_lines[i]; i++)
			if (ci_eq(s, n, forward_lines[i]))
				return SEP_FORWARD;
		return SEP_NONE;
	}
	size_t lead = 0, trail = 0;
	const char *t = s;
	size_t m = n;
	while (m > 0 && (t[0] == '-' || t[0] == '_' || t[0] == '=' || t[0] == '*' || t[0] == ' ')) {
		if (t[0] != ' ')
			lead++;
		t++;
		m--;
	}
	if (m == 0)
		return lead >= 8 && (s[0] == '-' || s[0] == '_') ? SEP_RULE : SEP_NONE;
	while (m > 0 && (t[m - 1] == '-' || t[m - 1] == '_' || t[m - 1] == '=' || t[m - 1] == '*' ||
			 t[m - 1] == ' ' || t[m - 1] == ':')) {
		if (t[m - 1] != ' ')
			trail++;
		m--;
	}
	if (lead + trail < 2 || lead == 0)
		return SEP_NONE;
	for (int i = 0; original_phrases[i]; i++)
		if (ci_eq(t, m, original_phrases[i]))
			return SEP_ORIGINAL;
	for (int i = 0; forward_phrases[i]; i++)
		if (ci_eq(t, m, forward_phrases[i]))
			return SEP_FORWARD;
	/* "----- Forwarded message from Bob <bob@example.org> -----" (mutt) */
	if (ci_prefix(t, m, "forwarded message from "))
		return SEP_FORWARD;
	return SEP_NONE;
}

/* Header names of a quoted header block; "from" first: 1 = a From name. */
static const char *const from_keys[] = {
	"from", "de", "von", "van", "da", "från", "fra", "od", "от", "lähettäjä",
	"feladó", "kimden", "từ", "发件人", "寄件者", "差出人", "보낸 사람",
	"remetente", "mittente", "afzender", "frá", "saatja", "absender",
	"expéditeur", "de la", "відправник",
	NULL
};
static const char *const other_keys[] = {
	"sent", "date", "to", "subject", "cc", "bcc", "reply-to", "reply to",
	"gesendet", "datum", "an", "betreff", "envoyé", "envoye", "à", "a",
	"objet", "enviado", "enviada", "fecha", "para", "asunto", "verzonden",
	"verstuurd", "aan", "onderwerp", "inviato", "oggetto", "data",
	"skickat", "till", "ämne", "sendt", "til", "emne", "dato", "wysłane",
	"wysłano", "do", "temat", "отправлено", "кому", "тема", "дата",
	"lähetetty", "vastaanottaja", "aihe", "päivämäärä", "elküldve",
	"címzett", "tárgy", "gönderildi", "kime", "konu", "tarih", "gửi",
	"đến", "chủ đề", "ngày", "发送时间", "收件人", "主题", "日期",
	"寄件日期", "收件者", "主旨", "送信日時", "宛先", "件名", "보낸 날짜",
	"받는 사람", "제목", "assunto", "cci", "kopie", "kopia", "sendt:",
	"envoyé le", "enviado el", "enviado em", "gesendet am", "sent at",
	"cc'd", "надіслано", "копия",
	NULL
};

/* header_line - 1 if s is "From: …" (in any language, *bold* or not),
   2 if another quoted-header name ("Sent:", "Betreff:", …), 0 if not */
static int header_line(const char *s, size_t n)
{
	trim_span(&s, &n);
	if (n < 3 || n > HEADER_MAX_LINE)
		return 0;
	while (n > 0 && (s[0] == '*' || s[0] == '_')) {
		s++;
		n--;
	}
	size_t k = 0, lim = n < 40 ? n : 40;
	while (k < lim && s[k] != ':' &&
	       !(k + 2 < n && (unsigned char)s[k] == 0xef && (unsigned char)s[k + 1] == 0xbc &&
		 (unsigned char)s[k + 2] == 0x9a))
		k++;
	if (k == lim || k == 0)
		return 0;
	const char *key = s;
	size_t kn = k;
	while (kn > 0 && (key[kn - 1] == '*' || key[kn - 1] == '_' || key[kn - 1] == ' ' ||
			  (unsigned char)key[kn - 1] == 0xa0))
		kn--;
	if (kn > 0 && (unsigned char)key[kn - 1] == 0xc2)
		kn--;
	if (kn == 0)
		return 0;
	for (int i = 0; from_keys[i]; i++)
		if (ci_eq(key, kn, from_keys[i]))
			return 1;
	for (int i = 0; other_keys[i]; i++)
		if (ci_eq(key, kn, other_keys[i]))
			return 2;
	return 0;
}

/* date_key - "Date:" or "Sent:" (and translations) opening a line */
static int date_key(const char *s, size_t n)
{
	static const char *const keys[] = { "date:", "*date:*", "sent:", "*sent:*", "datum:",
					    "gesendet:", "fecha:", "envoyé :", "envoyé:", "data:", NULL };
	trim_span(&s, &n);
	for (int i = 0; keys[i]; i++)
		if (ci_prefix(s, n, keys[i]))
			return 1;
	return 0;
}

/* header_block - the quoted header block starting at line i (same depth,
   its value lines may wrap, one blank line between headers is allowed):
   the number of lines, 0 if there is none. A block needs a From name and
   one other header, or three headers (one may be Date). With sep set the
   block sits under a separator and one From line is enough. */
static int header_block(const struct qline *L, int n, int i, int sep)
{
	int nfrom = 0, nother = 0, last = -1;
	int j = i;
	for (; j < n && j < i + HEADER_BLOCK_MAX; j++) {
		if (L[j].depth != L[i].depth)
			break;
		if (L[j].blank) {
			if (j + 1 < n && !L[j + 1].blank && header_line(L[j + 1].c, L[j + 1].clen) &&
			    last >= 0)
				continue;
			break;
		}
		int h = header_line(L[j].c, L[j].clen);
		if (h == 1)
			nfrom++;
		else if (h == 2)
			nother++;
		else {
			/* a wrapped value: only between two header lines */
			if (last < 0 || j + 1 >= n || L[j + 1].blank ||
			    !header_line(L[j + 1].c, L[j + 1].clen) || L[j].clen > 200)
				break;
			continue;
		}
		last = j;
		if (j == i && h == 0)
			return 0;
	}
	if (last < 0 || header_line(L[i].c, L[i].clen) == 0)
		return 0;
	if ((nfrom >= 1 && nother >= 1) || nfrom + nother >= 3 || (sep && nfrom >= 1) ||
	    (nother >= 2 && date_key(L[i].c, L[i].clen)))
		return last - i + 1;
	return 0;
}

/* next_nonblank - index of the first non-blank line at or after i, n if none */
static int next_nonblank(const struct qline *L, int n, int i)
{
	while (i < n && L[i].blank)
		i++;
	return i;
}

/* joined_attribution - "On …" wrapped over several lines (Gmail breaks
   before the address, Polymail spreads it over five lines with a blank one
   and a "> wrote:"): the number of lines that make a strong attribution
   together, else 0 */
static int joined_attribution(const struct qline *L, int n, int i)
{
	const char *s = L[i].c;
	size_t len = L[i].clen;
	trim_span(&s, &len);
	if (len == 0 || len > 300 || ends_with_colon(s, len))
		return 0;
	int on = starts_on_word(s, len) || is_digit((unsigned char)s[0]);
	if (!on && !memchr(s, '@', len))
		return 0;
	/* blank lines inside only after a dated "On …" */
	int blanks_ok = on && has_time_or_year(s, len);
	char buf[HEADER_MAX_LINE + 1];
	size_t bl = 0;
	memcpy(buf, s, len);
	bl = len;
	for (int k = 1; k <= 4 && i + k < n; k++) {
		const struct qline *q = &L[i + k];
		if (q->blank) {
			if (!blanks_ok)
				return 0;
			continue;
		}
		if (q->depth < L[i].depth || q->depth > L[i].depth + 1)
			return 0;
		const char *t = q->c;
		size_t tl = q->clen;
		trim_span(&t, &tl);
		if (bl + 1 + tl > HEADER_MAX_LINE)
			return 0;
		buf[bl++] = ' ';
		memcpy(buf + bl, t, tl);
		bl += tl;
		if (ends_with_colon(t, tl))
			return attribution_text(buf, bl) == ATTR_STRONG ? k + 1 : 0;
		if (k >= 2 && !blanks_ok)
			return 0;
	}
	return 0;
}

/* shared_line_attribution - "reply On Wed, … wrote:" or "reply--- On …":
   the offset where the header starts inside the content, 0 if none */
static size_t shared_line_attribution(const char *s, size_t n)
{
	static const char *const starts[] = { " On ", "-On ", " Am ", " Le ", " El ", " Op ", " Il ", NULL };
	if (n > HEADER_MAX_LINE || !ends_with_colon(s, n) || !has_verb(s, n))
		return 0;
	for (int i = 0; starts[i]; i++) {
		size_t m = strlen(starts[i]);
		for (size_t at = 1; at + m <= n; at++) {
			if (memcmp(s + at, starts[i], m) != 0)
				continue;
			size_t hs = at + 1;
			if (attribution_text(s + hs, n - hs) != ATTR_STRONG)
				continue;
			size_t pre = at + (starts[i][0] == ' ' ? 0 : 1);
			while (pre > 0 && (s[pre - 1] == '-' || s[pre - 1] == ' '))
				pre--;
			if (pre == 0)
				return 0;
			return hs;
		}
	}
	return 0;
}

/* ---- cutting a body into lines and segments ------------------------------- */

static struct qline *split_lines(const char *body, size_t blen, int *n_r)
{
	int cap = 64, n = 0;
	struct qline *L = xmalloc(sizeof(*L) * (size_t)cap);
	size_t off = 0;
	while (off < blen) {
		const char *p = body + off;
		const char *nl = memchr(p, '\n', blen - off);
		size_t len = nl ? (size_t)(nl - p) : blen - off;
		off += len + (nl ? 1 : 0);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (n == cap) {
			cap *= 2;
			L = xreallocarray(L, (size_t)cap, sizeof(*L));
		}
		struct qline *q = &L[n++];
		memset(q, 0, sizeof(*q));
		q->p = p;
		q->len = len;
		/* quote markers: '>' runs, spaces between them, a little indent */
		size_t k = 0, lead = 0;
		while (k < len && p[k] == ' ' && lead < 3) {
			k++;
			lead++;
		}
		int depth = 0;
		size_t after = 0;
		if (k < len && p[k] == '>') {
			while (k < len && depth < QUOTE_MAX_DEPTH) {
				if (p[k] == '>') {
					depth++;
					k++;
					after = k;
				} else if (p[k] == ' ' && k + 1 < len && p[k + 1] == '>') {
					k++;
				} else {
					break;
				}
			}
			if (after < len && p[after] == ' ')
				after++;
		}
		q->depth = depth;
		q->c = depth ? p + after : p;
		q->clen = depth ? len - after : len;
		q->blank = all_blank(q->c, q->clen);
	}
	*n_r = n;
	return L;
}

/* classify - give each line its kind and effective depth */
static void classify(struct qline *L, int n)
{
	int region = -1;        /* first line of an unmarked quote, -1 if none */
	int seen_new = 0;       /* the author's text came before */
	for (int i = 0; i < n; i++) {
		L[i].kind = L[i].depth > 0 ? LK_QUOTE : LK_NEW;
		L[i].eff = L[i].depth;
	}
	/* a lone line that starts two or more levels deep, with the author's
	   text right above and below it, is text, not a quote (">>> see
	   http://x <<<"): clients open a quote one level at a time */
	for (int i = 1; i + 1 < n; i++) {
		if (L[i].depth >= 2 && L[i - 1].depth == 0 && !L[i - 1].blank && L[i + 1].depth == 0 &&
		    !L[i + 1].blank) {
			L[i].kind = LK_NEW;
			L[i].eff = 0;
			L[i].depth = 0;
			L[i].c = L[i].p;
			L[i].clen = L[i].len;
		}
	}
	/* a line broken out of a quote by a client ("(http://x) >") */
	for (int i = 1; i + 1 < n; i++) {
		if (L[i].depth != 0 || L[i].blank || L[i - 1].depth == 0 || L[i + 1].depth == 0 ||
		    L[i].len == 0)
			continue;
		/* "(http://x) >", or a piece of a link: "_nonce=3dd518)" under
		   "> View ticket (http://example.com/action" */
		char last = L[i - 1].clen ? L[i - 1].c[L[i - 1].clen - 1] : '.';
		if (L[i].p[L[i].len - 1] == '>' ||
		    (!L[i - 1].blank && !memchr(L[i].p, ' ', L[i].len) && last != '.' && last != '!' &&
		     last != '?' && last != ':')) {
			L[i].kind = LK_QUOTE;
			L[i].eff = L[i - 1].depth;
		}
	}
	int i = 0;
	while (i < n) {
		struct qline *q = &L[i];
		if (region >= 0) {
			q->eff = q->depth + 1;
			if (q->kind == LK_NEW)
				q->kind = LK_QUOTE;
		}
		/* below the start of an unmarked quote everything is quoted:
		   headers there need no finding */
		if (q->blank || q->clen > HEADER_MAX_LINE || region >= 0) {
			i++;
			continue;
		}
		int span = 0, kind = LK_ATTR;
		int strong = 0;
		size_t pre = 0;
		if (q->depth == 0 && region < 0) {
			/* "reply On Wed, … wrote:" over a quote */
			size_t hs = shared_line_attribution(q->c, q->clen);
			int j = next_nonblank(L, n, i + 1);
			if (hs && j < n && L[j].depth > 0) {
				span = 1;
				strong = 1;
				pre = hs;
			}
		}
		enum sep_kind sk = span ? SEP_NONE : separator_line(q->c, q->clen);
		if (sk == SEP_ORIGINAL || sk == SEP_FORWARD) {
			kind = sk == SEP_FORWARD ? LK_FWD : LK_ATTR;
			int j = next_nonblank(L, n, i + 1);
			int hb = (j < n && j <= i + 3) ? header_block(L, n, j, 1) : 0;
			span = hb ? j + hb - i : 1;
			strong = 1;
		} else if (sk == SEP_RULE) {
			int j = next_nonblank(L, n, i + 1);
			int hb = (j < n && j <= i + 3) ? header_block(L, n, j, 1) : 0;
			if (hb) {
				span = j + hb - i;
				strong = 1;
			}
		}
		if (span == 0) {
			int hb = header_block(L, n, i, 0);
			if (hb) {
				span = hb;
				strong = 1;
			}
		}
		if (span == 0) {
			enum attr_strength a = attribution_text(q->c, q->clen);
			if (a != ATTR_NONE) {
				span = 1;
				strong = a == ATTR_STRONG;
			} else {
				int j = joined_attribution(L, n, i);
				if (j) {
					span = j;
					strong = 1;
				}
			}
		}
		int j = span ? next_nonblank(L, n, i + span) : n;
		int deeper = j < n && L[j].depth > q->depth;
		if (span == 0 || (!strong && !deeper)) {
			if (q->kind == LK_NEW && q->depth == 0)
				seen_new = 1;
			i++;
			continue;
		}
		for (int k = i; k < i + span && k < n; k++) {
			L[k].kind = kind;
			if (region >= 0)
				L[k].eff = L[k].depth + 1;
		}
		L[i].pre = pre;
		/* a header with nothing of the author's above it is no reply
		   header for the rest: the text below is theirs (a forward they
		   did not comment, a reply typed under the header) */
		if (region < 0 && q->depth == 0 && !deeper && j < n && (seen_new || pre))
			region = j;
		/* lines between the header and the region are part of it */
		i += span;
		if (region >= 0) {
			for (int k = i; k < n && k < j; k++) {
				L[k].eff = L[k].depth + 1;
				if (L[k].kind == LK_NEW)
					L[k].kind = LK_QUOTE;
			}
		}
	}
}

struct segbuild {
	struct segment *v;
	int n, cap;
	struct buf text;
	int open;               /* a segment is being filled */
	enum seg_kind kind;
	int depth, line, nlines, unmarked;
};

/* seg_close - finish the open segment, if any */
static void seg_close(struct segbuild *b)
{
	if (!b->open)
		return;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = xreallocarray(b->v, (size_t)b->cap, sizeof(*b->v));
	}
	struct segment *s = &b->v[b->n++];
	size_t len;
	s->kind = b->kind;
	s->text = buf_steal(&b->text, &len);
	s->depth = b->depth;
	s->line = b->line;
	s->nlines = b->nlines;
	s->unmarked = b->unmarked;
	b->open = 0;
}

/* seg_add - add a line to the open segment, opening a new one when kind or
   depth change */
static void seg_add(struct segbuild *b, enum seg_kind kind, int depth, int line, int unmarked,
		    const char *s, size_t n)
{
	if (b->open && (b->kind != kind || b->depth != depth))
		seg_close(b);
	if (!b->open) {
		b->open = 1;
		b->kind = kind;
		b->depth = depth;
		b->line = line;
		b->nlines = 0;
		b->unmarked = unmarked;
		buf_reset(&b->text);
	}
	buf_append(&b->text, s, n);
	buf_putc(&b->text, '\n');
	b->nlines++;
}

/* quote_segments - lines, their kinds, then segments (see quote.h) */
int quote_segments(const char *body, struct segment **segs_r, int *n_r)
{
	size_t blen = body ? strlen(body) : 0;
	int cut = 0;
	if (blen > QUOTE_MAX_BODY) {
		blen = QUOTE_MAX_BODY;
		cut = 1;
	}
	int n = 0;
	struct qline *L = blen ? split_lines(body, blen, &n) : NULL;
	classify(L, n);
	struct segbuild b;
	memset(&b, 0, sizeof(b));
	buf_init(&b.text, 0);
	for (int i = 0; i < n; i++) {
		struct qline *q = &L[i];
		int unmarked = q->eff > q->depth;
		switch (q->kind) {
		case LK_NEW:
			if (q->blank) {
				/* blank lines end a NEW segment, never start one */
				if (b.open && b.kind == SEG_NEW)
					seg_add(&b, SEG_NEW, 0, i + 1, 0, "", 0);
				break;
			}
			seg_add(&b, SEG_NEW, 0, i + 1, 0, q->c, q->clen);
			break;
		case LK_QUOTE:
			if (q->blank && b.open && b.kind == SEG_QUOTE) {
				seg_add(&b, SEG_QUOTE, b.depth, i + 1, b.unmarked, "", 0);
				break;
			}
			seg_add(&b, SEG_QUOTE, q->eff, i + 1, unmarked, q->c, q->clen);
			break;
		case LK_ATTR:
		case LK_FWD: {
			enum seg_kind k = q->kind == LK_FWD ? SEG_FORWARD_HEADER : SEG_ATTRIBUTION;
			const char *c = q->c;
			size_t cl = q->clen;
			if (q->pre) {
				size_t pre = q->pre;
				while (pre > 0 && (c[pre - 1] == ' ' || c[pre - 1] == '-'))
					pre--;
				seg_add(&b, SEG_NEW, 0, i + 1, 0, c, pre);
				c += q->pre;
				cl -= q->pre;
			}
			if (q->blank && b.open && (b.kind == SEG_ATTRIBUTION || b.kind == SEG_FORWARD_HEADER)) {
				seg_add(&b, b.kind, b.depth, i + 1, 0, "", 0);
				break;
			}
			seg_add(&b, k, q->eff, i + 1, 0, c, cl);
			break;
		}
		}
	}
	seg_close(&b);
	buf_free(&b.text);
	free(L);
	*segs_r = b.v;
	*n_r = b.n;
	return cut;
}

/* quote_segments_free - release the segments and the array */
void quote_segments_free(struct segment **segs, int n)
{
	if (!segs || !*segs)
		return;
	for (int i = 0; i < n; i++)
		free((*segs)[i].text);
	free(*segs);
	*segs = NULL;
}

/* seg_kind_name - a kind for logs and tests */
const char *seg_kind_name(enum seg_kind k)
{
	switch (k) {
	case SEG_NEW: return "new";
	case SEG_QUOTE: return "quote";
	case SEG_ATTRIBUTION: return "attribution";
	case SEG_FORWARD_HEADER: return "forward-header";
	}
	return "unknown";
}

/* ---- sign-offs --------------------------------------------------------- */

struct tline {
	const char *s;          /* trimmed content */
	size_t n;
	size_t start;           /* offset of the raw line in the text */
	int blank;
	int code;               /* inside a ``` fence (or the fence itself) */
};

/* text_lines - the trimmed lines of text, with code fences marked */
static struct tline *text_lines(const char *text, size_t len, int *n_r)
{
	int cap = 16, n = 0, fence = 0;
	struct tline *T = xmalloc(sizeof(*T) * (size_t)cap);
	size_t off = 0;
	while (off < len) {
		const char *p = text + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		if (n == cap) {
			cap *= 2;
			T = xreallocarray(T, (size_t)cap, sizeof(*T));
		}
		struct tline *t = &T[n++];
		t->start = off;
		t->s = p;
		t->n = l;
		trim_span(&t->s, &t->n);
		t->blank = t->n == 0;
		int is_fence = t->n >= 3 && memcmp(t->s, "```", 3) == 0;
		t->code = fence || is_fence;
		if (is_fence)
			fence = !fence;
		off += l + (nl ? 1 : 0);
	}
	*n_r = n;
	return T;
}

/* Mobile and webmail footers, matched on the start of a line (lowercase) */
static const char *const footer_starts[] = {
	"sent from my ", "sent from yahoo mail", "sent from mail for windows",
	"sent from windows mail", "sent from outlook", "sent from aol mobile",
	"sent from samsung", "sent from mailbox", "sent with airmail",
	"sent via ", "sent using ", "sent from the all new aol app",
	"sent from [mail]", "sent from proton mail", "sent from protonmail",
	"sent from gmail mobile", "sent from the gmail app", "sent from bluemail",
	"sent from zoho mail", "sent from newton", "sent from spark",
	"sent from polymail", "sent from superhuman", "sent from fastmail",
	"sent on the go", "sent on my ", "sent with blackberry", "sent wirelessly",
	"sent from a mobile", "sent from mobile", "sent from phone", "sent from ",
	"get outlook for ", "get [outlook for", "envoyé de mon ", "envoyé depuis mon ",
	"envoyé à partir de ", "envoyé de ", "von meinem ", "gesendet von meinem ",
	"gesendet mit ", "diese nachricht wurde von meinem ", "enviado desde mi ",
	"enviado desde ", "enviado do meu ", "enviado de meu ", "enviado a partir do ",
	"inviato da ", "inviato dal mio ", "verstuurd vanaf mijn ", "verzonden vanaf mijn ",
	"verzonden met ", "verstuurd met ", "skickat från min ", "skickat från ",
	"sendt fra min ", "sendt fra ", "lähetetty iphonesta", "lähetetty ",
	"wysłane z ", "wysłano z ", "отправлено с ", "отправлено из ",
	"从我的", "從我的", "发自我的", "來自我的", "iphoneから送信", "my iphoneから送信",
	"(sent from ", "<<sent by ", "someone from mobile", "from my iphone",
	"from my android", "sent from samsung mobile", "sent from android",
	"this message was sent from", "this email was sent from my",
	"typed on my ", "excuse my brevity", "please excuse typos",
	NULL
};

/* is_footer_line - a mobile or webmail footer line */
static int is_footer_line(const char *s, size_t n)
{
	/* a link after the footer ("Sent from Yahoo Mail on Android <https://…>")
	   does not count */
	if (n > 0 && (s[n - 1] == '>' || s[n - 1] == ')' || s[n - 1] == ']')) {
		char open = s[n - 1] == '>' ? '<' : s[n - 1] == ')' ? '(' : '[';
		size_t k = n - 1;
		while (k > 0 && s[k] != open)
			k--;
		if (s[k] == open && k > 0 && ci_find(s + k, n - k, "http") >= 0) {
			n = k;
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
		}
	}
	if (n == 0 || n > 160)
		return 0;
	for (int i = 0; footer_starts[i]; i++) {
		if (!ci_prefix(s, n, footer_starts[i]))
			continue;
		if (ci_eq(footer_starts[i], strlen(footer_starts[i]), "sent from my ") ||
		    ci_eq(footer_starts[i], strlen(footer_starts[i]), "sent from ")) {
			/* "Sent from my iPhone", "… Samsung Galaxy smartphone." — but not
			   "Sent from my desk, is much easier than …" */
			size_t k = strlen(footer_starts[i]);
			int words = 0, inword = 0;
			for (size_t j = k; j < n; j++) {
				unsigned char c = (unsigned char)s[j];
				if (c == ',' || c == ';')
					return 0;
				if (c == ' ') {
					inword = 0;
				} else if (!inword) {
					inword = 1;
					words++;
				}
			}
			if (words < 1 || words > 6)
				return 0;
		}
		return 1;
	}
	/* "Von meinem iPhone gesendet" and similar ending in "gesendet" */
	return 0;
}

/* is_delim_line - a line of only -_=*#~+ (and U+1427, Gmail's tracking dot) */
static int is_delim_line(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	size_t k = 0;
	while (k < n) {
		unsigned char c = (unsigned char)s[k];
		if (c == '-' || c == '_' || c == '=' || c == '*' || c == '#' || c == '~' || c == '+' || c == ' ')
			k++;
		else if (k + 3 <= n && c == 0xe1 && (unsigned char)s[k + 1] == 0x90 && (unsigned char)s[k + 2] == 0xa7)
			k += 3;
		else
			return 0;
	}
	return 1;
}

/* is_sig_dashes - "--" (the "-- " delimiter, trimmed) or "-- Name" */
static int is_sig_dashes(const char *s, size_t n)
{
	return (n == 2 && s[0] == '-' && s[1] == '-') ||
	       (n >= 3 && s[0] == '-' && s[1] == '-' && s[2] == ' ' && n <= 40 && !memchr(s + 3, '.', n - 3) &&
		is_upper_start((const unsigned char *)s + 3, n - 3));
}

static const char *const closing_words[] = {
	"best", "best regards", "best wishes", "all best", "all the best", "regards",
	"kind regards", "warm regards", "warmest regards", "warmly", "cheers",
	"thanks", "thank you", "thanks again", "many thanks", "thanks so much",
	"thanks all", "thank you all", "with thanks", "sincerely", "yours",
	"yours truly", "respectfully", "take care", "talk soon", "more soon",
	"mit freundlichen grüßen", "mit freundlichen grüssen", "viele grüße",
	"viele grüsse", "beste grüße", "liebe grüße", "grüße", "gruß", "lg",
	"cordialement", "bien cordialement", "bien à vous", "amitiés", "merci",
	"saludos", "un saludo", "atentamente", "cordiali saluti", "saluti",
	"grazie", "groeten", "met vriendelijke groet", "hälsningar",
	"med vänlig hälsning", "mvh", "pozdrawiam", "hilsen", "vh", "br", "thx",
	NULL
};

/* closing_line - "Best," "Thanks for pulling this together," "Cheers!" */
static int closing_line(const char *s, size_t n)
{
	if (n == 0 || n > 48)
		return 0;
	size_t m = n;
	while (m > 0 && (s[m - 1] == ',' || s[m - 1] == '!' || s[m - 1] == '.' || s[m - 1] == ' '))
		m--;
	for (int i = 0; closing_words[i]; i++)
		if (ci_eq(s, m, closing_words[i]))
			return 1;
	/* any short line that ends with a comma and opens with a capital:
	   "Thanks for pulling this together," "With appreciation," */
	if (s[n - 1] == ',' && n <= 40 && is_upper_start((const unsigned char *)s, n) && !memchr(s, '.', n))
		return 1;
	return 0;
}

static const char *const name_particles[] = {
	"de", "van", "von", "der", "den", "da", "di", "du", "la", "le", "del", "bin", "al", "y", "e", NULL
};

/* Words that end many comments and are not names */
static const char *const not_names[] = {
	"agreed", "yes", "no", "exactly", "indeed", "done", "same", "ok", "okay",
	"sure", "absolutely", "definitely", "right", "true", "correct", "great",
	"good", "nice", "fine", "perfect", "seconded", "ditto", "likewise",
	"noted", "thanks", "agree", "disagree", "hi", "hello", "yes please",
	"see above", "see below", "more soon", "best", NULL
};

/* name_like - "Elin", "Dmitri Volkov", "Elin Lindqvist, PhD",
   "Wei Chen | Policy Analyst…", "-Abhishek Kona", "— Elin" */
static int name_like(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] == '-' && n > 1 && s[1] != ' ' && s[1] != '-') {
		s++;
		n--;
	} else if (n > 4 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
		   ((unsigned char)s[2] == 0x94 || (unsigned char)s[2] == 0x93)) {
		s += 3;
		n -= 3;
		while (n > 0 && s[0] == ' ') { s++; n--; }
	} else if (s[0] == '~') {
		s++;
		n--;
	}
	/* the name part ends at a comma, a pipe or " - " */
	size_t m = 0;
	while (m < n && s[m] != ',' && s[m] != '|' && !(m + 2 < n && s[m] == ' ' && s[m + 1] == '-' && s[m + 2] == ' '))
		m++;
	size_t nm = m;
	while (nm > 0 && s[nm - 1] == ' ')
		nm--;
	if (nm == 0 || nm > 40)
		return 0;
	for (int i = 0; not_names[i]; i++)
		if (ci_eq(s, nm, not_names[i]))
			return 0;
	int words = 0;
	size_t k = 0;
	while (k < nm) {
		while (k < nm && s[k] == ' ')
			k++;
		if (k >= nm)
			break;
		size_t w = k;
		while (k < nm && s[k] != ' ')
			k++;
		size_t wl = k - w;
		words++;
		int particle = 0;
		for (int i = 0; name_particles[i]; i++)
			if (ci_eq(s + w, wl, name_particles[i]) && s[w] >= 'a' && s[w] <= 'z')
				particle = 1;
		if (!particle && !is_upper_start((const unsigned char *)s + w, wl))
			return 0;
		for (size_t j = w; j < w + wl; j++) {
			unsigned char c = (unsigned char)s[j];
			if (is_digit(c) || c == '@' || c == ':' || c == '(' || c == ')' || c == '!' || c == '?' ||
			    c == ';' || c == '"')
				return 0;
			if (c == '.' && !(wl <= 3 && j == w + wl - 1))
				return 0;
		}
	}
	return words >= 1 && words <= 4;
}

/* Words that mark a line of a signature block (title, organization, contact) */
static const char *const sig_words[] = {
	"professor", "director", "coach", "teacher", "principal", "analyst",
	"manager", "officer", "dean", "superintendent", "coordinator",
	"specialist", "consultant", "chair", "president", "ceo", "cto",
	"engineer", "ph.d", "phd", "school", "university", "college",
	"department", "dept", "office", "district", "academy", "inc", "llc",
	"ltd", "gmbh", "institute", "association", "foundation", "center",
	"centre", "grade", "faculty", "lecturer", "researcher", "leader",
	"founder", "partner", "advisor", "adviser", "tel", "phone", "mobile",
	"fax", "cell", "www", "http", "@", "|", "sent from", "views expressed",
	"education", "ministry", "agency", "board", "council", "program",
	"programme", "division", "county", "state ", "city of", "schools",
	NULL
};

/* sig_info_line - a title, organization or contact line of a signature */
static int sig_info_line(const char *s, size_t n)
{
	int digits = 0;
	for (size_t i = 0; i < n; i++)
		if (is_digit((unsigned char)s[i]))
			digits++;
	if (digits >= 6)
		return 1;       /* a phone number */
	for (int i = 0; sig_words[i]; i++)
		if (find_word(s, n, sig_words[i]) >= 0)
			return 1;
	return 0;
}

/* Openers of legal disclaimers and list footers */
static const char *const disclaimer_starts[] = {
	"confidentiality notice", "confidential:", "confidential -", "disclaimer",
	"this e-mail message", "this email message", "this e-mail and any",
	"this email and any", "this message and any", "this message is intended",
	"this e-mail is intended", "this email is intended", "this message contains",
	"this communication", "the information contained in this",
	"the information in this", "the views expressed", "the opinions expressed",
	"any views or opinions", "notice: this", "important notice",
	"privileged and confidential", "please consider the environment",
	"le informazioni contenute", "diese e-mail enthält", "diese nachricht enthält",
	"ce message et", "ce courriel", "este mensaje", "you received this message because",
	"you are receiving this because", "to unsubscribe from this group",
	NULL
};

/* disclaimer_line - the opening of a legal disclaimer or list footer */
static int disclaimer_line(const char *s, size_t n)
{
	for (int i = 0; disclaimer_starts[i]; i++)
		if (ci_prefix(s, n, disclaimer_starts[i]))
			return 1;
	return 0;
}

/* last_content - index of the last non-blank line before end, -1 if none */
static int last_content(const struct tline *T, int end)
{
	int i = end - 1;
	while (i >= 0 && T[i].blank)
		i--;
	return i;
}

/* block_start - first line of the block (run of non-blank lines) holding i */
static int block_start(const struct tline *T, int i)
{
	while (i > 0 && !T[i - 1].blank)
		i--;
	return i;
}

/* tail_start - the first line of the last `lines` non-blank lines before end */
static int tail_start(const struct tline *T, int end, int lines)
{
	int i = end;
	while (i > 0 && lines > 0) {
		i--;
		if (!T[i].blank)
			lines--;
	}
	return i;
}

/* Footers are at most this many non-blank lines after their first line */
#define FOOTER_AFTER_MAX  30
#define LIST_FOOTER_AFTER 6
/* Disclaimers are looked for among the last this many non-blank lines */
#define DISCLAIMER_SCAN   60

/* cut_footer - the line index from which a footer starts, or end. The
   "-- " search covers the whole text only when first is set (a later
   round cannot find one that an earlier one missed). */
static int cut_footer(const struct tline *T, int end, int first)
{
	/* "-- " (and "--") starts a signature; "-- Name" too */
	for (int i = 0; first && i < end; i++) {
		if (T[i].code)
			continue;
		if (is_sig_dashes(T[i].s, T[i].n))
			return i;
	}
	/* a footer line, with only short lines after it */
	for (int i = tail_start(T, end, FOOTER_AFTER_MAX + 1); i < end; i++) {
		if (T[i].code || !is_footer_line(T[i].s, T[i].n))
			continue;
		int ok = 1, count = 0;
		for (int k = i + 1; k < end && ok; k++) {
			if (T[k].blank)
				continue;
			if (T[k].n > 120 || ++count > FOOTER_AFTER_MAX)
				ok = 0;
		}
		if (ok)
			return i;
	}
	/* a mailing-list footer under a rule of underscores */
	for (int i = tail_start(T, end, LIST_FOOTER_AFTER + 1); i < end; i++) {
		if (T[i].code || T[i].n < 2 || !is_delim_line(T[i].s, T[i].n) || T[i].s[0] != '_')
			continue;
		int count = 0, ok = 1;
		for (int k = i + 1; k < end && ok; k++) {
			if (T[k].blank)
				continue;
			if (T[k].n > 100 || ++count > LIST_FOOTER_AFTER)
				ok = 0;
		}
		if (ok)
			return i;
	}
	/* trailing delimiter lines */
	int i = last_content(T, end);
	int cut = end;
	while (i >= 0 && !T[i].code && is_delim_line(T[i].s, T[i].n)) {
		cut = i;
		i = last_content(T, i);
	}
	return cut;
}

/* cut_comment_tail - one round of the comment sign-off rules on T[0..end):
   the new end, or end if nothing was cut */
static int cut_comment_tail(const struct tline *T, int end)
{
	int last = last_content(T, end);
	if (last <= 0)
		return end;
	if (T[last].code)
		return end;
	int b = block_start(T, last);
	/* a disclaimer paragraph (and anything after it) near the end */
	int from = tail_start(T, end, DISCLAIMER_SCAN);
	for (int i = from > 1 ? from : 1; i < end; i++) {
		if (T[i].code || T[i].blank || !T[i - 1].blank)
			continue;
		if (disclaimer_line(T[i].s, T[i].n) && last_content(T, i) >= 0)
			return i;
	}
	if (b == 0)
		goto closing;
	int nb = last - b + 1;
	if (nb > SIGNOFF_MAX_LINES)
		goto closing;
	/* "Best,\nElin\nProfessor of Teacher Education\n…" */
	if (nb >= 2 && closing_line(T[b].s, T[b].n) && name_like(T[b + 1].s, T[b + 1].n)) {
		int ok = 1;
		for (int k = b + 2; k <= last; k++)
			if (T[k].n > 120)
				ok = 0;
		if (ok)
			return b;
	}
	/* a name block: "Ana Ruiz / Instructional Coach / Office … / phone" */
	if (name_like(T[b].s, T[b].n)) {
		if (nb == 1)
			return b;
		int info = 0, ok = 1;
		if (memchr(T[b].s, '|', T[b].n) || memchr(T[b].s, ',', T[b].n))
			info = 1;
		for (int k = b + 1; k <= last; k++) {
			if (T[k].n > 120)
				ok = 0;
			if (sig_info_line(T[k].s, T[k].n))
				info = 1;
		}
		if (ok && info)
			return b;
		if (ok && nb == 2 && closing_line(T[b].s, T[b].n))
			return b;
	}
closing:
	/* "Thanks for pulling this together,\nAna", "Best,\nElin", "Cheers!" */
	if (closing_line(T[last].s, T[last].n) && last > 0 && last_content(T, last) >= 0)
		return last;
	if (last >= 1 && name_like(T[last].s, T[last].n) && !T[last - 1].blank &&
	    closing_line(T[last - 1].s, T[last - 1].n) && last_content(T, last - 1) >= 0)
		return last - 1;
	/* "Regards, Roman" on one line */
	{
		const char *s = T[last].s;
		size_t n = T[last].n;
		const char *comma = memchr(s, ',', n);
		if (comma && n <= 48) {
			size_t cl = (size_t)(comma - s);
			const char *nm = comma + 1;
			size_t nn = n - cl - 1;
			trim_span(&nm, &nn);
			if (closing_line(s, cl + 1) && name_like(nm, nn) && last_content(T, last) >= 0)
				return last;
		}
	}
	return end;
}

/* quote_signoff_cut - apply the rules of mode until nothing more is cut */
size_t quote_signoff_cut(const char *text, size_t len, enum signoff_mode mode)
{
	int n = 0;
	struct tline *T = text_lines(text, len, &n);
	int end = n;
	for (int round = 0; round < 8; round++) {
		int e = cut_footer(T, end, round == 0);
		if (mode == SIGNOFF_COMMENT)
			e = cut_comment_tail(T, e);
		if (e >= end)
			break;
		end = e;
	}
	size_t out = end < n ? T[end].start : len;
	free(T);
	while (out > 0) {
		size_t k = ws_len_back(text, out);
		if (k == 0 && text[out - 1] == '\n')
			k = 1;
		if (k == 0)
			break;
		out -= k;
	}
	return out;
}

static const char *const greetings[] = {
	"hi", "hello", "hey", "dear", "good morning", "good afternoon",
	"good evening", "greetings", "hallo", "liebe", "lieber", "guten morgen",
	"guten tag", "bonjour", "salut", "hola", "buenos días", "buenos dias",
	"ciao", "buongiorno", "hej", "hei", "goedemorgen", "dzień dobry",
	NULL
};

/* quote_greeting_len - a greeting line alone at the start (see quote.h) */
size_t quote_greeting_len(const char *text, size_t len)
{
	size_t off = 0;
	while (off < len && (text[off] == '\n' || ws_len(text + off, len - off) > 0))
		off += text[off] == '\n' ? 1 : ws_len(text + off, len - off);
	const char *p = text + off;
	const char *nl = memchr(p, '\n', len - off);
	size_t l = nl ? (size_t)(nl - p) : len - off;
	const char *s = p;
	size_t n = l;
	trim_span(&s, &n);
	if (n == 0 || n > 48)
		return 0;
	char last = s[n - 1];
	if (last != ',' && last != '!' && last != ':') {
		/* "Hi Ana" or "Hello all." alone: at most three words */
		int words = 1;
		for (size_t i = 0; i < n; i++)
			if (s[i] == ' ')
				words++;
		if (words > 3 || (last != '.' && !is_alpha((unsigned char)last)))
			return 0;
	}
	if (memchr(s, '?', n))
		return 0;
	int g = 0;
	for (int i = 0; greetings[i]; i++) {
		size_t m = strlen(greetings[i]);
		if (ci_prefix(s, n, greetings[i]) && (m == n || !is_alpha((unsigned char)s[m]))) {
			g = 1;
			break;
		}
	}
	if (!g)
		return 0;
	/* no sentence after the greeting on the same line */
	for (size_t i = 0; i + 1 < n; i++)
		if ((s[i] == '.' || s[i] == '!') && s[i + 1] == ' ')
			return 0;
	size_t end = off + l;
	while (end < len && (text[end] == '\n' || ws_len(text + end, len - end) > 0))
		end += text[end] == '\n' ? 1 : ws_len(text + end, len - end);
	return end;
}

/* ---- reply parser view ------------------------------------------------- */

/* put_rtrimmed - append text with the trailing blanks of each line removed */
static void put_rtrimmed(struct buf *out, const char *s, size_t n)
{
	size_t off = 0;
	while (off < n) {
		const char *nl = memchr(s + off, '\n', n - off);
		size_t l = nl ? (size_t)(nl - (s + off)) : n - off;
		size_t m = l;
		size_t k;
		while ((k = ws_len_back(s + off, m)) > 0)
			m -= k;
		buf_append(out, s + off, m);
		if (nl)
			buf_putc(out, '\n');
		off += l + (nl ? 1 : 0);
	}
}

/* reply_new_text - the NEW segments, footers cut, joined (see quote.h) */
void reply_new_text(const char *body, struct buf *out)
{
	struct segment *segs = NULL;
	int n = 0;
	quote_segments(body, &segs, &n);
	struct buf all;
	buf_init(&all, 0);
	for (int i = 0; i < n; i++) {
		if (segs[i].kind != SEG_NEW)
			continue;
		const char *t = segs[i].text;
		size_t tl = strlen(t);
		size_t keep = quote_signoff_cut(t, tl, SIGNOFF_FOOTER);
		if (keep == 0)
			continue;       /* all footer: not even a blank line */
		int only_ws = 1;
		for (size_t k = keep; k < tl && only_ws; k++)
			if (t[k] != '\n' && ws_len(t + k, tl - k) == 0)
				only_ws = 0;
		if (only_ws) {
			/* keep the blank lines that part it from the next piece */
			put_rtrimmed(&all, t, tl);
		} else {
			put_rtrimmed(&all, t, keep);
			buf_putc(&all, '\n');
		}
	}
	/* trim the whole */
	const char *s = buf_cstr(&all);
	size_t sl = all.len;
	trim_span(&s, &sl);
	while (sl > 0 && (s[0] == '\n' || ws_len(s, sl))) {
		size_t k = s[0] == '\n' ? 1 : ws_len(s, sl);
		s += k;
		sl -= k;
	}
	while (sl > 0 && (s[sl - 1] == '\n' || ws_len_back(s, sl))) {
		size_t k = s[sl - 1] == '\n' ? 1 : ws_len_back(s, sl);
		sl -= k;
	}
	buf_append(out, s, sl);
	buf_free(&all);
	quote_segments_free(&segs, n);
}
