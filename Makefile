# gan: build, test, benchmark, demo. GNU make.
#
#   make                 build ./gan
#   make test            build and run the Criterion suite
#   make SANITIZE=1 test the same under AddressSanitizer + UBSan
#   make fuzz FUZZ_SECONDS=30  each libFuzzer target for that long (clang)
#   make chaos           6 workers on one plan under 40 random faults (CHAOS_FAULTS=300: long)
#   make bench           training speed, where it goes, and against a PyTorch twin
#   make demo            build, fetch MNIST, run the paired init experiment
#   make figures         every figure of README.md and docs/ from the current code (hours)
#   make install PREFIX=/usr/local DESTDIR=   gan, gan-download-mnist, gan.1, bash completion
#   make uninstall PREFIX=/usr/local DESTDIR= removes exactly those four files

PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?= 0
MPI      ?= 0
ifeq ($(MPI),1)
BUILD_SUFFIX := -mpi
endif
CC       ?= gcc
VERSION  := 0.1.0

PKGS      := openblas zlib stb
TEST_PKGS := criterion

# oneDNN (libdnnl-dev: --precision=bf16) ships no pkg-config file in Debian
# 12; use one if a later package has it, else its header and -ldnnl.
DNNL_PC   := $(shell pkg-config --exists dnnl 2>/dev/null && echo yes)
ifeq ($(DNNL_PC),yes)
DNNL_CFLAGS := $(shell pkg-config --cflags dnnl)
DNNL_LIBS   := $(shell pkg-config --libs dnnl)
else
DNNL_LIBS   := -ldnnl
endif
# Debian's oneDNN runs on OpenMP (libgomp, which comes with gcc): threads.c
# sets its thread count through omp_set_num_threads.
DNNL_LIBS   += -lgomp
HAVE_DNNL = $(shell echo '\#include <dnnl.h>' | $(CC) $(DNNL_CFLAGS) -E -x c - >/dev/null 2>&1 && echo ok)

# Missing libraries are installed (as root) or named with the exact apt-get
# line (otherwise) before anything is compiled; `make clean` needs nothing.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo ok)$(HAVE_DNNL),okok)
$(info gan: build dependencies missing; running scripts/install-deps.sh)
ifneq ($(shell scripts/install-deps.sh >&2; echo $$?),0)
$(error build dependencies missing: see the message above)
endif
endif
endif

ifeq ($(SANITIZE),1)
BUILD := build/san$(BUILD_SUFFIX)
OPT   := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD := build/rel$(BUILD_SUFFIX)
OPT   := -O3 -g
endif

# Never -ffast-math: the divergence guard relies on isfinite(). We do not use
# floating-point exception flags, so -fno-trapping-math is safe, and it lets
# gcc vectorize the element-wise loops (activations) that select values.
# Nothing reads errno after a math call, so -fno-math-errno is safe too; it
# lets sqrtf inline and Adam's loop vectorize (3x faster Adam, make bench).
# -fopenmp: the bf16 step's element-wise passes and Adam run on the OpenMP
# threads oneDNN's products use (libgomp, linked for oneDNN anyway).
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) -fno-trapping-math -fno-math-errno -fopenmp -Iinclude \
              -DGAN_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS)) $(DNNL_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(shell pkg-config --libs openblas zlib) $(DNNL_LIBS) -lm $(LDLIBS)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS)) -DGAN_BIN='"$(BUILD)/gan"' \
               -DGAN_MAN='"$(BUILD)/gan.1"' -DGAN_MAKE_VARS='"SANITIZE=$(SANITIZE)"'
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS)) -lstb

LIB_SRC  := $(wildcard src/*.c)
# make MPI=1 links Open MPI into gan (mpirun -np N gan experiment); other
# builds take the stub and have no MPI dependency at all.
ifeq ($(MPI),1)
CLI_SRC  := $(filter-out src/cli/mpi_none.c,$(wildcard src/cli/*.c))
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c)
MPI_LIBS   := $(shell pkg-config --libs ompi-c)
else
CLI_SRC  := $(filter-out src/cli/mpi_world.c,$(wildcard src/cli/*.c))
endif
TEST_SRC := $(wildcard tests/*.c)
BENCH_SRC := $(wildcard bench/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)

.PHONY: all test bench demo figures clean install uninstall valgrind fuzz chaos
all: gan

gan: $(BUILD)/gan
ifeq ($(SANITIZE),1)
	@echo "sanitizer build: $(BUILD)/gan"
else
	cp $< $@.tmp && mv -f $@.tmp $@
endif

$(BUILD)/libgan.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/gan: $(CLI_OBJ) $(BUILD)/libgan.a
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libgan.a $(LDLIBS_ALL) $(MPI_LIBS)

$(BUILD)/gan-tests: $(TEST_OBJ) $(BUILD)/libgan.a
	$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJ) $(BUILD)/libgan.a $(TEST_LIBS) $(LDLIBS_ALL)

# The bench defines cblas_sgemm/sgemv itself (timing wrappers that forward to
# OpenBLAS through dlsym), so libgan.a's products bind to them in this binary only.
$(BUILD)/gan-bench: $(BENCH_OBJ) $(BUILD)/libgan.a
	$(CC) $(CFLAGS_ALL) -o $@ $(BENCH_OBJ) $(BUILD)/libgan.a $(LDLIBS_ALL) -ldl

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/src/cli/%.o: src/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

# The suite runs with one OpenBLAS thread per test process: Criterion already
# runs tests in parallel, and one thread keeps float sums reproducible.
# tests/run.sh ends with how many tests were skipped and why.
test: $(BUILD)/gan-tests $(BUILD)/gan $(BUILD)/gan.1 $(BUILD)/gan.bash
	OPENBLAS_NUM_THREADS=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  tests/run.sh $(BUILD)/gan-tests --jobs=2

# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--rounds=3 --no-rss".
bench: gan $(BUILD)/gan-bench
	$(BUILD)/gan-bench $(BENCH_ARGS)

# Each subcommand once under valgrind (invalid accesses, leaks).
valgrind: gan
	scripts/valgrind-check.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c), one per reader of untrusted
# files, built with clang whatever CC is (libFuzzer is clang's). Each runs
# FUZZ_SECONDS on its seed corpus in tests/fuzz/corpus/<target>/; inputs it
# finds go to build/fuzz/corpus/<target>/ and crashes to build/fuzz/, never
# into the source tree.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_TARGETS := idx checkpoint json csv
FUZZ_LIB_SRC := src/idx.c src/checkpoint.c src/ckpt_meaning.c src/rng.c src/json.c \
                src/metrics_csv.c src/fsutil.c src/error.c
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRC) $(wildcard include/gan/*.h) Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(shell pkg-config --libs zlib) -lm

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t && \
	  echo "=== fuzz_$$t for $(FUZZ_SECONDS) s" && \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/$$t- build/fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	    || exit 1; \
	done

# The chaos test (tests/chaos/chaos.sh, issue 22): six workers on one small
# plan on real MNIST under random SIGKILL, SIGSTOP, SIGTERM, deleted and foreign
# locks and planted FIFOs; then every run is checked against a local run
# of the plan. A few minutes with 40 faults; CHAOS_FAULTS=300 for the long one.
CHAOS_FAULTS ?= 40
CHAOS_SEED   ?= 1
chaos: $(BUILD)/gan
	tests/chaos/chaos.sh $(BUILD)/gan $(BUILD)/chaos $(CHAOS_FAULTS) $(CHAOS_SEED)

# The classifier (~20 s) is trained once; with it every epoch is evaluated
# (FD and class coverage), so the report has the FD chart and each run's
# share of every digit.
demo: gan
	./download_mnist.sh
	[ -f data/mnist-classifier.bin ] || ./gan classifier train --data=data/mnist --out=data/mnist-classifier.bin
	./gan experiment --name=demo --epochs=5 --jobs=2 --eval-every=1 --classifier=data/mnist-classifier.bin

# Every figure of README.md and docs/, made again from the current code by the
# commands the pages quote (runs/figures/; hours for all of them, so not part
# of make test). FIGURES="demo probe progress" makes the quick ones.
FIGURES ?= all
figures: gan
	scripts/figures.sh $(FIGURES)

# The man page and the bash completion come from the built binary's --help.
$(BUILD)/gan.1: $(BUILD)/gan scripts/gen-docs.sh
	scripts/gen-docs.sh man $< > $@.tmp && mv -f $@.tmp $@

$(BUILD)/gan.bash: $(BUILD)/gan scripts/gen-docs.sh
	scripts/gen-docs.sh completion $< > $@.tmp && mv -f $@.tmp $@

# make install ends saying how to read the page; MAN_CMD=none plays a machine
# without man-db (a test does).
MAN_CMD ?= man
INSTALLED := $(PREFIX)/bin/gan $(PREFIX)/bin/gan-download-mnist \
             $(PREFIX)/share/man/man1/gan.1 $(PREFIX)/share/bash-completion/completions/gan

install: $(BUILD)/gan $(BUILD)/gan.1 $(BUILD)/gan.bash
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/gan $(DESTDIR)$(PREFIX)/bin/gan
	install -m 755 download_mnist.sh $(DESTDIR)$(PREFIX)/bin/gan-download-mnist
	install -m 644 $(BUILD)/gan.1 $(DESTDIR)$(PREFIX)/share/man/man1/gan.1
	install -m 644 $(BUILD)/gan.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gan
	@scripts/man-hint.sh $(MAN_CMD) $(DESTDIR)$(PREFIX)/share/man/man1/gan.1

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf build gan

# A change of flags here rebuilds everything.
$(LIB_OBJ) $(CLI_OBJ) $(TEST_OBJ) $(BENCH_OBJ): Makefile

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_OBJ:.o=.d)
