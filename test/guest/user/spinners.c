// Threads that never leave guest code (no syscall, no fault): with --threads parallel one of
// them runs on a worker thread. The main thread sleeps, then ends the process in the way
// argv[1] names: "exit" (exit_group), "exec" (execve of this program with "done", which must
// first stop the spinners), "segv" (a spinner's null store: SIGSEGV kills the process),
// "kill" (SIGKILL to itself), or "fork" (a child that exits 7, waited for, then exit_group
// with 3).
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long spins[2];
static volatile int fault;

static void *spin(void *arg) {
  long i = (long)arg;
  for (;;) {
    spins[i]++;
    if (fault && i == 1) *(volatile int *)0 = 1;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "done") == 0) {
    printf("exec'd\n");
    return 5;
  }
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, spin, (void *)i);
  /* A second at least: time for the worker threads to start and take a spinner. */
  for (int slept = 0; slept < 100 || spins[0] < 1000000 || spins[1] < 1000000; slept++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  printf("spinning\n");
  fflush(stdout);
  const char *how = argc > 1 ? argv[1] : "exit";
  if (strcmp(how, "exec") == 0) {
    char *args[] = {argv[0], "done", NULL};
    execv("/proc/self/exe", args);
    return 1;
  }
  if (strcmp(how, "segv") == 0) {
    fault = 1;
    for (;;) pause();
  }
  if (strcmp(how, "kill") == 0) kill(getpid(), SIGKILL);
  if (strcmp(how, "fork") == 0) {
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child %d\n", WEXITSTATUS(status));
    fflush(stdout);
  }
  _exit(3);
}
