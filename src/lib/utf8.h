#ifndef TAGD_UTF8_H
#define TAGD_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* utf8_valid_prefix - length of the valid UTF-8 sequence at s (1..4), 0 if invalid */
size_t utf8_valid_prefix(const char *s, size_t n);
/* utf8_decode - next code point at *p (advancing it); U+FFFD for bad bytes */
uint32_t utf8_decode(const char **p, const char *end);
/* utf8_encode - write cp to out (4 bytes room); returns length */
size_t utf8_encode(uint32_t cp, char *out);
/* utf8_is_valid - whole string is valid UTF-8 */
int utf8_is_valid(const char *s, size_t n);

#endif
