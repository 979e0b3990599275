/*
 * fuzz_file.h: hand a fuzz input to the library's file loaders without
 * touching the disk: one memfd per process, rewritten for each input and
 * opened by path as /proc/self/fd/N (the loaders open by path, O_CLOEXEC,
 * and fstat the descriptor they opened, which here is a fresh one).
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    static int fd = -1;
    size_t off = 0;

    if (fd < 0) {
        fd = memfd_create("pjwt-fuzz", MFD_CLOEXEC);
        if (fd < 0)
            return -1;
    }
    if (ftruncate(fd, 0) != 0)
        return -1;
    while (off < size) {
        ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return 0;
}

#endif
