/* SPDX-License-Identifier: MIT */
/*
 * Event line parser.  A line is
 *
 *   <task>-<pid> [(tgid)] [CPU] [flags] SECONDS.FRACTION: EVENT: key=value ...
 *
 * where the flags column exists only with the irq-info option and
 * `trace-cmd report` pads the event name with spaces.  Task names may hold
 * spaces and dashes, so the line is anchored on the "[digits]" CPU field
 * rather than on the task.  Numbers are parsed by hand: this runs once per
 * event, millions of times a second.
 */
#include "trace_parse.h"

#include <string.h>

#include "trace_fast.h"

static const char *const kind_names[TEV_NR] = {
	[TEV_ALLOC] = "mm_page_alloc",
	[TEV_FREE] = "mm_page_free",
	[TEV_FREE_BATCHED] = "mm_page_free_batched",
	[TEV_ZONE_LOCKED] = "mm_page_alloc_zone_locked",
	[TEV_PCPU_DRAIN] = "mm_page_pcpu_drain",
	[TEV_EXTFRAG] = "mm_page_alloc_extfrag",
};

const char *trace_kind_name(enum trace_kind kind)
{
	if (kind == TEV_VMSTAT)
		return "vmstat_update";
	return (unsigned)kind < TEV_NR ? kind_names[kind] : "?";
}

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Decimal, or hex with 0x; the whole [p, end) must be the number. */
static bool parse_u64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end)
		return false;
	if (end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
		p += 2;
		if (end - p > 16)
			return false;
		for (; p < end; p++) {
			int d = hexval(*p);
			if (d < 0)
				return false;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		if (end - p > 19)
			return false;
		for (; p < end; p++) {
			if (!is_digit(*p))
				return false;
			v = v * 10 + (uint64_t)(*p - '0');
		}
	}
	*out = v;
	return true;
}

/* A small signed decimal (migratetypes may print -1). */
static bool parse_small(const char *p, const char *end, int lo, int hi,
			int *out)
{
	bool neg = false;
	uint64_t v;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (!parse_u64(p, end, &v) || v > 1000000)
		return false;
	*out = neg ? -(int)v : (int)v;
	return *out >= lo && *out <= hi;
}

/* "SECONDS.FRACTION" -> ns; fraction of 1..9 digits. */
static bool parse_ts(const char *p, const char *end, uint64_t *ns)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	uint64_t sec, frac = 0;
	int digits = 0;

	if (!dot || !parse_u64(p, dot, &sec) || p == dot ||
	    sec > TRACE_TS_MAX_S) /* in ns it must fit 64 bits */
		return false;
	for (p = dot + 1; p < end; p++, digits++) {
		if (!is_digit(*p) || digits >= 9)
			return false;
		frac = frac * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0)
		return false;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	return true;
}

static bool contains(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	for (size_t i = 0; i + m <= n; i++)
		if (p[i] == lit[0] && memcmp(p + i, lit, m) == 0)
			return true;
	return false;
}

int trace_gfp_migratetype(const char *s, size_t len)
{
	uint64_t mask;

	if (parse_u64(s, s + len, &mask))
		return (mask & 0x08) ? 1 : (mask & 0x10) ? 2 : 0;
	if (contains(s, len, "MOVABLE"))
		return 1;
	if (contains(s, len, "RECLAIMABLE"))
		return 2;
	return 0;
}

static int match_kind(const char *p, size_t n)
{
	int k;

	if (n < 12 || memcmp(p, "mm_page_", 8) != 0)
		return -1;
	switch (n) { /* the six names have distinct lengths */
	case 13: k = TEV_ALLOC; break;
	case 12: k = TEV_FREE; break;
	case 20: k = TEV_FREE_BATCHED; break;
	case 25: k = TEV_ZONE_LOCKED; break;
	case 18: k = TEV_PCPU_DRAIN; break;
	case 21: k = TEV_EXTFRAG; break;
	default: return -1;
	}
	return memcmp(kind_names[k] + 8, p + 8, n - 8) == 0 ? k : -1;
}

/*
 * A workqueue_execute_start line ("work struct %p: function %ps") whose
 * function is vmstat_update: TEV_VMSTAT.  Any other work is TL_OTHER, as
 * is one without a CPU (it could not be placed).  p..end: after the name.
 */
static enum trace_line parse_workqueue(const char *name, size_t n,
				       const char *p, const char *end,
				       struct trace_event *ev)
{
	static const char want[] = "workqueue_execute_start";
	static const char fn[] = ": function vmstat_update";
	const size_t fl = sizeof(fn) - 1;

	if (n != sizeof(want) - 1 || memcmp(name, want, n) != 0)
		return TL_OTHER;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (!starts(p, end, "work struct ") || (size_t)(end - p) < fl ||
	    memcmp(end - fl, fn, fl) != 0 || !ev->has_cpu)
		return TL_OTHER;
	ev->kind = TEV_VMSTAT;
	return TL_EVENT;
}

/* The lost-events markers: the kernel's "CPU:N [LOST M EVENTS]" and
 * trace-cmd's "CPU:N [M EVENTS DROPPED]"; both print the marker without a
 * number when the count is unknown (TL_LOST_UNKNOWN). */
static enum trace_line parse_lost(const char *p, const char *end,
				  uint64_t *lost)
{
	const char *q = p + 4, *num;

	while (q < end && is_digit(*q))
		q++;
	while (q < end && is_space(*q))
		q++;
	if (starts(q, end, "[LOST EVENTS]") || starts(q, end, "[EVENTS DROPPED]"))
		return TL_LOST_UNKNOWN;
	if (starts(q, end, "[LOST ")) {
		num = q += 6;
		while (q < end && is_digit(*q))
			q++;
		if (!starts(q, end, " EVENTS]") || !parse_u64(num, q, lost))
			return TL_MALFORMED;
		return TL_LOST;
	}
	if (!starts(q, end, "["))
		return TL_MALFORMED;
	num = ++q;
	while (q < end && is_digit(*q))
		q++;
	if (!starts(q, end, " EVENTS DROPPED]") || !parse_u64(num, q, lost))
		return TL_MALFORMED;
	return TL_LOST;
}

/* "N" or "Nflags" with latency flags glued to the CPU number, as the
 * kernel's latency-format and `trace-cmd report -l` may print it. */
static bool latency_cpu(const char *p, const char *end, uint64_t *cpu)
{
	const char *d = p;

	while (d < end && is_digit(*d))
		d++;
	if (d == p || d - p > 6 || !parse_u64(p, d, cpu))
		return false;
	for (; d < end; d++)
		if (!strchr("dDXNnLpbBhHsS.0123456789z", *d))
			return false;
	return true;
}

/* The CPU field when it has no brackets: "task-pid CPU[flags] ts: ".
 * Returns the position after it or NULL. */
static const char *unbracketed_cpu(const char *p, const char *end,
				   struct trace_event *ev)
{
	const char *tok = p, *q;
	uint64_t cpu;

	/* skip the task-pid token (task names hold no blanks here) */
	while (tok < end && !is_space(*tok))
		tok++;
	while (tok < end && is_space(*tok))
		tok++;
	q = tok;
	while (q < end && !is_space(*q))
		q++;
	if (q == tok || q[-1] == ':' || !latency_cpu(tok, q, &cpu))
		return NULL;
	ev->cpu = (unsigned)cpu;
	ev->has_cpu = true;
	return q;
}

/* perf script's optional period column: digits followed by a blank. */
static const char *skip_period(const char *q, const char *end)
{
	const char *d = q;

	while (d < end && is_digit(*d))
		d++;
	if (d > q && d < end && is_space(*d)) {
		while (d < end && is_space(*d))
			d++;
		return d;
	}
	return q;
}

/* The line's header up to the event name: returns the name's start or
 * NULL when the header is malformed. */
static const char *parse_header(const char *p, const char *end,
				struct trace_event *ev)
{
	const char *q = p, *tok, *tend;

	for (;;) {
		const char *b = memchr(q, '[', (size_t)(end - q));
		const char *d;

		if (!b) {
			q = unbracketed_cpu(p, end, ev);
			if (!q)
				return NULL;
			break;
		}
		d = b + 1;
		while (d < end && is_digit(*d))
			d++;
		if (d > b + 1 && d < end && *d == ']' && d - b <= 7 &&
		    (b == p || is_space(b[-1]))) {
			uint64_t cpu;
			parse_u64(b + 1, d, &cpu);
			ev->cpu = (unsigned)cpu;
			ev->has_cpu = true;
			q = d + 1;
			break;
		}
		q = b + 1;
	}
	/* [flags] then the timestamp, which ends with ':'; `perf script`
	 * may print the sample period after it */
	for (int i = 0; i < 2; i++) {
		while (q < end && is_space(*q))
			q++;
		tok = q;
		while (q < end && !is_space(*q))
			q++;
		tend = q;
		if (tend > tok && tend[-1] == ':') {
			if (!parse_ts(tok, tend - 1, &ev->ts_ns))
				return NULL;
			while (q < end && is_space(*q))
				q++;
			return skip_period(q, end);
		}
		if (tend == tok)
			return NULL;
	}
	return NULL;
}

enum trace_line trace_parse_line(const char *line, size_t len,
				 struct trace_event *ev, uint64_t *lost)
{
	/* nearly every line of a real capture takes the fast path */
	if (trace_parse_fast(line, len, ev))
		return TL_EVENT;
	return trace_parse_general(line, len, ev, lost);
}

/* trace-cmd report names a tracefs instance before each of its lines,
 * its lost-event markers too: "NAME: CPU:N [M EVENTS DROPPED]".  Returns
 * the marker's start or NULL. */
static const char *instance_marker(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !is_space(*q))
		q++;
	if (q - p < 2 || q[-1] != ':')
		return NULL;
	while (q < end && is_space(*q))
		q++;
	return starts(q, end, "CPU:") ? q : NULL;
}

/* Lines that carry no event: blanks, comments, trace-cmd's headers and the
 * lost-event markers.  Returns true with *res set when the line is one. */
static bool parse_nonevent(const char *p, const char *end, uint64_t *lost,
			   enum trace_line *res)
{
	const char *q;

	if (p == end || *p == '#') {
		*res = TL_COMMENT;
		return true;
	}
	if (starts(p, end, "CPU:")) {
		*res = parse_lost(p, end, lost);
		return true;
	}
	if ((q = instance_marker(p, end))) {
		*res = parse_lost(q, end, lost);
		return true;
	}
	if ((starts(p, end, "CPU ") && contains(p, (size_t)(end - p), "is empty")) ||
	    starts(p, end, "cpus=") || starts(p, end, "version =")) {
		*res = TL_COMMENT;
		return true;
	}
	return false;
}

/* The header and the event name, into ev->cpu, ts_ns and kind.  Returns
 * TL_EVENT with *fields at the first key=value (NULL: the event is
 * complete, a vmstat_update run), TL_OTHER for an event that is neither,
 * or TL_MALFORMED. */
static enum trace_line parse_event_name(const char *p, const char *end,
					struct trace_event *ev,
					const char **fields)
{
	const char *name, *q;
	int kind;

	if (starts(p, end, "mm_page_"))
		name = p; /* context-info off: the bare event */
	else if (!(name = parse_header(p, end, ev)))
		return TL_MALFORMED;
	/* perf names the event with its subsystem: "kmem:mm_page_alloc:" */
	if (starts(name, end, "kmem:mm_page_"))
		name += 5;
	else if (starts(name, end, "workqueue:"))
		name += 10;
	q = name;
	while (q < end && *q != ':' && !is_space(*q))
		q++;
	if (q == end || *q != ':' || q == name)
		return TL_MALFORMED;
	kind = match_kind(name, (size_t)(q - name));
	if (kind < 0) {
		*fields = NULL; /* a vmstat_update run has no fields to read */
		return parse_workqueue(name, (size_t)(q - name), q + 1, end, ev);
	}
	ev->kind = (enum trace_kind)kind;
	*fields = q + 1;
	return TL_EVENT;
}

/* Which fields a line had, for the per-kind check at its end. */
struct fields_seen {
	bool pfn, order, mt, fo, fmt, nil_page;
	int gfp_mt; /* migratetype from gfp_flags=, -1 when not seen */
};

/* A pfn into *dst: 64-bit physical addresses end at pfn 2^52, anything
 * above is corruption. */
static bool field_pfn(const char *val, const char *vend, uint64_t *dst,
		      bool *seen)
{
	if (!parse_u64(val, vend, dst) || *dst > TRACE_PFN_MAX)
		return false;
	*seen = true;
	return true;
}

/* An order (0..30) into *dst; false when the value is not one. */
static bool field_order(const char *val, const char *vend, unsigned *dst,
			bool *seen)
{
	int v;

	if (!parse_small(val, vend, 0, 30, &v))
		return false;
	*dst = (unsigned)v;
	*seen = true;
	return true;
}

/* A migratetype (-1..15) into *dst. */
static bool field_mt(const char *val, const char *vend, int *dst, bool *seen)
{
	int v;

	if (!parse_small(val, vend, -1, 15, &v))
		return false;
	*dst = v;
	*seen = true;
	return true;
}

/* A 0/1 flag (any nonzero number is true). */
static bool field_flag(const char *val, const char *vend, bool *dst)
{
	uint64_t u;

	if (!parse_u64(val, vend, &u))
		return false;
	*dst = u != 0;
	return true;
}

/* One key=value into ev; unknown keys are skipped.  Dispatches on the
 * key's length first: one memcmp per field on the common path.  False
 * when a known key's value is malformed. */
static bool parse_field(const char *key, size_t klen, const char *val,
			const char *vend, struct trace_event *ev,
			struct fields_seen *s)
{
	switch (klen) {
	case 3:
		if (memcmp(key, "pfn", 3) == 0)
			return field_pfn(val, vend, &ev->pfn, &s->pfn);
		return true;
	case 4:
		if (memcmp(key, "page", 4) == 0)
			s->nil_page = vend - val == 5 &&
				      memcmp(val, "(nil)", 5) == 0;
		return true;
	case 5:
		if (memcmp(key, "order", 5) == 0)
			return field_order(val, vend, &ev->order, &s->order);
		return true;
	case 9:
		/* only needed without migratetype=, which the kernel prints
		 * before it: skip the string scans */
		if (!s->mt && memcmp(key, "gfp_flags", 9) == 0)
			s->gfp_mt = trace_gfp_migratetype(val, (size_t)(vend - val));
		return true;
	case 11:
		if (memcmp(key, "migratetype", 11) == 0)
			return field_mt(val, vend, &ev->migratetype, &s->mt);
		if (memcmp(key, "alloc_order", 11) == 0)
			return field_order(val, vend, &ev->order, &s->order);
		if (memcmp(key, "fragmenting", 11) == 0)
			return field_flag(val, vend, &ev->fragmenting);
		return true;
	case 13:
		if (memcmp(key, "percpu_refill", 13) == 0)
			return field_flag(val, vend, &ev->percpu_refill);
		return true;
	case 14:
		if (memcmp(key, "fallback_order", 14) == 0)
			return field_order(val, vend, &ev->fallback_order, &s->fo);
		return true;
	case 16:
		if (memcmp(key, "change_ownership", 16) == 0)
			return field_flag(val, vend, &ev->change_ownership);
		return true;
	case 17:
		if (memcmp(key, "alloc_migratetype", 17) == 0)
			return field_mt(val, vend, &ev->migratetype, &s->mt);
		return true;
	case 20:
		if (memcmp(key, "fallback_migratetype", 20) == 0)
			return field_mt(val, vend, &ev->fallback_migratetype,
					&s->fmt);
		return true;
	default:
		return true;
	}
}

/* The key=value fields from p to the end of the line. */
static bool parse_fields(const char *p, const char *end,
			 struct trace_event *ev, struct fields_seen *s)
{
	while (p < end) {
		const char *key, *eq, *val;

		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		key = p;
		while (p < end && *p != '=' && !is_space(*p))
			p++;
		if (p == end || *p != '=')
			return false;
		eq = p;
		val = p + 1;
		/* values hold no blanks; memchr is vectorised and the page=
		 * and gfp_flags= values are long */
		p = memchr(val, ' ', (size_t)(end - val));
		if (!p)
			p = end;
		if (!parse_field(key, (size_t)(eq - key), val, p, ev, s))
			return false;
	}
	return true;
}

/* Each kind's required fields; fills what is derived from them. */
static enum trace_line check_fields(struct trace_event *ev,
				    const struct fields_seen *s)
{
	if (!s->pfn)
		return TL_MALFORMED;
	switch (ev->kind) {
	case TEV_ALLOC:
		if (!s->order)
			return TL_MALFORMED;
		if (!s->mt) {
			if (s->gfp_mt < 0)
				return TL_MALFORMED;
			ev->migratetype = s->gfp_mt;
		}
		ev->failed = ev->pfn == 0 || s->nil_page;
		break;
	case TEV_FREE_BATCHED:
		/* Always order 0; old kernels did not print it. */
		break;
	case TEV_EXTFRAG:
		if (!s->order || !s->fo || !s->mt || !s->fmt)
			return TL_MALFORMED;
		break;
	default:
		if (!s->order)
			return TL_MALFORMED;
		break;
	}
	return TL_EVENT;
}

enum trace_line trace_parse_general(const char *line, size_t len,
				    struct trace_event *ev, uint64_t *lost)
{
	const char *p = line, *end = line + len, *fields;
	struct fields_seen seen = { .gfp_mt = -1 };
	enum trace_line res;

	while (p < end && is_space(*p))
		p++;
	if (parse_nonevent(p, end, lost, &res))
		return res;
	memset(ev, 0, sizeof(*ev));
	ev->migratetype = -1;
	ev->fallback_migratetype = -1;
	res = parse_event_name(p, end, ev, &fields);
	if (res != TL_EVENT || !fields)
		return res;
	if (!parse_fields(fields, end, ev, &seen))
		return TL_MALFORMED;
	return check_fields(ev, &seen);
}
