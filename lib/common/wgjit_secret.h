/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#ifndef WGJIT_SECRET_H
#define WGJIT_SECRET_H

/**
 * @file
 * Files and memory that hold secrets (private keys, bearer tokens).
 *
 * A secret file must be a regular file, not a symlink (the last component
 * is opened with O_NOFOLLOW), and neither readable nor writable by group
 * or others: a key that others could read or replace is refused with a
 * message that says so, as ssh refuses such a key.
 *
 * Secret memory comes from sodium_malloc(): guard pages, mlock()ed and
 * marked MADV_DONTDUMP, so it stays out of swap and core dumps, and it
 * is cleared when freed.
 *
 * Threads: every function is reentrant.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read the secret file @p path into @p buf (at most @p size - 1 bytes,
 * then NUL-terminated). The read goes straight to @p buf (no stdio
 * buffer to clear); the caller clears @p buf.
 *
 * @return the number of bytes read, or -errno with @p err filled:
 *   -ELOOP (a symlink), -EINVAL (not a regular file), -EACCES (group or
 *   others may read or write it), -EFBIG (larger than @p size - 1), or
 *   the errno of open()/read().
 */
int wgjit_secret_read(const char *path, char *buf, size_t size, char *err,
		size_t errlen);

/**
 * @p size bytes of zeroed secret memory (see above), or NULL with errno.
 * Free with wgjit_secret_free().
 */
void *wgjit_secret_alloc(size_t size);

/** Clear and free secret memory. NULL is allowed. */
void wgjit_secret_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* WGJIT_SECRET_H */
