// libstdc++: exceptions, iostreams, containers, std::thread with a mutex and futures.
#include <algorithm>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Boom : std::runtime_error {
  int code;
  explicit Boom(int c) : std::runtime_error("boom " + std::to_string(c)), code(c) {}
};

static int depth(int n) {
  if (n == 0) throw Boom(42);
  return depth(n - 1) + 1;
}

int main() {
  try {
    depth(10);
  } catch (const Boom &b) {
    std::cout << "caught " << b.what() << " code " << b.code << "\n";
  }
  try {
    std::vector<int> v(3);
    (void)v.at(7);
  } catch (const std::out_of_range &) {
    std::cout << "out_of_range caught\n";
  }

  std::map<std::string, int> words;
  std::istringstream in("the quick brown fox jumps over the lazy dog the end");
  for (std::string w; in >> w;) words[w]++;
  for (auto &[w, n] : words) std::cout << w << "=" << n << " ";
  std::cout << "\n";

  std::mutex m;
  long total = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 1000; k++) {
        std::lock_guard<std::mutex> g(m);
        total += i;
      }
    });
  for (auto &t : threads) t.join();
  std::cout << "threads total " << total << "\n";

  auto f = std::async(std::launch::async, [] {
    std::vector<double> v;
    for (int i = 0; i < 1000; i++) v.push_back(i * 0.5);
    std::sort(v.rbegin(), v.rend());
    return v.front();
  });
  std::cout << "async max " << f.get() << "\n";

  auto thrower = std::async(std::launch::async, [] { return depth(3); });
  try {
    thrower.get();
  } catch (const Boom &b) {
    std::cout << "exception across threads: " << b.code << "\n";
  }
  std::cerr << "to stderr\n";
  return 0;
}
