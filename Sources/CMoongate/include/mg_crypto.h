#ifndef MOONGATE_CRYPTO_H
#define MOONGATE_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

/// MD5 of `len` bytes at `src` into the 16 bytes at `dst`; 0 on success, -1 on error.
int mg_crypto_md5(const unsigned char *src, size_t len, unsigned char *dst);
/// SHA-1 of `len` bytes at `src` into the 20 bytes at `dst`; 0 on success, -1 on error.
int mg_crypto_sha1(const unsigned char *src, size_t len, unsigned char *dst);
/// HMAC-SHA1 of `src` with `key` into the 20 bytes at `dst`; 0 on success, -1 on error.
int mg_crypto_hmac_sha1(const unsigned char *key, size_t key_len,
                        const unsigned char *src, size_t len, unsigned char *dst);

/// Atomic load/store of a 64-bit value shared between threads (the cached clock).
int64_t mg_atomic_load_i64(const int64_t *p);
void mg_atomic_store_i64(int64_t *p, int64_t v);
/// OPENSSL_VERSION_TEXT of the headers moongate was built with (`-V`).
const char *mg_openssl_built_version(void);
/// The version of the OpenSSL library loaded at run time (`-V`'s "running with").
const char *mg_openssl_running_version(void);
/// 1 when the OpenSSL headers have SNI (nginx's "TLS SNI support enabled").
int mg_openssl_has_sni(void);

#endif
