#ifndef MG_SSL_H
#define MG_SSL_H

#include <stddef.h>

/// Loads a PEM certificate (with its chain) and key as nginx's ngx_ssl_certificate does,
/// with OpenSSL's libcrypto, so a bad file is reported with nginx's exact message
/// ("cannot load certificate \"PATH\": BIO_new_file() failed (SSL: ...)").
/// key may be NULL to check the certificate only. Returns 0, or -1 with the message in err.
int mg_ssl_check_pem(const char *cert, const char *key, char *err, size_t errlen);

/// Checks a CA bundle as nginx's ngx_ssl_trusted_certificate does (at least one
/// certificate). Returns 0, or -1 with nginx's message in err.
int mg_ssl_check_ca(const char *path, char *err, size_t errlen);

/// Checks an OpenSSL cipher list as nginx's ssl_ciphers does. Returns 0, or -1 with
/// nginx's message ("SSL_CTX_set_cipher_list(\"X\") failed (SSL: ...)") in err.
int mg_ssl_check_ciphers(const char *ciphers, char *err, size_t errlen);

/// Verifies a peer's chain (DER, leaf first) against the CA file as OpenSSL does
/// for nginx's upstream and cosocket connections (purpose ssl_server, `depth`),
/// then the leaf against host (X509_check_host) when host is given. Returns 0;
/// 1 with "CODE: text" in err (X509_verify_cert_error_string); 2 on host mismatch.
int mg_ssl_verify_chain(const unsigned char *const *ders, const size_t *lens, int n,
                        const char *cafile, int depth, const char *host, size_t hostlen,
                        char *err, size_t errlen);

#endif
