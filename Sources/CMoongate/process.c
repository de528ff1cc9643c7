#define _GNU_SOURCE
#include "CMoongate.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void fill_set(sigset_t *set, const int *sigs, int n) {
    sigemptyset(set);
    for (int i = 0; i < n; i++) sigaddset(set, sigs[i]);
}

int mg_block_signals(const int *sigs, int n) {
    sigset_t set;
    fill_set(&set, sigs, n);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int mg_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    return pthread_sigmask(SIG_SETMASK, &set, NULL);
}

int mg_signalfd(const int *sigs, int n) {
    sigset_t set;
    fill_set(&set, sigs, n);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int mg_signalfd_read(int fd, int *signo, int *pid, int *status) {
    struct signalfd_siginfo info;
    ssize_t r = read(fd, &info, sizeof(info));
    if (r < 0) return (errno == EAGAIN) ? 0 : -1;
    if (r != sizeof(info)) return 0;
    *signo = (int)info.ssi_signo;
    *pid = (int)info.ssi_pid;
    *status = (int)info.ssi_status;
    return 1;
}

int mg_sigtimedwait(const int *sigs, int n, long timeout_ms) {
    sigset_t set;
    fill_set(&set, sigs, n);
    struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
    int r = sigtimedwait(&set, NULL, &ts);
    if (r < 0) return 0;
    return r;
}

int mg_sigtimedwait_from(const int *sigs, int n, long timeout_ms, int *from_pid) {
    sigset_t set;
    siginfo_t info;
    fill_set(&set, sigs, n);
    struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
    int r = sigtimedwait(&set, &info, &ts);
    if (r < 0) return 0;
    /* Only signals sent by a process (kill, sigqueue) or a child name a sender. */
    *from_pid = (info.si_code == SI_USER || info.si_code == SI_QUEUE || r == SIGCHLD) ? (int) info.si_pid : 0;
    return r;
}

int mg_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig); }

/* Starts the program over once with LD_BIND_NOW=1, so that the dynamic linker binds
 * every library's symbols at startup, in the master, before workers are forked. Bound
 * lazily, each worker resolved them again on first calls, and each lookup walks the
 * symbol tables of every loaded library (libstdc++'s and libc's above all): about
 * 0.9 MB of each worker's memory on the hello conf. Returns when it did not exec:
 * already done (the variable is then removed, so that programs started from Lua do not
 * inherit it), under valgrind (an exec would leave the tool), MOONGATE_LAZY_BIND set,
 * or the exec failed. The pid stays the same. */
void mg_bind_now(char *const argv[]) {
    if (getenv("LD_BIND_NOW")) {
        unsetenv("LD_BIND_NOW");
        return;
    }
    const char *pre = getenv("LD_PRELOAD");
    if ((pre && strstr(pre, "vgpreload")) || getenv("MOONGATE_LAZY_BIND")) return;
    if (setenv("LD_BIND_NOW", "1", 1) != 0) return;
    execv("/proc/self/exe", argv);
    unsetenv("LD_BIND_NOW");
}

pid_t mg_fork(void) {
    fflush(NULL);
    return fork();
}

int mg_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

int mg_errno(void) { return errno; }
int mg_wifsignaled(int status) { return WIFSIGNALED(status); }
int mg_wtermsig(int status) { return WTERMSIG(status); }
int mg_wifexited(int status) { return WIFEXITED(status); }
int mg_wexitstatus(int status) { return WEXITSTATUS(status); }

int mg_cgroup_cpus(void) {
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (!f) return 0;
    char quota[64] = {0};
    long period = 0;
    int n = fscanf(f, "%63s %ld", quota, &period);
    fclose(f);
    if (n != 2 || strcmp(quota, "max") == 0 || period <= 0) return 0;
    long q = atol(quota);
    if (q <= 0) return 0;
    return (int)((q + period - 1) / period);
}
