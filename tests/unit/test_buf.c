/* tests/unit/test_buf.c - unit tests of the bounded buffers (lib/buf.c).
 * Owns: checks of growth, the hard maximum and its sticky MXSPF_ELIMIT,
 * appendf, put_escaped (\xNN escapes and the "..." cut), truncate, steal,
 * binary data with NUL bytes and allocation failures (sticky MXSPF_ENOMEM).
 * Must not: leave the allocation hook armed when a test returns.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxspf/mxspf.h"
#include "buf.h"
#include "internal.h"

static void test_init_empty(void **);
static void test_growth(void **);
static void test_exact_max(void **);
static void test_max_sticky(void **);
static void test_max_zero(void **);
static void test_appendf(void **);
static void test_appendf_limit(void **);
static void test_appendf_long(void **);
static void test_appendf_in_room(void **);
static void test_puts_putc(void **);
static void test_put_uint_reserve(void **);
static void test_escaped(void **);
static void test_escaped_cut(void **);
static void test_escaped_limit_sticky(void **);
static void test_escaped_paths_agree(void **);
static void test_truncate(void **);
static void test_steal(void **);
static void test_steal_empty(void **);
static void test_binary(void **);
static void test_enomem_first(void **);
static void test_enomem_growth(void **);
static void test_enomem_steal_empty(void **);
static void test_reset_keeps_storage(void **);
static void test_size_max_overflow(void **);
static int teardown_hook(void **);

/* teardown_hook - disarm allocation failure injection after every test */
static int
teardown_hook(void **state)
{
	(void)state;
	mxspf__alloc_fail_after((size_t)-1);
	return 0;
}

/* test_init_empty - a fresh buffer is empty, holds no storage, reads "" */
static void
test_init_empty(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 100);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.max, 100);
}

/* test_growth - one byte at a time: capacity doubles from 32, contents
 * and the trailing NUL stay exact */
static void
test_growth(void **state)
{
	struct mxspf_buf b;
	size_t i;

	(void)state;
	mxspf_buf_init(&b, 4096);
	mxspf_buf_putc(&b, 'a');
	assert_int_equal(b.cap, 32);
	for (i = 1; i < 1000; i++)
		mxspf_buf_putc(&b, 'a' + (int)(i % 26));
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.cap, 1024);
	assert_int_equal(b.p[1000], '\0');
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.p[i], 'a' + (int)(i % 26));
	assert_int_equal(strlen(mxspf_buf_cstr(&b)), 1000);
	/* 31 bytes + NUL fit in 32; the 32nd byte needs 64. */
	mxspf_buf_free(&b);
	mxspf_buf_append(&b, "0123456789012345678901234567890", 31);
	assert_int_equal(b.cap, 32);
	mxspf_buf_putc(&b, 'x');
	assert_int_equal(b.cap, 64);
	assert_int_equal(b.len, 32);
	mxspf_buf_free(&b);
}

/* test_exact_max - exactly max bytes fit, one more does not */
static void
test_exact_max(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 10);
	mxspf_buf_append(&b, "0123456789", 10);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(mxspf_buf_cstr(&b), "0123456789");
	mxspf_buf_putc(&b, 'x');
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 10);
	assert_string_equal(mxspf_buf_cstr(&b), "0123456789");
	mxspf_buf_free(&b);
}

/* test_max_sticky - after ELIMIT every append is ignored, even one that
 * would fit, until reset */
static void
test_max_sticky(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 10);
	mxspf_buf_puts(&b, "12345");
	mxspf_buf_puts(&b, "123456");
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 5);
	assert_string_equal(mxspf_buf_cstr(&b), "12345");
	mxspf_buf_putc(&b, 'a');
	mxspf_buf_puts(&b, "b");
	mxspf_buf_append(&b, "c", 1);
	mxspf_buf_appendf(&b, "%d", 7);
	mxspf_buf_put_escaped(&b, "d", 1, 10);
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 5);
	assert_string_equal(mxspf_buf_cstr(&b), "12345");
	mxspf_buf_reset(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_puts(&b, "0123456789");
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "0123456789");
	mxspf_buf_free(&b);
}

/* test_max_zero - a zero maximum accepts only empty appends */
static void
test_max_zero(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 0);
	mxspf_buf_append(&b, "", 0);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_putc(&b, 'a');
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_free(&b);
}

/* test_appendf - formatted appends concatenate exactly */
static void
test_appendf(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_appendf(&b, "%d-%s", 42, "x");
	mxspf_buf_appendf(&b, "[%03u]", 7u);
	mxspf_buf_appendf(&b, "%s", "");
	mxspf_buf_appendf(&b, "%zu%%", (size_t)99);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "42-x[007]99%");
	assert_int_equal(b.len, 12);
	mxspf_buf_free(&b);
}

/* test_appendf_limit - a formatted append that does not fit is refused
 * whole: nothing of it is written */
static void
test_appendf_limit(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 8);
	mxspf_buf_appendf(&b, "%s", "abcd");
	mxspf_buf_appendf(&b, "%s-%d", "efgh", 12345);
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 4);
	assert_string_equal(mxspf_buf_cstr(&b), "abcd");
	mxspf_buf_free(&b);
	/* Exactly filling the maximum is fine. */
	mxspf_buf_appendf(&b, "%08d", 1);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "00000001");
	mxspf_buf_free(&b);
}

/* test_appendf_long - a formatted append larger than several doublings */
static void
test_appendf_long(void **state)
{
	struct mxspf_buf b;
	size_t i;

	(void)state;
	mxspf_buf_init(&b, 10000);
	mxspf_buf_puts(&b, "<");
	mxspf_buf_appendf(&b, "%5000d>", 9);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 5002);
	assert_int_equal(b.p[0], '<');
	for (i = 1; i < 5000; i++)
		assert_int_equal(b.p[i], ' ');
	assert_int_equal(b.p[5000], '9');
	assert_int_equal(b.p[5001], '>');
	assert_int_equal(b.p[5002], '\0');
	mxspf_buf_free(&b);
}

/* test_appendf_in_room - an append formatted straight into the room the
 * buffer has (one pass); one that does not fit there leaves no partial
 * text, grows and is formatted again; the maximum holds on both paths */
static void
test_appendf_in_room(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 40);
	mxspf_buf_puts(&b, "ab");	/* capacity 32 now */
	assert_int_equal(b.cap, 32);
	mxspf_buf_appendf(&b, "%d|%s", 12, "cd");	/* fits the room */
	assert_string_equal(mxspf_buf_cstr(&b), "ab12|cd");
	assert_int_equal(b.cap, 32);
	mxspf_buf_appendf(&b, "%30s", "x");	/* does not: grows */
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 37);
	assert_int_equal(b.p[36], 'x');
	assert_int_equal(b.p[37], '\0');
	/* In the room, but over the maximum: refused whole. */
	mxspf_buf_appendf(&b, "%s", "1234");
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_int_equal(b.len, 37);
	assert_int_equal(b.p[37], '\0');
	mxspf_buf_reset(&b);
	mxspf_buf_appendf(&b, "%s", "1234");
	assert_string_equal(mxspf_buf_cstr(&b), "1234");
	mxspf_buf_free(&b);
	/* Over the maximum with room to spare after a reset. */
	mxspf_buf_init(&b, 4);
	mxspf_buf_puts(&b, "abcd");
	mxspf_buf_reset(&b);
	mxspf_buf_appendf(&b, "%s", "abcde");
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_free(&b);
}

/* test_puts_putc - the small appenders, including a byte above 0x7f */
static void
test_puts_putc(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_puts(&b, "ab");
	mxspf_buf_puts(&b, "");
	mxspf_buf_putc(&b, 'c');
	mxspf_buf_putc(&b, 0xe9);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.p, "abc\xe9", 5);
	mxspf_buf_free(&b);
}

/* test_put_uint_reserve - decimal numbers without vsnprintf; reserving
 * grows once and keeps the contents; both respect max */
static void
test_put_uint_reserve(void **state)
{
	struct mxspf_buf b;
	char *p;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_put_uint(&b, 0);
	mxspf_buf_putc(&b, ' ');
	mxspf_buf_put_uint(&b, 550);
	mxspf_buf_putc(&b, ' ');
	mxspf_buf_put_uint(&b, 18446744073709551615ull);
	assert_string_equal(mxspf_buf_cstr(&b), "0 550 18446744073709551615");
	assert_int_equal(mxspf_buf_reserve(&b, 60), 0);
	assert_true(b.cap >= b.len + 61);
	p = b.p;
	mxspf_buf_puts(&b, "0123456789012345678901234567890123456789");
	assert_ptr_equal(b.p, p);	/* no growth after the reserve */
	assert_int_equal(b.err, 0);
	/* More than max allows: the room left, no error yet. */
	assert_int_equal(mxspf_buf_reserve(&b, 1000), 0);
	assert_int_equal(b.err, 0);
	mxspf_buf_free(&b);
	mxspf_buf_init(&b, 3);
	mxspf_buf_put_uint(&b, 1234);
	assert_int_equal(b.err, MXSPF_ELIMIT);
	mxspf_buf_free(&b);
}

/* test_escaped - printable ASCII passes, the rest and '\' become \xNN
 * in lower-case hex */
static void
test_escaped(void **state)
{
	static const char in[] = "a\x01 b\\c\x7f\xff\n~\0z";
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 200);
	mxspf_buf_put_escaped(&b, in, sizeof(in) - 1, 100);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b),
	    "a\\x01 b\\x5cc\\x7f\\xff\\x0a~\\x00z");
	mxspf_buf_reset(&b);
	mxspf_buf_put_escaped(&b, "", 0, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_put_escaped(&b, " !~", 3, 100);
	assert_string_equal(mxspf_buf_cstr(&b), " !~");
	mxspf_buf_reset(&b);
	mxspf_buf_put_escaped(&b, "\x1f\x20\x7e\x7f\x80", 5, 100);
	assert_string_equal(mxspf_buf_cstr(&b), "\\x1f ~\\x7f\\x80");
	mxspf_buf_free(&b);
}

/* test_escaped_cut - input longer than limit is cut at limit input bytes
 * and gets "..."; input of exactly limit bytes does not */
static void
test_escaped_cut(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 200);
	mxspf_buf_put_escaped(&b, "abcdef", 6, 3);
	assert_string_equal(mxspf_buf_cstr(&b), "abc...");
	mxspf_buf_reset(&b);
	mxspf_buf_put_escaped(&b, "abcdef", 6, 6);
	assert_string_equal(mxspf_buf_cstr(&b), "abcdef");
	mxspf_buf_reset(&b);
	mxspf_buf_put_escaped(&b, "abcdef", 6, 7);
	assert_string_equal(mxspf_buf_cstr(&b), "abcdef");
	mxspf_buf_reset(&b);
	/* The limit counts input bytes, not escaped output bytes. */
	mxspf_buf_put_escaped(&b, "\x01\x02\x03\x04", 4, 2);
	assert_string_equal(mxspf_buf_cstr(&b), "\\x01\\x02...");
	mxspf_buf_reset(&b);
	mxspf_buf_put_escaped(&b, "abc", 3, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "...");
	mxspf_buf_free(&b);
}

/* test_escaped_limit_sticky - escaping into a small buffer stops with
 * ELIMIT and keeps what fit */
static void
test_escaped_limit_sticky(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 5);
	mxspf_buf_put_escaped(&b, "ab\x01", 3, 100);
	assert_int_equal(b.err, MXSPF_ELIMIT);
	assert_string_equal(mxspf_buf_cstr(&b), "ab");
	mxspf_buf_free(&b);
}

/* test_escaped_paths_agree - every byte value, at every offset of the
 * 8-byte scan, escapes as the byte-by-byte rule says, into a roomy buffer
 * and into one whose maximum is just the output; one byte less of
 * maximum ends in ELIMIT */
static void
test_escaped_paths_agree(void **state)
{
	char in[256];
	struct mxspf_buf roomy, tight, tiny;
	size_t i, out;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	mxspf_buf_init(&roomy, 4096);
	mxspf_buf_puts(&roomy, "x=");
	mxspf_buf_put_escaped(&roomy, in, sizeof(in), 300);
	assert_int_equal(roomy.err, 0);
	/* 0x00-0x1f, '\\' and 0x7f-0xff are 4 bytes each; 94 bytes pass. */
	out = 2 + 94 + 4 * (sizeof(in) - 94);
	assert_int_equal(roomy.len, out);
	assert_memory_equal(roomy.p, "x=\\x00\\x01", 10);
	assert_non_null(strstr(roomy.p, "[\\x5c]"));
	assert_non_null(strstr(roomy.p, "~\\x7f\\x80"));
	mxspf_buf_init(&tight, out);
	mxspf_buf_puts(&tight, "x=");
	mxspf_buf_put_escaped(&tight, in, sizeof(in), 300);
	assert_int_equal(tight.err, 0);
	assert_string_equal(mxspf_buf_cstr(&tight), mxspf_buf_cstr(&roomy));
	mxspf_buf_init(&tiny, out - 1);
	mxspf_buf_puts(&tiny, "x=");
	mxspf_buf_put_escaped(&tiny, in, sizeof(in), 300);
	assert_int_equal(tiny.err, MXSPF_ELIMIT);
	assert_int_equal(strncmp(mxspf_buf_cstr(&tiny), roomy.p, tiny.len), 0);
	mxspf_buf_free(&roomy);
	mxspf_buf_free(&tight);
	mxspf_buf_free(&tiny);
	/* One odd byte among plain ones, at each place of an 8-byte word
	 * (and past the first word), against the byte-by-byte rule. */
	for (i = 0; i < 256 * 17; i++) {
		unsigned char v = (unsigned char)(i % 256);
		size_t at = i / 256, k;
		char plain[24], want[40];
		bool esc = v < 0x20 || v >= 0x7f || v == '\\';

		memset(plain, 'a', sizeof(plain));
		plain[at] = (char)v;
		memset(want, 'a', sizeof(want));
		k = at;
		if (esc)
			k += (size_t)snprintf(want + at, 5, "\\x%02x", v);
		else
			want[k++] = (char)v;
		memset(want + k, 'a', sizeof(plain) - at - 1);
		k += sizeof(plain) - at - 1;
		mxspf_buf_init(&roomy, 4096);
		mxspf_buf_put_escaped(&roomy, plain, sizeof(plain), 100);
		assert_int_equal(roomy.len, k);
		assert_memory_equal(roomy.p, want, k);
		mxspf_buf_free(&roomy);
	}
}

/* test_truncate - shortening keeps the NUL; a longer length is a no-op */
static void
test_truncate(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_truncate(&b, 5);	/* empty, no storage: no-op */
	assert_null(b.p);
	mxspf_buf_puts(&b, "hello world");
	mxspf_buf_truncate(&b, 5);
	assert_int_equal(b.len, 5);
	assert_string_equal(mxspf_buf_cstr(&b), "hello");
	mxspf_buf_truncate(&b, 50);
	assert_int_equal(b.len, 5);
	assert_string_equal(mxspf_buf_cstr(&b), "hello");
	mxspf_buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf_buf_puts(&b, "x");
	assert_string_equal(mxspf_buf_cstr(&b), "x");
	mxspf_buf_free(&b);
}

/* test_steal - the caller gets the heap string, the buffer is reset but
 * keeps its maximum */
static void
test_steal(void **state)
{
	struct mxspf_buf b;
	char *s;

	(void)state;
	mxspf_buf_init(&b, 20);
	mxspf_buf_puts(&b, "stolen");
	s = mxspf_buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "stolen");
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 20);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	free(s);
	mxspf_buf_puts(&b, "again");
	assert_string_equal(mxspf_buf_cstr(&b), "again");
	mxspf_buf_free(&b);
}

/* test_steal_empty - stealing an empty buffer gives a heap "" */
static void
test_steal_empty(void **state)
{
	struct mxspf_buf b;
	char *s;

	(void)state;
	mxspf_buf_init(&b, 20);
	s = mxspf_buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_null(b.p);
}

/* test_binary - NUL bytes are data; len counts them and a NUL follows */
static void
test_binary(void **state)
{
	static const char bin[] = { 'a', '\0', 'b', '\0', '\0', 'c' };
	struct mxspf_buf b;
	char *s;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_append(&b, bin, sizeof(bin));
	mxspf_buf_putc(&b, '\0');
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.p, bin, sizeof(bin));
	assert_int_equal(b.p[6], '\0');
	assert_int_equal(b.p[7], '\0');
	mxspf_buf_append(&b, "z", 1);
	assert_int_equal(b.len, 8);
	assert_int_equal(b.p[7], 'z');
	assert_int_equal(b.p[8], '\0');
	s = mxspf_buf_steal(&b);
	assert_memory_equal(s, "a\0b\0\0c\0z", 9);
	free(s);
}

/* test_enomem_first - the first allocation fails: sticky ENOMEM, no
 * storage, and reset is needed even after the hook is disarmed */
static void
test_enomem_first(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf__alloc_fail_after(0);
	mxspf_buf_puts(&b, "x");
	assert_int_equal(b.err, MXSPF_ENOMEM);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf__alloc_fail_after((size_t)-1);
	mxspf_buf_puts(&b, "y");
	mxspf_buf_appendf(&b, "%d", 1);
	assert_int_equal(b.err, MXSPF_ENOMEM);
	assert_null(b.p);
	mxspf_buf_reset(&b);
	assert_int_equal(b.err, 0);
	mxspf_buf_puts(&b, "y");
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "y");
	mxspf_buf_free(&b);
}

/* test_enomem_growth - a failed realloc keeps the old contents intact */
static void
test_enomem_growth(void **state)
{
	struct mxspf_buf b;
	char big[100];

	(void)state;
	memset(big, 'q', sizeof(big));
	mxspf_buf_init(&b, 1000);
	mxspf__alloc_fail_after(1);
	mxspf_buf_puts(&b, "0123456789");
	assert_int_equal(b.err, 0);
	assert_int_equal(b.cap, 32);
	mxspf_buf_append(&b, big, sizeof(big));
	assert_int_equal(b.err, MXSPF_ENOMEM);
	assert_int_equal(b.len, 10);
	assert_int_equal(b.cap, 32);
	assert_string_equal(mxspf_buf_cstr(&b), "0123456789");
	/* Fits in the existing storage, but the error is sticky. */
	mxspf_buf_putc(&b, 'x');
	assert_int_equal(b.len, 10);
	mxspf__alloc_fail_after((size_t)-1);
	mxspf_buf_free(&b);
}

/* test_enomem_steal_empty - stealing an empty buffer with no memory
 * returns NULL */
static void
test_enomem_steal_empty(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, 10);
	mxspf__alloc_fail_after(0);
	assert_null(mxspf_buf_steal(&b));
	mxspf__alloc_fail_after((size_t)-1);
	assert_null(b.p);
}

/* test_reset_keeps_storage - reset empties without freeing, so the next
 * append needs no allocation */
static void
test_reset_keeps_storage(void **state)
{
	struct mxspf_buf b;
	char *p;

	(void)state;
	mxspf_buf_init(&b, 100);
	mxspf_buf_puts(&b, "abc");
	p = b.p;
	mxspf_buf_reset(&b);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.cap, 32);
	assert_string_equal(mxspf_buf_cstr(&b), "");
	mxspf__alloc_fail_after(0);
	mxspf_buf_puts(&b, "def");
	mxspf__alloc_fail_after((size_t)-1);
	assert_int_equal(b.err, 0);
	assert_string_equal(mxspf_buf_cstr(&b), "def");
	mxspf_buf_free(&b);
}

/* test_size_max_overflow - regression (lib/buf.c, buf_reserve): with max ==
 * SIZE_MAX the check "n > max - len" never fires and need = len + n + 1
 * wraps to 0, so "need <= cap" passes and mxspf_buf_append() memcpy()s
 * n bytes into a 32-byte array.  Expected: MXSPF_ELIMIT (or ENOMEM), len
 * unchanged.  Was: a wild write (segfault).  Fixed; kept as its
 * regression test. */
static void
test_size_max_overflow(void **state)
{
	struct mxspf_buf b;

	(void)state;
	mxspf_buf_init(&b, SIZE_MAX);
	mxspf_buf_putc(&b, 'a');
	mxspf_buf_append(&b, "x", SIZE_MAX - 1);
	assert_int_not_equal(b.err, 0);
	assert_int_equal(b.len, 1);
	mxspf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init_empty, teardown_hook),
		cmocka_unit_test_teardown(test_growth, teardown_hook),
		cmocka_unit_test_teardown(test_exact_max, teardown_hook),
		cmocka_unit_test_teardown(test_max_sticky, teardown_hook),
		cmocka_unit_test_teardown(test_max_zero, teardown_hook),
		cmocka_unit_test_teardown(test_appendf, teardown_hook),
		cmocka_unit_test_teardown(test_appendf_limit, teardown_hook),
		cmocka_unit_test_teardown(test_appendf_long, teardown_hook),
		cmocka_unit_test_teardown(test_appendf_in_room, teardown_hook),
		cmocka_unit_test_teardown(test_puts_putc, teardown_hook),
		cmocka_unit_test_teardown(test_put_uint_reserve,
		    teardown_hook),
		cmocka_unit_test_teardown(test_escaped, teardown_hook),
		cmocka_unit_test_teardown(test_escaped_cut, teardown_hook),
		cmocka_unit_test_teardown(test_escaped_limit_sticky,
		    teardown_hook),
		cmocka_unit_test_teardown(test_escaped_paths_agree,
		    teardown_hook),
		cmocka_unit_test_teardown(test_truncate, teardown_hook),
		cmocka_unit_test_teardown(test_steal, teardown_hook),
		cmocka_unit_test_teardown(test_steal_empty, teardown_hook),
		cmocka_unit_test_teardown(test_binary, teardown_hook),
		cmocka_unit_test_teardown(test_enomem_first, teardown_hook),
		cmocka_unit_test_teardown(test_enomem_growth, teardown_hook),
		cmocka_unit_test_teardown(test_enomem_steal_empty,
		    teardown_hook),
		cmocka_unit_test_teardown(test_reset_keeps_storage,
		    teardown_hook),
		cmocka_unit_test_teardown(test_size_max_overflow,
		    teardown_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
