// A Go program: goroutines, a mutex, channels, timers, the garbage collector, a recovered
// panic, args and stdin. Exercises the Go runtime's syscalls (clone, futex, epoll, signals).
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 1000; k++ {
				mu.Lock()
				total += i
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	ch := make(chan int)
	go func() { time.Sleep(10 * time.Millisecond); ch <- 5 }()
	fmt.Println("total", total, "chan", <-ch, "args", os.Args[1:])

	m := map[string]int{}
	for i := 0; i < 200000; i++ {
		m[fmt.Sprint(i%1000)]++
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("keys", len(keys), keys[:3])

	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		var a []int
		_ = a[3]
	}()

	lines := 0
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		lines++
		fmt.Println("line:", strings.ToUpper(sc.Text()))
	}
	fmt.Println("lines", lines)
	os.Exit(3)
}
