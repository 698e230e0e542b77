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

#include "cmd_shared.h"
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
	{ "build-server",
	  "kernel-build's jobs on a machine full of page cache: the zone's "
	  "reclaim (kswapd, direct) takes the oldest as they read more",
	  256 * GiB, 224, scen_build_server },
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

/* What `run`'s command line asks for. */
struct run_args {
	struct vtime_opts vo;
	struct sim_config cfg;
	struct scenario_params sp;
	const char *policies, *html, *json;
	bool quiet;
	char err[300];
};

/* The options.  Returns -1 to go on, else the exit status (--list and
 * --help are done here). */
static int run_options(int argc, char **argv, struct run_args *a)
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
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:c:CR:s:S:H:J:lqh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list_scenarios(); return 0;
		case 'h': run_usage(stdout); return 0;
		case 'q': a->quiet = a->vo.quiet = true; break;
		case 'H': a->html = optarg; break;
		case 'J': a->json = optarg; break;
		case 's':
			rc = opt_u64("--seed", optarg, 0, UINT64_MAX, &a->sp.seed,
				     a->err, sizeof(a->err));
			if (rc) {
				fprintf(stderr, "pagealloc run: %s\n", a->err);
				return 2;
			}
			break;
		case 'S':
			rc = opt_double("--scale", optarg, 0, 1000, &a->sp.scale,
					a->err, sizeof(a->err));
			if (rc) {
				fprintf(stderr, "pagealloc run: %s\n", a->err);
				return 2;
			}
			break;
		default:
			rc = cmd_shared_option("run", c, optarg, &a->cfg, &a->vo,
					       &a->policies, a->err,
					       sizeof(a->err));
			if (rc < 0) {
				run_usage(stderr);
				return 2;
			}
			if (rc)
				return rc;
		}
	}
	return -1;
}

/* The scenario named on the command line, with the machine it runs on:
 * the scenario's defaults where the options left them.  NULL after the
 * message when the arguments are unusable (exit status 2). */
static const struct scenario *run_scenario_args(int argc, char **argv,
						struct run_args *a)
{
	const struct scenario *sc;

	if (optind != argc - 1) {
		fprintf(stderr, "pagealloc run: give one scenario (see --list)\n");
		return NULL;
	}
	sc = scenario_find(argv[optind]);
	if (!sc) {
		fprintf(stderr, "pagealloc run: no scenario \"%s\" (see --list)\n",
			argv[optind]);
		return NULL;
	}
	if (sim_parse_policies(a->policies, &a->cfg, a->err, sizeof(a->err)) < 0) {
		fprintf(stderr, "pagealloc run: %s\n", a->err);
		return NULL;
	}
	if (!a->cfg.bytes)
		a->cfg.bytes = sc->default_bytes;
	if (!a->cfg.ncpus)
		a->cfg.ncpus = sc->default_cpus;
	a->sp.bytes = a->cfg.bytes;
	a->sp.ncpus = a->cfg.ncpus;
	a->sp.progress = !a->quiet;
	a->cfg.measure_contig = sc->full_machine;
	if (vtime_opts_check(&a->vo, &a->cfg, a->err, sizeof(a->err)) < 0) {
		fprintf(stderr, "pagealloc run: %s\n", a->err);
		return NULL;
	}
	return sc;
}

/* The scenario through every policy at once, then its report and the
 * internal check.  Returns the exit status. */
static int run_policies(const struct scenario *sc, struct run_args *a,
			int argc, char **argv)
{
	struct lab_report rep;
	struct sim *s = calloc(1, sizeof(*s));

	if (!s) {
		fprintf(stderr, "pagealloc run: out of memory\n");
		return 1;
	}
	if (sim_init(s, &a->cfg, a->err, sizeof(a->err))) {
		fprintf(stderr, "pagealloc run: %s\n", a->err);
		free(s);
		return 2;
	}
	scenario_run(sc, s, &a->sp);
	report_init(&rep, "run", s, argc, argv, a->quiet);
	snprintf(rep.title, sizeof(rep.title), "%s (seed %llu, scale %g)",
		 sc->name, (unsigned long long)a->sp.seed, a->sp.scale);
	snprintf(rep.description, sizeof(rep.description), "%s", sc->summary);
	return cmd_shared_finish("run", s, report_emit(&rep, a->html, a->json));
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = {
		.sp = { .seed = 1, .scale = 1.0 },
		.policies = "all",
	};
	const struct scenario *sc;
	int rc = run_options(argc, argv, &a);

	if (rc >= 0)
		return rc;
	sc = run_scenario_args(argc, argv, &a);
	if (!sc)
		return 2;
	/* before the run: a bad output name must not cost a run */
	if (outfile_check_all("run", (const char *[]){ a.html, a.json }, 2))
		return 2;
	if (a.vo.on)
		return vtime_cmd_run(sc, &a.cfg, &a.sp, &a.vo, a.html, a.json);
	return run_policies(sc, &a, argc, argv);
}
