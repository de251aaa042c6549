/* Userspace CMPXCHG16B check for bench/tcg_cx16.py: two threads add 1 to one 128-bit
 * counter with `lock cmpxchg16b` in a CAS loop (contended), and the total must be exact.
 * It proves the CPU executes the instruction (SIGILL otherwise) and that the emulator gets
 * its result and ZF right: a wrong ZF either loses increments or spins. Static, so it runs
 * in the web image's busybox initramfs. Prints "cas16: ok N" or "cas16: wrong N (want M)". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 2
#define PER_THREAD 200000

static volatile unsigned __int128 counter __attribute__((aligned(16)));

static int cas16(volatile unsigned __int128 *p, unsigned __int128 *expected,
                 unsigned __int128 desired) {
  uint64_t lo = (uint64_t)*expected, hi = (uint64_t)(*expected >> 64);
  uint8_t ok;
  __asm__ __volatile__("lock cmpxchg16b %1\n\tsetz %0"
                       : "=q"(ok), "+m"(*p), "+a"(lo), "+d"(hi)
                       : "b"((uint64_t)desired), "c"((uint64_t)(desired >> 64))
                       : "memory", "cc");
  *expected = ((unsigned __int128)hi << 64) | lo;
  return ok;
}

static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    unsigned __int128 seen = counter;
    while (!cas16(&counter, &seen, seen + 1)) {
    }
  }
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, work, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  unsigned long long got = (unsigned long long)counter, want = THREADS * PER_THREAD;
  if (got == want) {
    printf("cas16: ok %llu\n", got);
    return 0;
  }
  printf("cas16: wrong %llu (want %llu)\n", got, want);
  return 1;
}
