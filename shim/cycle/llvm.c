/*
 * llvm.c - raw profile headers and llvm-profdata discovery (include/cycle/llvm.h).
 * Candidates, in order: CARGO_PGO_WRAP_LLVM_PROFDATA (or the config's
 * llvm-profdata), rustup's llvm-tools, llvm-profdata-N and
 * /usr/lib/llvm-N/bin/llvm-profdata from rustc's LLVM major down, then plain
 * llvm-profdata.
 * Debian's default llvm-profdata is LLVM 14, which cannot read rustc 1.95's
 * raw format 10: a tool is accepted only if its LLVM major reads the format.
 */
#include "cycle/llvm.h"
#include "base/atomic.h"
#include "base/fdio.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "store/cache.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>


int llvm_raw_version(const char *path, uint64_t *version, struct strbuf *err)
{
	struct raw_header h;
	int fd = open_read(path);

	if (fd < 0) {
		sb_addf(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = raw_header_read(fd, path, &h, err);
	close(fd);
	if (rc == 0) {
		*version = h.version;
		raw_header_release(&h);
	}
	return rc;
}

int llvm_max_major_for_raw(uint64_t version)
{
	/* llvm-profdata reads only its own raw format: 8 until LLVM 16, 9 in 17 and 18. */
	if (version >= 10)
		return 0;
	if (version == 9)
		return 18;
	if (version == 8)
		return 16;
	return 12;
}

bool llvm_reads_raw(int major, uint64_t version)
{
	int max = llvm_max_major_for_raw(version);
	return major >= llvm_min_major_for_raw(version) && (!max || major <= max);
}

int llvm_min_major_for_raw(uint64_t version)
{
	if (version >= 10)
		return 19;
	if (version == 9)
		return 17;
	if (version == 8)
		return 13;
	return 11;
}

/*
 * The LLVM major of an llvm-profdata; 0 if it does not run. LLVM 14 only
 * answers --version after a subcommand, which newer ones accept too.
 */
static int tool_major(const char *tool, struct strbuf *version_line)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[] = { (char *)tool, "merge", "--version", NULL };
	int status = run_capture(argv, &out, NULL);
	int major = 0;

	const char *p = status == 0 ? strstr(sb_str(&out), "LLVM version ") : NULL;
	if (p) {
		major = atoi(p + 13);
		/* Keep the whole line, e.g. "Debian LLVM version 22.1.8". */
		const char *start = p;
		while (start > out.buf && start[-1] != '\n')
			start--;
		start += strspn(start, " ");
		sb_reset(version_line);
		sb_add(version_line, start, strcspn(start, "\n"));
	}
	sb_release(&out);
	return major;
}

static int try_tool(const char *cand, int min_major, int max_major, struct strbuf *path,
		    struct strbuf *version, struct strbuf *tried)
{
	char *found = find_in_path(cand);
	int major = found ? tool_major(found, version) : 0;

	if (found && major >= min_major && (!max_major || major <= max_major)) {
		sb_adds(path, found);
		free(found);
		return 0;
	}
	if (found)
		sb_addf(tried, "%s%s (LLVM %d)", tried->len ? ", " : "", found, major);
	free(found);
	return -1;
}

/* rustup's llvm-tools component: <sysroot>/lib/rustlib/<host>/bin/llvm-profdata. */
static void rustup_llvm_tools(struct strbuf *out)
{
	char *sysroot_argv[] = { "rustc", "--print", "sysroot", NULL };
	char *vv_argv[] = { "rustc", "-vV", NULL };
	struct strbuf sysroot = STRBUF_INIT, vv = STRBUF_INIT;

	if (run_capture(sysroot_argv, &sysroot, NULL) == 0 && run_capture(vv_argv, &vv, NULL) == 0) {
		const char *host = strstr(vv.buf, "host: ");
		if (host) {
			host += 6;
			sb_add(out, sysroot.buf, strcspn(sysroot.buf, "\n"));
			sb_addf(out, "/lib/rustlib/%.*s/bin/llvm-profdata", (int)strcspn(host, "\n"), host);
		}
	}
	sb_release(&sysroot);
	sb_release(&vv);
}

/*
 * Finding the tool runs rustc twice (rustup's llvm-tools) and each candidate
 * once: 50 ms, more than merging a thousand files. The answer is kept in
 * <cache>/tools/llvm-profdata for an hour, per PATH and wanted majors, and
 * trusted only while the tool's mtime is unchanged.
 */
#define TOOL_CACHE_SECONDS 3600

static void tool_cache_path(struct strbuf *out, int prefer, int min)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT, key = STRBUF_INIT;
	char hex[HASH_HEX_LEN + 1];

	sb_addf(&key, "%d\t%d\t%s", prefer, min, env_get("PATH") ? env_get("PATH") : "");
	hash_buf_hex(key.buf, key.len, hex);
	if (!cache_is_readonly() && cache_subdir(&dir, "tools", &err) == 0)
		sb_addf(out, "%s/llvm-profdata-%s", dir.buf, hex);
	sb_release(&dir);
	sb_release(&err);
	sb_release(&key);
}

static long long mtime_ns(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : -1;
}

/* "path\tversion\tmtime\twritten" */
static bool tool_cache_read(const char *file, struct strbuf *path, struct strbuf *version)
{
	struct strbuf text = STRBUF_INIT;
	struct strvec f = STRVEC_INIT;
	bool ok = false;

	if (*file && sb_read_file(&text, file) == 0) {
		text.buf[strcspn(text.buf, "\n")] = '\0';
		sv_split(&f, text.buf, '\t');
		ok = f.n == 4 && mtime_ns(f.v[0]) == atoll(f.v[2]) &&
		     time(NULL) - atoll(f.v[3]) < TOOL_CACHE_SECONDS && time(NULL) >= atoll(f.v[3]);
		if (ok) {
			sb_adds(path, f.v[0]);
			sb_adds(version, f.v[1]);
		}
	}
	sv_release(&f);
	sb_release(&text);
	return ok;
}

static void tool_cache_write(const char *file, const char *path, const char *version)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;

	if (*file && !strpbrk(path, "\t\n") && !strpbrk(version, "\t\n")) {
		sb_addf(&text, "%s\t%s\t%lld\t%lld\n", path, version, mtime_ns(path), (long long)time(NULL));
		struct atomic_opts opts = { .mode = 0600 };
		(void)write_file_atomic(file, text.buf, text.len, &opts, &err); /* a cache: best effort */
	}
	sb_release(&text);
	sb_release(&err);
}

static int discover_profdata(int prefer_major, int min_major, uint64_t raw_version,
			     struct strbuf *path, struct strbuf *version, struct strbuf *err);

int llvm_find_profdata(int prefer_major, int min_major, uint64_t raw_version,
		       struct strbuf *path, struct strbuf *version, struct strbuf *err)
{
	struct strbuf file = STRBUF_INIT;
	int max_major = raw_version ? llvm_max_major_for_raw(raw_version) : 0;

	if (max_major && prefer_major > max_major)
		prefer_major = max_major; /* an older LLVM's raw format: its own llvm-profdata */
	if (setting_get(SETTING_LLVM_PROFDATA))
		return discover_profdata(prefer_major, min_major, raw_version, path, version, err);
	tool_cache_path(&file, prefer_major, min_major);
	if (tool_cache_read(sb_str(&file), path, version)) {
		sb_release(&file);
		return 0;
	}
	int rc = discover_profdata(prefer_major, min_major, raw_version, path, version, err);
	if (rc == 0)
		tool_cache_write(sb_str(&file), path->buf, version->buf);
	sb_release(&file);
	return rc;
}

static int discover_profdata(int prefer_major, int min_major, uint64_t raw_version,
			     struct strbuf *path, struct strbuf *version, struct strbuf *err)
{
	struct strbuf tried = STRBUF_INIT, cand = STRBUF_INIT;
	const char *forced = setting_get(SETTING_LLVM_PROFDATA);
	int max_major = raw_version ? llvm_max_major_for_raw(raw_version) : 0;
	int rc = -1;

	if (forced) {
		rc = try_tool(forced, min_major, max_major, path, version, &tried);
		if (rc != 0)
			sb_addf(err, "%s=%s cannot read raw profile format %ju (it needs LLVM %d or newer; "
				"found: %s); point it at llvm-profdata-%d (apt-get install llvm-%d) or unset it",
				ENV_LLVM_PROFDATA, forced, (uintmax_t)raw_version, min_major,
				tried.len ? tried.buf : "not runnable", prefer_major, prefer_major);
		goto out;
	}
	rustup_llvm_tools(&cand);
	if (cand.len && file_exists(cand.buf))
		rc = try_tool(cand.buf, min_major, max_major, path, version, &tried);
	for (int major = prefer_major; major >= min_major && rc != 0; major--) {
		sb_reset(&cand);
		sb_addf(&cand, "llvm-profdata-%d", major);
		rc = try_tool(cand.buf, min_major, max_major, path, version, &tried);
		if (rc != 0) {
			sb_reset(&cand);
			sb_addf(&cand, "/usr/lib/llvm-%d/bin/llvm-profdata", major);
			rc = try_tool(cand.buf, min_major, max_major, path, version, &tried);
		}
	}
	if (rc != 0)
		rc = try_tool("llvm-profdata", min_major, max_major, path, version, &tried);
	if (rc != 0)
		sb_addf(err, "no llvm-profdata reads raw profile format %ju written by rustc's LLVM %d "
			"(it needs LLVM %d or newer; found: %s); install it: apt-get install llvm-%d",
			(uintmax_t)raw_version, prefer_major, min_major,
			tried.len ? tried.buf : "none", prefer_major);
out:
	sb_release(&tried);
	sb_release(&cand);
	return rc;
}

static void add_ident(struct strbuf *out, const char *p)
{
	char *end;
	unsigned long len = strtoul(p, &end, 10);

	if (end == p || strlen(end) < len)
		return;
	/*
	 * A trait impl's path starts with "<Type as Trait>", escaped "_$LT$crate..Type...":
	 * the crate is the Self type's, the first identifier inside.
	 */
	if (len > 5 && strncmp(end, "_$LT$", 5) == 0) {
		const char *in = end + 5, *stop = end + len;
		size_t n = 0;
		while (in + n < stop && (isalnum((unsigned char)in[n]) || in[n] == '_'))
			n++;
		if (n && in + n + 1 < stop && in[n] == '.' && in[n + 1] == '.')
			sb_add(out, in, n);
		return;
	}
	sb_add(out, end, len);
}

/* Rust's legacy mangling ends its path with the hash: "17h<16 hex>E" (then maybe ".llvm.N"). */
static bool rust_legacy_hash(const char *name)
{
	for (const char *p = strstr(name, "17h"); p; p = strstr(p + 1, "17h"))
		if (mem_is_hex(p + 3, 16) && p[19] == 'E' && (!p[20] || p[20] == '.'))
			return true;
	return false;
}

void llvm_symbol_crate(const char *name, struct strbuf *out)
{
	const char *semi = strchr(name, ';');

	if (semi) {
		/* Local symbols carry their codegen unit: "fixlib.85b18bd8-cgu.0;". C's carry a file: none. */
		char *prefix = xstrndup(name, (size_t)(semi - name));
		if (strstr(prefix, "-cgu."))
			sb_add(out, name, strcspn(name, ".;"));
		free(prefix);
	} else if (strncmp(name, "_ZN", 3) == 0 && rust_legacy_hash(name)) {
		/* Without Rust's hash it is C++ (rocksdb::DB::Open), whose namespace is no crate. */
		add_ident(out, name + 3);
	} else if (strncmp(name, "_R", 2) == 0) {
		/* v0: the crate root is "C", an optional "s<base62>_" disambiguator, then <len><ident>. */
		for (const char *p = name + 2; *p && !out->len; p++) {
			if (*p != 'C')
				continue;
			const char *q = p + 1;
			if (*q == 's') {
				q = strchr(q, '_');
				if (!q)
					break;
				q++;
			}
			if (*q >= '0' && *q <= '9')
				add_ident(out, q);
		}
	}
}

/* Rust's legacy escapes inside an identifier ("$LT$", "$u7b$", ".."), as rustc-demangle reads them. */
static void add_unescaped_ident(struct strbuf *out, const char *p, size_t len)
{
	static const struct { const char *esc; const char *c; } escapes[] = {
		{ "$SP$", "@" }, { "$BP$", "*" }, { "$RF$", "&" }, { "$LT$", "<" }, { "$GT$", ">" }, { "$LP$", "(" },
		{ "$RP$", ")" }, { "$C$", "," }, { "$u7e$", "~" }, { "$u20$", " " }, { "$u27$", "'" },
		{ "$u5b$", "[" }, { "$u5d$", "]" }, { "$u7b$", "{" }, { "$u7d$", "}" }, { "$u3b$", ";" },
		{ "$u2b$", "+" }, { "$u22$", "\"" },
	};
	for (size_t i = 0; i < len;) {
		size_t k = 0, n = sizeof(escapes) / sizeof(escapes[0]);
		for (; k < n; k++) {
			size_t el = strlen(escapes[k].esc);
			if (i + el <= len && memcmp(p + i, escapes[k].esc, el) == 0) {
				sb_adds(out, escapes[k].c);
				i += el;
				break;
			}
		}
		if (k < n)
			continue;
		if (i + 1 < len && p[i] == '.' && p[i + 1] == '.') {
			sb_adds(out, "::");
			i += 2;
		} else {
			sb_addch(out, p[i++]);
		}
	}
}

void llvm_symbol_readable(const char *name, struct strbuf *out)
{
	const char *semi = strrchr(name, ';');
	const char *sym = semi ? semi + 1 : name;

	if (strncmp(sym, "_ZN", 3) != 0 || !rust_legacy_hash(sym)) {
		sb_adds(out, sym);
		return;
	}
	size_t start = out->len;
	for (const char *p = sym + 3; *p && *p != 'E';) {
		char *end;
		unsigned long len = strtoul(p, &end, 10);
		if (end == p || strlen(end) < len) {
			sb_setlen(out, start);
			sb_adds(out, sym);
			return;
		}
		/* The last part is the hash: "h" and 16 hex digits. */
		if (!(len == 17 && end[0] == 'h' && mem_is_hex(end + 1, 16) && end[17] == 'E')) {
			if (out->len > start)
				sb_adds(out, "::");
			/* "_$" starts an identifier that begins with an escape: the '_' is not part of it. */
			bool skip = len > 2 && end[0] == '_' && end[1] == '$';
			add_unescaped_ident(out, end + skip, len - skip);
		}
		p = end + len;
	}
}

/* Where each crate's entry is, by a hash of its name: a big C++ profile has 100,000 names. */
struct count_index {
	size_t *slots;  /* entry index + 1; 0 is free */
	size_t size;    /* a power of two, at least twice the entries */
};


static void index_put(struct count_index *ix, const struct crate_counts *list, size_t i)
{
	size_t at = hash_name(list[i].crate, strlen(list[i].crate)) & (ix->size - 1);
	while (ix->slots[at])
		at = (at + 1) & (ix->size - 1);
	ix->slots[at] = i + 1;
}

static struct crate_counts *find_or_add(struct crate_counts **list, size_t *n, struct count_index *ix,
					const char *crate)
{
	for (size_t at = ix->size ? hash_name(crate, strlen(crate)) & (ix->size - 1) : 0; ix->size && ix->slots[at];
	     at = (at + 1) & (ix->size - 1))
		if (strcmp((*list)[ix->slots[at] - 1].crate, crate) == 0)
			return &(*list)[ix->slots[at] - 1];
	if (2 * (*n + 1) > ix->size) {
		free(ix->slots);
		ix->size = ix->size ? ix->size * 2 : 64;
		ix->slots = xcalloc(ix->size, sizeof(*ix->slots));
		for (size_t i = 0; i < *n; i++)
			index_put(ix, *list, i);
	}
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	memset(&(*list)[*n], 0, sizeof(**list));
	(*list)[*n].crate = xstrdup(crate);
	index_put(ix, *list, *n);
	return &(*list)[(*n)++];
}

static int by_crate(const void *a, const void *b)
{
	return strcmp(((const struct crate_counts *)a)->crate, ((const struct crate_counts *)b)->crate);
}

const struct crate_counts *llvm_counts_find(const struct crate_counts *v, size_t n, const char *crate)
{
	struct crate_counts key = { (char *)crate, 0, 0, 0 };
	return n ? bsearch(&key, v, n, sizeof(*v), by_crate) : NULL;
}

/* The entries one function's counts go to: its crate, or "?" and "fn:<name>" for C code. */
struct function_entries {
	struct crate_counts *crate, *fn;
};

static void start_function(const char *name, struct crate_counts **out, size_t *n, struct count_index *ix,
			   struct strbuf *crate, struct function_entries *f)
{
	sb_reset(crate);
	llvm_symbol_crate(name, crate);
	f->fn = NULL;
	if (!crate->len) {
		/* A function of no crate (C code) is also counted by name, for the C units that define it. */
		const char *semi = strrchr(name, ';');
		sb_addf(crate, "fn:%s", semi ? semi + 1 : name);
		f->fn = find_or_add(out, n, ix, crate->buf);
		f->fn->functions++;
	}
	/* Looked up after fn: adding an entry may move the list. */
	f->crate = find_or_add(out, n, ix, f->fn ? "?" : crate->buf);
	f->crate->functions++;
	if (f->fn)
		f->fn = find_or_add(out, n, ix, crate->buf);
}

static void end_function(struct function_entries *f, unsigned long long sum, unsigned long long *total)
{
	f->crate->counts += sum;
	f->crate->covered += sum != 0;
	if (f->fn) {
		f->fn->counts += sum;
		f->fn->covered += sum != 0;
	}
	*total += sum;
	f->crate = f->fn = NULL;
}

/*
 * The text format `llvm-profdata merge --text` writes: a header of '#' and
 * ':' lines, then one record per function, blank-line separated: its name,
 * "# Func Hash:", "# Num Counters:" N, "# Counter Values:" and N numbers,
 * then value-profile data we do not read.
 */
void llvm_counts_parse(char *text, struct crate_counts **out, size_t *n, unsigned long long *total)
{
	struct strbuf crate = STRBUF_INIT;
	struct function_entries f = { NULL, NULL };
	struct count_index ix = { NULL, 0 };
	bool record_start = true, num_next = false;
	unsigned long long counters = 0, remaining = 0, sum = 0;

	*out = NULL;
	*n = 0;
	*total = 0;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!*line) {
			if (f.crate)
				end_function(&f, sum, total);
			record_start = true;
		} else if (record_start) {
			if (line[0] != '#' && line[0] != ':') {
				start_function(line, out, n, &ix, &crate, &f);
				record_start = num_next = false;
				counters = remaining = sum = 0;
			}
		} else if (f.crate && strcmp(line, "# Num Counters:") == 0) {
			num_next = true;
		} else if (f.crate && num_next) {
			counters = strtoull(line, NULL, 10);
			num_next = false;
		} else if (f.crate && strcmp(line, "# Counter Values:") == 0) {
			remaining = counters;
		} else if (f.crate && remaining) {
			sum += strtoull(line, NULL, 10);
			if (!--remaining)
				end_function(&f, sum, total);
		}
		line = nl ? nl + 1 : NULL;
	}
	if (f.crate)
		end_function(&f, sum, total);
	free(ix.slots);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_crate);
	sb_release(&crate);
}

int llvm_counts_of_text(const char *path, struct crate_counts **out, size_t *n, unsigned long long *total,
			struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (sb_read_file(&text, path) != 0) {
		sb_addf(err, "cannot read the merged profile's text form %s: %s", path, strerror(errno));
		sb_release(&text);
		return -1;
	}
	if (text.len)
		llvm_counts_parse(text.buf, out, n, total);
	sb_release(&text);
	return 0;
}
