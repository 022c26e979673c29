#include "util/worker_pool.hpp"

#include <algorithm>
#include <exception>

namespace util {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue,
                       std::function<void(const std::string&)> on_error, Spawn spawn)
    : m_queue_limit(queue), m_on_error(std::move(on_error)) {
  if (!spawn) spawn = [](std::function<void()> body) { return std::thread(std::move(body)); };
  try {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
      m_threads.push_back(spawn([this] { work(); }));
    }
  } catch (...) {
    // The destructor does not run for a constructor that throws: stop the ones started.
    stop_and_join();
    throw;
  }
}

WorkerPool::~WorkerPool() {
  stop_and_join();
}

void WorkerPool::stop_and_join() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_ready.notify_all();
  for (auto& thread : m_threads) {
    if (thread.joinable()) thread.join();
  }
}

// A job is taken when a worker is idle for it or the queue has room: `m_idle` counts the
// workers about to take the jobs already queued, so those do not count against the queue.
bool WorkerPool::try_post(Job job) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_jobs.size() >= m_idle + m_queue_limit) return false;
    m_jobs.push_back(std::move(job));
  }
  m_ready.notify_one();
  return true;
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(m_mutex);
  return m_jobs.size();
}

std::size_t WorkerPool::running() const {
  std::lock_guard lock(m_mutex);
  return m_running;
}

// A job that throws is reported and dropped: an exception never leaves a worker (it would
// end the process), and the worker stays in the pool.
void WorkerPool::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    ++m_idle;
    m_ready.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
    --m_idle;
    if (m_jobs.empty()) return; // stopping, and nothing left to run
    Job job = std::move(m_jobs.front());
    m_jobs.pop_front();
    ++m_running;
    lock.unlock();
    std::string error;
    try {
      job();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "an exception";
    } catch (...) {
      error = "an unknown exception";
    }
    job = nullptr; // whatever it holds goes before the worker counts as free
    if (!error.empty() && m_on_error) {
      try {
        m_on_error("a job failed: " + error);
      } catch (...) {
      }
    }
    lock.lock();
    --m_running;
  }
}

} // namespace util
