/*
 * replay.c: a main() for the fuzz targets without libFuzzer, so that the
 * seed corpora and the crash regressions run in `make check` with the
 * ordinary compiler (and under ASan/UBSan in the sanitizer build, and under
 * valgrind through $VALGRIND).  Arguments are files or directories (one
 * level); each file is read and passed to LLVMFuzzerTestOneInput once.
 * A crash aborts the process; the exit status is 0 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (4u * 1024 * 1024)

static int
run_file(const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    ssize_t n;
    int fd, r = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        goto out;
    buf = malloc(REPLAY_MAX);
    if (!buf)
        goto out;
    while (len < REPLAY_MAX && (n = read(fd, buf + len, REPLAY_MAX - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        len += (size_t)n;
    }
    /* An exact-size heap copy, so ASan catches reads past the input. */
    {
        uint8_t *exact = malloc(len ? len : 1);

        if (!exact)
            goto out;
        memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    r = 0;
out:
    if (r != 0)
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    free(buf);
    if (fd >= 0)
        close(fd);
    return r;
}

int
main(int argc, char **argv)
{
    int i, fails = 0, count = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            fails++;
        } else if (S_ISDIR(st.st_mode)) {
            struct dirent **ents = NULL;
            int j, n = scandir(argv[i], &ents, NULL, alphasort);

            for (j = 0; j < n; j++) {
                char p[4096];

                if (ents[j]->d_name[0] != '.') {
                    snprintf(p, sizeof(p), "%s/%s", argv[i], ents[j]->d_name);
                    if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                        fails += run_file(p) != 0;
                        count++;
                    }
                }
                free(ents[j]);
            }
            free(ents);
            if (n < 0)
                fails++;
        } else {
            fails += run_file(argv[i]) != 0;
            count++;
        }
    }
    printf("replayed %d inputs, %d unreadable\n", count, fails);
    return fails ? 1 : 0;
}
