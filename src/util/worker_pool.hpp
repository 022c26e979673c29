// A fixed set of threads running jobs from a bounded queue: once the queue is full, work is
// refused, never piled up nor given a thread of its own (DESIGN.md, "Trust": no input makes
// the server exceed its resource bounds).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace util {

// Safe from any thread.
class WorkerPool {
public:
  using Job = std::function<void()>;
  // Starts a thread that runs `body`; the default is std::thread. Tests pass one that fails.
  using Spawn = std::function<std::thread(std::function<void()> body)>;

  // Starts `threads` workers (at least one) taking jobs from a queue of at most `queue` jobs
  // waiting for a free worker. `on_error` hears of a job that threw (the worker goes on).
  // Throws std::system_error when a thread cannot start: a start-up failure, reported once
  // by the caller; the workers already started are stopped first.
  WorkerPool(std::size_t threads, std::size_t queue,
             std::function<void(const std::string&)> on_error, Spawn spawn = {});
  // Runs the jobs still queued, then joins the workers: make them quick first.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`, or returns false (and drops it) when every worker is busy and `queue`
  // jobs already wait.
  bool try_post(Job job);

  std::size_t threads() const { return m_threads.size(); }
  std::size_t queued() const;  // jobs waiting for a worker
  std::size_t running() const; // jobs being run

private:
  void work();
  void stop_and_join();

  const std::size_t m_queue_limit;
  const std::function<void(const std::string&)> m_on_error;
  mutable std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<Job> m_jobs;
  std::size_t m_idle = 0;
  std::size_t m_running = 0;
  bool m_stopping = false;
  std::vector<std::thread> m_threads; // last: started in the constructor, using the above
};

} // namespace util
