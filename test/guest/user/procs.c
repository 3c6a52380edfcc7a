// Processes: fork with a pipe, exec of this program, vfork, posix_spawn, wait statuses (an
// exit code, a fatal signal, kill() from the parent), waitid, getppid. Output is printed by the
// parent after each wait, so it is deterministic; the reference is the same source built
// for the host.
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", what, WTERMSIG(st));
  else printf("%s: status 0x%x\n", what, st);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) {
    char buf[100];
    ssize_t n = read(0, buf, sizeof buf);
    printf("exec'd child read %zd: %.*s", n, (int)n, buf);
    return 5;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t self = getpid();

  int fds[2];
  pipe(fds);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    dup2(fds[0], 0);
    if (getppid() != self) _exit(99);
    execl(argv[0], argv[0], "child", (char *)0);
    _exit(127);
  }
  close(fds[0]);
  write(fds[1], "via pipe\n", 9);
  close(fds[1]);
  int st;
  printf("waitpid returned the child: %d\n", waitpid(pid, &st, 0) == pid);
  report("fork+exec child", st);

  int shared = 1;
  pid = fork();
  if (pid == 0) {
    shared = 2;  // the child's memory is its own
    _exit(shared + 40);
  }
  waitpid(pid, &st, 0);
  report("fork child", st);
  printf("parent still sees %d\n", shared);

  pid = vfork();
  if (pid == 0) _exit(9);
  waitpid(pid, &st, 0);
  report("vfork child", st);

  pid = fork();
  if (pid == 0) *(volatile int *)0 = 1;
  waitpid(pid, &st, 0);
  report("faulting child", st);

  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  kill(pid, SIGTERM);
  waitpid(pid, &st, 0);
  report("killed child", st);

  char *args[] = {argv[0], "child", NULL};
  int p2[2];
  pipe(p2);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p2[0], 0);
  posix_spawn_file_actions_addclose(&fa, p2[1]);
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, args, environ);
  close(p2[0]);
  write(p2[1], "spawned\n", 8);
  close(p2[1]);
  waitpid(pid, &st, 0);
  printf("posix_spawn: %d\n", rc);
  report("spawned child", st);

  // waitid: WNOWAIT looks without reaping, a second call reaps; WNOHANG with only a running
  // child reports nothing; a killed child says CLD_KILLED and the signal.
  pid = fork();
  if (pid == 0) _exit(5);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  rc = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  printf("waitid WNOWAIT: %d signo=%d code=%d status=%d pid ok=%d\n", rc, si.si_signo, si.si_code,
         si.si_status, si.si_pid == pid);
  memset(&si, 0, sizeof si);
  rc = waitid(P_ALL, 0, &si, WEXITED);
  printf("waitid: %d code=%d status=%d pid ok=%d\n", rc, si.si_code, si.si_status, si.si_pid == pid);
  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  memset(&si, 0, sizeof si);
  rc = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
  printf("waitid WNOHANG, child running: %d pid=%d\n", rc, si.si_pid);
  kill(pid, SIGKILL);
  rc = waitid(P_PID, pid, &si, WEXITED);
  printf("waitid killed: %d code=%d status=%d\n", rc, si.si_code, si.si_status);
  errno = 0;
  rc = waitid(P_ALL, 0, &si, WEXITED);
  printf("waitid, no children: %d errno=%d\n", rc, errno);
  printf("no more children: %d\n", wait(&st) == -1);
  return 0;
}
