/*
 * ssh.c: `jwtctl ssh [ssh arguments]`: ssh with a fresh one-time token
 * for each login, from the session of `jwtctl login`.
 *
 *  1. Find the destination in the arguments as ssh's getopt does (OpenSSH
 *     9.2 ssh.c: options taking a value are -B -b -c -D -E -e -F -I -i -J
 *     -L -l -m -O -o -p -Q -R -S -W -w, attached or in the next argument;
 *     "--" ends them; options may follow the destination, up to the
 *     command).
 *  2. `ssh -G OPTIONS DESTINATION` (fork/exec, no shell) resolves the
 *     configuration:
 *     hostname, hostkeyalias.
 *  3. The audience host: hostname's short name (up to the first dot), or,
 *     when hostname is an IP address (a test ssh_config "Host web1 /
 *     HostName 127.0.0.1"), the destination as typed, whose short name the
 *     host's own %h will be.  An IP address as typed names no audience:
 *     refused.
 *  4. exec ssh with -o PreferredAuthentications=keyboard-interactive,
 *     password -o NumberOfPasswordPrompts=1 first (ssh keeps the first
 *     value of an option, so these win over a config file; one prompt, so
 *     a refused token is not retried in a loop) and the arguments as they
 *     were.  Environment: SSH_ASKPASS = jwtctl-askpass beside this binary
 *     (the install's symlink to jwtctl: ssh runs the askpass program with
 *     the prompt as its only argument, so the program's name selects the
 *     verb), SSH_ASKPASS_REQUIRE=force, PAMJWT_SSH_HOST (the audience
 *     host) and PAMJWT_SSH_HOSTNAME (the name ssh puts in its prompts) for
 *     askpass.c.  No token is in argv or the environment: askpass fetches
 *     each one when ssh asks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ctl.h"
#include "client.h"

#define SSH_G_MAX (256 * 1024)

static const char ssh_usage[] =
    "usage: jwtctl ssh [SSH OPTIONS] DESTINATION [COMMAND...]\n"
    "\n"
    "Run ssh(1) so that each password or token prompt of the destination is\n"
    "answered with a fresh token for audience ssh:HOST (client.conf\n"
    "audience), from the session of `jwtctl login`.  Host-key questions and\n"
    "other prompts are put to you.  HOST is the short name of ssh's HostName,\n"
    "or the destination as typed when HostName is an IP address.\n"
    "\n"
    "exit status: ssh's; 2 usage or no destination.\n";

/* execvp takes char *const[]: writable copies, no casts. */
static char arg_ssh[] = "ssh", arg_G[] = "-GT", arg_o[] = "-o";
static char arg_pref[] = "PreferredAuthentications=keyboard-interactive,password";
static char arg_npp[] = "NumberOfPasswordPrompts=1";

/* OpenSSH 9.2 ssh.c getopt: the options that take a value. */
static const char ssh_value_opts[] = "BbcDEeFIiJLlmOopQRSWw";

/*
 * The index of the first argument from i on that is not an option or an
 * option's value (argc when none).  ssh takes options both before and
 * after the destination: the first such argument from 1 is the
 * destination, the first after it starts the command.  "--" ends the
 * options (*dashdash set: nothing after it is an option).
 */
static int
skip_options(int argc, char **argv, int i, int *dashdash)
{
    for (; i < argc && !*dashdash; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            *dashdash = 1;
            return i + 1;
        }
        if (a[0] != '-' || a[1] == '\0')
            return i;
        for (a++; *a; a++) {
            if (strchr(ssh_value_opts, *a)) {
                if (a[1] == '\0')
                    i++; /* the value is the next argument */
                break;
            }
        }
    }
    return i;
}

/* "ssh://[user@]host[:port]" or "[user@]host": host into out. */
static int
dest_host(const char *dest, char *out, size_t cap)
{
    const char *h, *at, *end;
    size_t n;
    int uri = strncmp(dest, "ssh://", 6) == 0;

    h = uri ? dest + 6 : dest;
    if ((at = strrchr(h, '@')) != NULL)
        h = at + 1;
    if (uri && h[0] == '[') {   /* ssh://[::1]:22 */
        h++;
        if ((end = strchr(h, ']')) == NULL)
            return -1;
    } else {
        end = uri ? strpbrk(h, ":/") : NULL;
    }
    n = end ? (size_t)(end - h) : strlen(h);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, h, n);
    out[n] = '\0';
    return 0;
}

static int
is_ip(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Read all of fd into a NUL-terminated buffer of at most SSH_G_MAX. */
static char *
read_all(int fd)
{
    char *buf = malloc(SSH_G_MAX + 1);
    size_t len = 0;
    ssize_t n;

    if (!buf)
        return NULL;
    while (len < SSH_G_MAX) {
        n = read(fd, buf + len, SSH_G_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/*
 * Run ssh -GT with argv[1..n) (options and destination, not the command;
 * -T and stdin /dev/null: it reads nothing and wants no terminal); copy
 * the values of
 * hostname and hostkeyalias ("" when none) out.  0, or -1 (printed).
 */
static int
ssh_config(int n, char **argv, char *hostname, char *alias, size_t cap)
{
    char **av = NULL, *out = NULL, *line, *save = NULL;
    int p[2] = { -1, -1 }, st, r = -1, i;
    pid_t pid;

    hostname[0] = alias[0] = '\0';
    if ((av = calloc((size_t)n + 2, sizeof(*av))) == NULL)
        goto out;
    av[0] = arg_ssh;
    av[1] = arg_G;
    for (i = 1; i < n; i++)
        av[i + 1] = argv[i];
    if (pipe(p) != 0) {
        ctl_err("ssh: pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        ctl_err("ssh: fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        close(p[0]);
        if (dup2(p[1], STDOUT_FILENO) < 0)
            _exit(127);
        close(p[1]);
        /* ssh -G reads nothing: keep it off the user's stdin. */
        if ((i = open("/dev/null", O_RDONLY)) >= 0 && i != STDIN_FILENO) {
            dup2(i, STDIN_FILENO);
            close(i);
        }
        execvp(av[0], av);
        ctl_err("ssh: %s: %s", av[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    p[1] = -1;
    out = read_all(p[0]);
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            ctl_err("ssh: waitpid: %s", strerror(errno));
            goto out;
        }
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        ctl_err("ssh -G failed: no configuration for the destination");
        goto out;
    }
    if (!out)
        goto out;
    for (line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *dst = strncmp(line, "hostname ", 9) == 0       ? hostname
                    : strncmp(line, "hostkeyalias ", 13) == 0 ? alias
                                                              : NULL;
        const char *v = strchr(line, ' ') + 1;

        if (dst && strlen(v) < cap)
            memcpy(dst, v, strlen(v) + 1);
    }
    if (hostname[0] == '\0') {
        ctl_err("ssh -G printed no hostname");
        goto out;
    }
    r = 0;
out:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    free(out);
    free(av);
    return r;
}

/*
 * The askpass program: jwtctl-askpass in the directory of this binary,
 * which must be this binary (the symlink `make install` makes): a file of
 * that name that is something else would be handed ssh's prompts.
 */
static int
askpass_path(char *out, size_t cap)
{
    char self[PATH_MAX];
    struct stat a, b;
    ssize_t n;
    char *slash;

    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        ctl_err("ssh: /proc/self/exe: %s", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (!slash || (size_t)snprintf(out, cap, "%.*s/jwtctl-askpass",
                                   (int)(slash - self), self) >= cap)
        return -1;
    if (stat(self, &a) != 0 || stat(out, &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino) {
        ctl_err("ssh: %s is missing or not a link to %s (make install "
                "creates it: ln -s jwtctl jwtctl-askpass)", out, self);
        return -1;
    }
    return 0;
}

int
ctl_ssh(int argc, char **argv)
{
    char hostname[CTL_NAME_MAX], alias[CTL_NAME_MAX], typed[CTL_NAME_MAX];
    char aud_host[CTL_NAME_MAX], askpass[PATH_MAX];
    const char *src;
    char **av;
    int d, cmd, i, n, dashdash = 0;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(ssh_usage, stdout);
        return CTL_OK;
    }
    d = skip_options(argc, argv, 1, &dashdash);
    cmd = d < argc ? skip_options(argc, argv, d + 1, &dashdash) : argc;
    if (d >= argc) {
        ctl_err("ssh: no destination");
        fputs(ssh_usage, stderr);
        return CTL_USAGE;
    }
    if (dest_host(argv[d], typed, sizeof(typed)) != 0) {
        ctl_err("ssh: bad destination '%s'", argv[d]);
        return CTL_USAGE;
    }
    if (ssh_config(cmd, argv, hostname, alias, sizeof(hostname)) != 0)
        return CTL_FAIL;
    src = is_ip(hostname) ? typed : hostname;
    if (is_ip(src)) {
        ctl_err("ssh: %s is an IP address, which names no audience: use "
                "the host's name (an ssh_config Host with HostName)", src);
        return CTL_USAGE;
    }
    n = (int)strcspn(src, ".");
    if (n == 0 || (size_t)n >= sizeof(aud_host)) {
        ctl_err("ssh: bad host name '%s'", src);
        return CTL_USAGE;
    }
    memcpy(aud_host, src, (size_t)n);
    aud_host[n] = '\0';
    if (askpass_path(askpass, sizeof(askpass)) != 0)
        return CTL_FAIL;
    if (setenv("SSH_ASKPASS", askpass, 1) != 0 ||
        setenv("SSH_ASKPASS_REQUIRE", "force", 1) != 0 ||
        setenv("PAMJWT_SSH_HOST", aud_host, 1) != 0 ||
        setenv("PAMJWT_SSH_HOSTNAME", alias[0] ? alias : hostname, 1) != 0) {
        ctl_err("ssh: setenv: %s", strerror(errno));
        return CTL_FAIL;
    }
    if ((av = calloc((size_t)argc + 5, sizeof(*av))) == NULL) {
        ctl_err("out of memory");
        return CTL_FAIL;
    }
    av[0] = arg_ssh;
    av[1] = arg_o;
    av[2] = arg_pref;
    av[3] = arg_o;
    av[4] = arg_npp;
    for (i = 1; i < argc; i++)
        av[i + 4] = argv[i];
    fflush(NULL);
    execvp(av[0], av);
    ctl_err("ssh: %s: %s", av[0], strerror(errno));
    free(av);
    return CTL_FAIL;
}
