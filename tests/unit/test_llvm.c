/*
 * test_llvm.c - unit tests for shim/llvm.c: raw profile headers, the LLVM
 * needed for a raw format, and which crate a profiled function belongs to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "formats/buildid.h"
#include "formats/elfsyms.h"
#include "formats/prfnames.h"
#include "cycle/llvm.h"

#include <fcntl.h>
#include <unistd.h>
#include "tempdir.h"

static void expect_crate(const char *symbol, const char *crate)
{
	struct strbuf out = STRBUF_INIT;
	llvm_symbol_crate(symbol, &out);
	assert_string_equal(sb_str(&out), crate);
	sb_release(&out);
}

static void test_symbol_crates(void **state)
{
	(void)state;
	expect_crate("_ZN6fixlib8tokenize17hf8b0c04f73758316E", "fixlib");
	expect_crate("fixlib.85b18bd808655ba8-cgu.0;_ZN6fixlib6Parser4atom17h5a87f017999bfcefE", "fixlib");
	/* A std function instantiated in fixbin is fixbin's: it was compiled there. */
	expect_crate("fixbin.193f94b59aec5071-cgu.0;_ZN4core3ptr35drop_in_place$LT$std..env..Args$GT$17hf7E", "fixbin");
	expect_crate("_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$8grow_one17h4c59bc09d3a6ed68E", "alloc");
	/* A trait impl, "<Type as Trait>::f": the Self type's crate. */
	expect_crate("_ZN62_$LT$ansi_term..ansi..Suffix$u20$as$u20$core..fmt..Display$GT$3fmt17h0123456789abcdefE",
		     "ansi_term");
	expect_crate("_RNvCs1234abcd_6fixlib8tokenize", "fixlib");
	expect_crate("_RNvMs_Cs9xYz_8my_crateNtB2_6Parser4atom", "my_crate");
	expect_crate("_RNvC5plain4main", "plain");
	expect_crate("main", "");
	/* C++ is mangled like legacy Rust, without the hash: its namespace is no crate. */
	expect_crate("_ZN7rocksdb2DB4OpenERKNS_7OptionsE", "");
	expect_crate("_ZN6fixlib4eval17h0123456789abcdefE.llvm.42", "fixlib");
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(write_file_atomic(path, b, n, NULL, &err), 0);
	sb_release(&err);
}

static void test_raw_headers(void **state)
{
	(void)state;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	uint64_t v = 0;
	/* rustc 1.95: magic 0xff6c70726f667281, version 0x010000000000000A (flags in the high bits). */
	const unsigned char good[16] = { 0x81, 0x72, 0x66, 0x6f, 0x72, 0x70, 0x6c, 0xff,
					 0x0a, 0, 0, 0, 0, 0, 0, 0x01 };
	const unsigned char bad[16] = { 'n', 'o', 't', ' ', 'a', ' ', 'p', 'r', 'o', 'f', 'i', 'l', 'e', '!', '!', '!' };

	/* A whole v10 header (16 words), then one 20-byte binary id padded to 24. */
	unsigned char full[128 + 8 + 24];
	memset(full, 0, sizeof(full));
	memcpy(full, good, sizeof(good));
	full[16] = 32;                       /* BinaryIdsSize */
	full[128] = 20;                      /* the id's length */
	for (int i = 0; i < 20; i++)
		full[136 + i] = (unsigned char)(0xa0 + i);
	path_join(&path, dir, "good.profraw");
	write_bytes(path.buf, full, sizeof(full));
	assert_int_equal(llvm_raw_version(path.buf, &v, &err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(llvm_min_major_for_raw(v), 19);
	struct raw_header h;
	int fd = open(path.buf, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(raw_header_read(fd, path.buf, &h, &err), 0);
	close(fd);
	assert_int_equal(h.ids.n, 1);
	assert_string_equal(h.ids.v[0], "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
	raw_header_release(&h);
	/* An id said to run past the file is corrupt, not read. */
	full[128] = 200;
	write_bytes(path.buf, full, sizeof(full));
	assert_int_equal(llvm_raw_version(path.buf, &v, &err), -1);
	assert_non_null(strstr(err.buf, "corrupt binary ids"));

	sb_reset(&path);
	path_join(&path, dir, "bad.profraw");
	write_bytes(path.buf, bad, sizeof(bad));
	assert_int_equal(llvm_raw_version(path.buf, &v, &err), -1);
	assert_non_null(strstr(err.buf, "bad.profraw: not a raw LLVM profile (bad magic)"));

	sb_reset(&err);
	sb_reset(&path);
	path_join(&path, dir, "short.profraw");
	write_bytes(path.buf, good, 9);
	assert_int_equal(llvm_raw_version(path.buf, &v, &err), -1);
	sb_release(&path);
	sb_release(&err);
}

/* `llvm-profdata show` output with junk in a counts list: parsed, never looping. */
/* A text profile as `llvm-profdata merge --text` writes it, one function per record. */
static void add_record(struct strbuf *t, const char *name, const char *counts)
{
	size_t n = 1;
	for (const char *c = counts; *c; c++)
		n += *c == ' ';
	sb_addf(t, "%s\n# Func Hash:\n1234\n# Num Counters:\n%zu\n# Counter Values:\n", name, n);
	for (const char *c = counts; *c; c++)
		sb_addch(t, *c == ' ' ? '\n' : *c);
	sb_adds(t, "\n\n");
}

static void test_counts_parse_survives_junk(void **state)
{
	(void)state;
	struct strbuf t = STRBUF_INIT;
	struct crate_counts *c;
	size_t n;
	unsigned long long total;

	sb_adds(&t, "# IR level Instrumentation Flag\n:ir\n");
	add_record(&t, "fixlib.85b-cgu.0;_ZN6fixlib4eval17h0123456789abcdefE", "3 x 5");
	add_record(&t, "_ZN6fixbin4main17h0123456789abcdefE", "0 0");
	/* value-profile data after the counters is not a record */
	sb_adds(&t, "junk\n# Func Hash:\n1\n# Num Counters:\n1\n# Counter Values:\n2\n# Num Value Kinds:\n1\n"
		    "# ValueKind = IPVK_IndirectCallTarget:\n0\n# NumValueSites:\n1\n1\n_ZN3foo3bar17h0123456789abcdefE:7\n\n"
		    "truncated\n# Num Counters:\n9\n# Counter Values:\n1\n");
	llvm_counts_parse(t.buf, &c, &n, &total);
	assert_int_equal(n, 5); /* sorted: ?, fixbin, fixlib, fn:junk, fn:truncated */
	assert_string_equal(c[0].crate, "?");
	const struct crate_counts *lib = llvm_counts_find(c, n, "fixlib");
	assert_non_null(lib);
	assert_int_equal(lib->counts, 8); /* "x" reads as 0 */
	assert_int_equal(lib->covered, 1);
	const struct crate_counts *bin = llvm_counts_find(c, n, "fixbin");
	assert_int_equal(bin->functions, 1);
	assert_int_equal(bin->covered, 0);
	assert_int_equal(llvm_counts_find(c, n, "fn:junk")->counts, 2);
	assert_null(llvm_counts_find(c, n, "foo"));
	assert_null(llvm_counts_find(c, n, "nothing"));
	assert_int_equal(total, 8 + 2 + 1);
	for (size_t i = 0; i < n; i++)
		free(c[i].crate);
	free(c);
	sb_release(&t);
}

/* C functions have no crate; they are counted under "?" and by name, static ones without their file. */
static void test_counts_of_c_functions(void **state)
{
	(void)state;
	struct strbuf t = STRBUF_INIT;
	struct crate_counts *c;
	size_t n;
	unsigned long long total;
	long seen = 0;

	sb_adds(&t, "# IR level Instrumentation Flag\n:ir\n");
	add_record(&t, "cmix_score", "7 1");
	add_record(&t, "csrc/classify.c;rare_kind", "2");
	add_record(&t, "cmix.d6ef-cgu.0;_ZN4cmix4main17hE", "1");
	llvm_counts_parse(t.buf, &c, &n, &total);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c[i].crate, "fn:cmix_score") == 0)
			seen += 1, assert_int_equal(c[i].counts, 8);
		if (strcmp(c[i].crate, "fn:rare_kind") == 0)
			seen += 10, assert_int_equal(c[i].counts, 2);
		if (strcmp(c[i].crate, "?") == 0)
			seen += 100, assert_int_equal(c[i].functions, 2);
		if (strcmp(c[i].crate, "cmix") == 0)
			seen += 1000, assert_int_equal(c[i].counts, 1);
		free(c[i].crate);
	}
	free(c);
	sb_release(&t);
	assert_int_equal(seen, 1111);
	assert_int_equal(total, 11);
}

/* Many C functions (a big C++ library): each one found by name after the index grew many times. */
static void test_counts_of_many_functions(void **state)
{
	(void)state;
	struct strbuf text = STRBUF_INIT, name = STRBUF_INIT, v = STRBUF_INIT;
	struct crate_counts *c;
	size_t n;
	unsigned long long total;

	sb_adds(&text, ":ir\n");
	for (int i = 0; i < 5000; i++) {
		sb_reset(&name);
		sb_reset(&v);
		sb_addf(&name, "f%d", i);
		sb_addf(&v, "%d", i % 7);
		add_record(&text, name.buf, v.buf);
	}
	llvm_counts_parse(text.buf, &c, &n, &total);
	assert_int_equal(n, 5001);
	for (int i = 0; i < 5000; i += 97) {
		sb_reset(&name);
		sb_addf(&name, "fn:f%d", i);
		const struct crate_counts *f = llvm_counts_find(c, n, name.buf);
		assert_non_null(f);
		assert_int_equal(f->counts, i % 7);
	}
	assert_int_equal(llvm_counts_find(c, n, "?")->functions, 5000);
	for (size_t i = 0; i < n; i++)
		free(c[i].crate);
	free(c);
	sb_release(&text);
	sb_release(&name);
	sb_release(&v);
}

/* The functions an object defines, globals and statics; undefined ones and data are not. */
static void test_elf_function_names(void **state)
{
	(void)state;
	struct strbuf src = STRBUF_INIT, obj = STRBUF_INIT, cmd = STRBUF_INIT, err = STRBUF_INIT, img = STRBUF_INIT;
	struct strvec names = STRVEC_INIT;

	sb_addf(&src, "%s/f.c", dir);
	sb_addf(&obj, "%s/f.o", dir);
	FILE *f = fopen(src.buf, "w");
	assert_non_null(f);
	fputs("int data = 1; extern int ext(int);\n"
	      "static int helper(int x) { return ext(x) + data; }\n"
	      "int visible(int x) { return helper(x) * 2; }\n", f);
	fclose(f);
	sb_addf(&cmd, "cc -O0 -c -o '%s' '%s'", obj.buf, src.buf);
	assert_int_equal(system(cmd.buf), 0);
	assert_int_equal(elf_function_names_of(obj.buf, &names, &err), 0);
	bool visible = false, helper = false;
	for (size_t i = 0; i < names.n; i++) {
		visible |= strcmp(names.v[i], "visible") == 0;
		helper |= strcmp(names.v[i], "helper") == 0;
		assert_string_not_equal(names.v[i], "ext");
		assert_string_not_equal(names.v[i], "data");
	}
	assert_true(visible && helper);
	/* Every truncation of a real object is refused or read within bounds (ASan checks). */
	assert_int_equal(sb_read_file(&img, obj.buf), 0);
	for (size_t len = 0; len < img.len; len += 7) {
		struct strvec part = STRVEC_INIT;
		(void)elf_function_names((const unsigned char *)img.buf, len, &part);
		sv_release(&part);
	}
	assert_int_equal(elf_function_names((const unsigned char *)"junk", 4, &names), -1);
	assert_int_equal(elf_function_names_of(src.buf, &names, &err), -1);
	sv_release(&names);
	sb_release(&src);
	sb_release(&obj);
	sb_release(&cmd);
	sb_release(&err);
	sb_release(&img);
}

static bool has_name(const struct strvec *v, const char *want)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], want) == 0)
			return true;
	return false;
}

/*
 * The names an instrumented object's profile records carry, compressed or
 * not, from the object and from an archive of it (an rlib is one).
 */
static void test_prf_names(void **state)
{
	(void)state;
	struct strbuf src = STRBUF_INIT, cmd = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT, img = STRBUF_INIT;
	struct strvec none = STRVEC_INIT;

	sb_addf(&src, "%s/g.c", dir);
	FILE *f = fopen(src.buf, "w");
	assert_non_null(f);
	fputs("static int helper(int x) { return x * 3; }\n"
	      "int visible(int x) { return helper(x) + 1; }\n", f);
	fclose(f);
	const char *const variants[] = { "", "-mllvm -enable-name-compression=false" };
	for (size_t i = 0; i < 2; i++) {
		sb_reset(&cmd);
		sb_addf(&cmd, "cd '%s' && clang-22 -O0 -fprofile-generate %s -c -o g%zu.o g.c && "
			"rm -f g%zu.a && ar rcs g%zu.a g%zu.o", dir, variants[i], i, i, i, i);
		assert_int_equal(system(cmd.buf), 0);
		for (int archive = 0; archive < 2; archive++) {
			struct strvec names = STRVEC_INIT;
			sb_reset(&path);
			sb_addf(&path, "%s/g%zu.%s", dir, i, archive ? "a" : "o");
			assert_int_equal(prf_names_of(path.buf, &names, &none, &err), 0);
			assert_int_equal(none.n, 0);
			assert_int_equal(names.n, 2);
			assert_true(has_name(&names, "visible"));
			assert_true(has_name(&names, "g.c;helper"));
			sv_release(&names);
		}
	}
	/* Truncated or damaged images are refused or read within bounds (ASan checks). */
	assert_int_equal(sb_read_file(&img, path.buf), 0);
	for (size_t len = 0; len < img.len; len += 5) {
		struct strvec part = STRVEC_INIT;
		(void)prf_names_of_image((const unsigned char *)img.buf, len, &part, &part);
		sv_release(&part);
	}
	assert_int_equal(prf_names_of_image((const unsigned char *)"!<arch>\nxx", 10, &none, &none), 0);
	assert_int_equal(prf_names_of_image((const unsigned char *)"junk", 4, &none, &none), -1);
	assert_int_equal(prf_names_of(src.buf, &none, &none, &err), -1);
	sv_release(&none);
	/* An LTO rlib's members are bitcode: not read, but their modules (long member names) are listed. */
	struct strvec names = STRVEC_INIT, modules = STRVEC_INIT;
	sb_reset(&cmd);
	sb_addf(&cmd, "cd '%s' && clang-22 -O0 -flto -fprofile-generate -c -o 'app-0123abcd.app.5f5f5f5f-cgu.0.rcgu.o' g.c && "
		"rm -f lto.rlib && ar rcs lto.rlib app-0123abcd.app.5f5f5f5f-cgu.0.rcgu.o g0.o", dir);
	assert_int_equal(system(cmd.buf), 0);
	sb_reset(&path);
	sb_addf(&path, "%s/lto.rlib", dir);
	assert_int_equal(prf_names_of(path.buf, &names, &modules, &err), 0);
	assert_int_equal(modules.n, 1);
	assert_string_equal(modules.v[0], "app.5f5f5f5f-cgu.0");
	assert_int_equal(names.n, 2); /* the ELF member's */
	sv_release(&names);
	sv_release(&modules);
	sb_release(&src);
	sb_release(&cmd);
	sb_release(&err);
	sb_release(&path);
	sb_release(&img);
}

static void check_readable(const char *name, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	llvm_symbol_readable(name, &out);
	assert_string_equal(want, out.buf);
	sb_release(&out);
}

/* As rustc-demangle prints them (without the hash). */
static void test_symbol_readable(void **state)
{
	(void)state;
	check_readable("_ZN6fixlib8tokenize17hf8b0c04f73758316E", "fixlib::tokenize");
	check_readable("fixlib.193f94b5-cgu.0;_ZN6fixlib6Parser4atom17h5a87f017999bfcefE", "fixlib::Parser::atom");
	check_readable("_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$8grow_one17h4c59bc09d3a6ed68E",
		       "alloc::raw_vec::RawVec<T,A>::grow_one");
	check_readable("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h12ce2d3d55389641E",
		       "std::rt::lang_start::{{closure}}");
	check_readable("_ZN62_$LT$ansi_term..ansi..Suffix$u20$as$u20$core..fmt..Display$GT$3fmt17h0123456789abcdefE",
		       "<ansi_term::ansi::Suffix as core::fmt::Display>::fmt");
	check_readable("_ZN4core3ptr42drop_in_place$LT$std..io..error..Error$GT$17h0123456789abcdefE",
		       "core::ptr::drop_in_place<std::io::error::Error>");
	/* Not Rust's legacy mangling: as it is (C, C++ without Rust's hash, v0), its file prefix dropped. */
	check_readable("main", "main");
	check_readable("cmix.c;cmix_sum", "cmix_sum");
	check_readable("_ZN7rocksdb2DB4OpenEv", "_ZN7rocksdb2DB4OpenEv");
	check_readable("_RNvCs1234_6fixlib4eval", "_RNvCs1234_6fixlib4eval");
	/* A length past the end: the name as it is. */
	check_readable("_ZN99fixlib17h0123456789abcdefE", "_ZN99fixlib17h0123456789abcdefE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_crates),
		cmocka_unit_test(test_symbol_readable),
		cmocka_unit_test(test_counts_parse_survives_junk),
		cmocka_unit_test(test_counts_of_c_functions),
		cmocka_unit_test(test_elf_function_names),
		cmocka_unit_test(test_prf_names),
		cmocka_unit_test(test_counts_of_many_functions),
		cmocka_unit_test(test_raw_headers),
	};
	return cmocka_run_group_tests_name("llvm", tests, tempdir_setup, tempdir_teardown);
}
