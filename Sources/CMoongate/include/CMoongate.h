#ifndef MOONGATE_C_H
#define MOONGATE_C_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <signal.h>
#include "mg_shm.h"

/// Blocks the given signals in this thread (inherited by threads created later).
int mg_block_signals(const int *sigs, int n);
/// Unblocks every signal in this thread.
int mg_unblock_all_signals(void);
/// signalfd(2) for the given signals; -1 on error.
int mg_signalfd(const int *sigs, int n);
/// Reads one signal number from a signalfd; 0 if none, -1 on error.
int mg_signalfd_read(int fd, int *signo, int *pid, int *status);
/// Waits for one of the given signals with a timeout in milliseconds; returns the signal or 0 on timeout.
int mg_sigtimedwait(const int *sigs, int n, long timeout_ms);
/// Like mg_sigtimedwait; also stores the sending process (0 when unknown) in from_pid.
int mg_sigtimedwait_from(const int *sigs, int n, long timeout_ms, int *from_pid);
/// prctl(PR_SET_PDEATHSIG).
int mg_set_pdeathsig(int sig);
/// fork(2) after fflush(NULL): Swift cannot call fork directly.
pid_t mg_fork(void);
/// Fills the Swift runtime's conformance cache with a worker's channel lookups, so a
/// forked worker never walks the conformance records (prewarm.c says why). Once.
/// `any_metadata`: the type metadata of `Any` (`Any.self`).
void mg_prewarm_conformances(const void *any_metadata);
/// How many of the names mg_prewarm_conformances uses this build lacks (0 expected).
int mg_prewarm_unresolved(void);
void mg_bind_now(char *const argv[]);
/// Sets or clears FD_CLOEXEC.
int mg_set_cloexec(int fd, int on);
/// Returns errno of the calling thread.
int mg_errno(void);
/// WIFSIGNALED / WTERMSIG / WEXITSTATUS, which are macros.
int mg_wifsignaled(int status);
int mg_wtermsig(int status);
int mg_wifexited(int status);
int mg_wexitstatus(int status);
/// Reads the cgroup v2 CPU quota as a number of CPUs (rounded up), 0 if unlimited/unknown.
int mg_cgroup_cpus(void);
#include "mg_crypto.h"
#include "mg_ssl.h"
#include "mg_tls_client.h"
#endif
