// How far user mode goes with each syscall of riscv64 Linux 6.1 (linux-syscalls.ts), in one
// place: implemented (with the guest program whose run checks it against a reference),
// partial (what differs), or refused (the errno and why). The README's table is generated
// from this (scripts/syscall-table.mjs) and test/syscall-coverage.test.ts keeps the two, the
// dispatcher and the kernel's list in step. A syscall the dispatcher does not have gets ENOSYS.
// Programs are named relative to test/guest.

import { LINUX_SYSCALLS } from "./linux-syscalls.js";

export type Coverage =
  | { readonly status: "implemented"; readonly test: string; readonly note?: string }
  | { readonly status: "partial"; readonly note: string; readonly test?: string }
  | { readonly status: "refused"; readonly errno: string; readonly note: string };

const done = (test: string, note?: string): Coverage => ({ status: "implemented", test, note });
const partial = (note: string, test?: string): Coverage => ({ status: "partial", note, test });
const refused = (errno: string, note: string): Coverage => ({ status: "refused", errno, note });

const XATTR =
  "no file has extended attributes: after Linux's checks of the path or fd, EOPNOTSUPP, as on a file system without them (Node's fs has no xattr calls)";
/** What Node's net and dgram cannot give exactly (the whole list: src/modes/user/inet.ts). */
const INET = "internet sockets go through Node's net/dgram; differences are listed in src/modes/user/inet.ts";
const LIMITS = "limits are recorded and read back, not enforced";
const NO_EFFECT = "accepted without effect";
const IDS = "ids and capabilities never change: EPERM unless the call changes nothing";
const AIO = "Linux AIO contexts are not emulated; glibc's POSIX AIO uses threads instead";
const IO_URING = "io_uring is not offered; programs fall back to ordinary calls";
const MOUNTS = "the guest's namespace is fixed by the command line (--bind, --ro-bind)";
const OTHER_PROCESSES = "tracing or reaching into other processes is not offered";
const ADMIN = "administration of the host (time, modules, reboot, swap, quotas, names) is not the guest's";
const KERNEL_PROBES = "eBPF and performance counters belong to the host kernel";
const SANDBOXES = "seccomp and Landlock filters are not emulated";
const KEYRINGS = "kernel keyrings are not emulated";
const NOTIFY =
  "file change notification cannot be exact: Node's fs.watch has no cookies, masks or IN_CLOSE_WRITE; programs fall back to polling";
const NAMESPACES = "Linux namespaces are not emulated";
const NUMA = "one memory node: NUMA policies do not apply";
const SYSV_IPC = "System V IPC is not emulated yet";
const NOT_YET = "not implemented yet";

export const COVERAGE: Readonly<Record<number, Coverage>> = {
  0: refused("ENOSYS", AIO), // io_setup
  1: refused("ENOSYS", AIO), // io_destroy
  2: refused("ENOSYS", AIO), // io_submit
  3: refused("ENOSYS", AIO), // io_cancel
  4: refused("ENOSYS", AIO), // io_getevents
  5: partial(XATTR), // setxattr
  6: partial(XATTR), // lsetxattr
  7: partial(XATTR), // fsetxattr
  8: partial(XATTR, "user/files.c"), // getxattr
  9: partial(XATTR), // lgetxattr
  10: partial(XATTR), // fgetxattr
  11: partial(XATTR), // listxattr
  12: partial(XATTR), // llistxattr
  13: partial(XATTR), // flistxattr
  14: partial(XATTR), // removexattr
  15: partial(XATTR), // lremovexattr
  16: partial(XATTR), // fremovexattr
  17: done("user/fileio.c"), // getcwd
  18: refused("ENOSYS", ADMIN), // lookup_dcookie
  19: done("user/epollet.c"), // eventfd2
  20: done("user/epollet.c"), // epoll_create1
  21: done("user/epollet.c"), // epoll_ctl
  22: done("user/epollet.c"), // epoll_pwait
  23: done("user/fileio.c"), // dup
  24: done("user/procs.c"), // dup3
  25: done("user/fileio.c", "record locks always succeed (one process's view)"), // fcntl
  26: refused("ENOSYS", NOTIFY), // inotify_init1
  27: refused("ENOSYS", NOTIFY), // inotify_add_watch
  28: refused("ENOSYS", NOTIFY), // inotify_rm_watch
  29: done("user/fileio.c"), // ioctl
  30: refused("ENOSYS", NOT_YET), // ioprio_set
  31: refused("ENOSYS", NOT_YET), // ioprio_get
  32: done("user/fifolock.c", "locks are seen only inside this run, not by host processes"), // flock
  33: done("user/epollet.c"), // mknodat
  34: done("user/fileio.c"), // mkdirat
  35: done("user/fileio.c"), // unlinkat
  36: done("user/openat2.c"), // symlinkat
  37: done("user/sysmisc.c"), // linkat
  39: refused("ENOSYS", MOUNTS), // umount2
  40: refused("ENOSYS", MOUNTS), // mount
  41: refused("ENOSYS", MOUNTS), // pivot_root
  42: refused("ENOSYS", ADMIN), // nfsservctl
  43: done("user/sysmisc.c"), // statfs
  44: done("user/sysmisc.c"), // fstatfs
  45: done("user/sysmisc.c"), // truncate
  46: done("user/files.c"), // ftruncate
  47: partial("always EOPNOTSUPP: Node has no fallocate (glibc's posix_fallocate then writes the range)"), // fallocate
  48: done("user/fileio.c"), // faccessat
  49: done("user/fileio.c"), // chdir
  50: done("user/sysmisc.c"), // fchdir
  51: refused("ENOSYS", MOUNTS), // chroot
  52: done("user/sysmisc.c"), // fchmod
  53: done("user/sysmisc.c"), // fchmodat
  54: done("user/sysmisc.c"), // fchownat
  55: done("user/sysmisc.c"), // fchown
  56: done("user/fileio.c", "O_TMPFILE refused (EOPNOTSUPP)"), // openat
  57: done("user/fileio.c"), // close
  58: refused("ENOSYS", ADMIN), // vhangup
  59: done("user/mmsg.c"), // pipe2
  60: refused("ENOSYS", ADMIN), // quotactl
  61: done("user/fileio.c"), // getdents64
  62: done("user/fileio.c"), // lseek
  63: done("user/fileio.c"), // read
  64: done("user/fileio.c"), // write
  65: done("user/sysmisc.c"), // readv
  66: done("user/fileio.c"), // writev
  67: done("user/fileio.c"), // pread64
  68: done("user/fileio.c"), // pwrite64
  69: done("user/sysmisc.c"), // preadv
  70: done("user/sysmisc.c"), // pwritev
  71: done("user/sysmisc.c"), // sendfile
  72: done("user/timerfd.c"), // pselect6
  73: done("user/timerfd.c"), // ppoll
  74: done("user/epollet.c"), // signalfd4
  75: refused("ENOSYS", NOT_YET), // vmsplice
  76: done("user/files.c", "at most 64 KiB per call"), // splice
  77: done("user/files.c"), // tee
  78: done("user/fileio.c"), // readlinkat
  79: done("user/fileio.c"), // newfstatat
  80: done("user/sysmisc.c"), // fstat
  81: done("user/sysmisc.c"), // sync
  82: done("user/sysmisc.c"), // fsync
  83: done("user/sysmisc.c"), // fdatasync
  84: partial("only checks its arguments: writes reach the host at once", "user/files.c"), // sync_file_range
  85: done("user/epollet.c"), // timerfd_create
  86: done("user/epollet.c"), // timerfd_settime
  87: done("user/timerfd.c"), // timerfd_gettime
  88: partial("nanoseconds are rounded: Node passes times to the host as a double", "user/sysmisc.c"), // utimensat
  89: refused("ENOSYS", ADMIN), // acct
  90: done("user/files.c"), // capget
  91: partial(IDS, "user/files.c"), // capset
  92: partial("always answers PER_LINUX (0) and changes nothing"), // personality
  93: done("user/mmsg.c"), // exit
  94: done("user/fileio.c"), // exit_group
  95: done("user/procs.c"), // waitid
  96: done("user/fileio.c"), // set_tid_address
  97: refused("ENOSYS", NAMESPACES), // unshare
  98: done("user/timerfd.c"), // futex
  99: done("user/fileio.c"), // set_robust_list
  100: partial(
    "the pid argument is ignored: the calling thread's list (qemu-riscv64 lacks the call, so no reference)",
  ), // get_robust_list
  101: done("go/main.go"), // nanosleep
  102: done("user/itimer.c"), // getitimer
  103: done("user/itimer.c"), // setitimer
  104: refused("ENOSYS", ADMIN), // kexec_load
  105: refused("ENOSYS", ADMIN), // init_module
  106: refused("ENOSYS", ADMIN), // delete_module
  107: done("user/posixtimers.c"), // timer_create
  108: done("user/posixtimers.c"), // timer_gettime
  109: done("user/posixtimers.c"), // timer_getoverrun
  110: done("user/posixtimers.c"), // timer_settime
  111: done("user/posixtimers.c"), // timer_delete
  112: refused("ENOSYS", ADMIN), // clock_settime
  113: done("user/socktimeo.c"), // clock_gettime
  114: done("user/sysmisc.c"), // clock_getres
  115: done("user/mmsg.c"), // clock_nanosleep
  116: refused("ENOSYS", ADMIN), // syslog
  117: refused("ENOSYS", OTHER_PROCESSES), // ptrace
  118: refused("ENOSYS", "real-time policies are not offered (the host schedules hartwood as one process)"), // sched_setparam
  119: refused("ENOSYS", "real-time policies are not offered (the host schedules hartwood as one process)"), // sched_setscheduler
  120: done("user/sysmisc.c"), // sched_getscheduler
  121: done("user/sysmisc.c"), // sched_getparam
  122: partial(NO_EFFECT, "user/sysmisc.c"), // sched_setaffinity
  123: done("user/sysmisc.c"), // sched_getaffinity
  124: done("go/main.go"), // sched_yield
  125: partial("0 for every policy: real-time policies are refused (EPERM)", "user/sysmisc.c"), // sched_get_priority_max
  126: partial("0 for every policy: real-time policies are refused (EPERM)", "user/sysmisc.c"), // sched_get_priority_min
  127: refused("ENOSYS", NOT_YET), // sched_rr_get_interval
  128: refused("ENOSYS", "Hartwood restarts interrupted calls itself; the guest never needs it"), // restart_syscall
  129: done("user/signalfd.c"), // kill
  130: done("user/sysmisc.c"), // tkill
  131: done("user/sysmisc.c"), // tgkill
  132: done("user/signals.c"), // sigaltstack
  133: done("user/sysmisc.c"), // rt_sigsuspend
  134: done("user/sysmisc.c"), // rt_sigaction
  135: done("user/sysmisc.c"), // rt_sigprocmask
  136: done("user/signalfd.c"), // rt_sigpending
  137: done("user/posixtimers.c"), // rt_sigtimedwait
  138: refused("ENOSYS", NOT_YET), // rt_sigqueueinfo
  139: done("user/sysmisc.c"), // rt_sigreturn
  140: partial("nice values are accepted and read back, without effect", "user/sysmisc.c"), // setpriority
  141: done("user/sysmisc.c"), // getpriority
  142: refused("ENOSYS", ADMIN), // reboot
  143: partial(IDS, "user/files.c"), // setregid
  144: partial(IDS, "user/files.c"), // setgid
  145: partial(IDS, "user/files.c"), // setreuid
  146: partial(IDS, "user/files.c"), // setuid
  147: partial(IDS, "user/files.c"), // setresuid
  148: done("user/sysmisc.c"), // getresuid
  149: partial(IDS, "user/files.c"), // setresgid
  150: done("user/sysmisc.c"), // getresgid
  151: partial(IDS, "user/files.c"), // setfsuid
  152: partial(IDS, "user/files.c"), // setfsgid
  153: done("user/sysmisc.c"), // times
  154: partial("accepted without effect: process groups are not kept"), // setpgid
  155: done("user/sysmisc.c"), // getpgid
  156: done("user/sysmisc.c"), // getsid
  157: done("user/sysmisc.c"), // setsid
  158: done("user/sysmisc.c"), // getgroups
  159: refused("ENOSYS", "supplementary groups are none and cannot change (see the set*id rows)"), // setgroups
  160: done("user/sysmisc.c"), // uname
  161: refused("ENOSYS", ADMIN), // sethostname
  162: refused("ENOSYS", ADMIN), // setdomainname
  163: done("go/main.go"), // getrlimit
  164: partial(LIMITS, "user/sysmisc.c"), // setrlimit
  165: done("user/sysmisc.c"), // getrusage
  166: done("user/fifolock.c"), // umask
  167: done("user/sysmisc.c"), // prctl
  168: done("user/sysmisc.c"), // getcpu
  169: done("user/sysmisc.c"), // gettimeofday
  170: refused("ENOSYS", ADMIN), // settimeofday
  171: refused("ENOSYS", ADMIN), // adjtimex
  172: done("user/sysmisc.c"), // getpid
  173: done("user/signalfd.c"), // getppid
  174: done("user/sysmisc.c"), // getuid
  175: done("user/sysmisc.c"), // geteuid
  176: done("user/sysmisc.c"), // getgid
  177: done("user/sysmisc.c"), // getegid
  178: done("user/sysmisc.c"), // gettid
  179: done("user/sysmisc.c"), // sysinfo
  180: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_open
  181: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_unlink
  182: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_timedsend
  183: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_timedreceive
  184: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_notify
  185: refused("ENOSYS", "POSIX message queues (mqueue file system) are not emulated yet"), // mq_getsetattr
  186: refused("ENOSYS", SYSV_IPC), // msgget
  187: refused("ENOSYS", SYSV_IPC), // msgctl
  188: refused("ENOSYS", SYSV_IPC), // msgrcv
  189: refused("ENOSYS", SYSV_IPC), // msgsnd
  190: refused("ENOSYS", SYSV_IPC), // semget
  191: refused("ENOSYS", SYSV_IPC), // semctl
  192: refused("ENOSYS", SYSV_IPC), // semtimedop
  193: refused("ENOSYS", SYSV_IPC), // semop
  194: refused("ENOSYS", SYSV_IPC), // shmget
  195: refused("ENOSYS", SYSV_IPC), // shmctl
  196: refused("ENOSYS", SYSV_IPC), // shmat
  197: refused("ENOSYS", SYSV_IPC), // shmdt
  198: done("user/socktimeo.c"), // socket
  199: done("user/mmsg.c"), // socketpair
  200: partial(
    `a TCP bind() already listens on the host (Node binds and listens in one step), and SO_REUSEADDR is always in effect; ${INET}`,
    "user/socktimeo.c",
  ), // bind
  201: partial(`the backlog argument is not used (the host's is Node's, 511); ${INET}`, "user/socktimeo.c"), // listen
  202: done("user/socktimeo.c"), // accept
  203: done("user/socktimeo.c"), // connect
  204: done("user/unixsock.c"), // getsockname
  205: done("user/unixsock.c"), // getpeername
  206: done("user/epollet.c", "AF_UNIX sends never block (no buffer limit)"), // sendto
  207: done("user/socktimeo.c"), // recvfrom
  208: partial(
    `on internet sockets TCP_KEEPINTVL, TCP_KEEPCNT, SO_REUSEPORT, IP_TOS and IP_TTL are recorded and read back, not applied; ${INET}`,
    "user/socktimeo.c",
  ), // setsockopt
  209: done("user/socktimeo.c"), // getsockopt
  210: done("user/mmsg.c"), // shutdown
  211: done("user/unixsock.c", "AF_UNIX sends never block (no buffer limit)"), // sendmsg
  212: done("user/unixsock.c"), // recvmsg
  213: partial("only checks its arguments", "user/files.c"), // readahead
  214: done("user/fileio.c"), // brk
  215: done("user/sysmisc.c"), // munmap
  216: done("user/sysmisc.c"), // mremap
  217: refused("ENOSYS", KEYRINGS), // add_key
  218: refused("ENOSYS", KEYRINGS), // request_key
  219: refused("ENOSYS", KEYRINGS), // keyctl
  220: done("user/sysmisc.c"), // clone
  221: done("user/procs.c"), // execve
  222: done("user/sysmisc.c"), // mmap
  223: done("user/sysmisc.c"), // fadvise64
  224: refused("ENOSYS", ADMIN), // swapon
  225: refused("ENOSYS", ADMIN), // swapoff
  226: done("user/fileio.c"), // mprotect
  227: done("user/sysmisc.c"), // msync
  228: partial(NO_EFFECT), // mlock
  229: partial(NO_EFFECT), // munlock
  230: partial(NO_EFFECT), // mlockall
  231: partial(NO_EFFECT), // munlockall
  232: refused("ENOSYS", "which pages are resident is not known: programs treat ENOSYS as no answer"), // mincore
  233: partial(
    "MADV_DONTNEED zeroes private anonymous pages; a private file mapping keeps its bytes rather than reading the file again; other advice has no effect",
    "user/madvise.c",
  ), // madvise
  234: refused("ENOSYS", "memory management features not emulated"), // remap_file_pages
  235: refused("ENOSYS", NUMA), // mbind
  236: refused("ENOSYS", NUMA), // get_mempolicy
  237: refused("ENOSYS", NUMA), // set_mempolicy
  238: refused("ENOSYS", NUMA), // migrate_pages
  239: refused("ENOSYS", NUMA), // move_pages
  240: refused("ENOSYS", NOT_YET), // rt_tgsigqueueinfo
  241: refused("ENOSYS", KERNEL_PROBES), // perf_event_open
  242: done("user/unixsock.c"), // accept4
  243: done("user/mmsg.c", "the timeout argument is not compared with qemu-riscv64, which ignores it"), // recvmmsg
  259: done("user/smc.c"), // riscv_flush_icache
  260: done("user/sysmisc.c"), // wait4
  261: partial(LIMITS, "user/fileio.c"), // prlimit64
  262: refused("ENOSYS", NOTIFY), // fanotify_init
  263: refused("ENOSYS", NOTIFY), // fanotify_mark
  264: refused("ENOSYS", "file handles: the guest's namespace has no host handles to give"), // name_to_handle_at
  265: refused("ENOSYS", "file handles: the guest's namespace has no host handles to give"), // open_by_handle_at
  266: refused("ENOSYS", ADMIN), // clock_adjtime
  267: refused("ENOSYS", NOT_YET), // syncfs
  268: refused("ENOSYS", NAMESPACES), // setns
  269: done("user/mmsg.c", "AF_UNIX sends never block (no buffer limit)"), // sendmmsg
  270: refused("ENOSYS", OTHER_PROCESSES), // process_vm_readv
  271: refused("ENOSYS", OTHER_PROCESSES), // process_vm_writev
  272: refused("ENOSYS", OTHER_PROCESSES), // kcmp
  273: refused("ENOSYS", ADMIN), // finit_module
  274: done("user/files.c"), // sched_setattr
  275: done("user/files.c"), // sched_getattr
  276: done("user/fileio.c"), // renameat2
  277: refused("ENOSYS", SANDBOXES), // seccomp
  278: done("user/fileio.c"), // getrandom
  279: done("user/files.c", "MFD_HUGETLB refused (EINVAL)"), // memfd_create
  280: refused("ENOSYS", KERNEL_PROBES), // bpf
  281: done("user/openat2.c"), // execveat
  282: refused("ENOSYS", "memory management features not emulated"), // userfaultfd
  283: done("user/files.c"), // membarrier
  284: refused("ENOSYS", NOT_YET), // mlock2
  285: done("user/files.c", "never reflinks"), // copy_file_range
  286: done("user/openat2.c"), // preadv2
  287: done("user/openat2.c"), // pwritev2
  288: refused("ENOSYS", "memory protection keys: RISC-V has none"), // pkey_mprotect
  289: refused("ENOSYS", "memory protection keys: RISC-V has none"), // pkey_alloc
  290: refused("ENOSYS", "memory protection keys: RISC-V has none"), // pkey_free
  291: done("user/sysmisc.c"), // statx
  292: refused("ENOSYS", AIO), // io_pgetevents
  293: refused("ENOSYS", "restartable sequences: glibc runs without them when registration fails"), // rseq
  294: refused("ENOSYS", ADMIN), // kexec_file_load
  424: refused("ENOSYS", NOT_YET), // pidfd_send_signal
  425: refused("ENOSYS", IO_URING), // io_uring_setup
  426: refused("ENOSYS", IO_URING), // io_uring_enter
  427: refused("ENOSYS", IO_URING), // io_uring_register
  428: refused("ENOSYS", MOUNTS), // open_tree
  429: refused("ENOSYS", MOUNTS), // move_mount
  430: refused("ENOSYS", MOUNTS), // fsopen
  431: refused("ENOSYS", MOUNTS), // fsconfig
  432: refused("ENOSYS", MOUNTS), // fsmount
  433: refused("ENOSYS", MOUNTS), // fspick
  434: refused("ENOSYS", NOT_YET), // pidfd_open
  435: partial("no test program calls it (glibc 2.36 on riscv64 uses clone)"), // clone3
  436: done("user/files.c"), // close_range
  437: done("user/openat2.c"), // openat2
  438: refused("ENOSYS", OTHER_PROCESSES), // pidfd_getfd
  439: done("user/sysmisc.c"), // faccessat2
  440: refused("ENOSYS", "memory management features not emulated"), // process_madvise
  441: refused("ENOSYS", NOT_YET), // epoll_pwait2
  442: refused("ENOSYS", MOUNTS), // mount_setattr
  443: refused("ENOSYS", ADMIN), // quotactl_fd
  444: refused("ENOSYS", SANDBOXES), // landlock_create_ruleset
  445: refused("ENOSYS", SANDBOXES), // landlock_add_rule
  446: refused("ENOSYS", SANDBOXES), // landlock_restrict_self
  447: refused("ENOSYS", "memory management features not emulated"), // memfd_secret
  448: refused("ENOSYS", "memory management features not emulated"), // process_mrelease
  449: refused("ENOSYS", NOT_YET), // futex_waitv
  450: refused("ENOSYS", NUMA), // set_mempolicy_home_node
};

/** The README's coverage section (between its markers), generated from COVERAGE. */
export function coverageMarkdown(): string {
  const counts = { implemented: 0, partial: 0, refused: 0 };
  const rows = LINUX_SYSCALLS.map(([nr, name]) => {
    const c = COVERAGE[nr];
    counts[c.status]++;
    const what =
      c.status === "implemented"
        ? `\`test/guest/${c.test}\`${c.note ? `; ${c.note}` : ""}`
        : c.status === "partial"
          ? `${c.note}${c.test ? ` (\`test/guest/${c.test}\`)` : ""}`
          : `${c.errno}: ${c.note}`;
    return `| ${nr} | \`${name}\` | ${c.status} | ${what} |`;
  });
  return [
    `${LINUX_SYSCALLS.length} syscalls: ${counts.implemented} implemented, ${counts.partial} partial, ${counts.refused} refused.`,
    "",
    "| nr | syscall | status | checked by / what differs / why refused |",
    "|---:|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
