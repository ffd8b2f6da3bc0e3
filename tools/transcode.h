/*
 * transcode.h — read a department's file in the encoding it was saved in, as UTF-8.
 *
 * Excel on a Chinese Windows saves "CSV" in GBK (code page 936); departmental systems export
 * GB18030 or GB2312. creditctl reads UTF-8 only, so a file in one of these is converted as it
 * is read, with the C library's iconv. A file that is not what it was said to be stops the
 * read at the first bad byte, with its line and byte offset; the bytes themselves are never
 * echoed (they would be mojibake, or worse, on the clerk's terminal).
 */
#ifndef CREDITCTL_TRANSCODE_H
#define CREDITCTL_TRANSCODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct transcoder transcoder;

/* The encodings creditctl reads: "utf-8" (with or without a byte order mark), "gb18030",
 * "gbk" (also "cp936") and "gb2312", in any letter case. Writes the iconv name into
 * out[cap] and returns 0, or returns -1 for any other name. */
int transcode_encoding(const char *name, char *out, size_t cap);

/* Opens a UTF-8 stream over `in`, whose bytes are in `encoding` (a name transcode_encoding
 * takes). The caller keeps `in` open until transcode_close. Returns NULL with err[cap] set for
 * an unknown encoding or when out of memory. For "utf-8" the stream is `in` itself. */
transcoder *transcode_open(FILE *in, const char *encoding, char *err, size_t cap);

/* The UTF-8 stream to read. Valid until transcode_close. */
FILE *transcode_stream(transcoder *t);

/* After a read error on the stream: why, naming the line and the byte offset in the input
 * where the bad bytes are ("line 3, byte 57: not GB18030"); "" if there was none. */
const char *transcode_error(const transcoder *t);

/* Closes the stream (not `in`). NULL is safe. */
void transcode_close(transcoder *t);

/* Writes len bytes of UTF-8 text to `out` in `encoding` (a name transcode_encoding takes): the
 * rejects file goes back to the clerk in the encoding the input came in. A character the
 * encoding cannot hold (only GB2312 and GBK lack some) is written as '?'. Returns 0, or -1
 * when the encoding is unknown or the write fails (errno set). */
int transcode_write(FILE *out, const char *encoding, const char *text, size_t len);

/* Looks at the first bytes of a file said to be UTF-8. Returns 0 if they are UTF-8 (a
 * character cut by the end of buf counts as UTF-8); else 1, with *bad_at the offset of the
 * first byte that is not, and guess[cap] the encoding they look like ("GB18030" when they all
 * decode as it, else ""). */
int transcode_sniff(const unsigned char *buf, size_t n, size_t *bad_at, char *guess,
                    size_t cap);

#endif
