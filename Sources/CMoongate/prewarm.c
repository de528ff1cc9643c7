// Fills the Swift runtime's protocol conformance cache in the master, before it forks
// workers, with the lookups a worker's channels make (mg_prewarm_conformances).
//
// Why: a lookup the cache has not seen walks every conformance record of the binary
// (~3,000) and reads each record's descriptor. Those descriptors are spread over all of
// .rodata, so one walk in a worker makes ~270 KB of it resident there (each page read
// also maps its 64 KB fault-around window). A worker's first channels make ~25 such
// lookups (NIO asks each handler whether it is an inbound and an outbound handler, each
// channel whether it is a Channel, ...). The cache lives in the master's heap, which a
// forked worker inherits: answered there once, the worker's lookups are cache hits and
// it never walks the records (hello's worker: 6.2 -> 5.9 MB).
//
// The types come from the conformance records themselves, not from a list of names:
// every non-generic type that conforms to NIO's ChannelHandler is asked both of NIO's
// handler questions (ours, NIO's and NIOSSL's alike), every Channel whether it is a
// Channel and a transport-accessible core, and so on. Generic types (a handler generic
// over its decoder) cannot be named without their arguments and are left to the worker.
//
// Names that no longer exist are weak references that resolve to null: the lookups
// that need them are skipped, and a worker makes them itself, as before. The unit test
// MoongateHTTPTests/PrewarmTests checks that every name resolves in the build it runs.

#include "CMoongate.h"
#include <stdint.h>

typedef struct { const void *metadata; size_t state; } mg_metadata_response;
typedef mg_metadata_response (*mg_metadata_accessor)(size_t request) __attribute__((swiftcall));

extern const void *swift_conformsToProtocolCommon(const void *type, const void *protocol);

// The binary's conformance records (the linker defines the bounds of the section).
extern const int32_t __start_swift5_protocol_conformances[] __attribute__((weak));
extern const int32_t __stop_swift5_protocol_conformances[] __attribute__((weak));

#define SYM(id, sym) extern const char id[] __asm__(sym) __attribute__((weak));
// Protocols whose conformers are asked.
SYM(p_handler, "$s7NIOCore14ChannelHandlerMp")
SYM(p_inbound, "$s7NIOCore22_ChannelInboundHandlerMp")
SYM(p_outbound, "$s7NIOCore23_ChannelOutboundHandlerMp")
SYM(p_channel, "$s7NIOCore7ChannelMp")
SYM(p_core, "$s7NIOCore33NIOTransportAccessibleChannelCoreMp")
SYM(p_registration, "$s8NIOPosix12RegistrationMp")
SYM(p_pool, "$s8NIOPosix11PoolElementMp")
SYM(p_socket, "$s8NIOPosix14SocketProtocolMp")
SYM(p_basesocket, "$s8NIOPosix18BaseSocketProtocolMp")
SYM(p_atomicvalue, "$s7Atomics11AtomicValueMp")
SYM(p_atomicstorage, "$s7Atomics13AtomicStorageMp")
SYM(p_hashable, "$sSHMp")
SYM(p_recvalloc, "$s7NIOCore23RecvByteBufferAllocatorMp")
// Types asked about one protocol each (Int and String as Dictionary keys).
SYM(t_int, "$sSiN")
SYM(t_string, "$sSSN")
// NIO's channel and socket classes. Their conformances are declared on generic or
// base classes, so the records name no type of theirs; a subclass is a cache entry of
// its own.
#define ACCESSOR(id, sym) \
    extern mg_metadata_response id(size_t) __asm__(sym) __attribute__((weak, swiftcall));
ACCESSOR(a_socketchannel, "$s8NIOPosix13SocketChannelCMa")
ACCESSOR(a_serverchannel, "$s8NIOPosix19ServerSocketChannelCMa")
ACCESSOR(a_datagramchannel, "$s8NIOPosix15DatagramChannelCMa")
ACCESSOR(a_socket, "$s8NIOPosix6SocketCMa")
ACCESSOR(a_serversocket, "$s8NIOPosix12ServerSocketCMa")

static const void *const mg_prewarm_symbols[] = {
    p_handler, p_inbound, p_outbound, p_channel, p_core, p_registration, p_pool,
    p_socket, p_basesocket, p_atomicvalue, p_atomicstorage, p_hashable, p_recvalloc, t_int, t_string,
    (const void *)a_socketchannel, (const void *)a_serverchannel, (const void *)a_datagramchannel,
    (const void *)a_socket, (const void *)a_serversocket,
};

int mg_prewarm_unresolved(void) {
    int n = 0;
    for (size_t i = 0; i < sizeof mg_prewarm_symbols / sizeof mg_prewarm_symbols[0]; i++)
        if (!mg_prewarm_symbols[i]) n++;
    if (!__start_swift5_protocol_conformances || !__stop_swift5_protocol_conformances) n++;
    return n;
}

// A relative pointer: a 32-bit offset from its own address.
static const char *relative(const int32_t *at) {
    return *at ? (const char *)at + *at : 0;
}

// A relative pointer that may be indirect: with its low bit set, it points at the
// pointer to the target.
static const char *indirectable(const int32_t *at) {
    int32_t off = *at;
    if (!off) return 0;
    const char *p = (const char *)at + (off & ~1);
    return (off & 1) ? *(const char *const *)p : p;
}

// The metadata of the type a conformance descriptor names, if it is a non-generic
// class, struct or enum (their descriptors have an accessor that takes no arguments).
static const void *conforming_type(const int32_t *descriptor) {
    uint32_t flags = (uint32_t)descriptor[3];
    unsigned kind = (flags >> 3) & 7;  // ConformanceFlags' type reference kind
    const char *type;
    if (kind == 0) type = relative(descriptor + 1);  // a direct type descriptor
    else if (kind == 1) type = *(const char *const *)relative(descriptor + 1);  // indirect
    else return 0;  // Objective-C class names
    if (!type) return 0;
    uint32_t tflags = *(const uint32_t *)type;
    unsigned tkind = tflags & 0x1f;
    if (tkind < 16 || tkind > 18 || (tflags & 0x80)) return 0;  // not class/struct/enum, or generic
    const char *accessor = relative((const int32_t *)(type + 12));
    if (!accessor) return 0;
    return ((mg_metadata_accessor)(uintptr_t)accessor)(0).metadata;
}

// Asks every conformer of `conformed` about each of `asked`.
static void ask_conformers(const void *conformed, const void *const *asked, int n) {
    if (!conformed) return;
    for (const int32_t *r = __start_swift5_protocol_conformances; r < __stop_swift5_protocol_conformances; r++) {
        const int32_t *descriptor = (const int32_t *)relative(r);
        if (!descriptor || indirectable(descriptor) != conformed) continue;
        const void *type = conforming_type(descriptor);
        if (!type) continue;
        for (int i = 0; i < n; i++)
            if (asked[i]) (void)swift_conformsToProtocolCommon(type, asked[i]);
    }
}

void mg_prewarm_conformances(const void *any_metadata) {
    static int done;
    if (done || !__start_swift5_protocol_conformances || !__stop_swift5_protocol_conformances) return;
    done = 1;
    const void *handler[] = { p_inbound, p_outbound };
    ask_conformers(p_handler, handler, 2);
    const void *channel[] = { p_channel, p_core };
    ask_conformers(p_channel, channel, 2);
    ask_conformers(p_registration, (const void *[]){ p_registration }, 1);
    ask_conformers(p_pool, (const void *[]){ p_pool }, 1);
    const void *socket[] = { p_socket, p_basesocket };
    ask_conformers(p_basesocket, socket, 2);
    ask_conformers(p_atomicvalue, (const void *[]){ p_atomicvalue }, 1);
    ask_conformers(p_atomicstorage, (const void *[]){ p_atomicstorage }, 1);
    ask_conformers(p_recvalloc, (const void *[]){ p_recvalloc }, 1);
    // NIO casts a client channel's option value, kept as Any, to RecvByteBufferAllocator
    // (upstream connections, cosockets). Any's metadata comes from Swift: its symbol
    // names the full metadata, not the address point the runtime wants.
    if (any_metadata && p_recvalloc) (void)swift_conformsToProtocolCommon(any_metadata, p_recvalloc);
    mg_metadata_response (*classes[])(size_t) __attribute__((swiftcall)) = {
        a_socketchannel, a_serverchannel, a_datagramchannel, a_socket, a_serversocket,
    };
    const void *asked[] = { p_channel, p_core, p_socket, p_basesocket };
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        if (!classes[c]) continue;
        const void *type = classes[c](0).metadata;
        for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++)
            if (asked[i]) (void)swift_conformsToProtocolCommon(type, asked[i]);
    }
    if (t_int && p_hashable) (void)swift_conformsToProtocolCommon(t_int, p_hashable);
    if (t_string && p_hashable) (void)swift_conformsToProtocolCommon(t_string, p_hashable);
}
