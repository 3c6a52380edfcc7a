// POSIX timers: a 10 ms SIGEV_SIGNAL timer ticking a handler (si_code SI_TIMER, si_value; a
// signal taken late counts the periods it missed in si_overrun, so ticks + overruns is what
// elapsed, however busy the host),
// SIGEV_THREAD_ID aimed at a second thread, overruns counted while the signal is blocked
// (timer_getoverrun and si_overrun), SIGEV_NONE's time left, rt_sigtimedwait timing out with
// EAGAIN and taking a pending timer signal, and the errors of bad calls.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
#define MS 1000000L

static const char *err(long r) {
  if (r >= 0) return "ok";
  return errno == EAGAIN ? "EAGAIN" : errno == EINVAL ? "EINVAL" : errno == EINTR ? "EINTR" : "other";
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void arm(timer_t id, long long value_ns, long long interval_ns) {
  struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000}, {value_ns / 1000000000, value_ns % 1000000000}};
  if (timer_settime(id, 0, &its, NULL) != 0) printf("timer_settime failed: %s\n", err(-1));
}

static volatile sig_atomic_t ticks, expirations, bad_code, bad_value;
static volatile pid_t handled_by;

static void on_tick(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  ticks++;
  expirations += 1 + si->si_overrun;
  if (si->si_code != SI_TIMER) bad_code++;
  if (si->si_value.sival_int != 42) bad_value++;
}

static void on_usr2(int sig) {
  (void)sig;
  handled_by = (pid_t)syscall(SYS_gettid);
}

static volatile pid_t worker_tid;
static volatile int stop;

static void *worker(void *arg) {
  (void)arg;
  worker_tid = (pid_t)syscall(SYS_gettid);
  while (!stop) usleep(1000);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  timer_t id;
  struct sigevent sev;

  // Errors.
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = 99;
  printf("bad sigev_notify: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &id)));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = 65;
  printf("bad signal: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &id)));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_notify_thread_id = 999999;
  printf("SIGEV_THREAD_ID to no thread: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &id)));
  printf("bad clock: %s\n", err(timer_create(12345, NULL, &id)));

  // SIGEV_SIGNAL: a handler counts the ticks of a 10 ms timer for about 100 ms (until the
  // expirations, overruns included, reach 10: a busy host may deliver fewer signals).
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_tick;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 42;
  printf("timer_create: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &id)));
  printf("overrun before any: %d\n", timer_getoverrun(id));
  arm(id, 10 * MS, 10 * MS);
  long long start = now_ns(), until = start + 10000 * MS;
  while (expirations < 10 && now_ns() < until) usleep(2000);
  long long elapsed = now_ns() - start;
  struct itimerspec cur;
  timer_gettime(id, &cur);
  printf("ticks >= 1: %d, expirations >= 10: %d, elapsed >= 95 ms: %d, si_code SI_TIMER: %d, si_value 42: %d\n",
         ticks >= 1, expirations >= 10, elapsed >= 95 * MS, bad_code == 0, bad_value == 0);
  printf("gettime: interval %ld.%09ld, left in (0, 10 ms]: %d\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * MS);
  printf("timer_delete: %s\n", err(timer_delete(id)));
  int after = ticks;
  usleep(30 * 1000);
  printf("no ticks after delete: %d\n", ticks == after);
  printf("settime on a deleted timer: %s\n", err(timer_settime(id, 0, &cur, NULL)));

  // SIGEV_THREAD_ID: the signal goes to the worker thread although main does not block it.
  signal(SIGUSR2, on_usr2);
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  while (!worker_tid) usleep(1000);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_notify_thread_id = worker_tid;
  printf("timer_create SIGEV_THREAD_ID: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &id)));
  arm(id, 20 * MS, 0);
  until = now_ns() + 10000 * MS;
  while (!handled_by && now_ns() < until) usleep(1000);
  printf("handled by the worker: %d, not by main: %d\n", handled_by == worker_tid, handled_by != getpid());
  stop = 1;
  pthread_join(th, NULL);
  timer_delete(id);

  // SIGEV_NONE: nothing is sent; gettime still tells the time left.
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_REALTIME, &sev, &id);
  arm(id, 1000 * MS, 0);
  timer_gettime(id, &cur);
  printf("SIGEV_NONE left in (0.5 s, 1 s]: %d\n",
         (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 500 * MS) || (cur.it_value.tv_sec == 1 && cur.it_value.tv_nsec == 0));
  timer_delete(id);

  // rt_sigtimedwait: a timeout gives EAGAIN; a blocked timer signal is taken with its overruns.
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  siginfo_t si;
  struct timespec zero = {0, 0}, short_wait = {0, 20 * MS}, long_wait = {5, 0};
  printf("sigtimedwait, nothing pending, zero timeout: %s\n", err(sigtimedwait(&alrm, &si, &zero)));
  start = now_ns();
  int r = sigtimedwait(&alrm, &si, &short_wait);
  printf("sigtimedwait 20 ms: %s, waited >= 15 ms: %d\n", err(r), now_ns() - start >= 15 * MS);
  timer_create(CLOCK_MONOTONIC, NULL, &id); // SIGEV_SIGNAL with SIGALRM, si_value = the timer id
  arm(id, 10 * MS, 10 * MS);
  usleep(100 * 1000); // about nine periods pass while SIGALRM is blocked
  memset(&si, 0, sizeof si);
  r = sigtimedwait(&alrm, &si, &long_wait);
  int overrun = timer_getoverrun(id);
  printf("sigtimedwait: %d (SIGALRM %d), si_code SI_TIMER %d, overrun >= 3: %d, si_overrun matches %d\n", r, SIGALRM,
         si.si_code == SI_TIMER, overrun >= 3, si.si_overrun == overrun);
  r = sigtimedwait(&alrm, &si, &long_wait);
  printf("the next period: %d\n", r);
  timer_delete(id);
  // A period may have ended between the wait above and the delete on a loaded host: Linux
  // leaves that signal pending. Take it, then see that the deleted timer sends no more.
  sigtimedwait(&alrm, &si, &zero);
  usleep(30 * 1000);
  sigset_t pend;
  sigpending(&pend);
  printf("three periods after delete, pending SIGALRM %d\n", sigismember(&pend, SIGALRM));
  return 0;
}
