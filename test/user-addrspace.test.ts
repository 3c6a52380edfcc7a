// The user-mode address space bookkeeping (src/modes/user/addrspace.ts), against the
// behaviour Linux documents for mmap(2), munmap(2), mprotect(2) and brk(2).
import { describe, expect, test } from "vitest";
import { AddressSpace, GuestFault } from "../src/modes/user/addrspace.js";

const PAGE = 4096;
const RW = 3;

function space(): AddressSpace {
  const memory = new WebAssembly.Memory({ initial: 80, maximum: 80 }); // 4 MiB guest + the 1 MiB page table
  return new AddressSpace(memory, 0x10000, 0x400000, 0x300000, 0x400000);
}

describe("user address space", () => {
  test("mappings without a hint go top-down below the mmap base, skipping used ranges", () => {
    const as = space();
    const a = as.findFree(2 * PAGE);
    expect(a).toBe(0x300000 - 2 * PAGE);
    as.map(a, 2 * PAGE, RW, 2, "");
    expect(as.findFree(PAGE)).toBe(a - PAGE);
    expect(as.findFree(PAGE, 0x200000)).toBe(0x200000); // a free hint is honoured
    expect(as.findFree(PAGE, a)).toBe(a - PAGE); // a used one is not
  });

  test("munmap of the middle of a mapping splits it in two", () => {
    const as = space();
    as.map(0x100000, 4 * PAGE, RW, 2, "x", 0);
    as.unmap(0x100000 + PAGE, PAGE);
    expect(as.vmas.map((v) => [v.start, v.end, v.offset])).toEqual([
      [0x100000, 0x101000, 0],
      [0x102000, 0x104000, 2 * PAGE],
    ]);
    expect(as.isMapped(0x100000, PAGE)).toBe(true);
    expect(as.isMapped(0x100000, 2 * PAGE)).toBe(false);
  });

  test("mprotect changes part of a mapping and fails on a hole", () => {
    const as = space();
    as.map(0x100000, 3 * PAGE, RW, 2, "");
    expect(as.protect(0x101000, PAGE, 1)).toBe(true);
    expect(as.vmas.map((v) => v.prot)).toEqual([RW, 1, RW]);
    expect(as.isMapped(0x101000, 8, 2)).toBe(false); // not writable any more
    expect(as.protect(0x103000, PAGE, 1)).toBe(false);
  });

  test("a page mapped again reads as zero (anonymous memory is zero-filled)", () => {
    const as = space();
    as.map(0x100000, PAGE, RW, 2, "");
    as.u8[0x100010] = 7;
    as.unmap(0x100000, PAGE);
    as.map(0x100000, PAGE, RW, 2, "");
    expect(as.u8[0x100010]).toBe(0);
  });

  test("brk grows into free space only and shrinks back", () => {
    const as = space();
    as.brkStart = as.brk = 0x20000;
    expect(as.setBrk(0x22000)).toBe(0x22000);
    expect(as.isMapped(0x20000, 0x2000)).toBe(true);
    as.map(0x30000, PAGE, RW, 2, "");
    expect(as.setBrk(0x31000)).toBe(0x22000); // would overlap a mapping: unchanged
    expect(as.setBrk(0x21000)).toBe(0x21000);
    expect(as.isMapped(0x21000, 1)).toBe(false);
    expect(as.setBrk(0x10000)).toBe(0x21000); // below the start: unchanged
  });

  test("unmapping or protecting a range that holds executable pages drops translations, other ranges do not", () => {
    const as = space();
    let flushes = 0;
    as.onCodeUnmapped = () => flushes++;
    as.map(0x3fd000, PAGE, 5, 2, ""); // r-x, a page whose index is not a multiple of 4
    as.map(0x100000, 3 * PAGE, RW, 2, "");
    as.unmap(0x100000, PAGE);
    as.protect(0x101000, PAGE, 1);
    expect(flushes).toBe(0);
    as.unmap(0x3fe000, PAGE); // next to it
    expect(flushes).toBe(0);
    as.unmap(0x3fd000, PAGE);
    expect(flushes).toBe(1);
    as.map(0x3fd000, PAGE, 5, 2, "");
    as.unmap(as.lo, as.hi - as.lo); // what exec does
    expect(flushes).toBe(2);
  });

  test("syscall accessors raise a guest fault (EFAULT) on unmapped memory", () => {
    const as = space();
    as.map(0x100000, PAGE, RW, 2, "");
    as.u8.set(new TextEncoder().encode("ok\0"), 0x100ffd);
    expect(as.cstring(0x100ffd)).toBe("ok");
    as.u8.set([0x61, 0x62, 0x63], 0x100ffd); // no NUL before the end of the mapping
    expect(() => as.cstring(0x100ffd)).toThrow(GuestFault);
    expect(() => as.u64(0x100ffc)).toThrow(GuestFault);
    expect(() => as.bytes(0x8, 4)).toThrow(GuestFault); // below the window
  });
});
