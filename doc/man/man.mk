# doc/man/man.mk - the man pages; included by the top Makefile.
#
# Sources: doc/man/<page>.<section>.md, in the markdown subset that
# doc/man/md2roff.awk describes. Their ENVIRONMENT and keys sections are
# build/settings-{env,yaml,run}.md, generated from the settings and
# pgo-wrap.yaml key tables in the C code by rules of the top Makefile.
#
#   make man            renders build/man/cargo-pgo-wrap.1 and build/man/pgo-wrap.yaml.5
#   make install-man    installs them under $(DESTDIR)$(MANDIR)/man1 and man5
#   make uninstall-man  removes them again
#   make check-man      renders them with groff -ww and fails on any warning
#   man -l build/man/cargo-pgo-wrap.1     reads one from the tree

PREFIX        ?= /usr/local
MANDIR        ?= $(PREFIX)/share/man
MAN_SOURCES   := doc/man/cargo-pgo-wrap.1.md doc/man/pgo-wrap.yaml.5.md
MAN_PAGES     := $(MAN_SOURCES:doc/man/%.md=build/man/%)
MAN_SETTINGS  := build/settings-env.md build/settings-yaml.md build/settings-run.md

.PHONY: man install-man uninstall-man check-man

man: $(MAN_PAGES)

# Written to a temp file first: a failed conversion leaves no page behind.
build/man/%: doc/man/%.md doc/man/md2roff.awk $(MAN_SETTINGS)
	@mkdir -p build/man
	awk -f doc/man/md2roff.awk -v env=build/settings-env.md -v yaml=build/settings-yaml.md -v run=build/settings-run.md \
		-v version='$(VERSION)' $< > $@.tmp && mv -f $@.tmp $@ || { rm -f $@.tmp; exit 1; }

install-man: $(MAN_PAGES)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/

uninstall-man:
	rm -f $(patsubst build/man/%.1,$(DESTDIR)$(MANDIR)/man1/%.1,$(filter %.1,$(MAN_PAGES))) \
	      $(patsubst build/man/%.5,$(DESTDIR)$(MANDIR)/man5/%.5,$(filter %.5,$(MAN_PAGES)))

# groff (Debian: groff-base) with every warning on; any warning fails.
check-man: $(MAN_PAGES)
	@set -e; for p in $(MAN_PAGES); do \
		w=$$(groff -man -Tutf8 -ww -z $$p 2>&1); \
		if [ -n "$$w" ]; then printf '%s\n' "$$w" >&2; echo "check-man: $$p has warnings" >&2; exit 1; fi; \
	done; echo "check-man: $(MAN_PAGES): no warnings"

# Kept, not deleted as intermediates: then a change to a key table renders the pages again.
.SECONDARY: $(MAN_SETTINGS)
