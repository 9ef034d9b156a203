#ifndef TAGD_STR_H
#define TAGD_STR_H
/* Small string helpers: checked number parsing (no atoi), ASCII case
   folding, trimming, file reading with a cap. */
#include <stddef.h>
#include <stdint.h>

/* str_to_i64 - the whole of s as a decimal in [min,max]; -1 otherwise */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *v_r);
int str_to_int(const char *s, int min, int max, int *v_r);
/* str_trim - trim ASCII whitespace in place; returns s advanced */
char *str_trim(char *s);
void str_lower(char *s);
int str_casecmp(const char *a, const char *b);
int str_ncasecmp(const char *a, const char *b, size_t n);
int str_starts(const char *s, const char *prefix);
int str_istarts(const char *s, const char *prefix);
int str_ends(const char *s, const char *suffix);
/* str_casestr - ASCII case-insensitive strstr */
const char *str_casestr(const char *hay, const char *needle);
/* str_eq - NULL-safe equality */
int str_eq(const char *a, const char *b);
/* str_read_file - whole file, at most max bytes; -1 with errno set
   (EFBIG when larger than max) */
int str_read_file(const char *path, size_t max, char **data_r, size_t *len_r);
/* str_hex - lowercase hex of n bytes into out (2n+1 bytes) */
void str_hex(const unsigned char *p, size_t n, char *out);

#endif
