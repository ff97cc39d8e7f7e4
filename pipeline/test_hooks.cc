#include "pipeline/test_hooks.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ingest {

namespace {

struct Action {
  std::string point;
  long nth = 0;  // 0: every arrival
  bool kill = false;
  long sleep_ms = 0;
};

struct Hooks {
  std::vector<Action> actions;
  std::mutex mu;
  std::map<std::string, long, std::less<>> arrivals;  // GUARDED_BY(mu)
};

Hooks* LoadHooks() {
  const char* spec = std::getenv("CRAWL_INGEST_TEST_HOOK");
  if (spec == nullptr || *spec == '\0') return nullptr;
  auto* hooks = new Hooks();
  std::string_view rest(spec);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    Action action;
    std::string_view point = item.substr(0, colon);
    std::string_view what = item.substr(colon + 1);
    if (size_t hash = point.find('#'); hash != std::string_view::npos) {
      action.nth = std::atol(std::string(point.substr(hash + 1)).c_str());
      point = point.substr(0, hash);
    }
    action.point = std::string(point);
    if (what == "kill") {
      action.kill = true;
    } else if (what.substr(0, 6) == "sleep=") {
      action.sleep_ms = std::atol(std::string(what.substr(6)).c_str());
    } else {
      continue;
    }
    hooks->actions.push_back(std::move(action));
  }
  return hooks;
}

Hooks* TheHooks() {
  static Hooks* hooks = LoadHooks();  // leaked on purpose: lives to exit
  return hooks;
}

}  // namespace

void TestHook(std::string_view point) {
  Hooks* hooks = TheHooks();
  if (hooks == nullptr) return;
  long arrival;
  {
    std::lock_guard<std::mutex> lock(hooks->mu);
    auto it = hooks->arrivals.find(point);
    if (it == hooks->arrivals.end()) {
      it = hooks->arrivals.emplace(std::string(point), 0).first;
    }
    arrival = ++it->second;
  }
  for (const Action& action : hooks->actions) {
    if (action.point != point || (action.nth != 0 && action.nth != arrival)) continue;
    if (action.kill) {
      ::kill(::getpid(), SIGKILL);
      ::pause();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(action.sleep_ms));
  }
}

}  // namespace ingest
