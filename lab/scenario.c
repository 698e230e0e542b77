/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc run`: the table of built-in scenarios, the helpers their
 * generators use, and the command.
 */
#include "scenario.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "optparse.h"
#include "outfile.h"
#include "report.h"
#include "size.h"
#include "vtime_cmd.h"

#define GiB (1ull << 30)

static const struct scenario table[] = {
	{ "jemalloc-purge",
	  "threads fault 64 KiB-1 MiB extents in on half the CPUs; a purge "
	  "thread frees them from the others (remote frees)",
	  4 * GiB, 4, scen_jemalloc_purge },
	{ "exit-avalanche",
	  "processes fault in 60% of memory (8% as THPs) and exit together, "
	  "frees interleaved from every CPU",
	  4 * GiB, 4, scen_exit_avalanche },
	{ "kernel-build",
	  "make -jN: short-lived compilers, a growing page cache, slab "
	  "objects that outlive them",
	  4 * GiB, 4, scen_kernel_build },
	{ "slab-churn",
	  "dense reclaimable slab churn with sparse long-lived unmovable "
	  "pages among it, then a shrinker (seed 001)",
	  4 * GiB, 4, scen_slab_churn },
	{ "hugepage-demand",
	  "thpchallenge-like: a full server's load, then 2 MiB and 1 GiB "
	  "demands at a fixed rate, under load and at rest",
	  4 * GiB, 4, scen_hugepage_demand, true },
	{ "server",
	  "long-running server with memory kept full: page cache and anon "
	  "reclaimed, network buffers, slab, THP bursts; 2 simulated hours",
	  256 * GiB, 16, scen_server, true },
	{ "page-fault1",
	  "will-it-scale page_fault1: every CPU faults in 128 MiB of private "
	  "anonymous memory page by page and unmaps it, in a loop",
	  64 * GiB, 112, scen_page_fault1 },
};

const struct scenario *scenario_table(unsigned *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

uint64_t scen_rand(struct scen *sc)
{
	/* xorshift64*: small, fast, and the same on every machine */
	sc->rng ^= sc->rng >> 12;
	sc->rng ^= sc->rng << 25;
	sc->rng ^= sc->rng >> 27;
	return sc->rng * 0x2545f4914f6cdd1dull;
}

uint64_t scen_below(struct scen *sc, uint64_t n)
{
	return n ? scen_rand(sc) % n : 0;
}

uint64_t scen_key(struct scen *sc, unsigned order)
{
	uint64_t size = 1ull << order;
	uint64_t key = (sc->next_key + size - 1) & ~(size - 1);

	/* keys aligned like pfns of their order and never overlapping, so a
	 * key never falls inside another's block; dense, so the first 2^32
	 * pages' worth stay movable in the simulator (sim_compact.h) */
	sc->next_key = key + size;
	return key;
}

uint64_t scen_alloc(struct scen *sc, unsigned cpu, unsigned order, int mt)
{
	uint64_t key = scen_key(sc, order);

	sim_alloc(sc->sim, cpu, key, order, mt);
	return key;
}

uint64_t scen_lru_add(struct scen *sc, unsigned cpu, unsigned order,
		      enum lru_kind kind)
{
	uint64_t key = scen_key(sc, order);

	sim_lru_add(sc->sim, cpu, key, order, kind);
	return key;
}

uint64_t scen_slab_alloc(struct scen *sc, unsigned cpu, enum slab_cache_id id,
			 bool shrinkable)
{
	uint64_t key = scen_key(sc, 0);

	sim_slab_alloc(sc->sim, cpu, key, id, shrinkable);
	return key;
}

void scen_free(struct scen *sc, unsigned cpu, uint64_t key, unsigned order)
{
	sim_free(sc->sim, cpu, key, order);
}

void scen_wait(struct scen *sc, uint64_t dt_ns)
{
	sc->t_ns += dt_ns;
	sim_time(sc->sim, sc->t_ns);
	if ((++sc->waits & 4095) == 0) {
		sc->prog.total = sc->end_ns;
		progress_update(&sc->prog, sc->sim->queued, sc->t_ns);
	}
}

uint64_t scen_count(const struct scen *sc, double n)
{
	double v = n * sc->p->scale;
	return v < 1 ? 1 : (uint64_t)v;
}

void scenario_run(const struct scenario *sc, struct sim *s,
		  const struct scenario_params *p)
{
	struct scen st = {
		.sim = s,
		.p = p,
		.rng = p->seed * 0x9e3779b97f4a7c15ull + 0x1234567ull,
		.next_key = 1ull << 10,
		.end_ns = 0,
		.t_ns = 0,
		.pages = pa_managed_pages(s->pol[0].zone),
	};

	if (!st.rng)
		st.rng = 1;
	progress_start(&st.prog, sc->name, 0, p->progress);
	sim_time(s, 0);
	sc->run(&st);
	sim_finish(s);
	progress_end(&st.prog);
	/* with the progress line: where the time went, per policy thread */
	for (unsigned i = 0; st.prog.enabled && i < s->npol; i++)
		fprintf(stderr, "%s: %s: %.1f s CPU replaying, %.1f s end figures\n",
			sc->name, pa_policy_name(s->pol[i].policy),
			(double)s->pol[i].replay_cpu_ns / 1e9,
			(double)s->pol[i].finish_cpu_ns / 1e9);
}

static void run_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc run SCENARIO [--policy LIST] [--mem SIZE] [--cpus N]\n"
"                     [--seed S] [--scale F] [--html FILE] [--json FILE]\n"
"                     [--quiet]\n"
"       pagealloc run --list\n"
"\n"
"Run a built-in synthetic workload through each policy and compare them.\n"
"Deterministic: the same arguments give the same figures.\n"
"\n"
"  --policy LIST  comma-separated policies or \"all\" (default)\n"
"  --mem SIZE     machine size [the scenario's default]\n"
"  --cpus N       CPUs [the scenario's default]\n"
"  --compact      proactive compaction once per simulated second\n"
"  --report-free ORDER  free page reporting (blocks of ORDER and up) once per\n"
"                 simulated second: pages reported, would-be RSS drop\n"
"  --seed S       random seed [1]\n"
"  --scale F      request count multiplier [1]\n"
"  --html FILE    write a self-contained HTML report\n"
"  --json FILE    write the figures as JSON\n"
"  --quiet        no table on stdout, no progress or timing lines on stderr\n"
"                 (warnings and errors still): for --json/--html\n"
"  --list         describe the scenarios\n"
VTIME_USAGE
"\n"
"Exit status: 0 ok, 1 failure (an output cannot be written, an internal\n"
"check failed), 2 usage error (also an output file that cannot be created,\n"
"found before the run).\n");
}

static void list_scenarios(void)
{
	char b[32];

	printf("%-16s %-9s %-5s %s\n", "scenario", "memory", "cpus", "what it models");
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		printf("%-16s %-9s %-5u %s\n", table[i].name,
		       size_format(table[i].default_bytes, b, sizeof(b)),
		       table[i].default_cpus, table[i].summary);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "compact", no_argument, NULL, 'C' },
		{ "report-free", required_argument, NULL, 'R' },
		{ "seed", required_argument, NULL, 's' },
		{ "scale", required_argument, NULL, 'S' },
		{ "html", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'J' },
		{ "list", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		VTIME_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct vtime_opts vo = { 0 };
	struct sim_config cfg = { 0 };
	struct scenario_params sp = { .seed = 1, .scale = 1.0 };
	const char *policies = "all", *html = NULL, *json = NULL;
	const struct scenario *sc;
	struct lab_report rep;
	bool quiet = false;
	struct sim *s;
	char err[300];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:c:CR:s:S:H:J:lqh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list_scenarios(); return 0;
		case 'h': run_usage(stdout); return 0;
		case 'q': quiet = vo.quiet = true; break;
		case 'H': html = optarg; break;
		case 'J': json = optarg; break;
		case 's':
			if (opt_u64("--seed", optarg, 0, UINT64_MAX, &sp.seed, err,
				    sizeof(err))) {
				fprintf(stderr, "pagealloc run: %s\n", err);
				return 2;
			}
			break;
		case 'S':
			if (opt_double("--scale", optarg, 0, 1000, &sp.scale, err,
				       sizeof(err))) {
				fprintf(stderr, "pagealloc run: %s\n", err);
				return 2;
			}
			break;
		case 'p': case 'm': case 'C': case 'R':
			if (sim_parse_option(c, optarg, &cfg, &policies, err,
					     sizeof(err)) < 0) {
				fprintf(stderr, "pagealloc run: %s\n", err);
				return 2;
			}
			break;
		default:
			if ((c == 'c' || vtime_is_option(c)) &&
			    vtime_parse_option(c, optarg, &vo, &cfg, err,
					       sizeof(err)) == 0)
				break;
			if (c == 'c' || vtime_is_option(c)) {
				fprintf(stderr, "pagealloc run: %s\n", err);
				return 2;
			}
			run_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "pagealloc run: give one scenario (see --list)\n");
		return 2;
	}
	sc = scenario_find(argv[optind]);
	if (!sc) {
		fprintf(stderr, "pagealloc run: no scenario \"%s\" (see --list)\n",
			argv[optind]);
		return 2;
	}
	if (sim_parse_policies(policies, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc run: %s\n", err);
		return 2;
	}
	if (!cfg.bytes)
		cfg.bytes = sc->default_bytes;
	if (!cfg.ncpus)
		cfg.ncpus = sc->default_cpus;
	sp.bytes = cfg.bytes;
	sp.ncpus = cfg.ncpus;
	sp.progress = !quiet;
	cfg.measure_contig = sc->full_machine;
	if (vtime_opts_check(&vo, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc run: %s\n", err);
		return 2;
	}
	if (outfile_check_all("run", (const char *[]){ html, json }, 2))
		return 2;
	if (vo.on)
		return vtime_cmd_run(sc, &cfg, &sp, &vo, html, json);
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "pagealloc run: out of memory\n");
		return 1;
	}
	rc = sim_init(s, &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pagealloc run: %s\n", err);
		free(s);
		return 2;
	}
	scenario_run(sc, s, &sp);
	memset(&rep, 0, sizeof(rep));
	rep.what = "run";
	snprintf(rep.title, sizeof(rep.title), "%s (seed %llu, scale %g)",
		 sc->name, (unsigned long long)sp.seed, sp.scale);
	snprintf(rep.description, sizeof(rep.description), "%s", sc->summary);
	rep.sim = s;
	rep.argc = argc;
	rep.argv = argv;
	rep.quiet = quiet;
	rc = report_emit(&rep, html, json);
	if (!rc && sim_check(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc run: internal check failed: %s\n", err);
		rc = 1;
	}
	sim_destroy(s);
	free(s);
	return rc;
}
