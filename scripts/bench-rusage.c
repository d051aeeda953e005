/* The provider as Terraform starts it, with its resource usage recorded (scripts/bench).
 *
 * scripts/bench compiles this once per run and places it, under the provider's file name, in
 * the directory the CLI configuration's dev_overrides point at. It starts the real provider
 * (ECSTPL_BENCH_REAL) as its child with the same arguments, environment and file descriptors,
 * so Terraform reads the handshake line from the child directly; when the child exits it
 * appends one line to ECSTPL_BENCH_RUSAGE from wait4(2):
 *
 *     <user CPU µs> <system CPU µs> <peak RSS KiB> <wall µs> <pid>
 *
 * ru_maxrss of a waited-for child is that process's peak resident set size (its VmHWM), and
 * ru_utime/ru_stime are its CPU time with microsecond resolution (GNU time prints only 10 ms).
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to the child; the wrapper exits as the child
 * did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig) {
    if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
    const char *real = getenv("ECSTPL_BENCH_REAL");
    const char *out = getenv("ECSTPL_BENCH_RUSAGE");
    if (real == NULL || out == NULL) {
        fprintf(stderr, "bench-rusage: ECSTPL_BENCH_REAL and ECSTPL_BENCH_RUSAGE must be set\n");
        return 111;
    }
    (void)argc;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    child = fork();
    if (child < 0) {
        perror("bench-rusage: fork");
        return 111;
    }
    if (child == 0) {
        argv[0] = (char *)real;
        execv(real, argv);
        perror("bench-rusage: exec");
        _exit(127);
    }
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    int status = 0;
    struct rusage ru;
    pid_t done;
    do {
        done = wait4(child, &status, 0, &ru);
    } while (done < 0 && errno == EINTR);
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (done == child) {
        long long user = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        long long sys = (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
        long long wall = (long long)(end.tv_sec - start.tv_sec) * 1000000 +
                         (end.tv_nsec - start.tv_nsec) / 1000;
        char line[160];
        int n = snprintf(line, sizeof line, "%lld %lld %ld %lld %d\n", user, sys, ru.ru_maxrss, wall,
                         (int)child);
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ssize_t ignored = write(fd, line, (size_t)n); /* O_APPEND: one write, one line */
            (void)ignored;
            close(fd);
        }
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
