#ifndef TAGD_DIGEST_H
#define TAGD_DIGEST_H
/* SHA-256 and HMAC-SHA-256 (GnuTLS underneath), constant-time compare,
   and random bytes. */
#include <stddef.h>

#define DIGEST_SHA256_LEN 32

void digest_sha256(const void *data, size_t len, unsigned char out[DIGEST_SHA256_LEN]);
/* digest_sha256_hex - 64 hex digits and a NUL into out */
void digest_sha256_hex(const void *data, size_t len, char out[65]);
void digest_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
			unsigned char out[DIGEST_SHA256_LEN]);
/* digest_equal - compare n bytes in time independent of where they differ */
int digest_equal(const void *a, const void *b, size_t n);
/* digest_random - n random bytes from the kernel */
void digest_random(void *out, size_t n);

#endif
