#ifndef MG_TLS_CLIENT_H
#define MG_TLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/// A client TLS connection on OpenSSL's libssl over memory BIOs: ciphertext goes in
/// with mg_tls_feed and out with mg_tls_take; the caller moves it over the socket.
/// This is what nginx's upstream and cosocket connections run, so session reuse
/// (SSL_get1_session / SSL_set_session) and error texts are OpenSSL's.
typedef struct mg_tls_client mg_tls_client;

/// Protocol bits for mg_tls_ctx_new (nginx's NGX_SSL_* order).
enum {
    MG_TLS_SSLv2 = 1 << 1,
    MG_TLS_SSLv3 = 1 << 2,
    MG_TLS_TLSv1 = 1 << 3,
    MG_TLS_TLSv1_1 = 1 << 4,
    MG_TLS_TLSv1_2 = 1 << 5,
    MG_TLS_TLSv1_3 = 1 << 6,
};

/// A client SSL_CTX as nginx's ngx_ssl_create: the protocols not in `protocols`
/// disabled, `ciphers` (OpenSSL's list), and client-side session caching through the
/// new-session callback. NULL with nginx's message in err.
void *mg_tls_ctx_new(int protocols, const char *ciphers, char *err, size_t errlen);

/// A connection on ctx: SNI when sni is not NULL, a session to resume when not NULL
/// (SSL_set_session; the caller keeps its reference), an OCSP status request when
/// status_req. NULL on failure.
mg_tls_client *mg_tls_client_new(void *ctx, const char *sni, void *session, int status_req);
void mg_tls_client_free(mg_tls_client *c);

/// Ciphertext from the peer.
int mg_tls_feed(mg_tls_client *c, const uint8_t *p, size_t n);
/// Bytes OpenSSL has to work on: ciphertext fed and not yet read, plus plaintext
/// decrypted and not yet read (a bound on what mg_tls_read can return).
size_t mg_tls_buffered(mg_tls_client *c);
/// Ciphertext to send: bytes waiting, and up to cap of them moved into buf.
size_t mg_tls_pending(mg_tls_client *c);
size_t mg_tls_take(mg_tls_client *c, uint8_t *buf, size_t cap);

/// SSL_do_handshake: 1 done, 0 wants more input, -1 failed with nginx's text after
/// "SSL_do_handshake() failed " in err ("(SSL: error:...)"), -2 the peer closed (an
/// unexpected EOF is for the caller to see when its socket closes).
int mg_tls_handshake(mg_tls_client *c, char *err, size_t errlen);

/// SSL_read: bytes (> 0), 0 wants more input, -1 close_notify received, -2 failed
/// (nginx's "SSL_read() failed (SSL: ...)" in err).
int mg_tls_read(mg_tls_client *c, uint8_t *buf, size_t cap, char *err, size_t errlen);
/// SSL_write of all n bytes (memory BIOs never block): 0, or -1 with the text in err.
int mg_tls_write(mg_tls_client *c, const uint8_t *p, size_t n, char *err, size_t errlen);
/// Queues close_notify (SSL_shutdown once).
void mg_tls_shutdown(mg_tls_client *c);

/// Whether the handshake resumed a session (SSL_session_reused).
int mg_tls_reused(mg_tls_client *c);
/// The session to resume with later, with a reference the caller frees with
/// mg_tls_session_free: the last one a NewSessionTicket brought (TLS 1.3), else
/// SSL_get1_session (nginx's ngx_ssl_get_session). NULL when none.
void *mg_tls_get1_session(mg_tls_client *c);
/// A counter bumped each time the peer sends a new session (to save it again).
int mg_tls_session_serial(mg_tls_client *c);
void mg_tls_session_free(void *s);
/// SSL_SESSION_is_resumable.
int mg_tls_session_resumable(void *s);

/// The peer's certificates, leaf first (SSL_get_peer_cert_chain, with the leaf put
/// first when missing): count, and the DER of one (malloc'ed; free with free()).
int mg_tls_peer_count(mg_tls_client *c);
uint8_t *mg_tls_peer_der(mg_tls_client *c, int i, size_t *len);

/// SSL_get_version / SSL_get_cipher_name (static strings; NULL before the handshake).
const char *mg_tls_version(mg_tls_client *c);
const char *mg_tls_cipher(mg_tls_client *c);

#endif
