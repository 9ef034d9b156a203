#include "config.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include <inttypes.h>
#include <string.h>

void json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->count[j->depth])
		buf_putc(j->out, ',');
	if (j->count[j->depth] < 255)
		j->count[j->depth]++;
}

static void open(struct json *j, char c)
{
	sep(j);
	buf_putc(j->out, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		log_panic("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->depth++;
	j->count[j->depth] = 0;
}

static void close_(struct json *j, char c)
{
	if (j->depth == 0)
		log_panic("json: unbalanced close");
	j->depth--;
	buf_putc(j->out, c);
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_key(struct json *j, const char *key)
{
	sep(j);
	json_escape(j->out, key, strlen(key));
	buf_putc(j->out, ':');
	j->after_key = 1;
}

void json_escape(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '"');
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t len = utf8_valid_prefix(s + i, n - i);
			if (len == 0) {
				buf_puts(out, "\\ufffd");
				i++;
			} else {
				buf_append(out, s + i, len);
				i += len;
			}
			continue;
		}
		switch (c) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(out, "\\u%04x", c);
			else
				buf_putc(out, (char)c);
		}
		i++;
	}
	buf_putc(out, '"');
}

void json_str(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_strn(struct json *j, const char *s, size_t n)
{
	sep(j);
	json_escape(j->out, s, n);
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	buf_printf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	buf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	buf_puts(j->out, "null");
}

void json_kstr(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_kint(struct json *j, const char *key, int64_t v) { json_key(j, key); json_int(j, v); }
void json_kbool(struct json *j, const char *key, int v) { json_key(j, key); json_bool(j, v); }
