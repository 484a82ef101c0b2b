// The process's fixed set of event loops: media loops (GLib, one per core by default) and I/O
// loops (Asio). A call takes one of each, round-robin, and keeps them for its life.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/asio_loop.h"
#include "core/glib_loop.h"

namespace parley {

class LoopPool {
 public:
  // 0 means one per core.
  LoopPool(unsigned media_loops, unsigned io_loops);
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  GlibLoop& next_media();
  AsioLoop& next_io();
  size_t media_count() const { return media_.size(); }
  size_t io_count() const { return io_.size(); }
  // Stops every loop and joins its thread. Idempotent.
  void stop();

 private:
  std::vector<std::unique_ptr<GlibLoop>> media_;
  std::vector<std::unique_ptr<AsioLoop>> io_;
  std::atomic<size_t> next_media_{0}, next_io_{0};
};

}  // namespace parley
