#include "config.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/str.h"
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sys/random.h>

void digest_sha256(const void *data, size_t len, unsigned char out[DIGEST_SHA256_LEN])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) < 0)
		log_panic("gnutls_hash_fast(SHA256) failed");
}

void digest_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[DIGEST_SHA256_LEN];
	digest_sha256(data, len, d);
	str_hex(d, sizeof(d), out);
}

void digest_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
			unsigned char out[DIGEST_SHA256_LEN])
{
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, len, out) < 0)
		log_panic("gnutls_hmac_fast(SHA256) failed");
}

int digest_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

void digest_random(void *out, size_t n)
{
	unsigned char *p = out;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0)
			log_fatal_errno("getrandom");
		p += r;
		n -= (size_t)r;
	}
}
