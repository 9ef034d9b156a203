#include "config.h"
#include "mail/quick.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

size_t quick_body_offset(const char *raw, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - raw) : len;
		size_t linelen = end - i;
		if (linelen == 0 || (linelen == 1 && raw[i] == '\r'))
			return nl ? end + 1 : len;
		if (nl == NULL)
			return len;
		i = end + 1;
	}
	return len;
}

char *quick_header(const char *raw, size_t len, const char *name)
{
	size_t n = strlen(name);
	size_t body = quick_body_offset(raw, len);
	size_t i = 0;
	while (i < body) {
		const char *nl = memchr(raw + i, '\n', body - i);
		size_t end = nl ? (size_t)(nl - raw) : body;
		if (end - i > n && str_ncasecmp(raw + i, name, n) == 0 && raw[i + n] == ':') {
			struct buf v;
			buf_init(&v, 64 * 1024);
			buf_append(&v, raw + i + n + 1, end - i - n - 1);
			/* continuation lines */
			size_t j = end + 1;
			while (j < body && (raw[j] == ' ' || raw[j] == '\t')) {
				const char *nl2 = memchr(raw + j, '\n', body - j);
				size_t e2 = nl2 ? (size_t)(nl2 - raw) : body;
				buf_append(&v, raw + j, e2 - j);
				j = e2 + 1;
			}
			char *s = buf_steal(&v, NULL);
			for (char *c = s; *c; c++)
				if (*c == '\r' || *c == '\n' || *c == '\t')
					*c = ' ';
			char *t = str_trim(s);
			char *out = xstrdup(t);
			free(s);
			return out;
		}
		if (nl == NULL)
			break;
		i = end + 1;
	}
	return NULL;
}

char *quick_msgid(const char *raw, size_t len)
{
	char *v = quick_header(raw, len, "Message-ID");
	if (v == NULL)
		return NULL;
	char **ids;
	int n = quick_ids(v, &ids);
	char *id = NULL;
	if (n > 0)
		id = xstrdup(ids[0]);
	else if (*v && strlen(v) < 998 && strchr(v, ' ') == NULL)
		id = xstrdup(v);
	quick_ids_free(ids, n);
	free(v);
	return id;
}

int quick_ids(const char *value, char ***ids_r)
{
	char **ids = NULL;
	int n = 0;
	const char *p = value;
	while ((p = strchr(p, '<')) != NULL) {
		const char *e = strchr(p, '>');
		if (e == NULL)
			break;
		if (e > p + 1 && e - p < 998 && n < 1000) {
			ids = xreallocarray(ids, (size_t)n + 1, sizeof(char *));
			ids[n++] = xstrndup(p + 1, (size_t)(e - p - 1));
		}
		p = e + 1;
	}
	*ids_r = ids;
	return n;
}

void quick_ids_free(char **ids, int n)
{
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
