/* A hostile driver for the virtio-blk device on virtio-mmio (VIRTIO 1.2 §4.2.2 MMIO
 * registers, §2.7 split virtqueues, §5.2 block device), modern transport (Version 2).
 * After a normal initialisation (§3.1.1) and good reads and writes, each malformed request
 * is sent to a freshly reset device: (a) a descriptor loop, (b) a buffer outside RAM, (c1) a
 * head index >= the queue size, (c2) a next index >= the queue size, (d) a 4-byte request
 * header. After each, the device Status (NEEDS_RESET 0x40), the configuration-change
 * interrupt and the used ring are printed; §2.1.2: a device SHOULD set DEVICE_NEEDS_RESET in
 * an error state that needs a reset and, with DRIVER_OK set, MUST then send a configuration
 * change notification. QEMU 7.2 calls virtio_error() (NEEDS_RESET, config interrupt, queue
 * ignored until reset) for all but (b): its DMA to unassigned physical memory is discarded
 * and the request completes with status OK. Then a reset device must read again. */
#include "virt.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED 0x80

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2

#define QSZ 8
#define OUTSIDE_RAM 0x1000000000000UL

struct desc {
  u64 addr;
  u32 len;
  u16 flags;
  u16 next;
};
struct avail {
  u16 flags;
  u16 idx;
  u16 ring[QSZ];
  u16 used_event;
};
struct used_elem {
  u32 id;
  u32 len;
};
struct used {
  u16 flags;
  u16 idx;
  struct used_elem ring[QSZ];
  u16 avail_event;
};
struct blk_req {
  u32 type;
  u32 reserved;
  u64 sector;
};

static struct desc desc[QSZ] __attribute__((aligned(4096)));
static struct avail avail __attribute__((aligned(4096)));
static struct used used __attribute__((aligned(4096)));
static struct blk_req req;
static u8 buf[512] __attribute__((aligned(512)));
static u8 pattern[512];
static volatile u8 blk_status;
static u64 dev;
static u16 avail_idx, used_seen;

static u32 reg(u32 off) { return rd32(dev + off); }
static void set_reg(u32 off, u32 v) { wr32(dev + off, v); }

static void *zero(void *p, u64 n) {
  for (u64 i = 0; i < n; i++) ((volatile u8 *)p)[i] = 0;
  return p;
}

/* Reset and initialise (§3.1.1), accepting only VERSION_1; 0 on success. */
static int init(int verbose) {
  set_reg(MMIO_STATUS, 0);
  for (int i = 0; i < 100000 && reg(MMIO_STATUS) != 0; i++) {
  }
  u32 reset_status = reg(MMIO_STATUS);
  set_reg(MMIO_STATUS, S_ACKNOWLEDGE);
  set_reg(MMIO_STATUS, S_ACKNOWLEDGE | S_DRIVER);
  set_reg(MMIO_DEVICE_FEATURES_SEL, 1);
  u32 features_hi = reg(MMIO_DEVICE_FEATURES);
  set_reg(MMIO_DRIVER_FEATURES_SEL, 0);
  set_reg(MMIO_DRIVER_FEATURES, 0);
  set_reg(MMIO_DRIVER_FEATURES_SEL, 1);
  set_reg(MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1, feature bit 32 */
  set_reg(MMIO_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
  u32 features_ok = reg(MMIO_STATUS) & S_FEATURES_OK;
  set_reg(MMIO_QUEUE_SEL, 0);
  u32 ready_before = reg(MMIO_QUEUE_READY);
  u32 num_max = reg(MMIO_QUEUE_NUM_MAX);
  zero(desc, sizeof desc);
  zero(&avail, sizeof avail);
  zero(&used, sizeof used);
  avail_idx = used_seen = 0;
  set_reg(MMIO_QUEUE_NUM, QSZ);
  set_reg(MMIO_QUEUE_DESC_LOW, (u32)(u64)desc);
  set_reg(MMIO_QUEUE_DESC_HIGH, (u32)((u64)desc >> 32));
  set_reg(MMIO_QUEUE_DRIVER_LOW, (u32)(u64)&avail);
  set_reg(MMIO_QUEUE_DRIVER_HIGH, (u32)((u64)&avail >> 32));
  set_reg(MMIO_QUEUE_DEVICE_LOW, (u32)(u64)&used);
  set_reg(MMIO_QUEUE_DEVICE_HIGH, (u32)((u64)&used >> 32));
  set_reg(MMIO_QUEUE_READY, 1);
  set_reg(MMIO_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  u32 status = reg(MMIO_STATUS);
  if (verbose) {
    kprintf("init: status after reset 0x%x, VERSION_1 offered: %s, FEATURES_OK kept: %s, "
            "QueueReady before setup %u, QueueNumMax >= %d: %s, status 0x%x\n",
            reset_status, yesno(features_hi & 1), yesno(features_ok), ready_before, QSZ, yesno(num_max >= QSZ),
            status);
    u64 capacity = reg(MMIO_CONFIG) | (u64)reg(MMIO_CONFIG + 4) << 32;
    kprintf("config: capacity %lu sectors\n", capacity);
  }
  return !(features_ok && num_max >= QSZ && status == (S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK));
}

static void set_desc(int i, u64 addr, u32 len, u16 flags, u16 next) {
  desc[i].addr = addr;
  desc[i].len = len;
  desc[i].flags = flags;
  desc[i].next = next;
}

static void submit(u16 head) {
  avail.ring[avail_idx % QSZ] = head;
  fence();
  avail.idx = ++avail_idx;
  fence();
  set_reg(MMIO_QUEUE_NOTIFY, 0);
}

/* Polls until the used ring advances or the device asks for a reset, for at most `ticks`
 * of mtime; 1 if the used ring advanced. */
static int wait_used(u64 ticks) {
  u64 start = mtime();
  for (;;) {
    fence();
    if (*(volatile u16 *)&used.idx != used_seen) {
      fence();
      used_seen++;
      return 1;
    }
    if ((reg(MMIO_STATUS) & S_NEEDS_RESET) || mtime() - start >= ticks) return 0;
  }
}

/* A well-formed request on descriptors 0..2; returns the status byte, or 0xee if the used
 * ring did not advance. */
static u8 request(u32 type, u64 sector, u8 *data, u32 *used_len) {
  req.type = type;
  req.reserved = 0;
  req.sector = sector;
  blk_status = 0xff;
  set_desc(0, (u64)&req, sizeof req, DESC_F_NEXT, 1);
  set_desc(1, (u64)data, 512, DESC_F_NEXT | (type == BLK_T_IN ? DESC_F_WRITE : 0), 2);
  set_desc(2, (u64)&blk_status, 1, DESC_F_WRITE, 0);
  submit(0);
  if (!wait_used(TIMEBASE_HZ)) return 0xee;
  struct used_elem e = used.ring[(used_seen - 1) % QSZ];
  *used_len = e.len;
  u32 isr = reg(MMIO_INTERRUPT_STATUS);
  set_reg(MMIO_INTERRUPT_ACK, isr);
  return blk_status;
}

static void good_read(const char *what) {
  u32 len = 0;
  zero(buf, sizeof buf);
  u8 st = request(BLK_T_IN, 0, buf, &len);
  char text[33];
  for (int i = 0; i < 32; i++) text[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '.';
  text[32] = 0;
  u32 sum = 0;
  for (int i = 0; i < 512; i++) sum = sum * 31 + buf[i];
  kprintf("%s: status %u, used len %u, data \"%s\", checksum 0x%08x\n", what, st, len, text, sum);
}

static void hostile(const char *what, void (*build)(void)) {
  if (init(0)) fail("device did not initialise after reset");
  req.type = BLK_T_IN;
  req.reserved = 0;
  req.sector = 0;
  blk_status = 0xff;
  build();
  /* Up to a second: QEMU completes (b) in its I/O thread, which a loaded host delays past
   * 0.1 s (the used ring then had not advanced); every other case ends the wait at once. */
  int advanced = wait_used(TIMEBASE_HZ);
  u32 status = reg(MMIO_STATUS), isr = reg(MMIO_INTERRUPT_STATUS);
  /* Only the configuration-change bit: QEMU also sets the used-buffer bit (virtio_notify_config
   * raises ISR 0x3) when nothing was used. */
  kprintf("%s: Status 0x%02x (NEEDS_RESET %s), config change interrupt %s, used ring advanced: %s", what,
          status, yesno(status & S_NEEDS_RESET), yesno(isr & 2), yesno(advanced));
  if (advanced) kprintf(" (len %u, status byte 0x%02x)", used.ring[0].len, blk_status);
  kputs("\n");
  set_reg(MMIO_INTERRUPT_ACK, isr);
}

static void build_loop(void) { /* 0 -> 1 -> 0 -> ... */
  set_desc(0, (u64)&req, sizeof req, DESC_F_NEXT, 1);
  set_desc(1, (u64)buf, 512, DESC_F_NEXT, 0);
  submit(0);
}
static void build_outside_ram(void) {
  set_desc(0, (u64)&req, sizeof req, DESC_F_NEXT, 1);
  set_desc(1, OUTSIDE_RAM, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
  set_desc(2, (u64)&blk_status, 1, DESC_F_WRITE, 0);
  submit(0);
}
static void build_head_out_of_range(void) {
  set_desc(0, (u64)&req, sizeof req, DESC_F_NEXT, 1);
  set_desc(1, (u64)buf, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
  set_desc(2, (u64)&blk_status, 1, DESC_F_WRITE, 0);
  submit(QSZ + 3);
}
static void build_next_out_of_range(void) {
  set_desc(0, (u64)&req, sizeof req, DESC_F_NEXT, QSZ + 3);
  submit(0);
}
static void build_short_header(void) {
  set_desc(0, (u64)&req, 4, DESC_F_NEXT, 1);
  set_desc(1, (u64)buf, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
  set_desc(2, (u64)&blk_status, 1, DESC_F_WRITE, 0);
  submit(0);
}

int main(void) {
  kputs("virtio: start\n");
  for (int i = 0; i < VIRTIO_SLOTS && !dev; i++) {
    u64 base = VIRTIO_BASE + i * VIRTIO_STRIDE;
    if (rd32(base + MMIO_MAGIC) == 0x74726976 && rd32(base + MMIO_DEVICE_ID) == 2) dev = base;
  }
  if (!dev) fail("no virtio-blk device");
  kprintf("virtio-blk found: magic \"virt\", version %u\n", reg(MMIO_VERSION));
  if (reg(MMIO_VERSION) != 2) fail("not a modern (version 2) device");
  if (init(1)) fail("initialisation");

  good_read("read sector 0");
  static const char msg[] = "written by virtio_hostile";
  for (int i = 0; i < 512; i++) pattern[i] = i < (int)sizeof msg - 1 ? (u8)msg[i] : (u8)(i * 7);
  u32 len = 0;
  u8 st = request(BLK_T_OUT, 1, pattern, &len);
  kprintf("write sector 1: status %u, used len %u\n", st, len);
  zero(buf, sizeof buf);
  st = request(BLK_T_IN, 1, buf, &len);
  int same = 1;
  for (int i = 0; i < 512; i++) same &= buf[i] == pattern[i];
  kprintf("read sector 1 back: status %u, used len %u, matches: %s\n", st, len, yesno(same));
  st = request(BLK_T_IN, 1000000, buf, &len);
  kprintf("read beyond the capacity: status %u (IOERR)\n", st);
  st = request(99, 0, buf, &len);
  kprintf("request type 99: status %u (UNSUPP)\n", st);

  hostile("(a) descriptor loop 0 -> 1 -> 0", build_loop);
  hostile("(b) buffer outside RAM", build_outside_ram);
  hostile("(c1) head index >= queue size", build_head_out_of_range);
  hostile("(c2) next index >= queue size", build_next_out_of_range);
  hostile("(d) 4-byte request header", build_short_header);

  if (init(0)) fail("device did not initialise after reset");
  good_read("after reset, read sector 0");
  kputs("virtio: done\n");
  return 0;
}
