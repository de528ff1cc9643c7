#include "ssl_internal.h"
#include "mg_tls_client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct mg_tls_client {
    SSL *ssl;
    BIO *in;  /* ciphertext from the peer (SSL's rbio) */
    BIO *out; /* ciphertext to the peer (SSL's wbio) */
    SSL_SESSION *session; /* the last session the peer sent (new-session callback) */
    int serial;
    int shut;
};

static int client_index = -1;


/* nginx's ngx_ssl_new_client_session: keep the session the peer just gave. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    mg_tls_client *c = SSL_get_ex_data(ssl, client_index);
    if (c == NULL) return 0;
    if (c->session) SSL_SESSION_free(c->session);
    c->session = sess;
    c->serial++;
    return 1;
}

/* As nginx's ngx_ssl_verify_callback: the handshake goes on whatever the chain;
   the caller checks the chain afterwards when asked to verify. */
static int verify_any(int ok, X509_STORE_CTX *ctx)
{
    (void) ok;
    (void) ctx;
    return 1;
}

void *mg_tls_ctx_new(int protocols, const char *ciphers, char *err, size_t errlen)
{
    ERR_clear_error();
    if (client_index < 0) {
        client_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        mg_ssl_error_text(err, errlen, "SSL_CTX_new() failed");
        return NULL;
    }
    /* nginx's ngx_ssl_create: what is not listed is switched off. */
    long off = SSL_OP_NO_COMPRESSION;
    if (!(protocols & MG_TLS_SSLv3)) off |= SSL_OP_NO_SSLv3;
    if (!(protocols & MG_TLS_TLSv1)) off |= SSL_OP_NO_TLSv1;
    if (!(protocols & MG_TLS_TLSv1_1)) off |= SSL_OP_NO_TLSv1_1;
    if (!(protocols & MG_TLS_TLSv1_2)) off |= SSL_OP_NO_TLSv1_2;
    if (!(protocols & MG_TLS_TLSv1_3)) off |= SSL_OP_NO_TLSv1_3;
    SSL_CTX_set_options(ctx, off);
    SSL_CTX_set_min_proto_version(ctx, 0);
    SSL_CTX_set_max_proto_version(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
    if (ciphers && SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        char text[1024];
        snprintf(text, sizeof(text), "SSL_CTX_set_cipher_list(\"%s\") failed", ciphers);
        mg_ssl_error_text(err, errlen, text);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_any);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
    ERR_clear_error();
    return ctx;
}

mg_tls_client *mg_tls_client_new(void *ctx, const char *sni, void *session, int status_req)
{
    ERR_clear_error();
    mg_tls_client *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->ssl = SSL_new((SSL_CTX *) ctx);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->in == NULL || c->out == NULL) {
        if (c->ssl) SSL_free(c->ssl);
        if (c->in) BIO_free(c->in);
        if (c->out) BIO_free(c->out);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_mem_eof_return(c->in, -1);
    SSL_set_bio(c->ssl, c->in, c->out);
    SSL_set_ex_data(c->ssl, client_index, c);
    SSL_set_connect_state(c->ssl);
    if (sni && *sni) SSL_set_tlsext_host_name(c->ssl, sni);
    if (session) SSL_set_session(c->ssl, (SSL_SESSION *) session);
    if (status_req) SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp);
    ERR_clear_error();
    return c;
}

void mg_tls_client_free(mg_tls_client *c)
{
    if (c == NULL) return;
    SSL_set_ex_data(c->ssl, client_index, NULL);
    SSL_free(c->ssl); /* frees both BIOs */
    if (c->session) SSL_SESSION_free(c->session);
    free(c);
}

int mg_tls_feed(mg_tls_client *c, const uint8_t *p, size_t n)
{
    return BIO_write(c->in, p, (int) n) == (int) n ? 0 : -1;
}

size_t mg_tls_pending(mg_tls_client *c)
{
    return BIO_ctrl_pending(c->out);
}

size_t mg_tls_buffered(mg_tls_client *c)
{
    return BIO_ctrl_pending(c->in) + (size_t) SSL_pending(c->ssl);
}

size_t mg_tls_take(mg_tls_client *c, uint8_t *buf, size_t cap)
{
    int n = BIO_read(c->out, buf, (int) cap);
    return n > 0 ? (size_t) n : 0;
}

int mg_tls_handshake(mg_tls_client *c, char *err, size_t errlen)
{
    ERR_clear_error();
    int n = SSL_do_handshake(c->ssl);
    if (n == 1) return 1;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return -2;
    }
    mg_ssl_error_text(err, errlen, "");
    return -1;
}

int mg_tls_read(mg_tls_client *c, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
    ERR_clear_error();
    int n = SSL_read(c->ssl, buf, (int) cap);
    if (n > 0) return n;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return -1;
    }
    mg_ssl_error_text(err, errlen, "SSL_read() failed");
    return -2;
}

int mg_tls_write(mg_tls_client *c, const uint8_t *p, size_t n, char *err, size_t errlen)
{
    ERR_clear_error();
    while (n > 0) {
        int w = SSL_write(c->ssl, p, n > 0x40000000 ? 0x40000000 : (int) n);
        if (w <= 0) {
            mg_ssl_error_text(err, errlen, "SSL_write() failed");
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

void mg_tls_shutdown(mg_tls_client *c)
{
    if (c->shut) return;
    c->shut = 1;
    ERR_clear_error();
    if (SSL_is_init_finished(c->ssl)) SSL_shutdown(c->ssl);
    ERR_clear_error();
}

int mg_tls_reused(mg_tls_client *c)
{
    return SSL_session_reused(c->ssl);
}

void *mg_tls_get1_session(mg_tls_client *c)
{
    if (c->session) {
        SSL_SESSION_up_ref(c->session);
        return c->session;
    }
    return SSL_get1_session(c->ssl);
}

int mg_tls_session_serial(mg_tls_client *c)
{
    return c->serial;
}

void mg_tls_session_free(void *s)
{
    if (s) SSL_SESSION_free((SSL_SESSION *) s);
}

int mg_tls_session_resumable(void *s)
{
    return s ? SSL_SESSION_is_resumable((SSL_SESSION *) s) : 0;
}

int mg_tls_peer_count(mg_tls_client *c)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
    return chain ? sk_X509_num(chain) : 0;
}

uint8_t *mg_tls_peer_der(mg_tls_client *c, int i, size_t *len)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
    *len = 0;
    if (chain == NULL || i < 0 || i >= sk_X509_num(chain)) return NULL;
    unsigned char *der = NULL;
    int n = i2d_X509(sk_X509_value(chain, i), &der);
    if (n <= 0) {
        ERR_clear_error();
        return NULL;
    }
    /* i2d allocated with OPENSSL_malloc; hand back a malloc'ed copy. */
    uint8_t *copy = malloc((size_t) n);
    if (copy) memcpy(copy, der, (size_t) n);
    OPENSSL_free(der);
    *len = copy ? (size_t) n : 0;
    return copy;
}

const char *mg_tls_version(mg_tls_client *c)
{
    return SSL_is_init_finished(c->ssl) ? SSL_get_version(c->ssl) : NULL;
}

const char *mg_tls_cipher(mg_tls_client *c)
{
    return SSL_is_init_finished(c->ssl) ? SSL_get_cipher_name(c->ssl) : NULL;
}
