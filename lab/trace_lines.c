/* SPDX-License-Identifier: MIT */
/* One trace's lines, classified and counted (trace_lines.h). */
#include "trace_lines.h"

#include <stdlib.h>
#include <string.h>

/* A capture trailer: "# pagealloc capture: lost_events=N ...". */
static bool capture_trailer(const char *line, size_t n, uint64_t *lost)
{
	static const char key[] = "# pagealloc capture: lost_events=";
	char *end;

	if (n < sizeof(key) - 1 || memcmp(line, key, sizeof(key) - 1) != 0)
		return false;
	*lost = strtoull(line + sizeof(key) - 1, &end, 10);
	return end != line + sizeof(key) - 1;
}

bool trace_lines_take(struct trace_lines *c, const char *line, size_t n,
		      struct trace_event *ev)
{
	uint64_t lost = 0;

	c->lines++;
	switch (trace_parse_line(line, n, ev, &lost)) {
	case TL_EVENT:
		c->events++;
		return true;
	case TL_LOST:
		c->lost_markers += lost;
		return false;
	case TL_LOST_UNKNOWN:
		c->lost_unknown++;
		return false;
	case TL_COMMENT:
		if (capture_trailer(line, n, &lost) && lost > c->lost_trailer)
			c->lost_trailer = lost;
		c->comments++;
		return false;
	case TL_OTHER:
		c->other++;
		return false;
	default:
		c->malformed++;
		return false;
	}
}
