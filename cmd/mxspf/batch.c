/* cmd/mxspf/batch.c - the batch command: many evaluations, one line each.
 * Reads "IP<TAB>SENDER<TAB>HELO" lines from standard input and writes, in
 * input order, one "RESULT<TAB>REASON" line per input line; a line that
 * cannot be evaluated gives "error<TAB>WHY".  With --zone the evaluations
 * run one after the other (the zone answers at once); with libunbound up to
 * --concurrency of them are in flight, driven by poll() on the resolver's
 * descriptor and on standard input, each with its own deadline; finished
 * lines wait in a ring (8 per evaluation in flight) until all lines before
 * them are written.
 * Owns: the line reader (bounded: CLI_MAX_LINE), the ring of slots that
 * puts the answers back into input order.  Must not: let one bad line stop
 * the run, block on input while answers wait, or hold more than
 * 8 x --concurrency lines.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define READ_CHUNK 65536	/* bytes read at once */
#define LINE_FIELDS 3		/* IP, SENDER, HELO */
#define ERR_QUOTE 100		/* bytes of bad input quoted in a reason */
#define BATCH_RING_FACTOR 8	/* lines held per evaluation in flight, so
				 * one slow line does not stall the rest */

/* The state of the input. */
enum in_state {
	IN_MORE = 0,	/* complete lines may be buffered */
	IN_NEED,	/* a read is needed before the next line */
	IN_END		/* end of input (or a read error): no more lines */
};

/* A bounded line reader on a descriptor. */
struct reader {
	int fd;
	char *buf;		/* cap + 1 bytes (room for a final NUL) */
	size_t cap;
	size_t start;		/* first unconsumed byte */
	size_t len;		/* bytes held */
	bool eof;
	bool error;		/* read() failed: treated as end of input */
	bool skipping;		/* inside an over-long line */
};

struct batch;

/* One line of input in the ring. */
enum slot_state {
	SLOT_FREE = 0,
	SLOT_RUNNING,
	SLOT_DONE
};

struct slot {
	struct batch *b;
	enum slot_state state;
	struct mxspf_eval *ev;		/* NULL for an error line */
	int err;			/* of the done callback */
	struct mxspf_buf text;		/* the error line, when ev is NULL */
	struct timespec deadline;
};

/* The asynchronous run. */
struct batch {
	struct cli_env *env;
	struct reader *rd;
	struct slot *slots;		/* ring of n */
	size_t n;			/* lines held: started or waiting
					 * to be written in order */
	size_t running;			/* evaluations in flight */
	size_t max_running;		/* --concurrency */
	size_t head;			/* oldest line not yet written */
	size_t tail;			/* next line number */
	enum in_state in;
	bool dns_warned;
};

static int reader_init(struct reader *r, int fd);
static void reader_free(struct reader *r);
static void reader_fill(struct reader *r);
static int reader_next(struct reader *r, char **line, size_t *len,
    bool *toolong);
static int line_request(char *line, size_t len, bool toolong,
    enum mxspf_identity id, struct mxspf_request *req,
    struct mxspf_buf *why);
static void format_error(struct mxspf_buf *out, const char *why);
static void format_verdict(struct mxspf_buf *out,
    const struct mxspf_eval *ev, int err);
static int write_line(const struct mxspf_buf *line);
static int batch_sync(struct cli_env *env, struct reader *rd);
static void slot_done(void *arg, struct mxspf_eval *ev, int err);
static void slot_start(struct batch *b, struct slot *s, char *line,
    size_t len, bool toolong);
static bool batch_room(const struct batch *b);
static void batch_take(struct batch *b);
static int batch_flush(struct batch *b);
static void batch_expire(struct batch *b);
static void batch_wait(struct batch *b);
static int batch_async(struct cli_env *env, struct reader *rd,
    size_t concurrency);

/* reader_init - a reader of fd; 0 or -1 (out of memory) */
static int
reader_init(struct reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = READ_CHUNK;
	r->buf = malloc(r->cap + 1);
	return r->buf != NULL ? 0 : -1;
}

/* reader_free - release the reader's buffer */
static void
reader_free(struct reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* reader_fill - read once into the buffer (may block) */
static void
reader_fill(struct reader *r)
{
	ssize_t n;

	if (r->eof)
		return;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (r->len == r->cap) {
		/* Cannot happen: reader_next() drops over-long lines. */
		r->start = r->len = 0;
	}
	do {
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		r->len += (size_t)n;
	} else if (n == 0) {
		r->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		perror("mxspf: reading the input");
		r->eof = r->error = true;
	}
}

/* reader_next - the next line, NUL-terminated in place, without its "\n"
 * or "\r\n"; toolong tells that the line passed CLI_MAX_LINE (its text is
 * then not given).  @return 1 (a line), 0 (read more first), -1 (end) */
static int
reader_next(struct reader *r, char **line, size_t *len, bool *toolong)
{
	char *p = r->buf + r->start, *nl;
	size_t have = r->len - r->start, n;

	nl = have > 0 ? memchr(p, '\n', have) : NULL;
	if (nl == NULL && !r->eof) {
		if (have > CLI_MAX_LINE + 1) {
			/* Too long already: drop what we hold, remember. */
			r->skipping = true;
			r->start = r->len = 0;
		}
		return 0;
	}
	if (nl == NULL && have == 0 && !r->skipping)
		return -1;
	n = nl != NULL ? (size_t)(nl - p) : have;
	r->start += nl != NULL ? n + 1 : n;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*toolong = r->skipping || n > CLI_MAX_LINE;
	r->skipping = false;
	*line = p;
	*len = n;
	return 1;
}

/* line_request - split a line into the three fields and fill req; the
 * strings point into line.  @return 0, or -1 with why filled in */
static int
line_request(char *line, size_t len, bool toolong, enum mxspf_identity id,
    struct mxspf_request *req, struct mxspf_buf *why)
{
	char *field[LINE_FIELDS];
	size_t i, nf = 1;

	if (toolong) {
		mxspf_buf_appendf(why, "line longer than %d bytes",
		    CLI_MAX_LINE);
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		mxspf_buf_puts(why, "NUL byte in line");
		return -1;
	}
	field[0] = line;
	for (i = 0; i < len; i++) {
		if (line[i] != '\t')
			continue;
		if (nf < LINE_FIELDS) {
			line[i] = '\0';
			field[nf] = line + i + 1;
		}
		nf++;
	}
	if (nf != LINE_FIELDS) {
		mxspf_buf_appendf(why, "expected 3 TAB-separated fields, got "
		    "%zu", nf);
		return -1;
	}
	if (cli_request(req, field[0], field[1], field[2], id) != 0) {
		mxspf_buf_puts(why, "invalid IP address '");
		mxspf_buf_put_escaped(why, field[0], strlen(field[0]),
		    ERR_QUOTE);
		mxspf_buf_putc(why, '\'');
		return -1;
	}
	return 0;
}

/* format_error - "error<TAB>WHY\n" */
static void
format_error(struct mxspf_buf *out, const char *why)
{
	mxspf_buf_puts(out, "error\t");
	cli_put_value(out, why);
	mxspf_buf_putc(out, '\n');
}

/* format_verdict - "RESULT<TAB>REASON\n", or an error line when err < 0 */
static void
format_verdict(struct mxspf_buf *out, const struct mxspf_eval *ev, int err)
{
	const struct mxspf_verdict *v;
	struct mxspf_buf reason;

	v = err == 0 ? mxspf_eval_verdict(ev) : NULL;
	mxspf_buf_init(&reason, CLI_MAX_OUTPUT);
	if (v == NULL) {
		mxspf_buf_appendf(&reason, "evaluation failed: %s",
		    mxspf_strerror(err != 0 ? err : MXSPF_ESTATE));
		format_error(out, mxspf_buf_cstr(&reason));
		mxspf_buf_free(&reason);
		return;
	}
	cli_reason(&reason, v);
	mxspf_buf_puts(out, mxspf_result_name(v->result));
	mxspf_buf_putc(out, '\t');
	cli_put_value(out, reason.err == 0 ? mxspf_buf_cstr(&reason) :
	    "reason too long");
	mxspf_buf_putc(out, '\n');
	mxspf_buf_free(&reason);
}

/* write_line - write a formatted line to stdout; 0 or -1 */
static int
write_line(const struct mxspf_buf *line)
{
	const char *fallback = "error\tout of memory\n";

	if (line->err != 0)
		return fputs(fallback, stdout) == EOF ? -1 : 0;
	return fwrite(line->p, 1, line->len, stdout) == line->len ? 0 : -1;
}

/* batch_sync - evaluate every line in turn against the zone; the exit
 * code */
static int
batch_sync(struct cli_env *env, struct reader *rd)
{
	struct mxspf_request req;
	struct mxspf_eval *ev;
	struct mxspf_buf out, why;
	char *line;
	size_t len;
	bool toolong;
	int r, rc;

	mxspf_buf_init(&out, CLI_MAX_OUTPUT);
	mxspf_buf_init(&why, CLI_MAX_OUTPUT);
	while ((r = reader_next(rd, &line, &len, &toolong)) != -1) {
		if (r == 0) {
			/* Let a reader of our output see what is done. */
			fflush(stdout);
			reader_fill(rd);
			continue;
		}
		mxspf_buf_reset(&out);
		mxspf_buf_reset(&why);
		ev = NULL;
		if (line_request(line, len, toolong, env->identity, &req,
		    &why) != 0) {
			format_error(&out, mxspf_buf_cstr(&why));
		} else if ((rc = mxspf_eval_new(&ev, env->ctx, &req)) != 0) {
			mxspf_buf_appendf(&why, "cannot evaluate: %s",
			    mxspf_strerror(rc));
			format_error(&out, mxspf_buf_cstr(&why));
		} else {
			rc = cli_eval(env, ev);
			format_verdict(&out, ev, rc);
			mxspf_eval_free(ev);
		}
		if (write_line(&out) != 0)
			break;
	}
	mxspf_buf_free(&out);
	mxspf_buf_free(&why);
	return 0;
}

/* slot_done - mxspf_ub_done_fn: the slot's evaluation has finished */
static void
slot_done(void *arg, struct mxspf_eval *ev, int err)
{
	struct slot *s = arg;

	(void)ev;
	s->state = SLOT_DONE;
	s->err = err;
	s->b->running--;
}

/* slot_start - turn one input line into a running evaluation, or into a
 * finished error line */
static void
slot_start(struct batch *b, struct slot *s, char *line, size_t len,
    bool toolong)
{
	struct mxspf_request req;
	struct mxspf_buf why;
	int rc;

	s->b = b;
	s->state = SLOT_DONE;
	s->ev = NULL;
	s->err = 0;
	mxspf_buf_init(&s->text, CLI_MAX_OUTPUT);
	mxspf_buf_init(&why, CLI_MAX_OUTPUT);
	if (line_request(line, len, toolong, b->env->identity, &req,
	    &why) != 0) {
		format_error(&s->text, mxspf_buf_cstr(&why));
	} else if ((rc = mxspf_eval_new(&s->ev, b->env->ctx, &req)) != 0) {
		mxspf_buf_appendf(&why, "cannot evaluate: %s",
		    mxspf_strerror(rc));
		format_error(&s->text, mxspf_buf_cstr(&why));
		s->ev = NULL;
	} else {
		cli_deadline(&s->deadline, b->env->timeout);
		s->state = SLOT_RUNNING;
		b->running++;
		/* done may fire from inside the call already. */
		rc = mxspf_ub_eval_start(b->env->ub, s->ev, slot_done, s);
		if (rc != 0) {
			b->running--;
			mxspf_eval_free(s->ev);
			s->ev = NULL;
			s->state = SLOT_DONE;
			mxspf_buf_appendf(&why, "cannot start the "
			    "evaluation: %s", mxspf_strerror(rc));
			format_error(&s->text, mxspf_buf_cstr(&why));
		}
	}
	mxspf_buf_free(&why);
}

/* batch_room - whether another line may start */
static bool
batch_room(const struct batch *b)
{
	return b->running < b->max_running && b->tail - b->head < b->n;
}

/* batch_take - start the buffered lines while the window has room */
static void
batch_take(struct batch *b)
{
	char *line;
	size_t len;
	bool toolong;
	int r;

	while (b->in == IN_MORE && batch_room(b)) {
		r = reader_next(b->rd, &line, &len, &toolong);
		if (r == 0) {
			b->in = IN_NEED;
		} else if (r < 0) {
			b->in = IN_END;
		} else {
			slot_start(b, &b->slots[b->tail % b->n], line, len,
			    toolong);
			b->tail++;
		}
	}
}

/* batch_flush - write the finished lines at the head of the ring, in
 * order; 0 or -1 when stdout fails */
static int
batch_flush(struct batch *b)
{
	struct slot *s;
	int rc = 0;

	while (b->head < b->tail) {
		s = &b->slots[b->head % b->n];
		if (s->state != SLOT_DONE)
			break;
		if (s->ev != NULL)
			format_verdict(&s->text, s->ev, s->err);
		if (rc == 0 && write_line(&s->text) != 0)
			rc = -1;
		if (s->ev != NULL)
			mxspf_eval_free(s->ev);
		s->ev = NULL;
		mxspf_buf_free(&s->text);
		s->state = SLOT_FREE;
		b->head++;
	}
	return rc;
}

/* batch_expire - stop the evaluations whose deadline has passed; the
 * deadlines grow with the line number, so the scan stops at the first
 * running slot that still has time */
static void
batch_expire(struct batch *b)
{
	struct slot *s;
	size_t i;

	for (i = b->head; i < b->tail; i++) {
		s = &b->slots[i % b->n];
		if (s->state != SLOT_RUNNING)
			continue;
		if (cli_ms_left(&s->deadline) > 0)
			break;
		/* Fires slot_done from inside the call. */
		mxspf_ub_eval_stop(b->env->ub, s->ev);
	}
}

/* batch_wait - sleep until the resolver or the input has something, or
 * the oldest deadline passes; then take it */
static void
batch_wait(struct batch *b)
{
	struct pollfd pfd[2];
	nfds_t nfd = 0;
	int timeout = -1, ub_i = -1, in_i = -1, rc;

	if (b->head < b->tail) {
		ub_i = (int)nfd;
		pfd[nfd].fd = mxspf_ub_fd(b->env->ub);
		pfd[nfd++].events = POLLIN;
		timeout = cli_ms_left(&b->slots[b->head % b->n].deadline);
	}
	if (b->in == IN_NEED && batch_room(b)) {
		in_i = (int)nfd;
		pfd[nfd].fd = b->rd->fd;
		pfd[nfd++].events = POLLIN;
	}
	if (nfd == 0)
		return;
	fflush(stdout);
	rc = poll(pfd, nfd, timeout);
	if (rc < 0 && errno != EINTR) {
		perror("mxspf: poll");
		/* Keep going: the deadlines still end every evaluation. */
		return;
	}
	if (rc > 0 && in_i >= 0 && pfd[in_i].revents != 0) {
		reader_fill(b->rd);
		b->in = IN_MORE;
	}
	if (rc > 0 && ub_i >= 0 && pfd[ub_i].revents != 0 &&
	    mxspf_ub_process(b->env->ub) != 0 && !b->dns_warned) {
		fputs("mxspf: the resolver failed to process answers\n",
		    stderr);
		b->dns_warned = true;
	}
}

/* batch_async - evaluate the lines with up to concurrency in flight; the
 * exit code */
static int
batch_async(struct cli_env *env, struct reader *rd, size_t concurrency)
{
	struct batch b;
	bool out_failed = false;

	memset(&b, 0, sizeof(b));
	b.env = env;
	b.rd = rd;
	b.max_running = concurrency;
	b.n = concurrency * BATCH_RING_FACTOR;
	b.in = IN_MORE;
	b.slots = calloc(b.n, sizeof(*b.slots));
	if (b.slots == NULL) {
		fputs("mxspf: out of memory\n", stderr);
		return CLI_EXIT_INTERNAL;
	}
	for (;;) {
		batch_take(&b);
		if (batch_flush(&b) != 0)
			out_failed = true;
		if (b.in == IN_END && b.head == b.tail)
			break;
		batch_wait(&b);
		batch_expire(&b);
	}
	free(b.slots);
	return out_failed ? CLI_EXIT_IO : 0;
}

int
cli_batch(const struct cli_opts *o)
{
	struct cli_env env;
	struct reader rd;
	int ex;

	if ((ex = cli_env_open(&env, o)) != 0)
		return ex;
	if (reader_init(&rd, STDIN_FILENO) != 0) {
		fputs("mxspf: out of memory\n", stderr);
		cli_env_close(&env);
		return CLI_EXIT_INTERNAL;
	}
	if (env.zone != NULL)
		ex = batch_sync(&env, &rd);
	else
		ex = batch_async(&env, &rd, o->concurrency);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mxspf: stdout");
		ex = CLI_EXIT_IO;
	}
	if (ex == 0 && rd.error)
		ex = CLI_EXIT_IO;
	reader_free(&rd);
	cli_env_close(&env);
	return ex;
}
