// Interval timers: alarm() ends a pause(), a periodic ITIMER_REAL ticks three times before it
// is disarmed, getitimer reports a pending timer and a disarmed one, alarm() returns what was
// left of the previous alarm, and a SIGALRM nobody handles kills the process (status 142).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;

static void on_alarm(int sig) {
  (void)sig;
  ticks++;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);

  alarm(1);
  pause();
  printf("pause ended by the alarm: ticks=%d\n", (int)ticks);

  struct itimerval it = {{0, 20000}, {0, 20000}}; /* every 20 ms */
  ticks = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  while (ticks < 3) pause();
  struct itimerval cur;
  getitimer(ITIMER_REAL, &cur);
  printf("periodic: %d ticks, interval %ld us, armed %d\n", (int)ticks, (long)cur.it_interval.tv_usec,
         cur.it_value.tv_sec != 0 || cur.it_value.tv_usec != 0);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("disarmed: value %ld.%06ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

  alarm(100);
  unsigned left = alarm(0);
  printf("alarm(0) after alarm(100) returned %u\n", left);
  errno = 0;
  printf("setitimer(7): %d errno=%s\n", setitimer(7, &off, NULL), errno == EINVAL ? "EINVAL" : "?");

  signal(SIGALRM, SIG_DFL);
  alarm(1);
  for (;;) pause();
}
