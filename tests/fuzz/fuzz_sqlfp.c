/* libFuzzer: the SQL fingerprinter on any bytes: no crash, output always
 * terminated and within the buffer, and fingerprinting its own output is
 * stable, in every dialect. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obslab/sqlfp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char once[256], twice[256], small[8], word[64];
	size_t n = sqlfp_normalize((const char *)data, size, once, sizeof once);
	if (strlen(once) >= sizeof once || (n < sizeof once && strlen(once) != n))
		__builtin_trap();
	(void)sqlfp_normalize((const char *)data, size, small, sizeof small);
	if (strlen(small) >= sizeof small)
		__builtin_trap();
	if (n < sizeof once && memchr(once, '\0', n) == NULL) {
		size_t m = sqlfp_normalize(once, n, twice, sizeof twice);
		if (m < sizeof twice && strcmp(once, twice) != 0)
			__builtin_trap(); /* a fingerprint is its own fingerprint */
	}
	sqlfp_operation(once, word, sizeof word);
	sqlfp_collection(once, word, sizeof word);
	sqlfp_where_column(once, word, sizeof word);
	/* the same for every dialect SQL from files is read in */
	for (int d = SQLFP_MYSQL; d <= SQLFP_ANY; d++) {
		n = sqlfp_normalize_dialect((const char *)data, size, (enum sqlfp_dialect)d, once, sizeof once);
		if (strlen(once) >= sizeof once || (n < sizeof once && strlen(once) != n))
			__builtin_trap();
		if (n < sizeof once && memchr(once, '\0', n) == NULL) {
			size_t m = sqlfp_normalize_dialect(once, n, (enum sqlfp_dialect)d, twice, sizeof twice);
			if (m < sizeof twice && strcmp(once, twice) != 0)
				__builtin_trap();
		}
	}
	return 0;
}
