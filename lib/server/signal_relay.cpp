#include "server/signal_relay.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

namespace pws::server {

namespace {

std::atomic<int> g_signal_pipe{-1};
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int signal) {
  const int saved = errno;
  const int fd = g_signal_pipe.load();
  const unsigned char byte = static_cast<unsigned char>(signal);
  if (fd >= 0) [[maybe_unused]] auto written = ::write(fd, &byte, 1);  // full pipe: the signal is already pending
  errno = saved;
}

}  // namespace

SignalRelay::SignalRelay(std::function<void(int)> deliver) : deliver_(std::move(deliver)) {
  if (::pipe2(pipe_, O_CLOEXEC) != 0) return;
  ::fcntl(pipe_[1], F_SETFL, O_NONBLOCK);
  g_signal_pipe.store(pipe_[1]);
  thread_ = std::thread([this] { run(); });
  struct sigaction action{};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int signal : kSignals) sigaction(signal, &action, nullptr);
}

SignalRelay::~SignalRelay() {
  for (int signal : kSignals) std::signal(signal, SIG_DFL);
  g_signal_pipe.store(-1);
  if (pipe_[1] >= 0) ::close(pipe_[1]);  // ends the thread's read
  if (thread_.joinable()) thread_.join();
  if (pipe_[0] >= 0) ::close(pipe_[0]);
}

void SignalRelay::run() {
  unsigned char byte = 0;
  for (;;) {
    const ssize_t n = ::read(pipe_[0], &byte, 1);
    if (n == 1) {
      deliver_(byte);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // the write end is closed
    }
  }
}

}  // namespace pws::server
