/* init - process 1 of the rescue initramfs.
 *
 * Mounts the kernel filesystems, loads the modules it is told to, runs
 * the one command it is asked for, and then does what it is told: a shell
 * on the console, power off or reboot. When anything fails it says why on
 * the console and starts the emergency shell (or, for unattended boots,
 * powers off reporting the failure). Under QEMU the final status reaches
 * the host through the isa-debug-exit device, so a test harness learns
 * pass or fail without reading the console.
 */
#include "bb.h"
#include "clock.h"
#include "cmdline.h"
#include "exec.h"
#include "error.h"
#include "io.h"
#include "kmod.h"
#include "mount.h"
#include "num.h"
#include "settle.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int init_main(int argc, char **argv);

enum { O_PRINT, O_CMDLINE, O_CONFDIR };
static const struct bb_opt init_opts[] = {
	[O_PRINT] = { "print-config", 0, NULL, "print the settings init would use, and exit" },
	[O_CMDLINE] = { "cmdline", 0, "FILE", "with --print-config: read FILE, not /proc/cmdline" },
	[O_CONFDIR] = { "confdir", 0, "DIR", "with --print-config: config files in DIR" },
	{ 0 },
};

const struct applet applet_init = {
	.name = "init",
	.summary = "process 1 of the rescue initramfs: mount, load modules, run, shell or power off",
	.usage = "init                 (as process 1, from the initramfs)\n"
		 "       init --print-config [--cmdline FILE] [--confdir DIR]\n\n"
		 "Mounts /proc, /sys, /dev (devtmpfs) and /run, makes the nodes that load\n"
		 "their module when opened (/dev/btrfs-control, /dev/loop-control), loads\n"
		 "modules, runs the command it is given, then does what it is told.\n"
		 "Settings are words of /etc/blockbox/init.conf.d/*.conf (in name order),\n"
		 "then of the kernel command line, which wins:\n"
		 "  blockbox.modules=M,M...    modules to load (every occurrence adds)\n"
		 "  blockbox.run=\"CMD ARGS\"    command to run (split on blanks, no shell)\n"
		 "  blockbox.timeout=SECONDS   a command still running then is killed: a failure\n"
		 "  blockbox.onfail=shell|poweroff|reboot|halt   on failure (default shell)\n"
		 "  blockbox.then=shell|poweroff|reboot|halt     afterwards (default shell)\n"
		 "  blockbox.exitport=PORT     on power-off, write the status to QEMU's\n"
		 "                             isa-debug-exit at I/O port PORT (e.g. 0xf4)\n"
		 "On failure it prints why and starts an emergency shell on the console;\n"
		 "leaving that shell goes on with blockbox.then. A command line it cannot\n"
		 "parse is a failure, and none of its words are used.\n"
		 "The value written to the exit port is min(status, 126) + 1, so QEMU\n"
		 "exits with 2 * status + 3. A command killed on blockbox.timeout has\n"
		 "status 124. `poweroff`, `reboot` and `halt` from the shell reach init\n"
		 "as SIGUSR2, SIGTERM and SIGUSR1.",
	.opts = init_opts,
	.main = init_main,
};

#define CONF_DIR "/etc/blockbox/init.conf.d"
#define INIT_MAX_MODULES 64
#define INIT_MAX_WORDS 63 /* of blockbox.run */
#define SHELL_PATH "/bin/sh"

enum action { ACT_SHELL, ACT_POWEROFF, ACT_REBOOT, ACT_HALT };
static const char *const action_names[] = { "shell", "poweroff", "reboot", "halt" };

struct init_cfg {
	char *run;
	char *modules[INIT_MAX_MODULES];
	int nmodules;
	unsigned timeout;  /* seconds, 0 = none */
	enum action onfail, then;
	unsigned exitport; /* 0 = none */
	char problem[512]; /* first configuration error, "" when none */
};

/* ---- settings ---------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
cfg_problem(struct init_cfg *cfg, const char *fmt, ...)
{
	if (cfg->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cfg->problem, sizeof(cfg->problem), fmt, ap);
	va_end(ap);
}

static int parse_action(const char *v, enum action *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
		if (!strcmp(v, action_names[i])) {
			*out = (enum action)i;
			return 0;
		}
	return -1;
}

static void add_modules(struct init_cfg *cfg, const char *list, const char *where)
{
	char *copy = strdup(list), *save = NULL;
	for (char *m = copy ? strtok_r(copy, ", \t", &save) : NULL; m;
	     m = strtok_r(NULL, ", \t", &save)) {
		if (cfg->nmodules == INIT_MAX_MODULES) {
			cfg_problem(cfg, "%s: more than %d modules in blockbox.modules", where,
				    INIT_MAX_MODULES);
			break;
		}
		cfg->modules[cfg->nmodules++] = strdup(m);
	}
	free(copy);
}

static size_t count_words(const char *s)
{
	size_t n = 0;
	for (s += strspn(s, " \t"); *s; s += strspn(s, " \t"), n++)
		s += strcspn(s, " \t");
	return n;
}

/* One word of the configuration; where names the source for messages. */
static void apply_word(struct init_cfg *cfg, const char *key, const char *val, const char *where)
{
	if (strncmp(key, "blockbox.", 9))
		return; /* the kernel's, or another program's */
	const char *k = key + 9;
	bool known = !strcmp(k, "run") || !strcmp(k, "modules") || !strcmp(k, "timeout") ||
		     !strcmp(k, "onfail") || !strcmp(k, "then") || !strcmp(k, "exitport");
	if (!known) {
		bb_warn("%s: unknown setting %s ignored", where, key);
		return;
	}
	if (!val || !*val) {
		cfg_problem(cfg, "%s: %s needs a value", where, key);
	} else if (!strcmp(k, "run")) {
		free(cfg->run);
		cfg->run = strdup(val);
		if (count_words(val) > INIT_MAX_WORDS)
			cfg_problem(cfg, "%s: blockbox.run has more than %d words", where,
				    INIT_MAX_WORDS);
	} else if (!strcmp(k, "modules")) {
		add_modules(cfg, val, where);
	} else if (!strcmp(k, "timeout")) {
		if (num_uint(val, 0, 86400 * 7, &cfg->timeout, NULL))
			cfg_problem(cfg, "%s: blockbox.timeout=%s is not a number of seconds", where, val);
	} else if (!strcmp(k, "exitport")) {
		if (num_uint(val, 1, 0xffff, &cfg->exitport, NULL))
			cfg_problem(cfg, "%s: blockbox.exitport=%s is not an I/O port", where, val);
	} else if (parse_action(val, !strcmp(k, "onfail") ? &cfg->onfail : &cfg->then)) {
		cfg_problem(cfg, "%s: %s must be shell, poweroff, reboot or halt", where, key);
	}
}

/* Config files may carry comments: from a '#' that starts a word outside
 * quotes to the end of the line. The kernel command line has none. */
static void strip_comments(char *text)
{
	bool quoted = false;
	for (char *p = text; *p; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (*p == '#' && !quoted && (p == text || strchr(" \t\n", p[-1]))) {
			size_t n = strcspn(p, "\n");
			memset(p, ' ', n);
			p += n - 1;
		}
	}
}

static void apply_text(struct init_cfg *cfg, char *text, const char *where)
{
	struct cmdline c;
	const char *why;
	if (cmdline_parse(&c, text, &why)) {
		cfg_problem(cfg, "%s: cannot parse it (%s); none of it is used", where, why);
		cmdline_free(&c);
		return;
	}
	for (size_t i = 0; i < c.n; i++)
		apply_word(cfg, c.arg[i].key, c.arg[i].val, where);
	cmdline_free(&c);
}

static void apply_file(struct init_cfg *cfg, const char *path, const char *where, bool comments)
{
	char *text = read_file(path, 1 << 16, NULL);
	if (!text) {
		cfg_problem(cfg, "%s: %s", path, strerror(errno));
		return;
	}
	if (comments)
		strip_comments(text);
	apply_text(cfg, text, where);
	free(text);
}

static int conf_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".conf");
}

static void read_config(struct init_cfg *cfg, const char *confdir, const char *cmdline_path)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->onfail = cfg->then = ACT_SHELL;
	struct dirent **list;
	int n = scandir(confdir, &list, conf_filter, alphasort);
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", confdir, list[i]->d_name);
		apply_file(cfg, path, path, true);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	apply_file(cfg, cmdline_path, "kernel command line", false);
}

static void free_config(struct init_cfg *cfg)
{
	free(cfg->run);
	for (int i = 0; i < cfg->nmodules; i++)
		free(cfg->modules[i]);
}

static int print_config(const struct init_cfg *cfg)
{
	printf("run: %s\nmodules:", cfg->run ? cfg->run : "-");
	for (int i = 0; i < cfg->nmodules; i++)
		printf(" %s", cfg->modules[i]);
	printf("\ntimeout: %u\nonfail: %s\nthen: %s\nexitport: %#x\n", cfg->timeout,
	       action_names[cfg->onfail], action_names[cfg->then], cfg->exitport);
	if (!cfg->problem[0])
		return 0;
	fflush(stdout); /* the settings first, then what is wrong with them */
	bb_err("%s", cfg->problem);
	return 1;
}

/* ---- the system ---------------------------------------------------------- */

/* EBUSY: already mounted there (by the kernel, or an earlier init). */
static int mount_one(const char *src, const char *dir, const char *opts, char *why, size_t len)
{
	struct bb_error e;
	if (!mount_fs(NULL, src, dir, src, opts, &e) || e.code == EBUSY)
		return 0;
	snprintf(why, len, "%s", e.msg);
	return -1;
}

static int mount_kernel_fs(char *why, size_t len)
{
	if (mount_one("proc", "/proc", "nosuid,nodev,noexec", why, len) ||
	    mount_one("sysfs", "/sys", "nosuid,nodev,noexec", why, len) ||
	    mount_one("devtmpfs", "/dev", "nosuid,mode=0755", why, len) ||
	    mount_one("tmpfs", "/run", "nosuid,nodev,mode=0755", why, len))
		return -1;
	return 0;
}

/* The kernel gives init /dev/console as stdio only if the initramfs has
 * the node; devtmpfs has it in any case. */
static void open_console(void)
{
	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static double now(void)
{
	return (double)clock_ns() / 1e9;
}

/* The device nodes that load their module when opened (/dev/btrfs-control
 * for `btrfs device scan`), before anything can fail: the emergency shell
 * wants them too. */
static void make_static_nodes(void)
{
	struct utsname u;
	char dir[300];
	struct kmod k;
	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	if (!path_exists(dir) || kmod_open(&k, NULL, NULL, NULL))
		return;
	kmod_static_nodes(&k, "/dev", NULL); /* best effort: a missing node shows later */
	kmod_close(&k);
}

static int load_modules(const struct init_cfg *cfg, char *why, size_t len)
{
	if (!cfg->nmodules)
		return 0;
	double t0 = now();
	struct kmod k;
	struct bb_error e;
	if (kmod_open(&k, NULL, NULL, &e)) {
		bb_report(&e);
		snprintf(why, len, "no modules for this kernel in the initramfs");
		return -1;
	}
	int failed = 0;
	for (int i = 0; i < cfg->nmodules; i++)
		if (kmod_load(&k, cfg->modules[i], NULL, NULL, &e)) {
			bb_report(&e);
			if (!failed++)
				snprintf(why, len, "loading module %s failed", cfg->modules[i]);
		}
	kmod_close(&k);
	if (failed > 1)
		snprintf(why + strlen(why), len - strlen(why), " (and %d more)", failed - 1);
	if (failed)
		return -1;
	/* Drivers find their disks in the background (NVMe scans after a
	 * controller reset); what runs next must see all of them. */
	bool late;
	int n = blkdev_settle(&sysroot_default, 10000, 300, &late, &e);
	if (n < 0) { /* no sysfs: nothing to wait for; what runs next will say so */
		bb_report(&e);
		n = 0;
	}
	printf("init: %d modules loaded, %d block devices%s, in %.2f s\n", cfg->nmodules, n,
	       late ? " (still changing after 10 s)" : "", now() - t0);
	return 0;
}

/* ---- children ----------------------------------------------------------- */

/* Signals init waits for instead of handling them: children, and the
 * requests `poweroff` (USR2), `reboot` (TERM), `halt` (USR1) and
 * ctrl-alt-del (INT) send to process 1. */
static void wait_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGCHLD);
	sigaddset(s, SIGUSR1);
	sigaddset(s, SIGUSR2);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
}

static enum action signal_action(int sig)
{
	return sig == SIGUSR2 ? ACT_POWEROFF : sig == SIGUSR1 ? ACT_HALT : ACT_REBOOT;
}

struct outcome {
	int status;       /* exit status, 128+signal, 124 on timeout */
	bool requested;   /* a power request arrived while waiting */
	enum action request;
	char words[300];  /* what happened: "exited with status 3" */
};

/* The wait_set signals, read from while a child runs (they stay blocked:
 * process 1 has no handlers). */
static int sig_fd = -1;

/* Between a child's start and its end: SIGCHLD only wakes the runner,
 * which reaps orphans as process 1 must (RUN_REAP); a power request ends
 * the wait. */
static bool on_signal(void *arg)
{
	struct outcome *o = arg;
	struct signalfd_siginfo si;
	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD && !o->requested) {
			o->requested = true;
			o->request = signal_action((int)si.ssi_signo);
		}
	return o->requested;
}

/* Run file (argv[0] may differ: "-sh" makes a login shell) in its own
 * session with the console as controlling terminal, so that ctrl-C at the
 * console reaches it and not init; timeout seconds at most (0 = no limit),
 * after which its whole group is killed. */
static struct outcome run_child(const char *file, char *const argv[], unsigned timeout)
{
	struct outcome o = { .status = 127 };
	struct run_opts ro = RUN_OPTS_INIT;
	ro.flags = RUN_SESSION | RUN_STDIN | RUN_REAP;
	ro.file = file;
	ro.timeout_ms = timeout > UINT_MAX / 1000 ? 0 : timeout * 1000;
	ro.wake_fd = sig_fd;
	ro.on_wake = on_signal;
	ro.arg = &o;
	struct run_result r;
	struct bb_error e;
	if (run_process((const char *const *)argv, &ro, &r, &e)) {
		printf("init: %s\n", e.msg);
		snprintf(o.words, sizeof(o.words), "could not be started");
		return o;
	}
	o.status = r.status;
	run_words(&r, o.words, sizeof(o.words));
	return o;
}

/* blockbox.run, split on blanks (quotes were the command line's). */
static struct outcome run_command(const struct init_cfg *cfg, char *why, size_t len)
{
	char *copy = strdup(cfg->run), *argv[INIT_MAX_WORDS + 1], *save = NULL;
	int n = 0;
	for (char *w = strtok_r(copy, " \t", &save); w && n < INIT_MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	struct outcome o = { .status = 0 };
	if (n) {
		printf("init: running %s\n", cfg->run);
		o = run_child(argv[0], argv, cfg->timeout);
		snprintf(why, len, "%s %s", cfg->run, o.words);
		printf("init: %s\n", why);
	}
	free(copy);
	return o;
}

static struct outcome shell(const char *banner)
{
	printf("init: %s\n", banner);
	char *argv[] = { "-sh", NULL };
	if (access(SHELL_PATH, X_OK)) {
		printf("init: no shell at %s\n", SHELL_PATH);
		return (struct outcome){ .status = 127 };
	}
	return run_child(SHELL_PATH, argv, 0);
}

/* ---- the end -------------------------------------------------------------- */

/* Every process left ends up our child once its parent is gone, so
 * "no children" means nothing is left. */
static bool children_left(void)
{
	pid_t p;
	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	return !(p < 0 && errno == ECHILD);
}

static void kill_everything(void)
{
	kill(-1, SIGTERM);
	for (int i = 0; i < 20 && children_left(); i++)
		usleep(100 * 1000);
	kill(-1, SIGKILL);
	for (int i = 0; i < 20 && children_left(); i++)
		usleep(100 * 1000);
}

/* Unmount what sits on block devices, newest first, so that what the
 * guest wrote is clean on the disk images; read-only where busy. */
static void unmount_disks(void)
{
	struct mount_table t;
	struct bb_error e;
	if (mount_table_read(NULL, &t, &e)) {
		printf("init: nothing unmounted: %s\n", e.msg);
		return;
	}
	for (size_t i = t.n; i-- > 0;) { /* the kernel lists a mount after its parent */
		if (strncmp(t.m[i].source, "/dev/", 5))
			continue;
		if (mount_umount(t.m[i].target, MOUNT_UMOUNT_RDONLY, &e) < 0)
			printf("init: %s stays mounted: %s\n", t.m[i].target, e.msg);
	}
	mount_table_free(&t);
}

/* The exit port stops QEMU at once, so the kernel's own shutdown, which
 * marks md arrays clean, never runs: an array written to in the last
 * moments would be resynced at its next start. Arrays nothing holds any
 * more (unmounted) are switched read-only, which writes them clean now. */
static void md_readonly(void)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], state[32];
		if (strncmp(e->d_name, "md", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/md/array_state", e->d_name);
		if (read_line(path, state, sizeof(state)) ||
		    !(!strncmp(state, "active", 6) || !strcmp(state, "clean") ||
		      !strcmp(state, "write-pending")))
			continue;
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_full(fd, "readonly", 8))
			printf("init: %s stays writable: %s\n", e->d_name, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* isa-debug-exit makes QEMU exit with (value << 1) | 1 when a value is
 * written to its port. 0 would look like QEMU's own failure (1), so the
 * value is status + 1; an exit code has room for statuses up to 126. */
static void report_exit(unsigned port, int status)
{
	unsigned char v = (unsigned char)((status < 0 ? 1 : status > 126 ? 126 : status) + 1);
	int fd = open("/dev/port", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, &v, 1, port) != 1)
		printf("init: cannot report status through port %#x: %s\n", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	printf("init: no isa-debug-exit device at port %#x; powering off\n", port);
}

static void __attribute__((noreturn)) finish(const struct init_cfg *cfg, enum action act, int status)
{
	printf("init: %s, status %d\n", action_names[act], status);
	fflush(NULL);
	kill_everything();
	sync();
	unmount_disks();
	sync();
	if (act == ACT_POWEROFF && cfg->exitport) {
		md_readonly();
		report_exit(cfg->exitport, status);
	}
	fflush(NULL);
	reboot(act == ACT_REBOOT ? RB_AUTOBOOT : act == ACT_HALT ? RB_HALT_SYSTEM : RB_POWER_OFF);
	printf("init: reboot(): %s\n", strerror(errno));
	for (;;)
		pause();
}

/* What comes after: the configured action, or shells one after another. */
static void __attribute__((noreturn)) then(const struct init_cfg *cfg, enum action act, int status)
{
	while (act == ACT_SHELL) {
		double started = now();
		struct outcome o = shell("starting a shell on the console ('poweroff' to stop)");
		if (o.requested)
			finish(cfg, o.request, 0);
		if (o.status == 127 && access(SHELL_PATH, X_OK))
			act = ACT_POWEROFF;
		status = o.status;
		if (now() - started < 1) /* a console that gives EOF: do not spin */
			sleep(1);
	}
	finish(cfg, act, status);
}

static void __attribute__((noreturn)) failed(const struct init_cfg *cfg, const char *reason,
					     int status)
{
	printf("init: FAILED: %s\n", reason);
	if (cfg->onfail != ACT_SHELL)
		finish(cfg, cfg->onfail, status);
	struct outcome o = shell("emergency shell: fix what is needed, 'exit' to go on");
	if (o.requested)
		finish(cfg, o.request, status);
	then(cfg, cfg->then, o.status);
}

static void banner(void)
{
	struct utsname u;
	uname(&u);
	printf("init: blockbox init running (Linux %s)\n", u.release);
}

static int init_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_init, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	struct init_cfg cfg;
	if (opt_on(&a, O_PRINT)) {
		read_config(&cfg, opt_str(&a, O_CONFDIR, CONF_DIR), opt_str(&a, O_CMDLINE, "/proc/cmdline"));
		rc = print_config(&cfg);
		free_config(&cfg);
		return rc;
	}
	if (getpid() != 1) {
		bb_err("not process 1; refusing to take over (see --print-config)");
		return 2;
	}
	sigset_t set;
	wait_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes SIGINT to us */
	setvbuf(stdout, NULL, _IOLBF, 0);
	char why[768] = "";
	int mount_failed = mount_kernel_fs(why, sizeof(why));
	open_console();
	banner();
	if (!mount_failed)
		make_static_nodes();
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	setenv("HOME", "/", 0);
	setenv("PS1", "[rescue] \\w # ", 1);

	read_config(&cfg, CONF_DIR, "/proc/cmdline");
	if (mount_failed)
		failed(&cfg, why, 1);
	if (cfg.problem[0])
		failed(&cfg, cfg.problem, 1);
	if (load_modules(&cfg, why, sizeof(why)))
		failed(&cfg, why, 1);
	if (cfg.run) {
		struct outcome o = run_command(&cfg, why, sizeof(why));
		if (o.requested)
			finish(&cfg, o.request, o.status);
		if (o.status)
			failed(&cfg, why, o.status);
	}
	then(&cfg, cfg.then, 0);
}
