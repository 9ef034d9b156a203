#include "config.h"
#include "lib/utf8.h"

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((u[0] & 0xe0) == 0xc0) { len = 2; cp = u[0] & 0x1f; min = 0x80; }
	else if ((u[0] & 0xf0) == 0xe0) { len = 3; cp = u[0] & 0x0f; min = 0x800; }
	else if ((u[0] & 0xf8) == 0xf0) { len = 4; cp = u[0] & 0x07; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

uint32_t utf8_decode(const char **p, const char *end)
{
	const unsigned char *u = (const unsigned char *)*p;
	size_t len = utf8_valid_prefix(*p, (size_t)(end - *p));
	if (len == 0) {
		(*p)++;
		return 0xfffd;
	}
	uint32_t cp;
	switch (len) {
	case 1: cp = u[0]; break;
	case 2: cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f); break;
	case 3: cp = ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f); break;
	default: cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
			((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f); break;
	}
	*p += len;
	return cp;
}

size_t utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
	if (cp < 0x800) { o[0] = (unsigned char)(0xc0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3f)); return 2; }
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12)); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f)); return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18)); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int utf8_is_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t l = utf8_valid_prefix(s + i, n - i);
		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}
