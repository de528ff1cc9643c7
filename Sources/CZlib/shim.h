#ifndef MOONGATE_CZLIB_SHIM_H
#define MOONGATE_CZLIB_SHIM_H
#include <zlib.h>

/// `deflateInit2` is a macro (it passes the library version and the stream size):
/// Swift cannot call it, so this wrapper does. zlib writes the gzip header and trailer
/// (window bits + 16), with the default strategy, as nginx's gzip filter does.
static inline int mg_deflate_init_gzip(z_streamp s, int level, int wbits, int memlevel) {
    return deflateInit2(s, level, Z_DEFLATED, wbits + 16, memlevel, Z_DEFAULT_STRATEGY);
}

/// `inflateInit2` for tests: `wbits` as zlib takes it (31 = gzip wrapper).
static inline int mg_inflate_init2(z_streamp s, int wbits) {
    return inflateInit2(s, wbits);
}
#endif
