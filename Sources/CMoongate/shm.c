#define _GNU_SOURCE
#include "mg_shm.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sys/syscall.h>

/*
 * Arena blocks. Every block starts with a header word: size (multiple of 8)
 * | kind (2 bits) | PREV_FREE (bit 2). Free blocks carry free-list links and
 * a footer holding their size so a neighbour being freed can merge backwards.
 * Adjacent free blocks are always merged, and when no single free block fits
 * but the free total does, the arena is compacted, so free_bytes never lies.
 */
#define K_FREE 0u
#define K_REC 1u
#define K_LNODE 2u
#define PREV_FREE 4ull
#define MINB 32u
#define BSIZE(h) ((h) & ~7ull)
#define BKIND(h) ((unsigned)((h) & 3u))
#define AT(z, off) ((uint8_t *)(z) + (off))
#define HDR(z, off) (*(uint64_t *)AT(z, off))
#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

typedef struct {
    uint64_t hdr, next, prev;
} fblock_t;

/* Record: a key and its value. fwd is scratch for compaction and repair. */
typedef struct {
    uint64_t hdr, fwd, hnext, lprev, lnext;
    int64_t expires; /* ms on the zone clock; 0 = never */
    uint32_t hash, flags, value_len; /* value_len: bytes, or element count for lists */
    uint16_t key_len;
    uint8_t type, pad;
    uint8_t data[]; /* key, then value; lists: key, pad to 8, head and tail offsets */
} rec_t;

typedef struct {
    uint64_t hdr, fwd, prev, next;
    uint32_t len;
    uint8_t type, pad[3];
    uint8_t data[];
} lnode_t;

#define REC(z, off) ((rec_t *)AT(z, off))
#define LN(z, off) ((lnode_t *)AT(z, off))
#define FB(z, off) ((fblock_t *)AT(z, off))
#define BUCKETS(z) ((uint64_t *)AT(z, (z)->buckets_off))

static inline uint64_t *list_ends(rec_t *r) { return (uint64_t *)(r->data + ALIGN8(r->key_len)); }
static inline uint8_t *rec_value(rec_t *r) { return r->data + r->key_len; }

int64_t mg_shm_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The system clock as the zones see it. While Lua runs on this thread, it is read at
 * most once (and again after a refresh of the cached time: ngx.update_time), as
 * nginx's shared dicts use the worker's cached time, which stands still while Lua
 * runs. Outside Lua runs every call reads the clock. Per thread. */
static _Thread_local int clock_runs;
static _Thread_local int clock_valid;
static _Thread_local int64_t clock_read_ms;

void mg_shm_clock_run_begin(void) { clock_runs++; clock_valid = 0; }
void mg_shm_clock_run_end(void) { if (clock_runs > 0) clock_runs--; clock_valid = 0; }
void mg_shm_clock_tick(void) { clock_valid = 0; }

static inline int64_t now_of(int64_t now) {
    if (now >= 0) return now;
    if (clock_runs == 0) return mg_shm_now_ms();
    if (!clock_valid) {
        clock_read_ms = mg_shm_now_ms();
        clock_valid = 1;
    }
    return clock_read_ms;
}

/* ngx_lua: an item is visible until its expiry time has passed. */
static inline int expired(const rec_t *r, int64_t now) { return r->expires != 0 && r->expires < now; }

static uint32_t hash_key(const uint8_t *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

const char *mg_shm_strerror(int rc) {
    switch (rc) {
    case MG_SHM_OK: return "ok";
    case MG_SHM_ERR_NOT_FOUND: return "not found";
    case MG_SHM_ERR_EXISTS: return "exists";
    case MG_SHM_ERR_NO_MEMORY: return "no memory";
    case MG_SHM_ERR_NOT_A_NUMBER: return "not a number";
    case MG_SHM_ERR_NOT_A_LIST: return "value not a list";
    case MG_SHM_ERR_IS_A_LIST: return "value is a list";
    case MG_SHM_ERR_EMPTY_KEY: return "empty key";
    case MG_SHM_ERR_KEY_TOO_LONG: return "key too long";
    case MG_SHM_ERR_NIL_VALUE: return "attempt to add or replace nil values";
    case MG_SHM_ERR_BAD_VALUE: return "unsupported value type";
    case MG_SHM_ERR_BAD_EXPTIME: return "bad \"exptime\" argument";
    case MG_SHM_ERR_BUFFER: return "buffer too small";
    case MG_SHM_ERR_LOCK: return "lock unrecoverable";
    case MG_SHM_ERR_IO: return "i/o error";
    case MG_SHM_ERR_FORMAT: return "bad dump file";
    default: return "unknown error";
    }
}

/* ---------------------------------------------------------------- allocator */

static inline int bin_of(uint64_t size) { return 63 - __builtin_clzll(size); }

static void bin_insert(mg_shm_zone_t *z, uint64_t off) {
    fblock_t *f = FB(z, off);
    int b = bin_of(BSIZE(f->hdr));
    f->prev = 0;
    f->next = z->bins[b];
    if (f->next) FB(z, f->next)->prev = off;
    z->bins[b] = off;
    z->binmap |= 1ull << b;
}

static void bin_remove(mg_shm_zone_t *z, uint64_t off) {
    fblock_t *f = FB(z, off);
    int b = bin_of(BSIZE(f->hdr));
    if (f->prev) FB(z, f->prev)->next = f->next;
    else z->bins[b] = f->next;
    if (f->next) FB(z, f->next)->prev = f->prev;
    if (!z->bins[b]) z->binmap &= ~(1ull << b);
}

/* Turns [off, off+size) into one free block; the caller has merged neighbours. */
static void make_free(mg_shm_zone_t *z, uint64_t off, uint64_t size) {
    HDR(z, off) = size | K_FREE;
    *(uint64_t *)AT(z, off + size - 8) = size;
    if (off + size < z->arena_end) HDR(z, off + size) |= PREV_FREE;
    bin_insert(z, off);
}

static uint64_t take(mg_shm_zone_t *z, uint64_t off, uint64_t need, unsigned kind) {
    uint64_t size = BSIZE(HDR(z, off));
    bin_remove(z, off);
    if (size - need >= MINB) {
        make_free(z, off + need, size - need);
    } else {
        need = size;
        if (off + size < z->arena_end) HDR(z, off + size) &= ~PREV_FREE;
    }
    HDR(z, off) = need | kind;
    z->free_bytes -= need;
    z->used_bytes += need;
    return off;
}

static uint64_t fit(mg_shm_zone_t *z, uint64_t need, unsigned kind) {
    int b = bin_of(need);
    int scanned = 0;
    for (uint64_t off = z->bins[b]; off && scanned < 64; off = FB(z, off)->next, scanned++)
        if (BSIZE(HDR(z, off)) >= need) return take(z, off, need, kind);
    uint64_t higher = b >= 63 ? 0 : z->binmap & ~((2ull << b) - 1);
    if (higher) return take(z, z->bins[__builtin_ctzll(higher)], need, kind);
    return 0;
}

static void free_block(mg_shm_zone_t *z, uint64_t off) {
    uint64_t h = HDR(z, off), size = BSIZE(h);
    z->free_bytes += size;
    z->used_bytes -= size;
    if (h & PREV_FREE) {
        uint64_t psize = *(uint64_t *)AT(z, off - 8);
        off -= psize;
        size += psize;
        bin_remove(z, off);
    }
    uint64_t next = off + size;
    if (next < z->arena_end && BKIND(HDR(z, next)) == K_FREE) {
        size += BSIZE(HDR(z, next));
        bin_remove(z, next);
    }
    make_free(z, off, size);
}

#define FW(p) ((p) ? ((uint64_t *)AT(z, p))[1] : 0)

/* Slides every live block to the start of the arena (Lisp-2 style: forward
 * addresses, then pointer fixing, then moves), leaving one free block. *pin is
 * an offset the caller holds across the call; it is updated. */
static void compact(mg_shm_zone_t *z, uint64_t *pin) {
    uint64_t dst = z->arena_off;
    for (uint64_t off = z->arena_off; off < z->arena_end;) {
        uint64_t h = HDR(z, off);
        if (BKIND(h) != K_FREE) {
            ((uint64_t *)AT(z, off))[1] = dst;
            dst += BSIZE(h);
        }
        off += BSIZE(h);
    }
    uint64_t *bk = BUCKETS(z);
    for (uint64_t i = 0; i < z->nbuckets; i++) bk[i] = FW(bk[i]);
    z->lru_head = FW(z->lru_head);
    z->lru_tail = FW(z->lru_tail);
    if (pin && *pin) *pin = FW(*pin);
    for (uint64_t off = z->arena_off; off < z->arena_end;) {
        uint64_t h = HDR(z, off);
        if (BKIND(h) == K_REC) {
            rec_t *r = REC(z, off);
            r->hnext = FW(r->hnext);
            r->lprev = FW(r->lprev);
            r->lnext = FW(r->lnext);
            if (r->type == MG_SHM_TLIST) {
                uint64_t *e = list_ends(r);
                e[0] = FW(e[0]);
                e[1] = FW(e[1]);
            }
        } else if (BKIND(h) == K_LNODE) {
            lnode_t *n = LN(z, off);
            n->prev = FW(n->prev);
            n->next = FW(n->next);
        }
        off += BSIZE(h);
    }
    for (uint64_t off = z->arena_off; off < z->arena_end;) {
        uint64_t h = HDR(z, off), size = BSIZE(h);
        if (BKIND(h) != K_FREE) {
            uint64_t to = ((uint64_t *)AT(z, off))[1];
            HDR(z, off) = h & ~PREV_FREE;
            if (to != off) memmove(AT(z, to), AT(z, off), size);
        }
        off += size;
    }
    memset(z->bins, 0, sizeof z->bins);
    z->binmap = 0;
    if (dst < z->arena_end) make_free(z, dst, z->arena_end - dst);
    z->compactions++;
}

/* ------------------------------------------------------------- index & LRU */

static uint64_t lookup(mg_shm_zone_t *z, uint32_t hash, const void *key, size_t klen) {
    for (uint64_t off = BUCKETS(z)[hash & (z->nbuckets - 1)]; off; off = REC(z, off)->hnext) {
        rec_t *r = REC(z, off);
        if (r->hash == hash && r->key_len == klen && memcmp(r->data, key, klen) == 0) return off;
    }
    return 0;
}

static void hash_insert(mg_shm_zone_t *z, uint64_t off) {
    uint64_t *b = &BUCKETS(z)[REC(z, off)->hash & (z->nbuckets - 1)];
    REC(z, off)->hnext = *b;
    *b = off;
}

static void hash_remove(mg_shm_zone_t *z, uint64_t off) {
    uint64_t *p = &BUCKETS(z)[REC(z, off)->hash & (z->nbuckets - 1)];
    while (*p && *p != off) p = &REC(z, *p)->hnext;
    if (*p) *p = REC(z, off)->hnext;
}

static void lru_unlink(mg_shm_zone_t *z, uint64_t off) {
    rec_t *r = REC(z, off);
    if (r->lprev) REC(z, r->lprev)->lnext = r->lnext;
    else z->lru_head = r->lnext;
    if (r->lnext) REC(z, r->lnext)->lprev = r->lprev;
    else z->lru_tail = r->lprev;
    r->lprev = r->lnext = 0;
}

static void lru_push_head(mg_shm_zone_t *z, uint64_t off) {
    rec_t *r = REC(z, off);
    r->lprev = 0;
    r->lnext = z->lru_head;
    if (z->lru_head) REC(z, z->lru_head)->lprev = off;
    else z->lru_tail = off;
    z->lru_head = off;
}

static void touch(mg_shm_zone_t *z, uint64_t off) {
    if (z->lru_head == off) return;
    lru_unlink(z, off);
    lru_push_head(z, off);
}

static void free_list_nodes(mg_shm_zone_t *z, rec_t *r) {
    uint64_t *e = list_ends(r);
    for (uint64_t n = e[0]; n;) {
        uint64_t next = LN(z, n)->next;
        free_block(z, n);
        n = next;
    }
    e[0] = e[1] = 0;
    r->value_len = 0;
}

static void remove_rec(mg_shm_zone_t *z, uint64_t off) {
    rec_t *r = REC(z, off);
    if (r->type == MG_SHM_TLIST) free_list_nodes(z, r);
    hash_remove(z, off);
    lru_unlink(z, off);
    free_block(z, off);
    z->items--;
}

/* ngx_http_lua_shdict_expire(ctx, 1): frees one or two expired items at the LRU tail. */
static void expire_tail(mg_shm_zone_t *z, int64_t now) {
    for (int i = 0; i < 2 && z->lru_tail; i++) {
        if (!expired(REC(z, z->lru_tail), now)) return;
        remove_rec(z, z->lru_tail);
    }
}

static uint64_t rec_size(size_t klen, int type, size_t vlen) {
    size_t n = type == MG_SHM_TLIST ? sizeof(rec_t) + ALIGN8(klen) + 16 : sizeof(rec_t) + klen + vlen;
    n = ALIGN8(n);
    return n < MINB ? MINB : n;
}

size_t mg_shm_entry_size(size_t key_len, size_t value_len) {
    return rec_size(key_len, MG_SHM_TSTRING, value_len);
}

static uint64_t lnode_size(size_t vlen) {
    size_t n = ALIGN8(sizeof(lnode_t) + vlen);
    return n < MINB ? MINB : n;
}

#define EXPIRED_SCAN 32

/* Whether to compact now. Safe stores must (they may not evict). Other stores
 * compact only once a sixteenth of the arena is free: under eviction churn the
 * free space is fragments, and compacting for each store would cost O(zone)
 * per store; waiting keeps compaction amortised O(1) per stored byte at the
 * price of evicting LRU items a little early. */
static int should_compact(mg_shm_zone_t *z, uint64_t need, int safe) {
    if (z->free_bytes < need) return 0;
    return safe || z->free_bytes >= (z->arena_end - z->arena_off) / 16;
}

/* Finds room for a block: free lists, compaction, expired items near the LRU
 * tail, then (unless safe) valid LRU items. *pin is never evicted and follows
 * compaction. Returns 0 for "no memory". */
static uint64_t alloc(mg_shm_zone_t *z, uint64_t need, unsigned kind, int safe, int *forcible,
                      uint64_t *pin, int64_t now) {
    if (need > z->arena_end - z->arena_off) return 0;
    uint64_t off = fit(z, need, kind);
    if (off) return off;
    if (should_compact(z, need, safe)) {
        compact(z, pin);
        return fit(z, need, kind);
    }
    uint64_t cur = z->lru_tail;
    for (int i = 0; cur && i < EXPIRED_SCAN; i++) {
        uint64_t prev = REC(z, cur)->lprev;
        if (cur != (pin ? *pin : 0) && expired(REC(z, cur), now)) {
            remove_rec(z, cur);
            if ((off = fit(z, need, kind))) return off;
        }
        cur = prev;
    }
    if (should_compact(z, need, safe)) {
        compact(z, pin);
        return fit(z, need, kind);
    }
    if (safe) return 0;
    for (;;) {
        uint64_t victim = z->lru_tail;
        if (pin && victim && victim == *pin) victim = REC(z, victim)->lprev;
        if (!victim) {
            /* Only the pinned record is left. */
            if (z->free_bytes < need) return 0;
            compact(z, pin);
            return fit(z, need, kind);
        }
        if (!expired(REC(z, victim), now)) {
            *forcible = 1;
            z->evictions++;
        }
        remove_rec(z, victim);
        if ((off = fit(z, need, kind))) return off;
        if (should_compact(z, need, 0)) {
            compact(z, pin);
            return fit(z, need, kind);
        }
    }
}

/* ------------------------------------------------------------- zone setup */

static void init_mutex(mg_shm_zone_t *z) {
    z->lock_owner = 0;
    z->lock_waiters = 0;
}

/* Empties the zone (indexes and arena), keeping the mutex and the counters. */
static void reset(mg_shm_zone_t *z) {
    memset(BUCKETS(z), 0, z->nbuckets * 8);
    memset(z->bins, 0, sizeof z->bins);
    z->binmap = 0;
    z->lru_head = z->lru_tail = 0;
    z->items = 0;
    z->used_bytes = 0;
    z->free_bytes = z->arena_end - z->arena_off;
    make_free(z, z->arena_off, z->arena_end - z->arena_off);
}

int mg_shm_init(void *mem, size_t size, const char *name) {
    if (size < MG_SHM_MIN_SIZE || ((uintptr_t)mem & 7)) return -1;
    size &= ~(size_t)7;
    mg_shm_zone_t *z = mem;
    memset(z, 0, sizeof *z);
    z->size = size;
    uint64_t nb = 64;
    while (nb < size / 256) nb <<= 1;
    z->nbuckets = nb;
    z->buckets_off = ALIGN8(sizeof *z);
    z->arena_off = z->buckets_off + nb * 8;
    z->arena_end = size;
    if (name) strncpy(z->name, name, MG_SHM_NAME_MAX - 1);
    init_mutex(z);
    reset(z);
    z->magic = MG_SHM_MAGIC;
    return 0;
}

mg_shm_zone_t *mg_shm_create(size_t size, const char *name) {
    if (size < MG_SHM_MIN_SIZE) {
        errno = EINVAL;
        return NULL;
    }
    size = (size + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    mg_shm_init(p, size, name);
    return p;
}

void mg_shm_destroy(mg_shm_zone_t *z) {
    if (z) munmap(z, z->size);
}

/* ------------------------------------------------------ validation & repair */

/* Bounds-checked view of a block offset. */
static int block_ok(mg_shm_zone_t *z, uint64_t off, unsigned kind) {
    if (off < z->arena_off || off >= z->arena_end || (off & 7)) return 0;
    uint64_t h = HDR(z, off), s = BSIZE(h);
    if (BKIND(h) != kind || s < MINB || s > z->arena_end - off) return 0;
    if (kind == K_REC) {
        rec_t *r = REC(z, off);
        return rec_size(r->key_len, r->type, r->type == MG_SHM_TLIST ? 0 : r->value_len) <= s;
    }
    return kind != K_LNODE || lnode_size(LN(z, off)->len) <= s;
}

int mg_shm_validate(mg_shm_zone_t *z) {
    if (z->magic != MG_SHM_MAGIC) return -1;
    uint64_t recs = 0, lnodes = 0, freeb = 0, used = 0, prev_free = 0, off = z->arena_off;
    while (off < z->arena_end) {
        uint64_t h = HDR(z, off), s = BSIZE(h);
        if (s < MINB || s > z->arena_end - off) return -2;
        if (!!(h & PREV_FREE) != !!prev_free) return -3;
        unsigned k = BKIND(h);
        if (k == K_FREE) {
            if (prev_free) return -4;
            if (*(uint64_t *)AT(z, off + s - 8) != s) return -5;
            freeb += s;
        } else if (k == K_REC) {
            rec_t *r = REC(z, off);
            size_t need = rec_size(r->key_len, r->type, r->type == MG_SHM_TLIST ? 0 : r->value_len);
            if (need > s || r->key_len == 0) return -6;
            recs++;
            used += s;
        } else if (k == K_LNODE) {
            if (lnode_size(LN(z, off)->len) > s) return -7;
            lnodes++;
            used += s;
        } else {
            return -8;
        }
        prev_free = k == K_FREE;
        off += s;
    }
    if (off != z->arena_end || freeb != z->free_bytes || used != z->used_bytes || recs != z->items)
        return -9;
    uint64_t binned = 0, nfree = 0;
    for (int b = 0; b < MG_SHM_NBINS; b++) {
        if (!!z->bins[b] != !!(z->binmap & (1ull << b))) return -10;
        uint64_t prev = 0;
        for (uint64_t f = z->bins[b]; f; f = FB(z, f)->next) {
            if (!block_ok(z, f, K_FREE) || bin_of(BSIZE(HDR(z, f))) != b || FB(z, f)->prev != prev)
                return -11;
            binned += BSIZE(HDR(z, f));
            if (++nfree > z->arena_end / MINB) return -12;
            prev = f;
        }
    }
    if (binned != freeb) return -13;
    uint64_t indexed = 0, listed = 0;
    for (uint64_t i = 0; i < z->nbuckets; i++) {
        for (uint64_t r = BUCKETS(z)[i]; r; r = REC(z, r)->hnext) {
            if (!block_ok(z, r, K_REC) || (REC(z, r)->hash & (z->nbuckets - 1)) != i) return -14;
            if (REC(z, r)->hash != hash_key(REC(z, r)->data, REC(z, r)->key_len)) return -15;
            if (++indexed > recs) return -16;
            rec_t *rr = REC(z, r);
            if (rr->type == MG_SHM_TLIST) {
                uint64_t *e = list_ends(rr), prev = 0, n = e[0], cnt = 0;
                for (; n; prev = n, n = LN(z, n)->next) {
                    if (!block_ok(z, n, K_LNODE) || LN(z, n)->prev != prev || ++cnt > rr->value_len)
                        return -17;
                }
                if (cnt != rr->value_len || e[1] != prev || cnt == 0) return -18;
                listed += cnt;
            }
        }
    }
    if (indexed != recs || listed != lnodes) return -19;
    uint64_t prev = 0, cnt = 0;
    for (uint64_t r = z->lru_head; r; prev = r, r = REC(z, r)->lnext) {
        if (!block_ok(z, r, K_REC) || REC(z, r)->lprev != prev || ++cnt > recs) return -20;
    }
    if (cnt != recs || z->lru_tail != prev) return -21;
    return 0;
}

#define MARK_SEEN(off) ((off) ^ 0x5a5a5a5a5a5a5a5aull)
#define MARK_KEPT(off) ((off) ^ 0xa5a5a5a5a5a5a5a5ull)

/* Rebuilds the free lists, hash index and LRU (in arena order) from the block
 * walk, dropping records whose lists are broken and unreachable list nodes.
 * A broken block chain loses everything from the break to the arena end. */
static void rebuild(mg_shm_zone_t *z) {
    uint64_t end = z->arena_off;
    while (end < z->arena_end) {
        uint64_t h = HDR(z, end), s = BSIZE(h);
        if (s < MINB || s > z->arena_end - end || BKIND(h) == 3) break;
        if (BKIND(h) == K_LNODE) LN(z, end)->fwd = MARK_SEEN(end);
        end += s;
    }
    memset(BUCKETS(z), 0, z->nbuckets * 8);
    z->lru_head = z->lru_tail = 0;
    z->items = 0;
    for (uint64_t off = z->arena_off; off < end; off += BSIZE(HDR(z, off))) {
        if (BKIND(HDR(z, off)) != K_REC) continue;
        rec_t *r = REC(z, off);
        uint64_t s = BSIZE(r->hdr);
        int ok = r->key_len > 0 && (r->type == MG_SHM_TBOOLEAN || r->type == MG_SHM_TNUMBER ||
                                    r->type == MG_SHM_TSTRING || r->type == MG_SHM_TLIST);
        ok = ok && rec_size(r->key_len, r->type, r->type == MG_SHM_TLIST ? 0 : r->value_len) <= s;
        if (ok && r->type == MG_SHM_TLIST) {
            uint64_t *e = list_ends(r), prev = 0, cnt = 0;
            for (uint64_t n = e[0]; ok && n; prev = n, n = LN(z, n)->next) {
                ok = n >= z->arena_off && n < end && !(n & 7) && LN(z, n)->fwd == MARK_SEEN(n) &&
                     BKIND(LN(z, n)->hdr) == K_LNODE && ++cnt <= 0xffffffffu;
                if (ok) LN(z, n)->prev = prev;
                if (ok) LN(z, n)->fwd = MARK_KEPT(n);
            }
            ok = ok && cnt > 0;
            if (ok) {
                e[1] = prev;
                r->value_len = (uint32_t)cnt;
            }
        }
        if (ok) r->hash = hash_key(r->data, r->key_len);
        if (!ok || lookup(z, r->hash, r->data, r->key_len)) {
            r->hdr = BSIZE(r->hdr) | K_FREE; /* reclaimed below */
            continue;
        }
        hash_insert(z, off);
        lru_push_head(z, off);
        z->items++;
    }
    /* Records dropped above may have claimed nodes (MARK_KEPT) that are now
     * orphans; keep only nodes reachable from surviving lists. */
    for (uint64_t off = z->arena_off; off < end; off += BSIZE(HDR(z, off)))
        if (BKIND(HDR(z, off)) == K_LNODE) LN(z, off)->fwd = 0;
    for (uint64_t r = z->lru_head; r; r = REC(z, r)->lnext)
        if (REC(z, r)->type == MG_SHM_TLIST)
            for (uint64_t n = list_ends(REC(z, r))[0]; n; n = LN(z, n)->next) LN(z, n)->fwd = 1;
    memset(z->bins, 0, sizeof z->bins);
    z->binmap = 0;
    z->free_bytes = z->used_bytes = 0;
    uint64_t run = 0; /* start of the current free run, 0 if none */
    for (uint64_t off = z->arena_off; off < z->arena_end;) {
        uint64_t s = off < end ? BSIZE(HDR(z, off)) : z->arena_end - off;
        unsigned k = off < end ? BKIND(HDR(z, off)) : K_FREE;
        int live = k == K_REC || (k == K_LNODE && LN(z, off)->fwd == 1);
        if (live) {
            if (run) {
                z->free_bytes += off - run;
                make_free(z, run, off - run);
                run = 0;
            } else {
                HDR(z, off) &= ~PREV_FREE;
            }
            z->used_bytes += s;
        } else if (!run) {
            run = off;
        }
        off += s;
    }
    if (run) {
        z->free_bytes += z->arena_end - run;
        make_free(z, run, z->arena_end - run);
    }
    z->rebuilds++;
}

/* getpid() is a system call: cache it, and forget it in a forked child. */
static uint32_t cached_pid;
static void forget_pid(void) { cached_pid = 0; }
__attribute__((constructor)) static void register_fork_handler(void) {
    pthread_atfork(NULL, NULL, forget_pid);
}
static inline uint32_t self_pid(void) {
    uint32_t p = cached_pid;
    if (p == 0) cached_pid = p = (uint32_t)getpid();
    return p;
}

/* Gone for good: no such process, or a zombie nobody reaped yet. */
static int holder_dead(uint32_t pid) {
    if (kill((pid_t)pid, 0) == -1) return errno == ESRCH;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    return close_paren && (close_paren[2] == 'Z' || close_paren[2] == 'X');
}

static void futex_wait(uint32_t *addr, uint32_t expected) {
    struct timespec ts = {0, 1000000}; /* re-check the holder every millisecond */
    syscall(SYS_futex, addr, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static int lock_slow(mg_shm_zone_t *z, uint32_t me) {
    for (unsigned spin = 0;; spin++) {
        uint32_t holder = 0;
        if (__atomic_compare_exchange_n(&z->lock_owner, &holder, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return 0;
        if (holder == me) return MG_SHM_ERR_LOCK; /* not reentrant: a bug, never wait on ourselves */
        if (spin < 64) {
            __builtin_ia32_pause();
            continue;
        }
        if ((spin & 15) == 0 && holder_dead(holder)) {
            /* The holder died, maybe in the middle of an update: take over and repair. */
            if (__atomic_compare_exchange_n(&z->lock_owner, &holder, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
                z->repairs++;
                if (mg_shm_validate(z) != 0) {
                    rebuild(z);
                    if (mg_shm_validate(z) != 0) reset(z);
                }
                return 0;
            }
            continue;
        }
        __atomic_add_fetch(&z->lock_waiters, 1, __ATOMIC_SEQ_CST);
        futex_wait(&z->lock_owner, holder);
        __atomic_sub_fetch(&z->lock_waiters, 1, __ATOMIC_SEQ_CST);
    }
}

int mg_shm_lock(mg_shm_zone_t *z) {
    uint32_t me = self_pid();
    uint32_t expected = 0;
    if (__builtin_expect(__atomic_compare_exchange_n(&z->lock_owner, &expected, me, 0, __ATOMIC_ACQUIRE,
                                                     __ATOMIC_RELAXED), 1))
        return 0;
    return lock_slow(z, me);
}

void mg_shm_process_died(mg_shm_zone_t *z) {
    /* A process killed while asleep on the lock left its count behind; without the
       reset every unlock would pay a futex wake. A waiter alive now that misses a wake
       for it retries within its 1 ms timeout. */
    __atomic_store_n(&z->lock_waiters, 0, __ATOMIC_SEQ_CST);
}

void mg_shm_unlock(mg_shm_zone_t *z) {
    /* An exchange, not a plain store: a full barrier, so the waiter count read below is
       not from before the release (a sleeper would then wait out its timeout). */
    __atomic_exchange_n(&z->lock_owner, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&z->lock_waiters, __ATOMIC_SEQ_CST))
        syscall(SYS_futex, &z->lock_owner, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int mg_shm_check(mg_shm_zone_t *z) {
    if (mg_shm_lock(z)) return MG_SHM_ERR_LOCK;
    int rc = mg_shm_validate(z);
    mg_shm_unlock(z);
    return rc;
}

void mg_shm_test_die_holding_lock(mg_shm_zone_t *z, int corrupt) {
    mg_shm_lock(z);
    if (corrupt && z->lru_head) {
        /* A half-done unlink: the head record points at garbage. */
        REC(z, z->lru_head)->lnext = 12345;
        BUCKETS(z)[0] = 8;
        z->items += 3;
    }
    raise(SIGKILL);
}

/* -------------------------------------------------------------- operations */

static int check_key(size_t klen) {
    if (klen == 0) return MG_SHM_ERR_EMPTY_KEY;
    if (klen > MG_SHM_KEY_MAX) return MG_SHM_ERR_KEY_TOO_LONG;
    return 0;
}

#define LOCK_OR_FAIL(z) \
    do { \
        if (mg_shm_lock(z)) return MG_SHM_ERR_LOCK; \
    } while (0)

static void read_value(rec_t *r, const uint8_t *v, void *buf, mg_shm_value_t *out) {
    out->type = r->type;
    out->flags = r->flags;
    out->number = 0;
    out->len = 0;
    if (r->type == MG_SHM_TNUMBER) memcpy(&out->number, v, 8);
    else if (r->type == MG_SHM_TBOOLEAN) out->number = v[0] ? 1 : 0;
    else if (r->type == MG_SHM_TSTRING) {
        out->len = r->value_len;
        memcpy(buf, v, r->value_len);
    }
}

int mg_shm_get(mg_shm_zone_t *z, const void *key, size_t klen, int get_stale, void *buf,
               size_t cap, mg_shm_value_t *out, int64_t now) {
    int rc = check_key(klen);
    memset(out, 0, sizeof *out);
    if (rc) return rc;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    if (!get_stale) expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    if (!off) goto done;
    rec_t *r = REC(z, off);
    touch(z, off);
    int stale = expired(r, now);
    if (stale && !get_stale) goto done;
    if (r->type == MG_SHM_TLIST) {
        rc = MG_SHM_ERR_IS_A_LIST;
        goto done;
    }
    if (r->type == MG_SHM_TSTRING && r->value_len > cap) {
        out->type = r->type;
        out->len = r->value_len;
        rc = MG_SHM_ERR_BUFFER;
        goto done;
    }
    read_value(r, rec_value(r), buf, out);
    out->stale = stale;
done:
    mg_shm_unlock(z);
    return rc;
}

static void write_rec(mg_shm_zone_t *z, uint64_t off, uint32_t hash, const void *key, size_t klen,
                      int type, const void *v, size_t vlen, int64_t expires, uint32_t flags) {
    rec_t *r = REC(z, off);
    r->hash = hash;
    r->key_len = (uint16_t)klen;
    r->type = (uint8_t)type;
    r->flags = flags;
    r->expires = expires;
    memcpy(r->data, key, klen);
    if (type == MG_SHM_TLIST) {
        r->value_len = 0;
        list_ends(r)[0] = list_ends(r)[1] = 0;
    } else {
        r->value_len = (uint32_t)vlen;
        memcpy(r->data + klen, v, vlen);
    }
}

/* Inserts a new record (key must be absent); 0 for "no memory". */
static uint64_t insert(mg_shm_zone_t *z, uint32_t hash, const void *key, size_t klen, int type,
                       const void *v, size_t vlen, int64_t expires, uint32_t flags, int safe,
                       int *forcible, uint64_t *pin, int64_t now) {
    uint64_t off = alloc(z, rec_size(klen, type, vlen), K_REC, safe, forcible, pin, now);
    if (!off) return 0;
    write_rec(z, off, hash, key, klen, type, v, vlen, expires, flags);
    hash_insert(z, off);
    lru_push_head(z, off);
    z->items++;
    return off;
}

/* Whether the record's block can hold the new value without wasting a block's worth. */
static int reusable(mg_shm_zone_t *z, uint64_t off, uint64_t need) {
    uint64_t s = BSIZE(HDR(z, off));
    return need <= s && s - need < MINB;
}

int mg_shm_store(mg_shm_zone_t *z, int op, const void *key, size_t klen, int type,
                 const void *str, size_t slen, double num, int64_t exptime_ms, uint32_t flags,
                 int *forcible, int64_t now) {
    *forcible = 0;
    int rc = check_key(klen);
    if (rc) return rc;
    if (exptime_ms < 0) return MG_SHM_ERR_BAD_EXPTIME;
    uint8_t b;
    switch (type) {
    case MG_SHM_TSTRING:
        if (slen > 0xffffffffu) return MG_SHM_ERR_NO_MEMORY;
        break;
    case MG_SHM_TNUMBER:
        str = &num;
        slen = 8;
        break;
    case MG_SHM_TBOOLEAN:
        b = num != 0;
        str = &b;
        slen = 1;
        break;
    case MG_SHM_TNIL:
        if (op & (MG_SHM_OP_ADD | MG_SHM_OP_REPLACE)) return MG_SHM_ERR_NIL_VALUE;
        break;
    default:
        return MG_SHM_ERR_BAD_VALUE;
    }
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    int safe = (op & MG_SHM_OP_SAFE) != 0;
    uint64_t need = rec_size(klen, type, slen);
    LOCK_OR_FAIL(z);
    expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    int stale = off && expired(REC(z, off), now);
    if ((op & MG_SHM_OP_REPLACE) && (!off || stale)) {
        rc = MG_SHM_ERR_NOT_FOUND;
        goto done;
    }
    if ((op & MG_SHM_OP_ADD) && off && !stale) {
        rc = MG_SHM_ERR_EXISTS;
        goto done;
    }
    int64_t expires = exptime_ms > 0 ? now + exptime_ms : 0;
    if (off) {
        if (type == MG_SHM_TNIL) {
            remove_rec(z, off);
            goto done;
        }
        if (REC(z, off)->type != MG_SHM_TLIST && reusable(z, off, need)) {
            touch(z, off);
            write_rec(z, off, hash, key, klen, type, str, slen, expires, flags);
            goto done;
        }
        /* Unlike nginx, a safe store that cannot fit keeps the old value. */
        if (safe && need > z->free_bytes + BSIZE(HDR(z, off))) {
            uint64_t keep = off;
            uint64_t got = alloc(z, need, K_REC, 1, forcible, &keep, now);
            if (!got) {
                rc = MG_SHM_ERR_NO_MEMORY;
                goto done;
            }
            free_block(z, got);
            off = keep;
        }
        if (need > z->arena_end - z->arena_off) {
            rc = MG_SHM_ERR_NO_MEMORY;
            goto done;
        }
        remove_rec(z, off);
    }
    if (type == MG_SHM_TNIL) goto done;
    if (!insert(z, hash, key, klen, type, str, slen, expires, flags, safe, forcible, NULL, now))
        rc = MG_SHM_ERR_NO_MEMORY;
done:
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_delete(mg_shm_zone_t *z, const void *key, size_t klen, int64_t now) {
    int forcible;
    return mg_shm_store(z, MG_SHM_OP_SET, key, klen, MG_SHM_TNIL, NULL, 0, 0, 0, 0, &forcible, now);
}

int mg_shm_incr(mg_shm_zone_t *z, const void *key, size_t klen, double *value, int has_init,
                double init, int64_t init_ttl_ms, int *forcible, int64_t now) {
    *forcible = 0;
    int rc = check_key(klen);
    if (rc) return rc;
    if (init_ttl_ms < 0) return MG_SHM_ERR_BAD_EXPTIME;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    if (off && !expired(REC(z, off), now)) {
        rec_t *r = REC(z, off);
        touch(z, off);
        if (r->type != MG_SHM_TNUMBER || r->value_len != 8) {
            rc = MG_SHM_ERR_NOT_A_NUMBER;
            goto done;
        }
        double n;
        memcpy(&n, rec_value(r), 8);
        n += *value;
        memcpy(rec_value(r), &n, 8);
        *value = n;
        goto done;
    }
    if (!has_init) {
        rc = MG_SHM_ERR_NOT_FOUND;
        goto done;
    }
    double n = *value + init;
    int64_t expires = init_ttl_ms > 0 ? now + init_ttl_ms : 0;
    uint64_t need = rec_size(klen, MG_SHM_TNUMBER, 8);
    if (off && REC(z, off)->type != MG_SHM_TLIST && reusable(z, off, need)) {
        touch(z, off);
        write_rec(z, off, hash, key, klen, MG_SHM_TNUMBER, &n, 8, expires, 0);
    } else {
        if (off) remove_rec(z, off);
        if (!insert(z, hash, key, klen, MG_SHM_TNUMBER, &n, 8, expires, 0, 0, forcible, NULL, now)) {
            rc = MG_SHM_ERR_NO_MEMORY;
            goto done;
        }
    }
    *value = n;
done:
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_push(mg_shm_zone_t *z, int left, const void *key, size_t klen, int type,
                const void *str, size_t slen, double num, int64_t *len_out, int64_t now) {
    *len_out = 0;
    int rc = check_key(klen);
    if (rc) return rc;
    if (type == MG_SHM_TNUMBER) {
        str = &num;
        slen = 8;
    } else if (type != MG_SHM_TSTRING || slen > 0xffffffffu) {
        return MG_SHM_ERR_BAD_VALUE;
    }
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    int forcible = 0;
    LOCK_OR_FAIL(z);
    expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    if (off && expired(REC(z, off), now)) {
        if (REC(z, off)->type == MG_SHM_TLIST) {
            free_list_nodes(z, REC(z, off));
            REC(z, off)->expires = 0;
            REC(z, off)->flags = 0;
            touch(z, off);
        } else {
            remove_rec(z, off);
            off = 0;
        }
    } else if (off) {
        if (REC(z, off)->type != MG_SHM_TLIST) {
            rc = MG_SHM_ERR_NOT_A_LIST;
            goto done;
        }
        touch(z, off);
    }
    if (!off) {
        off = insert(z, hash, key, klen, MG_SHM_TLIST, NULL, 0, 0, 0, 0, &forcible, NULL, now);
        if (!off) {
            rc = MG_SHM_ERR_NO_MEMORY;
            goto done;
        }
    }
    uint64_t n = alloc(z, lnode_size(slen), K_LNODE, 0, &forcible, &off, now);
    rec_t *r = REC(z, off);
    if (!n) {
        if (r->value_len == 0) remove_rec(z, off);
        rc = MG_SHM_ERR_NO_MEMORY;
        goto done;
    }
    lnode_t *ln = LN(z, n);
    ln->len = (uint32_t)slen;
    ln->type = (uint8_t)type;
    memcpy(ln->data, str, slen);
    uint64_t *e = list_ends(r);
    if (left) {
        ln->prev = 0;
        ln->next = e[0];
        if (e[0]) LN(z, e[0])->prev = n;
        else e[1] = n;
        e[0] = n;
    } else {
        ln->next = 0;
        ln->prev = e[1];
        if (e[1]) LN(z, e[1])->next = n;
        else e[0] = n;
        e[1] = n;
    }
    r->value_len++;
    *len_out = r->value_len;
done:
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_pop(mg_shm_zone_t *z, int left, const void *key, size_t klen, void *buf, size_t cap,
               mg_shm_value_t *out, int64_t now) {
    memset(out, 0, sizeof *out);
    int rc = check_key(klen);
    if (rc) return rc;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    if (!off) goto done;
    rec_t *r = REC(z, off);
    touch(z, off);
    if (expired(r, now)) goto done;
    if (r->type != MG_SHM_TLIST) {
        rc = MG_SHM_ERR_NOT_A_LIST;
        goto done;
    }
    uint64_t *e = list_ends(r);
    uint64_t n = left ? e[0] : e[1];
    lnode_t *ln = LN(z, n);
    out->type = ln->type;
    out->len = ln->type == MG_SHM_TSTRING ? ln->len : 0;
    if (ln->type == MG_SHM_TSTRING && ln->len > cap) {
        rc = MG_SHM_ERR_BUFFER;
        goto done;
    }
    if (ln->type == MG_SHM_TNUMBER) memcpy(&out->number, ln->data, 8);
    else memcpy(buf, ln->data, ln->len);
    if (left) {
        e[0] = ln->next;
        if (e[0]) LN(z, e[0])->prev = 0;
        else e[1] = 0;
    } else {
        e[1] = ln->prev;
        if (e[1]) LN(z, e[1])->next = 0;
        else e[0] = 0;
    }
    free_block(z, n);
    if (--r->value_len == 0) remove_rec(z, off);
done:
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_llen(mg_shm_zone_t *z, const void *key, size_t klen, int64_t *len_out, int64_t now) {
    *len_out = 0;
    int rc = check_key(klen);
    if (rc) return rc;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    expire_tail(z, now);
    uint64_t off = lookup(z, hash, key, klen);
    if (off) touch(z, off);
    if (off && !expired(REC(z, off), now)) {
        if (REC(z, off)->type != MG_SHM_TLIST) rc = MG_SHM_ERR_NOT_A_LIST;
        else *len_out = REC(z, off)->value_len;
    }
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_ttl(mg_shm_zone_t *z, const void *key, size_t klen, int64_t *ttl_ms, int64_t now) {
    *ttl_ms = 0;
    int rc = check_key(klen);
    if (rc) return rc;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    uint64_t off = lookup(z, hash, key, klen);
    if (!off) rc = MG_SHM_ERR_NOT_FOUND;
    else if (REC(z, off)->expires) *ttl_ms = REC(z, off)->expires - now;
    mg_shm_unlock(z);
    return rc;
}

int mg_shm_expire(mg_shm_zone_t *z, const void *key, size_t klen, int64_t exptime_ms, int64_t now) {
    int rc = check_key(klen);
    if (rc) return rc;
    if (exptime_ms < 0) return MG_SHM_ERR_BAD_EXPTIME;
    uint32_t hash = hash_key(key, klen);
    now = now_of(now);
    LOCK_OR_FAIL(z);
    uint64_t off = lookup(z, hash, key, klen);
    if (!off) rc = MG_SHM_ERR_NOT_FOUND;
    else REC(z, off)->expires = exptime_ms > 0 ? now + exptime_ms : 0;
    mg_shm_unlock(z);
    return rc;
}

void mg_shm_flush_all(mg_shm_zone_t *z) {
    if (mg_shm_lock(z)) return;
    for (uint64_t r = z->lru_head; r; r = REC(z, r)->lnext) REC(z, r)->expires = 1;
    mg_shm_unlock(z);
}

int64_t mg_shm_flush_expired(mg_shm_zone_t *z, int64_t max, int64_t now) {
    now = now_of(now);
    if (mg_shm_lock(z)) return 0;
    int64_t freed = 0;
    for (uint64_t r = z->lru_tail; r && (max <= 0 || freed < max);) {
        uint64_t prev = REC(z, r)->lprev;
        if (expired(REC(z, r), now)) {
            remove_rec(z, r);
            freed++;
        }
        r = prev;
    }
    mg_shm_unlock(z);
    return freed;
}

int mg_shm_get_keys(mg_shm_zone_t *z, int64_t max, void *buf, size_t cap, size_t *needed,
                    int64_t *count, int64_t now) {
    now = now_of(now);
    LOCK_OR_FAIL(z);
    size_t total = 0;
    int64_t n = 0;
    for (uint64_t r = z->lru_head; r && (max <= 0 || n < max); r = REC(z, r)->lnext) {
        if (expired(REC(z, r), now)) continue;
        total += 4 + REC(z, r)->key_len;
        n++;
    }
    *needed = total;
    *count = n;
    int rc = total > cap ? MG_SHM_ERR_BUFFER : MG_SHM_OK;
    if (!rc) {
        uint8_t *p = buf;
        int64_t i = 0;
        for (uint64_t r = z->lru_head; r && i < n; r = REC(z, r)->lnext) {
            if (expired(REC(z, r), now)) continue;
            uint32_t len = REC(z, r)->key_len;
            memcpy(p, &len, 4);
            memcpy(p + 4, REC(z, r)->data, len);
            p += 4 + len;
            i++;
        }
    }
    mg_shm_unlock(z);
    return rc;
}

void mg_shm_stats(mg_shm_zone_t *z, mg_shm_stats_t *out) {
    memset(out, 0, sizeof *out);
    if (mg_shm_lock(z)) return;
    out->capacity = z->size;
    out->free_space = z->free_bytes;
    out->used_bytes = z->used_bytes;
    out->items = z->items;
    out->evictions = z->evictions;
    out->compactions = z->compactions;
    out->repairs = z->repairs;
    out->rebuilds = z->rebuilds;
    mg_shm_unlock(z);
}

/* ------------------------------------------------------------- persistence */

/*
 * Dump format (little endian, host layout): "MGSHDICT" u32 version=1, then
 * entries { u8 type, u8 0, u16 key_len, u32 flags, u32 value_len or count,
 * i64 remaining ms (0 = never), key, value | count x (u8 type, u32 len, data) },
 * then a u8 0xff end marker.
 */
static const char DUMP_MAGIC[8] = {'M', 'G', 'S', 'H', 'D', 'I', 'C', 'T'};

static int put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

int mg_shm_save(mg_shm_zone_t *z, const char *path, int64_t now) {
    now = now_of(now);
    /* Serialise from a private copy so the lock is held only for a memcpy. */
    mg_shm_zone_t *s = malloc(z->size);
    if (!s) return MG_SHM_ERR_NO_MEMORY;
    if (mg_shm_lock(z)) {
        free(s);
        return MG_SHM_ERR_LOCK;
    }
    memcpy(s, z, z->size);
    mg_shm_unlock(z);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(s);
        return MG_SHM_ERR_IO;
    }
    int bad = put(f, DUMP_MAGIC, 8);
    uint32_t version = 1;
    bad |= put(f, &version, 4);
    for (uint64_t off = s->lru_tail; off && !bad; off = REC(s, off)->lprev) {
        rec_t *r = REC(s, off);
        if (expired(r, now)) continue;
        uint8_t hdr[4] = {r->type, 0};
        memcpy(hdr + 2, &r->key_len, 2);
        int64_t left = r->expires ? r->expires - now : 0;
        if (r->expires && left < 1) left = 1;
        bad |= put(f, hdr, 4) | put(f, &r->flags, 4) | put(f, &r->value_len, 4) | put(f, &left, 8);
        bad |= put(f, r->data, r->key_len);
        if (r->type != MG_SHM_TLIST) {
            bad |= put(f, rec_value(r), r->value_len);
            continue;
        }
        for (uint64_t n = list_ends(r)[0]; n && !bad; n = LN(s, n)->next) {
            lnode_t *ln = LN(s, n);
            bad |= put(f, &ln->type, 1) | put(f, &ln->len, 4) | put(f, ln->data, ln->len);
        }
    }
    uint8_t endm = 0xff;
    bad |= put(f, &endm, 1);
    free(s);
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return MG_SHM_ERR_IO;
    }
    return MG_SHM_OK;
}

static int get(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

int mg_shm_load(mg_shm_zone_t *z, const char *path, int64_t *loaded, int64_t now) {
    *loaded = 0;
    now = now_of(now);
    FILE *f = fopen(path, "rb");
    if (!f) return MG_SHM_ERR_IO;
    char magic[8];
    uint32_t version;
    int rc = MG_SHM_OK;
    uint8_t *key = malloc(MG_SHM_KEY_MAX), *val = NULL;
    size_t vcap = 0;
    if (!key || get(f, magic, 8) || memcmp(magic, DUMP_MAGIC, 8) || get(f, &version, 4) || version != 1) {
        rc = key ? MG_SHM_ERR_FORMAT : MG_SHM_ERR_NO_MEMORY;
        goto out;
    }
    for (;;) {
        uint8_t hdr[4];
        uint16_t klen;
        uint32_t flags, vlen;
        int64_t left;
        if (get(f, hdr, 1)) goto bad;
        if (hdr[0] == 0xff) break;
        if (get(f, hdr + 1, 3) || get(f, &flags, 4) || get(f, &vlen, 4) || get(f, &left, 8)) goto bad;
        memcpy(&klen, hdr + 2, 2);
        if (klen == 0 || get(f, key, klen)) goto bad;
        int forcible;
        if (hdr[0] != MG_SHM_TLIST) {
            if (vlen > vcap) {
                free(val);
                vcap = vlen;
                if (!(val = malloc(vcap))) goto nomem;
            }
            if (get(f, val, vlen)) goto bad;
            double num = 0;
            if (hdr[0] == MG_SHM_TNUMBER && vlen == 8) memcpy(&num, val, 8);
            if (hdr[0] == MG_SHM_TBOOLEAN && vlen == 1) num = val[0];
            int r = mg_shm_store(z, MG_SHM_OP_SET, key, klen, hdr[0], val, vlen, num, left, flags,
                                 &forcible, now);
            if (r == MG_SHM_OK) (*loaded)++;
            continue;
        }
        mg_shm_delete(z, key, klen, now);
        int ok = 1;
        for (uint32_t i = 0; i < vlen; i++) {
            uint8_t t;
            uint32_t len;
            if (get(f, &t, 1) || get(f, &len, 4)) goto bad;
            if (len > vcap || !val) {
                free(val);
                vcap = len ? len : 8;
                if (!(val = malloc(vcap))) goto nomem;
            }
            if (get(f, val, len)) goto bad;
            double num = 0;
            if (t == MG_SHM_TNUMBER && len == 8) memcpy(&num, val, 8);
            int64_t n;
            ok &= mg_shm_push(z, 0, key, klen, t, val, len, num, &n, now) == MG_SHM_OK;
        }
        if (ok && left > 0) mg_shm_expire(z, key, klen, left, now);
        if (ok) (*loaded)++;
    }
    goto out;
bad:
    rc = MG_SHM_ERR_FORMAT;
    goto out;
nomem:
    rc = MG_SHM_ERR_NO_MEMORY;
out:
    free(key);
    free(val);
    fclose(f);
    return rc;
}
