#include "config.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *v_r)
{
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*v_r = v;
	return 0;
}

int str_to_int(const char *s, int min, int max, int *v_r)
{
	int64_t v;
	if (str_to_i64(s, min, max, &v) < 0)
		return -1;
	*v_r = (int)v;
	return 0;
}

char *str_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void str_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int lc(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

int str_casecmp(const char *a, const char *b)
{
	while (*a && lc((unsigned char)*a) == lc((unsigned char)*b))
		a++, b++;
	return lc((unsigned char)*a) - lc((unsigned char)*b);
}

int str_ncasecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int d = lc((unsigned char)a[i]) - lc((unsigned char)b[i]);
		if (d || !a[i])
			return d;
	}
	return 0;
}

int str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_istarts(const char *s, const char *prefix)
{
	return str_ncasecmp(s, prefix, strlen(prefix)) == 0;
}

int str_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

const char *str_casestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return hay;
	for (; *hay; hay++)
		if (str_ncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int str_read_file(const char *path, size_t max, char **data_r, size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	size_t cap = S_ISREG(st.st_mode) && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 65536;
	char *data = xmalloc(cap);
	size_t len = 0;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max) {
				free(data);
				close(fd);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			data = xrealloc(data, cap);
		}
		ssize_t n = read(fd, data + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(data);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(data);
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	data[len] = '\0';
	*data_r = data;
	*len_r = len;
	return 0;
}

void str_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}
