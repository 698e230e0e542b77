/* SPDX-License-Identifier: MIT */
/*
 * trace.dat through libtracecmd: one pending record per CPU, the earliest
 * taken next, formatted as tracefs prints it (see trace_dat.h).
 */
#include "trace_dat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>

struct trace_dat {
	struct tracecmd_input *top;   /* the file; buffer 0 */
	int nbuf, buf;                /* buffers (top + instances), current */
	struct tracecmd_input *h;     /* the current buffer */
	struct tep_handle *tep;
	int ncpus;
	struct tep_record **next;     /* per CPU, NULL when done */
	struct tep_record *cur;       /* being written out */
	enum { CUR_MARKER, CUR_RECORD, CUR_DONE } stage;
};

/* Make buffer i (0: the top one, then the instances in file order) the
 * current one.  Returns 0 or -ENOMEM. */
static int buffer_start(struct trace_dat *d, int i)
{
	if (d->h && d->h != d->top)
		tracecmd_close(d->h);
	free(d->next);
	d->next = NULL;
	d->h = i == 0 ? d->top : tracecmd_buffer_instance_handle(d->top, i - 1);
	d->buf = i;
	if (!d->h)
		return -ENOMEM;
	d->tep = tracecmd_get_tep(d->h);
	d->ncpus = tep_get_cpus(d->tep);
	if (d->ncpus < 1)
		d->ncpus = 1;
	d->next = calloc((size_t)d->ncpus, sizeof(*d->next));
	if (!d->next)
		return -ENOMEM;
	for (int c = 0; c < d->ncpus; c++)
		d->next[c] = tracecmd_read_data(d->h, c);
	return 0;
}

int trace_dat_open(struct trace_dat **out, const char *path, char *err,
		   size_t len)
{
	struct trace_dat *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d) {
		snprintf(err, len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	d->top = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!d->top) {
		snprintf(err, len, "%s: a trace-cmd trace.dat that libtracecmd "
			 "cannot read; try `trace-cmd report -i %s > %s.txt`",
			 path, path, path);
		free(d);
		return -EPROTONOSUPPORT;
	}
	/* `trace-cmd report` order: the top buffer, then each instance */
	d->nbuf = 1 + tracecmd_buffer_instances(d->top);
	if (buffer_start(d, 0) < 0) {
		trace_dat_close(d);
		snprintf(err, len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

/* The earliest pending record, replaced by its CPU's next one. */
static struct tep_record *take_earliest(struct trace_dat *d)
{
	int best = -1;
	struct tep_record *r;

	for (int c = 0; c < d->ncpus; c++)
		if (d->next[c] && (best < 0 || d->next[c]->ts < d->next[best]->ts))
			best = c;
	if (best < 0) {
		/* this buffer is done: the next one, if any */
		if (d->buf + 1 >= d->nbuf || buffer_start(d, d->buf + 1) < 0)
			return NULL;
		return take_earliest(d);
	}
	r = d->next[best];
	d->next[best] = tracecmd_read_data(d->h, best);
	return r;
}

static unsigned long long field(struct tep_event *ev, struct tep_record *r,
				const char *name, bool *ok)
{
	unsigned long long v = 0;
	struct tep_format_field *f = tep_find_field(ev, name);

	if (!f || tep_read_number_field(f, r->data, &v) < 0)
		*ok = false;
	return v;
}

/* "page=P pfn=0xH" as the kernel prints it, a failed allocation (pfn -1)
 * as (nil) and 0.  The struct page address is not in the record (the
 * kernel computes it when printing) and nothing reads it: a placeholder. */
static int page_pfn(char *b, size_t cap, unsigned long long pfn)
{
	bool none = pfn == (unsigned long long)-1 || pfn == 0xffffffffull;

	return snprintf(b, cap, "page=%s pfn=0x%llx", none ? "(nil)" : "0x1",
			none ? 0ull : pfn);
}

/* The page events' fields after "name: "; false for any other event. */
static bool page_fields(struct tep_event *ev, struct tep_record *r, char *b,
			size_t cap)
{
	bool ok = true;
	const char *n = ev->name;
	int k;

	if (!ev->system || strcmp(ev->system, "kmem") || strncmp(n, "mm_page_", 8))
		return false;
	k = page_pfn(b, cap, field(ev, r, "pfn", &ok));
	if (k < 0 || (size_t)k >= cap)
		return false;
	b += k;
	cap -= (size_t)k;
	if (!strcmp(n, "mm_page_alloc"))
		snprintf(b, cap, " order=%d migratetype=%d gfp_flags=0x%llx",
			 (int)field(ev, r, "order", &ok),
			 (int)field(ev, r, "migratetype", &ok),
			 field(ev, r, "gfp_flags", &ok));
	else if (!strcmp(n, "mm_page_free") || !strcmp(n, "mm_page_free_batched"))
		snprintf(b, cap, " order=%d", strcmp(n, "mm_page_free") ? 0 :
			 (int)field(ev, r, "order", &ok));
	else if (!strcmp(n, "mm_page_alloc_zone_locked"))
		snprintf(b, cap, " order=%u migratetype=%d percpu_refill=%d",
			 (unsigned)field(ev, r, "order", &ok),
			 (int)field(ev, r, "migratetype", &ok),
			 (int)field(ev, r, "percpu_refill", &ok));
	else if (!strcmp(n, "mm_page_pcpu_drain"))
		snprintf(b, cap, " order=%d migratetype=%d",
			 (int)field(ev, r, "order", &ok),
			 (int)field(ev, r, "migratetype", &ok));
	else if (!strcmp(n, "mm_page_alloc_extfrag"))
		/* fragmenting is computed at print time from pageblock_order,
		 * which is not recorded: x86-64's 9 */
		snprintf(b, cap, " alloc_order=%d fallback_order=%d "
			 "pageblock_order=9 alloc_migratetype=%d "
			 "fallback_migratetype=%d fragmenting=%d "
			 "change_ownership=%d",
			 (int)field(ev, r, "alloc_order", &ok),
			 (int)field(ev, r, "fallback_order", &ok),
			 (int)field(ev, r, "alloc_migratetype", &ok),
			 (int)field(ev, r, "fallback_migratetype", &ok),
			 (int)field(ev, r, "fallback_order", &ok) < 9,
			 (int)field(ev, r, "change_ownership", &ok));
	else
		return false;
	return ok;
}

/* workqueue_execute_start's fields as the kernel prints them, the
 * function by name from the file's kallsyms (trace-cmd records them), so
 * the kernel's vmstat work parses as in a text trace; false for any other
 * event or an unreadable record. */
static bool work_fields(struct tep_handle *tep, struct tep_event *ev,
			struct tep_record *r, char *b, size_t cap)
{
	bool ok = true;
	unsigned long long work, fn;
	const char *name;

	if (!ev->system || strcmp(ev->system, "workqueue") ||
	    strcmp(ev->name, "workqueue_execute_start"))
		return false;
	work = field(ev, r, "work", &ok);
	fn = field(ev, r, "function", &ok);
	name = ok ? tep_find_function(tep, fn) : NULL;
	if (name)
		snprintf(b, cap, "work struct 0x%llx: function %s", work, name);
	else
		snprintf(b, cap, "work struct 0x%llx: function 0x%llx", work, fn);
	return ok;
}

/* One record as a tracefs line. */
static int record_line(struct trace_dat *d, struct tep_record *r, char *buf,
		       size_t cap)
{
	struct tep_event *ev = tep_find_event_by_record(d->tep, r);
	int pid = tep_data_pid(d->tep, r);
	const char *comm = tep_data_comm_from_pid(d->tep, pid);
	char rest[256];
	/* rounded to the nearest microsecond, as trace-cmd report does */
	unsigned long long us = (r->ts + 500) / 1000;

	if (!ev || (!page_fields(ev, r, rest, sizeof(rest)) &&
		    !work_fields(d->tep, ev, r, rest, sizeof(rest))))
		rest[0] = 0;
	return snprintf(buf, cap, "%16s-%-7d [%03d] %llu.%06llu: %s: %s\n",
			comm ? comm : "<...>", pid, r->cpu, us / 1000000,
			us % 1000000, ev ? ev->name : "unknown_event", rest);
}

/* trace-cmd's marker for events the ring buffer dropped before cur. */
static int dropped_line(const struct tep_record *r, char *buf, size_t cap)
{
	if (r->missed_events > 0)
		return snprintf(buf, cap, "CPU:%d [%lld EVENTS DROPPED]\n",
				r->cpu, r->missed_events);
	return snprintf(buf, cap, "CPU:%d [EVENTS DROPPED]\n", r->cpu);
}

size_t trace_dat_line(struct trace_dat *d, char *buf, size_t cap)
{
	int n;

	if (d->cur && d->stage == CUR_DONE) {
		tracecmd_free_record(d->cur);
		d->cur = NULL;
	}
	if (!d->cur) {
		d->cur = take_earliest(d);
		if (!d->cur)
			return 0;
		d->stage = d->cur->missed_events ? CUR_MARKER : CUR_RECORD;
	}
	if (d->stage == CUR_MARKER) {
		n = dropped_line(d->cur, buf, cap);
		d->stage = CUR_RECORD;
	} else {
		n = record_line(d, d->cur, buf, cap);
		d->stage = CUR_DONE;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap) {
		n = (int)cap - 1;
		buf[n - 1] = '\n';
	}
	return (size_t)n;
}

void trace_dat_close(struct trace_dat *d)
{
	if (!d)
		return;
	if (d->cur)
		tracecmd_free_record(d->cur);
	for (int c = 0; d->next && c < d->ncpus; c++)
		if (d->next[c])
			tracecmd_free_record(d->next[c]);
	free(d->next);
	if (d->h && d->h != d->top)
		tracecmd_close(d->h);
	if (d->top)
		tracecmd_close(d->top);
	free(d);
}
