/* nt_test.h - tiny test framework: CHECK()s inside TEST()s; prints PASS/FAIL
 * lines in the protocol of tests/run.sh. */
#ifndef NT_TEST_H
#define NT_TEST_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int nt__failed_cases, nt__case_failed;
static const char *nt__case;

#define CHECK(cond) do { if (!(cond)) { \
	printf("FAIL: %s: %s:%d: CHECK(%s)\n", nt__case, __FILE__, __LINE__, #cond); \
	nt__case_failed = 1; return; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	printf("FAIL: %s: %s:%d: %s == %lld, expected %lld\n", nt__case, __FILE__, __LINE__, #a, _a, _b); \
	nt__case_failed = 1; return; } } while (0)
#define CHECK_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) { \
	printf("FAIL: %s: %s:%d: %s == \"%s\", expected \"%s\"\n", nt__case, __FILE__, __LINE__, #a, \
	       _a ? _a : "(null)", _b ? _b : "(null)"); nt__case_failed = 1; return; } } while (0)

#define TEST(name) static void name(void)
#define RUN(name) do { nt__case = #name; nt__case_failed = 0; name(); \
	if (nt__case_failed) nt__failed_cases++; else printf("PASS: %s\n", #name); } while (0)
#define TEST_EXIT() return nt__failed_cases ? 1 : 0

#endif
