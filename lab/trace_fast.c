/* SPDX-License-Identifier: MIT */
/*
 * Fast path for tracefs' own layout:
 *
 *   <blanks><task>-<pid> [CPU] FLAGS  SECONDS.FRACTION: mm_page_X: page=P pfn=0xH order=N ...
 *
 * Each step either matches what the general grammar (trace_parse.c) would
 * accept for that position, with the same result, or declines the line.
 * Declining is always safe (the general parser then decides), so every
 * test here is "is this the common case", never "is this line valid".
 */
#include "trace_fast.h"

#include <stdint.h>
#include <string.h>

/* Hex digit value + 1, 0 for any other byte: one load per digit and an
 * unsigned compare decide both "is hex" and the value. */
#define H(c, v) [c] = (v) + 1
static const unsigned char hex1[256] = {
	H('0', 0), H('1', 1), H('2', 2), H('3', 3), H('4', 4), H('5', 5),
	H('6', 6), H('7', 7), H('8', 8), H('9', 9),
	H('a', 10), H('b', 11), H('c', 12), H('d', 13), H('e', 14), H('f', 15),
	H('A', 10), H('B', 11), H('C', 12), H('D', 13), H('E', 14), H('F', 15),
};
#undef H

/* Highest pfn (trace_parse.h) has 13 hex digits. */
#define PFN_DIGITS_MAX 13

static inline bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline unsigned digit(char c)
{
	return (unsigned)(unsigned char)c - '0';
}

/* `lit` (a string literal) at p, within the line. */
#define AT(p, end, lit) \
	((size_t)((end) - (p)) >= sizeof(lit) - 1 && \
	 memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* Blanks at p: a plain loop (runs are short but for the task column's
 * padding, taken eight spaces a step). */
static const char *skip_blanks(const char *p, const char *end)
{
	uint64_t w;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		if (w != 0x2020202020202020ull)
			break;
		p += 8;
	}
	while (p < end && blank(*p))
		p++;
	return p;
}

/* The token at p up to the next blank or the end. */
static const char *token_end(const char *p, const char *end)
{
	while (p < end && !blank(*p))
		p++;
	return p;
}

/* Lines the general parser reads before its header rules (comments,
 * lost-event markers, trace-cmd's preamble, bare events): not ours. */
static bool special_start(const char *p, const char *end)
{
	return p == end || *p == '#' || AT(p, end, "CPU") ||
	       AT(p, end, "cpus=") || AT(p, end, "version =") ||
	       AT(p, end, "mm_page_");
}

/* "[N]" with 1..6 digits at the first '[', which must follow a space.
 * Returns the position after ']' or NULL. */
static const char *cpu_field(const char *p, const char *end,
			     struct trace_event *ev)
{
	const char *b = memchr(p, '[', (size_t)(end - p)), *d;
	unsigned cpu = 0, v;

	if (!b || b == p || b[-1] != ' ')
		return NULL;
	for (d = b + 1; d < end && (v = digit(*d)) < 10; d++)
		cpu = cpu * 10 + v;
	if (d == b + 1 || d - b > 7 || d == end || *d != ']')
		return NULL;
	ev->cpu = cpu;
	ev->has_cpu = true;
	return d + 1;
}

static const uint32_t tens[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000,
};

/* "SECONDS.FRACTION:" at p followed by a blank or the end: decimal
 * seconds, 1..9 fraction digits.  Returns the position after ':' or NULL. */
static const char *timestamp(const char *p, const char *end, uint64_t *ns)
{
	const char *s = p, *f;
	uint64_t sec = 0, frac = 0;
	unsigned v;

	for (; p < end && (v = digit(*p)) < 10; p++)
		sec = sec * 10 + v;
	if (p == s || p - s > 19 || p == end || *p != '.')
		return NULL;
	for (f = ++p; p < end && (v = digit(*p)) < 10; p++)
		frac = frac * 10 + v;
	if (p == f || p - f > 9 || p == end || *p != ':' ||
	    (p + 1 < end && !blank(p[1])) || sec > TRACE_TS_MAX_S)
		return NULL;
	*ns = sec * 1000000000ull + frac * tens[9 - (p - f)];
	return p + 1;
}

/* After "]": an optional flags column, then the timestamp (the general
 * grammar's rule: the first token ending in ':' is the timestamp).
 * Returns the position after the timestamp's ':' or NULL. */
static const char *flags_and_ts(const char *p, const char *end,
				struct trace_event *ev)
{
	const char *t = skip_blanks(p, end), *te;

	if (t < end && digit(*t) < 10 && (te = timestamp(t, end, &ev->ts_ns)))
		return te; /* no flags column */
	te = token_end(t, end);
	if (te == t || te[-1] == ':')
		return NULL;
	return timestamp(skip_blanks(te, end), end, &ev->ts_ns);
}

/* The event name after "mm_page_" up to and with ": ", told apart by its
 * first byte and then its whole text (extfrag, rare and long, is left to
 * the general parser).  Returns the position after it or NULL. */
static const char *event_name(const char *p, const char *end,
			      struct trace_event *ev)
{
#define NAME(lit, k) \
	(AT(p, end, lit) ? (ev->kind = (k), p + sizeof(lit) - 1) : NULL)
	if (p == end)
		return NULL;
	switch (*p) {
	case 'a':
		return p + 5 < end && p[5] == ':' ? NAME("alloc: ", TEV_ALLOC) :
			NAME("alloc_zone_locked: ", TEV_ZONE_LOCKED);
	case 'f':
		return p + 4 < end && p[4] == ':' ? NAME("free: ", TEV_FREE) :
			NAME("free_batched: ", TEV_FREE_BATCHED);
	case 'p':
		return NAME("pcpu_drain: ", TEV_PCPU_DRAIN);
	default:
		return NULL;
	}
#undef NAME
}

/* A value ends at a space or the end of the line (as in the general
 * grammar, where a tab belongs to the value and makes a number invalid). */
static inline bool value_end(const char *p, const char *end)
{
	return p == end || *p == ' ';
}

/* "page=P pfn=0xH": P up to the next space, H of 1..13 hex digits within
 * the pfn limit. */
static const char *page_pfn(const char *p, const char *end, bool *nil,
			    uint64_t *pfn)
{
	const char *v, *s;
	uint64_t x = 0;
	unsigned d;

	if (!AT(p, end, "page="))
		return NULL;
	v = p + 5;
	p = memchr(v, ' ', (size_t)(end - v));
	if (!p)
		return NULL;
	*nil = p - v == 5 && memcmp(v, "(nil)", 5) == 0;
	if (!AT(p, end, " pfn=0x"))
		return NULL;
	for (s = p += 7; p < end && (d = hex1[(unsigned char)*p] - 1u) < 16; p++)
		x = x << 4 | d;
	if (p == s || p - s > PFN_DIGITS_MAX || x > TRACE_PFN_MAX ||
	    !value_end(p, end))
		return NULL;
	*pfn = x;
	return p;
}

/* " KEY=N" with one or two decimal digits, N <= hi.  klen counts the
 * leading space and the '='. */
static inline const char *small_field(const char *p, const char *end,
			       const char *key, size_t klen, unsigned hi,
			       unsigned *out)
{
	unsigned a, b;

	if ((size_t)(end - p) < klen + 1 || memcmp(p, key, klen) != 0)
		return NULL;
	p += klen;
	if ((a = digit(*p++)) >= 10)
		return NULL;
	if (p < end && (b = digit(*p)) < 10) {
		a = a * 10 + b;
		p++;
	}
	if (a > hi || !value_end(p, end))
		return NULL;
	*out = a;
	return p;
}

#define FIELD(p, end, key, hi, out) \
	small_field((p), (end), (key), sizeof(key) - 1, (hi), (out))

/* " migratetype=M", M in -1..15. */
static inline const char *mt_field(const char *p, const char *end, int *mt)
{
	unsigned v;

	if (AT(p, end, " migratetype=-1") && value_end(p + 15, end)) {
		*mt = -1;
		return p + 15;
	}
	if (!(p = FIELD(p, end, " migratetype=", 15, &v)))
		return NULL;
	*mt = (int)v;
	return p;
}

/* The fields after pfn, per event, in the kernel's printed order; returns
 * the end of the last one or NULL. */
static const char *event_fields(const char *p, const char *end,
				struct trace_event *ev)
{
	unsigned v;

	switch (ev->kind) {
	case TEV_ALLOC:
		if (!(p = FIELD(p, end, " order=", 30, &ev->order)) ||
		    !(p = mt_field(p, end, &ev->migratetype)) ||
		    !AT(p, end, " gfp_flags="))
			return NULL;
		/* known from migratetype=: the flags are not read, but
		 * they must be the last field */
		p += 11;
		return memchr(p, ' ', (size_t)(end - p)) ? NULL : end;
	case TEV_FREE_BATCHED:
		/* old kernels print no order; it is always 0 */
		if (p == end)
			return p;
		return FIELD(p, end, " order=", 30, &ev->order);
	case TEV_FREE:
		return FIELD(p, end, " order=", 30, &ev->order);
	case TEV_ZONE_LOCKED:
		if (!(p = FIELD(p, end, " order=", 30, &ev->order)) ||
		    !(p = mt_field(p, end, &ev->migratetype)))
			return NULL;
		if (p == end) /* before percpu_refill was printed */
			return p;
		if (!(p = FIELD(p, end, " percpu_refill=", 9, &v)))
			return NULL;
		ev->percpu_refill = v != 0;
		return p;
	case TEV_PCPU_DRAIN:
		if (!(p = FIELD(p, end, " order=", 30, &ev->order)))
			return NULL;
		return mt_field(p, end, &ev->migratetype);
	default:
		return NULL;
	}
}

bool trace_parse_fast(const char *line, size_t len, struct trace_event *ev)
{
	const char *end = line + len, *p = skip_blanks(line, end);
	bool nil;

	if (special_start(p, end))
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->migratetype = -1;
	ev->fallback_migratetype = -1;
	if (!(p = cpu_field(p, end, ev)) || !(p = flags_and_ts(p, end, ev)))
		return false;
	p = skip_blanks(p, end);
	if (!AT(p, end, "mm_page_") || !(p = event_name(p + 8, end, ev)) ||
	    !(p = page_pfn(p, end, &nil, &ev->pfn)) ||
	    event_fields(p, end, ev) != end)
		return false;
	if (ev->kind == TEV_ALLOC)
		ev->failed = ev->pfn == 0 || nil;
	return true;
}
