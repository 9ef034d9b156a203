#include "config.h"
#include "net/tlscheck.h"
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char tls_error[512];

/* set_error - format the reason for the caller; returns -1 */
__attribute__((format(printf, 2, 3)))
static int set_error(const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tls_error, sizeof(tls_error), fmt, ap);
	va_end(ap);
	if (error_r)
		*error_r = tls_error;
	return -1;
}

/* load_anchors - the private CA file, or the system store */
static int load_anchors(gnutls_x509_trust_list_t tl, const char *ca_file, const char **error_r)
{
	int r;
	if (ca_file != NULL && ca_file[0] != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r < 0)
			return set_error(error_r, "cannot read CA file %s: %s", ca_file, gnutls_strerror(r));
		if (r == 0)
			return set_error(error_r, "no CA certificate in %s", ca_file);
		return 0;
	}
	r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r < 0)
		return set_error(error_r, "cannot load the system trust store: %s", gnutls_strerror(r));
	if (r == 0)
		return set_error(error_r, "the system trust store is empty");
	return 0;
}

int tlscheck_verify(const struct tlscheck_cert *chain, size_t n,
		    const char *ca_file, const char *host, const char **error_r)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[TLSCHECK_MAX_CHAIN];
	unsigned int ncrt = 0;
	unsigned int status = 0;
	int ret = -1;
	int r;

	if (n == 0 || chain == NULL)
		return set_error(error_r, "the server sent no certificate");
	if (host == NULL || host[0] == '\0')
		return set_error(error_r, "no host name to check the certificate against");
	if (n > TLSCHECK_MAX_CHAIN)
		n = TLSCHECK_MAX_CHAIN; /* the rest cannot matter for a sane chain */

	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t d;
		if (chain[i].len == 0 || chain[i].len > TLSCHECK_MAX_CERT_BYTES) {
			set_error(error_r, "certificate %zu has a bad size (%zu bytes)", i, chain[i].len);
			goto out;
		}
		r = gnutls_x509_crt_init(&crts[ncrt]);
		if (r < 0) {
			set_error(error_r, "gnutls: %s", gnutls_strerror(r));
			goto out;
		}
		ncrt++;
		d.data = (unsigned char *)chain[i].der;
		d.size = (unsigned int)chain[i].len;
		r = gnutls_x509_crt_import(crts[ncrt - 1], &d, GNUTLS_X509_FMT_DER);
		if (r < 0) {
			set_error(error_r, "certificate %zu cannot be parsed: %s", i, gnutls_strerror(r));
			goto out;
		}
	}

	r = gnutls_x509_trust_list_init(&tl, 0);
	if (r < 0) {
		set_error(error_r, "gnutls: %s", gnutls_strerror(r));
		tl = NULL;
		goto out;
	}
	if (load_anchors(tl, ca_file, error_r) < 0)
		goto out;

	gnutls_typed_vdata_st data[2] = {
		{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0 },
		{ GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
	};
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, ncrt, data, 2, 0, &status, NULL);
	if (r < 0) {
		set_error(error_r, "verification could not run: %s", gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		gnutls_datum_t out = { NULL, 0 };
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
			set_error(error_r, "%s", (const char *)out.data);
			gnutls_free(out.data);
			/* GnuTLS ends each sentence with a space */
			size_t len = strlen(tls_error);
			while (len > 0 && (tls_error[len - 1] == ' ' || tls_error[len - 1] == '\n'))
				tls_error[--len] = '\0';
		} else {
			set_error(error_r, "status 0x%x", status);
		}
		goto out;
	}
	ret = 0;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (unsigned int i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return ret;
}
