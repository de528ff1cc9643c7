#ifndef MOONGATE_SHM_H
#define MOONGATE_SHM_H
/*
 * Storage engine of lua_shared_dict: one zone is one mapping that starts with
 * mg_shm_zone_t, then the hash buckets, then the arena of blocks. Everything
 * inside the zone refers to other parts by byte offset from the zone base, so
 * the zone works at any mapping address and can be copied byte for byte.
 */
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>

#define MG_SHM_MAGIC 0x314443484d53474dULL /* "MGSMHCD1" */
#define MG_SHM_NBINS 64
#define MG_SHM_NAME_MAX 64
#define MG_SHM_KEY_MAX 65535
/// Pass as `now` to read CLOCK_MONOTONIC (milliseconds) inside the call.
#define MG_SHM_NOW_SYSTEM (-1LL)

/// Value types, numbered like ngx_lua's SHDICT_T* (which follow LUA_T*).
enum {
    MG_SHM_TNIL = 0,
    MG_SHM_TBOOLEAN = 1,
    MG_SHM_TNUMBER = 3,
    MG_SHM_TSTRING = 4,
    MG_SHM_TLIST = 5,
};

/// Store operations (bit set), as NGX_HTTP_LUA_SHDICT_ADD/REPLACE/SAFE_STORE.
enum {
    MG_SHM_OP_SET = 0,
    MG_SHM_OP_ADD = 1,
    MG_SHM_OP_REPLACE = 2,
    MG_SHM_OP_SAFE = 4,
};

/// Return codes; mg_shm_strerror gives ngx_lua's message for each.
enum {
    MG_SHM_OK = 0,
    MG_SHM_ERR_NOT_FOUND = -1,     /* "not found" */
    MG_SHM_ERR_EXISTS = -2,        /* "exists" */
    MG_SHM_ERR_NO_MEMORY = -3,     /* "no memory" */
    MG_SHM_ERR_NOT_A_NUMBER = -4,  /* "not a number" */
    MG_SHM_ERR_NOT_A_LIST = -5,    /* "value not a list" */
    MG_SHM_ERR_IS_A_LIST = -6,     /* "value is a list" */
    MG_SHM_ERR_EMPTY_KEY = -7,     /* "empty key" */
    MG_SHM_ERR_KEY_TOO_LONG = -8,  /* "key too long" */
    MG_SHM_ERR_NIL_VALUE = -9,     /* "attempt to add or replace nil values" */
    MG_SHM_ERR_BAD_VALUE = -10,    /* "unsupported value type" */
    MG_SHM_ERR_BAD_EXPTIME = -11,  /* "bad \"exptime\" argument" */
    MG_SHM_ERR_BUFFER = -12,       /* caller buffer too small: grow to the reported length, retry */
    MG_SHM_ERR_LOCK = -13,         /* mutex unrecoverable */
    MG_SHM_ERR_IO = -14,           /* save/load: errno has the cause */
    MG_SHM_ERR_FORMAT = -15,       /* load: not a dump file */
};

/// Header at offset 0 of every zone. Offsets are from the zone base; 0 means none.
typedef struct mg_shm_zone_s {
    uint64_t magic;
    uint64_t size;             /* bytes of the whole mapping */
    /* The zone lock (nginx's ngx_shmtx in spirit): the holder's pid, 0 when free, taken
       with one compare-and-swap; waiters sleep on a futex. A holder found dead (killed
       mid-update) is replaced by the next locker, which repairs the zone. */
    uint32_t lock_owner;
    uint32_t lock_waiters;
    uint64_t lock_reserved[4];
    uint64_t buckets_off;      /* uint64_t[nbuckets] of record offsets */
    uint64_t nbuckets;         /* power of two */
    uint64_t arena_off;        /* first block */
    uint64_t arena_end;        /* end of the last block */
    uint64_t lru_head;         /* most recently used record */
    uint64_t lru_tail;         /* least recently used record */
    uint64_t bins[MG_SHM_NBINS]; /* free lists by floor(log2(size)) */
    uint64_t binmap;           /* bit i set when bins[i] is not empty */
    uint64_t items;            /* records (keys), expired-but-present included */
    uint64_t evictions;        /* valid records evicted to make room */
    uint64_t used_bytes;       /* bytes of allocated blocks */
    uint64_t free_bytes;       /* bytes of free blocks (always usable thanks to compaction) */
    uint64_t compactions;
    uint64_t repairs;          /* recoveries after a lock holder died */
    uint64_t rebuilds;         /* recoveries that had to rebuild the indexes */
    char name[MG_SHM_NAME_MAX];
} mg_shm_zone_t;

/// One value read out of a zone.
typedef struct mg_shm_value_s {
    int32_t type;       /* MG_SHM_T*; TNIL when absent */
    uint32_t flags;     /* user flags */
    double number;      /* TNUMBER value, or 0/1 for TBOOLEAN */
    size_t len;         /* string length (copied into the caller buffer) */
    int32_t stale;      /* get_stale: 1 when the item has expired */
} mg_shm_value_t;

/// Snapshot of a zone's counters.
typedef struct mg_shm_stats_s {
    uint64_t capacity;    /* bytes of the mapping (ngx: capacity()) */
    uint64_t free_space;  /* bytes of free blocks (ngx: free_space()) */
    uint64_t used_bytes;
    uint64_t items;
    uint64_t evictions;
    uint64_t compactions;
    uint64_t repairs;
    uint64_t rebuilds;
} mg_shm_stats_t;

/// Smallest zone accepted by mg_shm_init / mg_shm_create.
#define MG_SHM_MIN_SIZE 8192

/// Maps a MAP_SHARED|MAP_ANONYMOUS zone of `size` bytes and initialises it; NULL on error (errno set).
mg_shm_zone_t *mg_shm_create(size_t size, const char *name);
/// Initialises a zone in caller memory (size >= MG_SHM_MIN_SIZE, 8-aligned); 0 or -1.
int mg_shm_init(void *mem, size_t size, const char *name);
/// Unmaps a zone made by mg_shm_create.
void mg_shm_destroy(mg_shm_zone_t *z);
/// Bytes an entry with this key and string value takes in the arena (compare with free_space).
size_t mg_shm_entry_size(size_t key_len, size_t value_len);
/// Message of a return code, as ngx_lua words it.
const char *mg_shm_strerror(int rc);
/// Monotonic clock in milliseconds, the default time base of zones.
int64_t mg_shm_now_ms(void);
/// A Lua run starts/ends on this thread (runs nest). During runs, calls with
/// MG_SHM_NOW_SYSTEM read the clock once and reuse it, as nginx's shared dicts use the
/// worker's cached time, which stands still while Lua runs; outside runs every call
/// reads the clock.
void mg_shm_clock_run_begin(void);
void mg_shm_clock_run_end(void);
/// The cached time was refreshed (ngx.update_time): the next call reads the clock.
void mg_shm_clock_tick(void);

/// Locks the zone; repairs it when the previous holder died. 0 or MG_SHM_ERR_LOCK.
int mg_shm_lock(mg_shm_zone_t *z);
/// After a process using the zone died abnormally: forgets lock waiters it may have left.
void mg_shm_process_died(mg_shm_zone_t *z);
void mg_shm_unlock(mg_shm_zone_t *z);
/// Checks every invariant (caller holds the lock). 0 when consistent, else a negative step number.
int mg_shm_validate(mg_shm_zone_t *z);
/// Locks, validates, unlocks.
int mg_shm_check(mg_shm_zone_t *z);

/// get / get_stale. With a buffer too small for a string returns MG_SHM_ERR_BUFFER and out->len.
int mg_shm_get(mg_shm_zone_t *z, const void *key, size_t key_len, int get_stale,
               void *buf, size_t cap, mg_shm_value_t *out, int64_t now);
/// set/safe_set/add/safe_add/replace (op bits); TNIL deletes. exptime_ms 0 = never.
int mg_shm_store(mg_shm_zone_t *z, int op, const void *key, size_t key_len,
                 int type, const void *str, size_t str_len, double num,
                 int64_t exptime_ms, uint32_t flags, int *forcible, int64_t now);
/// delete (always succeeds for a valid key).
int mg_shm_delete(mg_shm_zone_t *z, const void *key, size_t key_len, int64_t now);
/// incr: *value is the delta in, the new value out. init_ttl_ms applies only when init creates the key.
int mg_shm_incr(mg_shm_zone_t *z, const void *key, size_t key_len, double *value,
                int has_init, double init, int64_t init_ttl_ms, int *forcible, int64_t now);
/// lpush (left=1) / rpush (left=0) of a TSTRING or TNUMBER; *len_out = new length.
int mg_shm_push(mg_shm_zone_t *z, int left, const void *key, size_t key_len,
                int type, const void *str, size_t str_len, double num,
                int64_t *len_out, int64_t now);
/// lpop / rpop; out->type TNIL when absent. MG_SHM_ERR_BUFFER leaves the list untouched.
int mg_shm_pop(mg_shm_zone_t *z, int left, const void *key, size_t key_len,
               void *buf, size_t cap, mg_shm_value_t *out, int64_t now);
/// llen; 0 when absent or expired.
int mg_shm_llen(mg_shm_zone_t *z, const void *key, size_t key_len, int64_t *len_out, int64_t now);
/// ttl in ms: 0 = never expires, negative when expired but not yet freed; MG_SHM_ERR_NOT_FOUND.
int mg_shm_ttl(mg_shm_zone_t *z, const void *key, size_t key_len, int64_t *ttl_ms, int64_t now);
/// expire: sets a new TTL (0 = never); MG_SHM_ERR_NOT_FOUND.
int mg_shm_expire(mg_shm_zone_t *z, const void *key, size_t key_len, int64_t exptime_ms, int64_t now);
/// flush_all: marks every item expired.
void mg_shm_flush_all(mg_shm_zone_t *z);
/// flush_expired: frees up to max expired items (0 = all); returns how many.
int64_t mg_shm_flush_expired(mg_shm_zone_t *z, int64_t max, int64_t now);
/// get_keys: up to max unexpired keys (0 = all), most recent first, packed as
/// [uint32 length][bytes]... into buf. *needed = bytes required, *count = keys.
/// MG_SHM_ERR_BUFFER when cap < *needed (nothing is copied).
int mg_shm_get_keys(mg_shm_zone_t *z, int64_t max, void *buf, size_t cap,
                    size_t *needed, int64_t *count, int64_t now);
/// Counters (takes the lock).
void mg_shm_stats(mg_shm_zone_t *z, mg_shm_stats_t *out);
/// Writes live entries with their remaining TTL to path (tmp file + fsync + rename).
int mg_shm_save(mg_shm_zone_t *z, const char *path, int64_t now);
/// Loads a file written by mg_shm_save (entries whose TTL ran out are skipped);
/// *loaded = entries stored. Existing keys are overwritten.
int mg_shm_load(mg_shm_zone_t *z, const char *path, int64_t *loaded, int64_t now);

/// Test hook: takes the lock, optionally corrupts the indexes (corrupt != 0), then SIGKILLs the calling process.
void mg_shm_test_die_holding_lock(mg_shm_zone_t *z, int corrupt);

#endif
