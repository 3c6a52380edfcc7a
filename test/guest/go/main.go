// A Go guest for Hartwood's user mode: the Go runtime's threads (clone), futexes, signals
// (preemption), timers (epoll), memory management and GC, driven by goroutines, channels,
// maps and timers. Everything printed is deterministic, so qemu-riscv64's output is the
// expected one.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func collatzLen(n uint64) int {
	steps := 0
	for n != 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
		steps++
	}
	return steps
}

// workerPool fans jobs out to workers over a channel and gathers the results in a map.
func workerPool() {
	jobs := make(chan uint64)
	type result struct {
		n     uint64
		steps int
	}
	results := make(chan result, 16)
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				results <- result{n, collatzLen(n)}
			}
		}()
	}
	go func() {
		for n := uint64(1); n <= 3000; n++ {
			jobs <- n
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	byLen := map[int]uint64{}
	best := result{}
	for r := range results {
		byLen[r.steps]++
		if r.steps > best.steps || (r.steps == best.steps && r.n < best.n) {
			best = r
		}
	}
	fmt.Printf("pool: %d distinct lengths, longest %d steps from %d, %d numbers take 7 steps\n",
		len(byLen), best.steps, best.n, byLen[7])
}

// pipeline chains stages with unbuffered channels.
func pipeline() {
	gen := func(n int) <-chan int {
		out := make(chan int)
		go func() {
			for i := 1; i <= n; i++ {
				out <- i
			}
			close(out)
		}()
		return out
	}
	stage := func(in <-chan int, f func(int) (int, bool)) <-chan int {
		out := make(chan int)
		go func() {
			for v := range in {
				if w, ok := f(v); ok {
					out <- w
				}
			}
			close(out)
		}()
		return out
	}
	squares := stage(gen(2000), func(v int) (int, bool) { return v * v, true })
	odd := stage(squares, func(v int) (int, bool) { return v, v%2 == 1 })
	sum, count := 0, 0
	for v := range odd {
		sum += v
		count++
	}
	fmt.Printf("pipeline: %d odd squares, sum %d\n", count, sum)
}

// shared counts with a mutex and with atomics from many goroutines.
func shared() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	var atom int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
				atomic.AddInt64(&atom, int64(g))
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	fmt.Printf("shared: mutex counter %d, atomic sum %d\n", counter, atomic.LoadInt64(&atom))
}

// words counts word frequencies in a map and prints the most frequent, ties by word.
func words() {
	syll := []string{"ka", "lo", "ri", "ne", "tu", "mar"}
	var sb strings.Builder
	x := uint32(12345)
	for i := 0; i < 20000; i++ {
		x = x*1103515245 + 12345
		n := 1 + int(x>>16)%2
		for k := 0; k < n; k++ {
			x = x*1103515245 + 12345
			sb.WriteString(syll[int(x>>16)%len(syll)])
		}
		sb.WriteByte(' ')
	}
	freq := map[string]int{}
	for _, w := range strings.Fields(sb.String()) {
		freq[w]++
	}
	keys := make([]string, 0, len(freq))
	for k := range freq {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if freq[keys[i]] != freq[keys[j]] {
			return freq[keys[i]] > freq[keys[j]]
		}
		return keys[i] < keys[j]
	})
	top := make([]string, 0, 5)
	for _, k := range keys[:5] {
		top = append(top, k+"="+strconv.Itoa(freq[k]))
	}
	fmt.Printf("words: %d distinct, top %s\n", len(freq), strings.Join(top, " "))
}

// timers checks sleeping, time.After, timers that are stopped, tickers and select timeouts.
// The margins are wide (tens to hundreds of milliseconds) so a slow emulator orders them the
// same way.
func timers() {
	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	fmt.Printf("timers: slept at least 30ms: %v\n", time.Since(start) >= 30*time.Millisecond)

	slow := make(chan string)
	go func() {
		time.Sleep(2 * time.Second)
		slow <- "slow"
	}()
	select {
	case s := <-slow:
		fmt.Println("timers: unexpected", s)
	case <-time.After(50 * time.Millisecond):
		fmt.Println("timers: time.After fired before the slow sender")
	}

	t := time.NewTimer(time.Hour)
	fmt.Printf("timers: stopping an unfired timer: %v\n", t.Stop())

	ticker := time.NewTicker(10 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	ticker.Stop()
	fmt.Printf("timers: ticker ticked %d times, elapsed >= 80ms: %v\n", ticks, time.Since(start) >= 80*time.Millisecond)

	done := make(chan struct{})
	var woke int32
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-done
			atomic.AddInt32(&woke, 1)
		}()
	}
	time.AfterFunc(20*time.Millisecond, func() { close(done) })
	wg.Wait()
	fmt.Printf("timers: AfterFunc woke %d goroutines\n", atomic.LoadInt32(&woke))
}

type node struct {
	left, right *node
	value       int
}

func build(depth, v int) *node {
	if depth == 0 {
		return &node{value: v}
	}
	return &node{build(depth-1, 2*v), build(depth-1, 2*v+1), v}
}

func (n *node) sum() int {
	if n == nil {
		return 0
	}
	return n.value + n.left.sum() + n.right.sum()
}

// garbage allocates trees in several goroutines so the collector runs alongside them.
func garbage() {
	var wg sync.WaitGroup
	sums := make([]int, 4)
	for g := range sums {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				sums[g] += build(12, g+i).sum() % 1000003
			}
		}(g)
	}
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("garbage: sums %v, collector ran: %v\n", sums, ms.NumGC > 0)
}

var errOdd = errors.New("odd input")

func mayFail(n int) (res int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	if n%2 == 1 {
		return 0, fmt.Errorf("mayFail(%d): %w", n, errOdd)
	}
	if n == 4 {
		var m map[string]int
		m["boom"] = 1 // panics: assignment to entry in nil map
	}
	return n * 10, nil
}

func errorsAndPanics() {
	for n := 1; n <= 4; n++ {
		res, err := mayFail(n)
		fmt.Printf("errors: %d -> %d, %v (odd: %v)\n", n, res, err, errors.Is(err, errOdd))
	}
	fmt.Printf("floats: %.6f %g %s\n", 2.0/3.0, 1e21, strconv.FormatFloat(0.1+0.2, 'g', -1, 64))
}

func main() {
	workerPool()
	pipeline()
	shared()
	words()
	timers()
	garbage()
	errorsAndPanics()
	fmt.Printf("args: %q\n", os.Args[1:])
	fmt.Println("ok")
}
