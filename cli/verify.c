/* The verify command runner (see verify.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/verify.h"

#define KILL_GRACE_S 5.0

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void keep(cli_verify_result *out, const char *buf, size_t n)
{
    size_t room = CLI_VERIFY_OUTPUT_MAX - out->output_len;
    if (n > room) {
        out->output_cut = true;
        n = room;
    }
    memcpy(out->output + out->output_len, buf, n);
    out->output_len += n;
    out->output[out->output_len] = '\0';
}

/* In the child: its own process group (so a time-out reaches whatever the
 * command started), the variables, then the shell. Only async-signal-safe
 * calls and setenv before exec. */
static void child(int wfd, const char *command, const cli_verify_env *env, size_t nenv)
{
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(wfd, STDOUT_FILENO);
    dup2(wfd, STDERR_FILENO);
    for (size_t i = 0; i < nenv; i++)
        if (env[i].value != NULL)
            setenv(env[i].name, env[i].value, 1);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
}

static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

int cli_verify_run(const char *command, const cli_verify_env *env, size_t nenv,
                   double timeout_s, bool (*interrupted)(void), cli_verify_result *out)
{
    memset(out, 0, sizeof *out);
    out->exit_status = -1;
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(out->error, sizeof out->error, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    double start = mono_s();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(out->error, sizeof out->error, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], command, env, nenv);
    }
    setpgid(pid, pid);          /* also here: no race with the kill below */
    close(fds[1]);
    out->ran = true;
    bool open_pipe = true, reaped = false, stopping = false;
    double kill_at = 0, linger_until = 0;
    int st = 0;
    for (;;) {
        if (open_pipe) {
            struct pollfd pf = { .fd = fds[0], .events = POLLIN };
            if (poll(&pf, 1, 100) > 0) {
                char buf[4096];
                ssize_t n = read(fds[0], buf, sizeof buf);
                if (n > 0)
                    keep(out, buf, (size_t)n);
                else if (n == 0 || errno != EINTR)
                    open_pipe = false;
            }
        } else {
            struct timespec ts = { 0, 50 * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (!reaped && waitpid(pid, &st, WNOHANG) == pid)
            reaped = true;
        double now = mono_s();
        if (reaped && !open_pipe)
            break;
        if (reaped) {
            /* the shell ended but something it started still holds the
             * pipe: a moment to finish writing, then its group ends */
            if (linger_until == 0)
                linger_until = now + KILL_GRACE_S;
            if (now > linger_until) {
                kill(-pid, SIGKILL);
                break;
            }
            continue;
        }
        if (!stopping && (now - start > timeout_s || (interrupted != NULL && interrupted()))) {
            out->timed_out = now - start > timeout_s;
            out->interrupted = !out->timed_out;
            kill(-pid, SIGTERM);
            stopping = true;
            kill_at = now + KILL_GRACE_S;
        } else if (stopping && now > kill_at) {
            kill(-pid, SIGKILL);
            kill_at = now + 3600;
        }
    }
    close(fds[0]);
    out->exit_status = status_of(st);
    out->seconds = mono_s() - start;
    return 0;
}

int cli_wait_for_path(const char *path, double timeout_s, bool (*interrupted)(void))
{
    double end = mono_s() + timeout_s;
    for (;;) {
        struct stat sb;
        if (stat(path, &sb) == 0)
            return 0;
        if (interrupted != NULL && interrupted())
            return 2;
        if (mono_s() > end)
            return 1;
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
}
