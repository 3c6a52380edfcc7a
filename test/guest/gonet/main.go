// A Go guest for Hartwood's network sockets: an HTTP server on a loopback port (the host
// picks it) that the same program fetches from with net/http (keep-alive, a large POST body,
// a 404), then net.Interfaces and the loopback interface's addresses (netlink route dumps).
// Nothing host-dependent is printed, so qemu-riscv64's output is the expected one.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

func fetch(resp *http.Response, err error) string {
	if err != nil {
		fmt.Println("request:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d len %d %q", resp.StatusCode, len(b), b[:min(len(b), 24)])
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s via %s", r.URL.Query().Get("name"), r.Method)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Len", fmt.Sprint(len(b)))
		w.Write(bytes.ToUpper(b))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	for i := 0; i < 3; i++ {
		fmt.Println("get:", fetch(http.Get(fmt.Sprintf("%s/hello?name=n%d", url, i))))
	}
	fmt.Println("post:", fetch(http.Post(url+"/echo", "text/plain", strings.NewReader(strings.Repeat("abc", 30000)))))
	fmt.Println("missing:", fetch(http.Get(url+"/nothing")))
	srv.Close()

	ifaces, err := net.Interfaces()
	if err != nil {
		fmt.Println("interfaces:", err)
		os.Exit(1)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		has := false
		for _, a := range addrs {
			has = has || a.String() == "127.0.0.1/8"
		}
		fmt.Printf("loopback %s: up %v, mtu %d, addrs err %v, has 127.0.0.1/8 %v\n", ifc.Name, ifc.Flags&net.FlagUp != 0, ifc.MTU, err, has)
	}
	fmt.Println("ok")
}
