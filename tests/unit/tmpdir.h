/* A scratch folder per test (Criterion runs each test in its own process), for tests
 * that write files: make_tmpdir() in .init, remove_tmpdir() in .fini, count_entries()
 * to check that a failure left nothing behind. Include once, after <criterion/criterion.h>. */
#ifndef SLIMC_TEST_TMPDIR_H
#define SLIMC_TEST_TMPDIR_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/slimc_test.XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  DIR *dir = opendir(tmpdir);
  if (!dir) return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(dir)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      unlink(p);
    }
  closedir(dir);
  rmdir(tmpdir);
}

/* Files in the scratch folder. */
static int count_entries(void) {
  DIR *dir = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(dir);
  return n;
}

#endif
