/* Example function in C: a WASI (preview 1) command program, built with clang and wasi-libc.
 *
 * The input arrives on stdin and the output is what the program prints: here the input, ROT13-encoded.
 * Input without a single letter makes the program exit with code 3, which fails the execution. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
    int c;
    long letters = 0;
    while ((c = getchar()) != EOF) {
        if (isalpha(c)) {
            int base = islower(c) ? 'a' : 'A';
            c = base + (c - base + 13) % 26;
            letters++;
        }
        putchar(c);
    }
    if (letters == 0) {
        fprintf(stderr, "rot13: nothing to encode\n");
        return 3;
    }
    fprintf(stderr, "rot13: %ld letters\n", letters);
    return 0;
}
