/*
 * test_rustcode.c - unit tests for finding test-only items in Rust source
 * (shim/formats/rustcode.c): what goes, what stays, and that nothing outside
 * a test item is ever lost; and for the code that comments and layout leave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/strbuf.h"
#include "formats/rustcode.h"

/* text without its test items must read expected, with n items left out. */
static void check(const char *text, const char *expected, size_t n)
{
	struct strbuf out = STRBUF_INIT;
	size_t got = rust_code_without_tests(text, strlen(text), &out);
	assert_string_equal(out.buf, expected);
	assert_int_equal(got, n);
	sb_release(&out);
}

static void test_a_test_module_goes_with_the_space_before_it(void **state)
{
	(void)state;
	check("pub fn f() -> u32 { 1 }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert_eq!(super::f(), 1); }\n}\n",
	      "pub fn f() -> u32 { 1 }\n", 1);
	/* Adding one to a file leaves the file as it was. */
	check("fn a() {}\n#[test] fn t() {}\nfn b() {}\n", "fn a() {}\nfn b() {}\n", 1);
	check("#[cfg( test )] /* c */ mod t;\nfn a() {}\n", "\nfn a() {}\n", 1);
}

static void test_items_end_where_rust_ends_them(void **state)
{
	(void)state;
	/* A body, a ';', a ',' outside brackets; more attributes first. */
	check("#[cfg(test)]\n#[derive(Debug)]\nstruct S([u8; 2]);\nfn a() {}", "\nfn a() {}", 1);
	check("struct S { #[cfg(test)] a: Vec<(u8, u8)>, b: u8 }", "struct S { b: u8 }", 1);
	check("enum E { #[cfg(test)] A { x: u8 }, B }", "enum E {, B }", 1);
	check("match x { #[cfg(test)] 1 => 2, _ => hot() }", "match x { _ => hot() }", 1);
	/* The last arm, a tail expression: the enclosing bracket is not its. */
	check("match x { 0 => 1, #[cfg(test)] _ => 2 }", "match x { 0 => 1 }", 1);
	/* A last field needs the ',' before it: that goes too, in braces only ((a,) is no (a)). */
	check("Parser { toks, pos: 0, #[cfg(test)] trace: Vec::new() }", "Parser { toks, pos: 0 }", 1);
	check("f(a, #[cfg(test)] b )", "f(a, )", 1);
	check("fn f() { #[cfg(test)] let x = S { a: 1 }; hot(x) }", "fn f() {; hot(x) }", 1);
	check("#[cfg(test)] use a::{b, c};\nfn a() {}", ";\nfn a() {}", 1);
}

/* Comments and other attributes before a test attribute are the test's too. */
static void test_what_comes_before_goes_with_it(void **state)
{
	(void)state;
	check("fn a() {}\n/// Checks precedence.\n#[test]\nfn t() {}\n", "fn a() {}\n", 1);
	check("fn a() {}\n#[ignore]\n#[should_panic]\n#[test]\nfn t() {}\n", "fn a() {}\n", 1);
	check("fn a() {}\n// the tests\n#[allow(unused)]\n#[cfg(test)]\nmod tests {}\n", "fn a() {}\n", 1);
	/* Comments are not code, inner doc comments included. */
	check("//! crate docs\n#[cfg(test)]\nmod tests {}\n", "\n", 1);
	/* Removing it must not run the text on each side together. */
	check("fn x(){} // c\n#[cfg(test)] fn t(){}fn real(){}", "fn x(){}fn real(){}", 1);
	check("a#[test] fn t(){}b", "a#[test] fn t(){}b", 0);
}

/* Where an attribute is not on an item, its "item" would run on into code: it stays. */
static void test_parameters_and_macro_tokens_stay(void **state)
{
	(void)state;
	const char *kept[] = {
		"fn f<#[cfg(test)] T>() -> u32 { hot() }",
		"fn f<A, #[cfg(test)] T: PartialOrd<u8>>() -> u32 { hot() }",
		"struct S<#[cfg(test)] T>(u8);",
		"fn g() { let c = |#[cfg(test)] x: u8| hot() + 1; c() }",
		"fn g() { let c = |a, #[cfg(test)] x: u8| hot() + 1; c() }",
		"fn f<T>() where #[cfg(test)] T: Copy { hot() }",
		"m!(#[test] fn real() { 5 });",
		"macro_rules! m { (#[test] fn $n:ident $b:block) => { fn $n() -> u32 $b }; }",
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		check(kept[i], kept[i], 0);
	/* An item's signature may hold commas outside brackets; a field's may not be one. */
	check("#[test] fn t() -> Result<(), Box<dyn Error>> { Ok(()) }\nfn hot() {}", "\nfn hot() {}", 1);
	check("#[cfg(test)] pub(crate) type M = HashMap<K, V>;\nfn hot() {}", "\nfn hot() {}", 1);
	check("struct S { #[cfg(test)] pub a: HashMap<K, V>, b: u8 }", "struct S { V>, b: u8 }", 1);
	check("match x { #[cfg(test)] 1 if a < b => 2, _ => hot() }", "match x { _ => hot() }", 1);
}

/*
 * After a ',' or '(' no item can be: a field of a `fn()` type or named `union`
 * ends at its ','. A keyword starts an item only before a name (review findings).
 */
static void test_fields_that_look_like_items_end_at_their_comma(void **state)
{
	(void)state;
	check("pub struct S(#[cfg(test)] fn(), pub u64);", "pub struct S( pub u64);", 1);
	check("pub struct S(pub u8, #[cfg(test)] pub unsafe extern \"C\" fn(), pub u64);",
	      "pub struct S(pub u8, pub u64);", 1);
	check("pub enum E { V(#[cfg(test)] fn(), u64) }", "pub enum E { V( u64) }", 1);
	check("pub struct S { #[cfg(test)] union: u32, pub b: u64 }", "pub struct S { pub b: u64 }", 1);
	check("pub struct S { #[cfg(test)] macro_rules: u32, pub hot: u64 }", "pub struct S { pub hot: u64 }", 1);
	check("pub fn f(a: u8, #[cfg(test)] union: u8, b: u8) -> u8 { a + b }",
	      "pub fn f(a: u8, b: u8) -> u8 { a + b }", 1);
	check("#[cfg(test)] const _: () = ();\nfn hot() {}", "\nfn hot() {}", 1);
	/* A closure's '|' is no or-pattern's: its parameters stay, whatever the body's '|'s. */
	check("fn g() -> u32 { let f = |a: u32, #[cfg(test)] _b: u32| a | 1; f(2) + 7 }",
	      "fn g() -> u32 { let f = |a: u32, #[cfg(test)] _b: u32| a | 1; f(2) + 7 }", 0);
	check("match x { #[cfg(test)] A | B => 1, _ => hot() }", "match x { _ => hot() }", 1);
	/* More attributes after the test one; a '!' that is no macro's. */
	check("#[test] #[ignore] fn t() -> Result<(), E> { Ok(()) }\nfn hot() {}", "\nfn hot() {}", 1);
	check("fn g() { if !x { #[cfg(test)] let y = 1; hot() } }", "fn g() { if !x { hot() } }", 1);
}

static void test_brackets_in_strings_chars_and_comments_are_not_brackets(void **state)
{
	(void)state;
	check("#[test] fn t() { let s = \"}\"; let c = '}'; let r = r#\"}\"#; /* } /* } */ } */ // }\n}\nfn hot() {}",
	      "\nfn hot() {}", 1);
	check("#[test] fn t<'a>(x: &'a str) -> char { b'}' as char }\nfn hot() {}", "\nfn hot() {}", 1);
	check("#[test] fn t() { let e = '\\''; let u = '\\u{7d}'; let b = b\"\\\"}\"; }\nfn hot() {}",
	      "\nfn hot() {}", 1);
	check("#[test] fn t() { let x = br##\"\"#}\"##; let y = r#match; }\nfn hot() {}", "\nfn hot() {}", 1);
	check("#[test] fn t() { let x = 1.0e3; let y = x.0.1; let z = 'ü'; }\nfn hot() {}", "\nfn hot() {}", 1);
}

static void test_other_attributes_stay(void **state)
{
	(void)state;
	const char *kept[] = {
		"#![cfg(test)]\nfn a() {}\n",
		"#[cfg(not(test))]\nfn a() {}\n",
		"#[cfg(all(test, unix))]\nfn a() {}\n",
		"#[cfg_attr(test, derive(Debug))]\nstruct S;\n",
		"#[tokio::test]\nasync fn t() {}\n",
		"#[testing]\nfn a() {}\n",
		"// #[test] fn t() {}\nfn a() {}\n",
		"const S: &str = \"#[test] fn t() {}\";\n",
		"fn a() { let x = [1, 2]; x[0] }\n",
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		check(kept[i], kept[i], 0);
}

/* Unterminated input (a file being written) ends the scan: nothing read past it. */
static void test_unterminated_input_is_safe(void **state)
{
	(void)state;
	check("fn a() {}\n#[test] fn t() { \"", "fn a() {}", 1);
	check("fn a() {}\n#[cfg(test", "fn a() {}\n#[cfg(test", 0);
	check("/* /* */", "/* /* */", 0);
	check("r#\"", "r#\"", 0);
	check("'", "'", 0);
	check("b'\\", "b'\\", 0);
	check("#", "#", 0);
	check("", "", 0);
}

/* text's code must read expected, and read again, the same. */
static void check_code(const char *text, const char *expected)
{
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	rust_code_tokens(text, strlen(text), &out);
	assert_string_equal(sb_str(&out), expected);
	rust_code_tokens(sb_str(&out), out.len, &again);
	assert_string_equal(sb_str(&again), expected);
	sb_release(&out);
	sb_release(&again);
}

/* Two texts that must have the same code, and it must read expected. */
static void check_same_code(const char *a, const char *b, const char *expected)
{
	check_code(a, expected);
	check_code(b, expected);
}

/* Two texts whose code must differ. */
static void check_other_code(const char *a, const char *b)
{
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
	rust_code_tokens(a, strlen(a), &x);
	rust_code_tokens(b, strlen(b), &y);
	if (strcmp(sb_str(&x), sb_str(&y)) == 0)
		fail_msg("'%s' and '%s' read as the same code '%s'", a, b, sb_str(&x));
	sb_release(&x);
	sb_release(&y);
}

static void test_comments_and_layout_are_not_code(void **state)
{
	(void)state;
	check_same_code("fn f(a: u32, b: u32) -> u32 {\n    a + b // sum\n}\n",
			"fn f(a:u32,b:u32)->u32{a+b}", "fn f(a:u32,b:u32)->u32{a+b}");
	check_same_code("let x = y\n    .iter()\n    .map(|v| v * 2) /* doubled */\n    .sum();",
			"let x = y.iter().map(|v| v * 2).sum();", "let x=y.iter().map(|v|v*2).sum();");
	check_same_code("/* a /* nested */ comment */ fn a() {}", "fn a() {}", "fn a(){}");
	check_same_code("fn a() {} ////// not a doc comment\n/**/ /***/", "fn a() {}", "fn a(){}");
}

static void test_doc_comments_strings_and_joints_are_code(void **state)
{
	(void)state;
	/* Macros read doc comments (clap's help); strings and chars keep their spaces. */
	check_code("/// Adds.\n  ///   Fast.\nfn a() {}", "/// Adds.\n///   Fast.\nfn a(){}");
	check_code("//! crate doc\n/** block */ fn a() {} /*! inner */", "//! crate doc\n/** block */fn a(){}/*! inner */");
	check_other_code("/// Adds.\nfn a() {}", "/// Adds two.\nfn a() {}");
	check_other_code("/// Adds.\nfn a() {}", "fn a() {}");
	check_code("let s = \"a  // b\"; let c = ' '; let r = r#\"  \"#;",
		   "let s=\"a  // b\";let c=' ';let r=r#\"  \"#;");
	/* Where the space keeps two tokens apart, it stays. */
	check_other_code("a && b", "a & &b");
	check_other_code("a << b", "a < <b");
	check_other_code("x = - -1", "x = --1");
	check_other_code("m!(r #x)", "m!(r#x)");
	check_other_code("m!(r# \"x\")", "m!(r#\"x\")");
	check_other_code("m!(1. 5)", "m!(1.5)");
	check_other_code("m!(1 .5)", "m!(1.5)");
	check_other_code("m!(\"x\" a)", "m!(\"x\"a)");
	check_other_code("m!(b 'x')", "m!(b'x')");
	check_other_code("m!('a b)", "m!('ab)");
	check_other_code("fn a() {}", "fna() {}");
	check_other_code("a / /* c */ / b", "a // b");
	check_same_code("pub fn a ( ) -> u8 { 1 }", "pub fn a() -> u8 { 1 }", "pub fn a()->u8{1}");
	check_same_code("#[derive(Debug)]", "# [ derive ( Debug ) ]", "#[derive(Debug)]");
	/* The trailing comma rustfmt adds to a list it breaks; (a,) is a tuple, (a) is not. */
	check_same_code("f(\n    a,\n    b,\n)", "f(a, b)", "f(a,b)");
	check_same_code("let v = [\n    1,\n];", "let v = [1];", "let v=[1];");
	check_same_code("S { a: 1, b: (2, 3,), }", "S { a: 1, b: (2, 3) }", "S{a:1,b:(2,3)}");
	check_same_code("match x {\n    1 => a,\n    _ => b,\n}", "match x { 1 => a, _ => b }", "match x{1=>a,_=>b}");
	check_other_code("let t = (a,);", "let t = (a);");
	check_other_code("f((a,))", "f((a))");
	check_other_code("return (a,);", "return (a);");
	check_other_code("let x = &mut (a,);", "let x = &mut (a);");
	check_other_code("x > (a,)", "x > (a)");
	check_same_code("f(\n    a,\n)", "f(a)", "f(a)");
	/* A review's pairs: one-element tuples of generic or closure types, after a ')' or an attribute. */
	check_other_code("type T = (HashMap<u8, u8>,);", "type T = (HashMap<u8, u8>);");
	check_other_code("let t = (|a: u8, b: u8| a,);", "let t = (|a: u8, b: u8| a);");
	check_other_code("struct S(pub(crate) (u8,));", "struct S(pub(crate) (u8));");
	check_other_code("g(x)(a,)", "g(x)(a)");
	/* A macro's or an attribute's tokens are what it reads: `m!(a,)` may match another arm. */
	check_other_code("m!(a, b,)", "m!(a, b)");
	check_other_code("m![a,]", "m![a]");
	check_other_code("macro_rules! m { ($a:expr,) => { f($a,) }; }", "macro_rules! m { ($a:expr,) => { f($a) }; }");
	check_other_code("#[attr(a, b,)] fn f() {}", "#[attr(a, b)] fn f() {}");
	check_same_code("fn f() { m!(a); g(\n    b,\n) }", "fn f() { m!(a); g(b) }", "fn f(){m!(a);g(b)}");
	/* `1. x` is a float and a name; a shebang line is not Rust. */
	check_other_code("m!(1. x)", "m!(1.x)");
	check_code("#!/bin/sh  \"\nfn f() -> &'static str { \"a  b\" }", "#!/bin/sh  \"\nfn f()-> &'static str{\"a  b\"}");
	check_other_code("#!/bin/sh\npub fn f() {}", "#!/bin/sh pub fn f() {}");
	check_code("#![allow(unused)]\nfn f() {}", "#![allow(unused)]fn f(){}");
	check_same_code("// c\n#![allow(unused)]", "#![allow(unused)]", "#![allow(unused)]");
	check_other_code(" #!/bin/sh\nfn f() {}", "#!/bin/sh\nfn f() {}");
	/* A second review's pairs: a byte-order mark before a shebang, a comment before an inner attribute's '['. */
	check_other_code("\xef\xbb\xbf#!/usr/bin/env run /*\nfn main(){println!(\"one\");}",
			 "\xef\xbb\xbf#!/usr/bin/env run /*\nfn main(){println!(\"two\");}");
	check_other_code("#! /*\n\" */ [allow(unused)]\nfn main(){let s=\"a  b\";}",
			 "#! /*\n\" */ [allow(unused)]\nfn main(){let s=\"a b\";}");
	check_other_code("#! // c\n[attr(a,)]", "#! // c\n[attr(a)]");
	/* Rust's other spaces, a literal's suffix, nightly's `macro` and `do yeet`. */
	check_other_code("let v = &mut\xe2\x80\x8e(1,);", "let v = &mut\xe2\x80\x8e(1);");
	check_other_code("let s = m!\xe2\x80\x8e(1,);", "let s = m!\xe2\x80\x8e(1);");
	check_other_code("stringify!(\"s\"r#\"a\"b\"# c  d \")", "stringify!(\"s\"r#\"a\"b\"# c d \")");
	check_other_code("macro m { [$a:expr,] => {1} }", "macro m { [$a:expr] => {1} }");
	check_other_code("macro m($a:expr) { f($a,) }", "macro m($a:expr) { f($a) }");
	check_other_code("do yeet (1,)", "do yeet (1)");
}

static void test_code_of_unterminated_input(void **state)
{
	(void)state;
	check_code("fn a() { \"open", "fn a(){\"open");
	check_code("a /* open", "a");
	check_code("a ///", "a///\n");
	check_code("a /**", "a/**");
	check_code("r#\"open", "r#\"open");
	check_code("'", "'");
	check_code("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_test_module_goes_with_the_space_before_it),
		cmocka_unit_test(test_items_end_where_rust_ends_them),
		cmocka_unit_test(test_what_comes_before_goes_with_it),
		cmocka_unit_test(test_parameters_and_macro_tokens_stay),
		cmocka_unit_test(test_fields_that_look_like_items_end_at_their_comma),
		cmocka_unit_test(test_brackets_in_strings_chars_and_comments_are_not_brackets),
		cmocka_unit_test(test_other_attributes_stay),
		cmocka_unit_test(test_unterminated_input_is_safe),
		cmocka_unit_test(test_comments_and_layout_are_not_code),
		cmocka_unit_test(test_doc_comments_strings_and_joints_are_code),
		cmocka_unit_test(test_code_of_unterminated_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
