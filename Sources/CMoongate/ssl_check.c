#include "mg_ssl.h"
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "ssl_internal.h"

/* nginx's ngx_ssl_error: "TEXT (SSL: error:... error:...:data)". Shared with
   ssl_client.c (ssl_internal.h). */
void mg_ssl_error_text(char *err, size_t errlen, const char *text)
{
    size_t n = (size_t) snprintf(err, errlen, "%s", text);
    const char *data;
    int flags, first = 1;
    unsigned long e;
    while (n < errlen && (e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags))) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        n += (size_t) snprintf(err + n, errlen - n, "%s%s", first ? " (SSL: " : " ", buf);
        if (n < errlen && data && *data && (flags & ERR_TXT_STRING)) {
            n += (size_t) snprintf(err + n, errlen - n, ":%s", data);
        }
        first = 0;
    }
    if (!first && n < errlen) {
        snprintf(err + n, errlen - n, ")");
    }
    ERR_clear_error();
}

int mg_ssl_check_pem(const char *cert, const char *key, char *err, size_t errlen)
{
    char text[2048];
    ERR_clear_error();
    BIO *bio = BIO_new_file(cert, "r");
    if (bio == NULL) {
        snprintf(text, sizeof(text), "cannot load certificate \"%s\": BIO_new_file() failed", cert);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    X509 *x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
    if (x == NULL) {
        BIO_free(bio);
        snprintf(text, sizeof(text), "cannot load certificate \"%s\": PEM_read_bio_X509_AUX() failed", cert);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    for (;;) {
        X509 *extra = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (extra == NULL) {
            unsigned long n = ERR_peek_last_error();
            if (ERR_GET_LIB(n) == ERR_LIB_PEM && ERR_GET_REASON(n) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            X509_free(x);
            BIO_free(bio);
            snprintf(text, sizeof(text), "cannot load certificate \"%s\": PEM_read_bio_X509() failed", cert);
            mg_ssl_error_text(err, errlen, text);
            return -1;
        }
        X509_free(extra);
    }
    BIO_free(bio);
    if (key == NULL) {
        X509_free(x);
        return 0;
    }
    bio = BIO_new_file(key, "r");
    if (bio == NULL) {
        X509_free(x);
        snprintf(text, sizeof(text), "cannot load certificate key \"%s\": BIO_new_file() failed", key);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        X509_free(x);
        snprintf(text, sizeof(text), "cannot load certificate key \"%s\": PEM_read_bio_PrivateKey() failed", key);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    int ok = X509_check_private_key(x, pkey);
    EVP_PKEY_free(pkey);
    X509_free(x);
    if (!ok) {
        snprintf(text, sizeof(text), "SSL_CTX_use_PrivateKey(\"%s\") failed", key);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    return 0;
}

int mg_ssl_check_ca(const char *path, char *err, size_t errlen)
{
    char text[2048];
    ERR_clear_error();
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        snprintf(text, sizeof(text), "SSL_CTX_load_verify_locations(\"%s\") failed", path);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    int count = 0;
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL) break;
        count++;
        X509_free(x);
    }
    BIO_free(bio);
    if (count == 0) {
        snprintf(text, sizeof(text), "SSL_CTX_load_verify_locations(\"%s\") failed", path);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    ERR_clear_error();
    return 0;
}

#include <openssl/ssl.h>

int mg_ssl_check_ciphers(const char *ciphers, char *err, size_t errlen)
{
    char text[2048];
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx == NULL) {
        mg_ssl_error_text(err, errlen, "SSL_CTX_new() failed");
        return -1;
    }
    int ok = SSL_CTX_set_cipher_list(ctx, ciphers);
    SSL_CTX_free(ctx);
    if (!ok) {
        snprintf(text, sizeof(text), "SSL_CTX_set_cipher_list(\"%s\") failed", ciphers);
        mg_ssl_error_text(err, errlen, text);
        return -1;
    }
    ERR_clear_error();
    return 0;
}

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* The trusted store of one CA file, kept while the path stays the same. */
static X509_STORE *cached_store;
static char cached_path[4096];

static X509_STORE *store_for(const char *cafile)
{
    if (cafile == NULL) cafile = "";
    if (cached_store && strcmp(cached_path, cafile) == 0) return cached_store;
    X509_STORE *s = X509_STORE_new();
    if (s == NULL) return NULL;
    if (*cafile && X509_STORE_load_locations(s, cafile, NULL) != 1) {
        ERR_clear_error();
    }
    if (cached_store) X509_STORE_free(cached_store);
    cached_store = s;
    snprintf(cached_path, sizeof(cached_path), "%s", cafile);
    return s;
}

/* nginx's ngx_ssl_verify_callback, set with a trusted file: go on past every
   error, so the result is the last error OpenSSL recorded (what
   SSL_get_verify_result then reports). Without one OpenSSL stops at the first. */
static int verify_continue(int ok, X509_STORE_CTX *ctx)
{
    (void) ok;
    (void) ctx;
    return 1;
}

int mg_ssl_verify_chain(const unsigned char *const *ders, const size_t *lens, int n,
                        const char *cafile, int depth, const char *host, size_t hostlen,
                        char *err, size_t errlen)
{
    if (n < 1) {
        snprintf(err, errlen, "%d: %s", X509_V_ERR_UNSPECIFIED,
                 X509_verify_cert_error_string(X509_V_ERR_UNSPECIFIED));
        return 1;
    }
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    for (int i = 0; i < n; i++) {
        const unsigned char *p = ders[i];
        X509 *x = d2i_X509(NULL, &p, (long) lens[i]);
        if (x == NULL) continue;
        if (leaf == NULL) leaf = x; else sk_X509_push(chain, x);
    }
    int rc = 0;
    X509_STORE *store = store_for(cafile);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (leaf == NULL || store == NULL || ctx == NULL
        || X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
        snprintf(err, errlen, "%d: %s", X509_V_ERR_UNSPECIFIED,
                 X509_verify_cert_error_string(X509_V_ERR_UNSPECIFIED));
        rc = 1;
    } else {
        X509_STORE_CTX_set_default(ctx, "ssl_server");
        X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), depth);
        if (cafile && *cafile) X509_STORE_CTX_set_verify_cb(ctx, verify_continue);
        int vr = X509_verify_cert(ctx);
        int e = X509_STORE_CTX_get_error(ctx);
        if (vr != 1 || e != X509_V_OK) {
            if (e == X509_V_OK) e = X509_V_ERR_UNSPECIFIED;
            snprintf(err, errlen, "%d: %s", e, X509_verify_cert_error_string(e));
            rc = 1;
        } else if (host && hostlen && X509_check_host(leaf, host, hostlen, 0, NULL) != 1) {
            rc = 2;
        }
    }
    ERR_clear_error();
    if (ctx) X509_STORE_CTX_free(ctx);
    if (leaf) X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}
