# md2roff.awk - the man page sources in doc/man/*.md to roff (man macros).
# POSIX awk: runs with mawk (Debian's default), gawk and busybox awk.
#
#   awk -f doc/man/md2roff.awk -v env=FILE -v yaml=FILE -v run=FILE [-v version=V] page.md > page.N
#
# The markdown subset, and what each part becomes:
#
#   % NAME(SECTION) SOURCE | MANUAL     first line: .TH NAME SECTION DATE SOURCE MANUAL
#                                       (-v version=V: "SOURCE V")
#   % DATE                              second line (optional)
#   # HEADING                           .SH HEADING (set as written: marks dropped)
#   ## Heading                          .SS Heading
#   text lines, blank-line separated    .PP paragraphs (leading blanks dropped)
#   | line                              a line of its own (a line block: .br after it)
#   * item / - item                     .IP \(bu 2; lines indented 2+ continue the item
#   1. item                             .IP 1. 4
#   TERM                                a definition list item (Pandoc's form):
#   : definition                          .TP, TERM as the tag, the definition as its body;
#       more paragraphs, indented 4       further paragraphs and ``` blocks indented by 4
#   ``` ... ```                         a code block: .nf/.fi, indented (.RS 4, or .IP
#                                       inside a definition)
#   `code`  **bold**  *emphasis*        \fB..\fR  \fB..\fR  \fI..\fR (each within one line)
#   @SETTINGS env@  @SETTINGS yaml@     a line consisting of exactly this is replaced by
#   @SETTINGS run@                      the lines of the file given as -v env=FILE,
#                                       -v yaml=FILE or -v run=FILE (markdown of this
#                                       same subset, made from the code's tables)
#
# Escaped for roff: backslashes (\e), a leading dot or apostrophe (\&), and, in code,
# bold and the NAME section, the characters groff would typeset as other glyphs
# (- ' ` ~ ^), so that options and paths copy as typed.

function fail(msg) {
	printf "md2roff.awk: %s\n", msg | "cat 1>&2"
	failed = 1
	exit 1
}

# Splices the lines of a settings file in place of the @SETTINGS ...@ line.
function splice(file, which,    line, rc, got) {
	if (file == "")
		fail(FILENAME ":" FNR ": @SETTINGS " which "@ needs -v " which "=FILE")
	got = 0
	while ((rc = (getline line < file)) > 0) {
		src[++n] = line
		got++
	}
	if (rc < 0)
		fail("cannot read " file " (-v " which "=" file ")")
	close(file)
	if (got == 0)
		fail(file " (-v " which "=" file ") is empty")
}

# Characters that groff would typeset as other glyphs, in literal text.
function literal(s) {
	gsub(/-/, "\\-", s)
	gsub(/'/, "\\(aq", s)
	gsub(/`/, "\\(ga", s)
	gsub(/~/, "\\(ti", s)
	gsub(/\^/, "\\(ha", s)
	return s
}

# Hyphens that are minus signs: options, names (*cargo-args*) typed as written.
function hyphens(s) {
	gsub(/-/, "\\-", s)
	return s
}

# Prose between code spans: **bold** and *emphasis*.
function emphasis(s,    out, start, len) {
	out = ""
	while (match(s, /\*\*[^*]+\*\*/)) {
		start = RSTART; len = RLENGTH   # emphasis1's match() sets them again
		out = out emphasis1(substr(s, 1, start - 1)) "\\fB" literal(substr(s, start + 2, len - 4)) "\\fR"
		s = substr(s, start + len)
	}
	return out emphasis1(s)
}

function emphasis1(s,    out) {
	out = ""
	while (match(s, /\*[^* \t]([^*]*[^* \t])?\*/)) {
		out = out substr(s, 1, RSTART - 1) "\\fI" hyphens(substr(s, RSTART + 1, RLENGTH - 2)) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	return out s
}

# One line of markdown text to roff text.
function inline(s,    out, i, parts, k) {
	gsub(/\\/, "\\e", s)
	k = split(s, parts, "`")
	if (k % 2 == 0)
		fail(FILENAME ": unclosed ` in: " s)
	out = ""
	for (i = 1; i <= k; i++) {
		if (i % 2 == 0)
			out = out "\\fB" literal(parts[i]) "\\fR"
		else if (in_name)
			out = out literal(parts[i])   # whatis reads "name \- summary"
		else
			out = out emphasis(parts[i])
	}
	if (out ~ /\*\*/)
		fail("** not closed on its line (marks cannot span lines): " s)
	return out
}

# A heading is set in one font by its macro: its marks are dropped, its text literal.
function heading(s) {
	gsub(/[`*]/, "", s)
	gsub(/\\/, "\\e", s)
	s = literal(s)
	gsub(/"/, "\\(dq", s)
	return s
}

# A line of roff text: never a request, never breaking on leading blanks.
function text(s) {
	sub(/^[ \t]+/, "", s)
	s = inline(s)
	if (s ~ /^[.']/)
		s = "\\&" s
	print s
}

function code_line(s) {
	gsub(/\\/, "\\e", s)
	s = literal(s)
	if (s ~ /^[.']/)
		s = "\\&" s
	if (s == "")
		s = "\\&"
	print s
}

function is_blank(s) { return s ~ /^[ \t]*$/ }
function is_fence(s) { return s ~ /^(    )?```/ }
function is_item(s) { return s ~ /^[*-] / || s ~ /^[0-9]+\. / }
function is_def(s) { return s ~ /^: / }
function is_heading(s) { return s ~ /^#/ }
# Line i is a definition list term: the next line is its definition.
function is_term(i) { return i < n && is_def(src[i + 1]) && !is_def(src[i]) && !is_blank(src[i]) }

# Prints a code block starting at line i (its fence); returns the line after it.
function code_block(i, indented,    fence) {
	fence = src[i]
	sub(/```.*/, "```", fence)
	if (indented) {
		print ".IP"
	} else {
		print ".PP"
		print ".RS 4"
	}
	print ".nf"
	for (i++; i <= n && src[i] != fence; i++) {
		line = src[i]
		if (indented)
			sub(/^    /, "", line)
		code_line(line)
	}
	if (i > n)
		fail("a code block opened by '" fence "' is not closed")
	print ".fi"
	if (!indented)
		print ".RE"
	return i + 1
}

BEGIN { failed = 0; n = 0 }

{
	line = $0
	sub(/\r$/, "", line)
	if (line == "@SETTINGS env@")
		splice(env, "env")
	else if (line == "@SETTINGS yaml@")
		splice(yaml, "yaml")
	else if (line == "@SETTINGS run@")
		splice(run, "run")
	else if (line ~ /^@SETTINGS/)
		fail(FILENAME ":" FNR ": unknown settings table: " line)
	else
		src[++n] = line
}

END {
	if (failed)
		exit 1
	i = 1
	if (src[1] !~ /^% [^ ]+\([0-9a-z]+\)/)
		fail("the first line must be the title: % NAME(SECTION) SOURCE | MANUAL")
	title = substr(src[1], 3)
	name = title; sub(/\(.*/, "", name)
	sect = title; sub(/^[^(]*\(/, "", sect); sub(/\).*/, "", sect)
	rest = title; sub(/^[^)]*\) */, "", rest)
	source = rest; sub(/ *\|.*/, "", source)
	if (version != "")
		source = source " " version
	manual = ""
	if (rest ~ /\|/) { manual = rest; sub(/^[^|]*\| */, "", manual) }
	date = ""
	i = 2
	if (src[2] ~ /^% /) { date = substr(src[2], 3); i = 3 }
	print ".\\\" Generated by doc/man/md2roff.awk; edit the .md source, not this file."
	printf ".TH \"%s\" \"%s\" \"%s\" \"%s\" \"%s\"\n", toupper(name), sect, date, source, manual
	print ".nh"
	print ".ad l"

	in_def = 0   # within a definition list item's body
	while (i <= n) {
		line = src[i]
		if (is_blank(line)) { i++; continue }
		if (line ~ /^## /) {
			print ".SS " heading(substr(line, 4))
			in_def = 0; i++; continue
		}
		if (line ~ /^# /) {
			head = substr(line, 3)
			in_name = (head == "NAME")
			print ".SH " heading(toupper(head))
			in_def = 0; i++; continue
		}
		if (is_fence(line)) {
			indented = (line ~ /^    /)
			i = code_block(i, indented && in_def)
			continue
		}
		# A definition list item: TERM, then ": definition".
		if (is_term(i)) {
			print ".TP"
			text(line)
			in_def = 1
			after_term = 1
			i++
			continue
		}
		if (is_def(line)) {
			if (!in_def)
				fail("line " i ": a definition (: ...) without a term above it")
			# The first definition is the tag's body; another one is a paragraph of it.
			if (!after_term)
				print ".IP"
			after_term = 0
			text(substr(line, 3))
			for (i++; i <= n && !is_blank(src[i]) && !is_def(src[i]) && !is_fence(src[i]) && !is_term(i); i++)
				text(src[i])
			continue
		}
		# A further paragraph of a definition: indented by 4.
		if (in_def && line ~ /^    /) {
			print ".IP"
			for (; i <= n && !is_blank(src[i]) && !is_fence(src[i]) && !is_term(i); i++)
				text(src[i])
			continue
		}
		in_def = 0
		if (line ~ /^\| /) {
			print ".PP"
			for (; i <= n && src[i] ~ /^\| /; i++) {
				text(substr(src[i], 3))
				print ".br"
			}
			continue
		}
		if (is_item(line)) {
			if (line ~ /^[*-] /) {
				print ".IP \\(bu 2"
				body = substr(line, 3)
			} else {
				tag = line; sub(/ .*/, "", tag)
				print ".IP " tag " 4"
				body = line; sub(/^[0-9]+\. /, "", body)
			}
			text(body)
			for (i++; i <= n && src[i] ~ /^  +[^ ]/ && !is_fence(src[i]); i++)
				text(src[i])
			continue
		}
		if (is_heading(line))
			fail("line " i ": only # and ## headings are supported: " line)
		# A paragraph: up to a blank line, a list item or a code block.
		print ".PP"
		for (; i <= n && !is_blank(src[i]) && !is_fence(src[i]) && !is_item(src[i]) && !is_heading(src[i]); i++) {
			if (is_term(i))
				break
			text(src[i])
		}
	}
}
