#include "mg_crypto.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

static int digest(const EVP_MD *md, const unsigned char *src, size_t len,
                  unsigned char *dst)
{
    unsigned int n = 0;
    /* EVP_Digest reads nothing when len is 0, but wants a valid pointer. */
    static const unsigned char empty[1];
    return EVP_Digest(len ? src : empty, len, dst, &n, md, NULL) == 1 ? 0 : -1;
}

int mg_crypto_md5(const unsigned char *src, size_t len, unsigned char *dst)
{
    return digest(EVP_md5(), src, len, dst);
}

int mg_crypto_sha1(const unsigned char *src, size_t len, unsigned char *dst)
{
    return digest(EVP_sha1(), src, len, dst);
}

int mg_crypto_hmac_sha1(const unsigned char *key, size_t key_len,
                        const unsigned char *src, size_t len, unsigned char *dst)
{
    static const unsigned char empty[1];
    unsigned int n = 0;
    if (HMAC(EVP_sha1(), key_len ? key : empty, (int) key_len,
             len ? src : empty, len, dst, &n) == NULL) {
        return -1;
    }
    return 0;
}

int64_t mg_atomic_load_i64(const int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

void mg_atomic_store_i64(int64_t *p, int64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>

const char *mg_openssl_built_version(void) { return OPENSSL_VERSION_TEXT; }

const char *mg_openssl_running_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

int mg_openssl_has_sni(void) {
#ifdef SSL_CTRL_SET_TLSEXT_HOSTNAME
    return 1;
#else
    return 0;
#endif
}
