#ifndef MG_SSL_INTERNAL_H
#define MG_SSL_INTERNAL_H

#include <stddef.h>

/* nginx's ngx_ssl_error: writes "TEXT (SSL: error:... error:...:data)" from OpenSSL's
   error queue into err, then clears the queue. */
void mg_ssl_error_text(char *err, size_t errlen, const char *text);

#endif
