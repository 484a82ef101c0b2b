#include "core/loop_pool.h"

#include <thread>

namespace parley {

namespace {
unsigned or_cores(unsigned n) {
  if (n) return n;
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? cores : 1;
}
}  // namespace

LoopPool::LoopPool(unsigned media_loops, unsigned io_loops) {
  for (unsigned i = 0; i < or_cores(media_loops); ++i) {
    media_.push_back(std::make_unique<GlibLoop>("media-" + std::to_string(i)));
  }
  for (unsigned i = 0; i < or_cores(io_loops); ++i) {
    io_.push_back(std::make_unique<AsioLoop>("io-" + std::to_string(i)));
  }
}

LoopPool::~LoopPool() { stop(); }

GlibLoop& LoopPool::next_media() { return *media_[next_media_++ % media_.size()]; }
AsioLoop& LoopPool::next_io() { return *io_[next_io_++ % io_.size()]; }

void LoopPool::stop() {
  for (auto& l : media_) l->stop();
  for (auto& l : io_) l->stop();
}

}  // namespace parley
