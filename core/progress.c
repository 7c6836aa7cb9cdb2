/* progress.c - rate-limited progress bar. */
#include "progress.h"
#include "bb.h"
#include "clock.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	p->on = isatty(2);
	p->what = what;
	p->total = total;
	p->done = 0;
	p->no_rate = false;
	p->started_ns = p->shown_ns = clock_ns();
}

static void draw(struct progress *p, uint64_t t)
{
	double frac = p->total ? (double)p->done / (double)p->total : 1;
	if (frac > 1)
		frac = 1;
	double secs = (double)(t - p->started_ns) / 1e9;
	double mbs = secs > 0 ? (double)p->done / secs / 1e6 : 0;
	char bar[31];
	int fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = 0;
	fprintf(stderr, "\r%s: %s [%s] %3.0f%%", bb_name, p->what, bar, frac * 100);
	if (!p->no_rate)
		fprintf(stderr, " %7.1f MB/s", mbs);
}

void progress_set(struct progress *p, uint64_t done)
{
	p->done = done;
	if (!p->on)
		return;
	uint64_t t = clock_ns();
	if (t - p->shown_ns < 100000000u)
		return;
	p->shown_ns = t;
	draw(p, t);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	p->done = p->total;
	draw(p, clock_ns());
	fputc('\n', stderr);
}
