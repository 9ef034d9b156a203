#ifndef TAGD_JSON_H
#define TAGD_JSON_H
/* A small streaming JSON writer into a struct buf. Commas and nesting are
   tracked for the caller; strings are escaped (invalid UTF-8 becomes U+FFFD)
   so any value from mail can be written safely. */
#include "lib/buf.h"
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	int depth;
	unsigned char count[JSON_MAX_DEPTH]; /* items written at each level (saturating) */
	int after_key;
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* helpers: key + value */
void json_kstr(struct json *j, const char *key, const char *s); /* NULL -> null */
void json_kint(struct json *j, const char *key, int64_t v);
void json_kbool(struct json *j, const char *key, int v);
/* json_escape - append s as a quoted JSON string */
void json_escape(struct buf *out, const char *s, size_t n);

#endif
