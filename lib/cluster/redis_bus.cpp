#include "cluster/redis_bus.hpp"

#include <hiredis.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

namespace pws::cluster {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr auto kCommandTimeout = std::chrono::seconds(2);  // publisher only: a hung Redis is given up
constexpr auto kFirstRetry = std::chrono::milliseconds(100);
constexpr auto kLastRetry = std::chrono::milliseconds(5000);
constexpr std::size_t kPipelineBatch = 256;

timeval to_timeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000), static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

Reply command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

std::string context_error(const redisContext* c) {
  if (!c) return "out of memory";
  return c->errstr[0] ? std::string(c->errstr) : std::string("connection closed");
}

}  // namespace

RedisBus::RedisBus(RedisEndpoint endpoint, std::string channel, std::function<void()> wake)
    : endpoint_(std::move(endpoint)), channel_(std::move(channel)), wake_(std::move(wake)) {}

RedisBus::~RedisBus() { stop(std::chrono::milliseconds(0)); }

std::string RedisBus::address() const {
  const bool v6 = endpoint_.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint_.host + "]" : endpoint_.host) + ":" + std::to_string(endpoint_.port);
}

void RedisBus::start() {
  subscriber_ = std::thread([this] { subscriber_main(); });
  publisher_ = std::thread([this] { publisher_main(); });
}

void RedisBus::stop(std::chrono::milliseconds flush_deadline) {
  if (!subscriber_.joinable() && !publisher_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    flush_deadline_ = std::chrono::steady_clock::now() + flush_deadline;
    stopping_.store(true);
    // A blocking read returns once its socket is shut down.
    if (subscriber_context_) shutdown(subscriber_context_->fd, SHUT_RDWR);
  }
  changed_.notify_all();
  if (subscriber_.joinable()) subscriber_.join();
  if (publisher_.joinable()) publisher_.join();
}

void RedisBus::publish(std::string message) {
  {
    std::lock_guard lock(mutex_);
    if (outgoing_.size() >= kMaxQueuedMessages) {
      outgoing_.pop_front();
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    outgoing_.push_back(std::move(message));
  }
  changed_.notify_all();
}

void RedisBus::take(std::vector<BusInput>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  out.swap(incoming_);
}

BusFigures RedisBus::figures() const {
  return BusFigures{subscribed_.load(), reconnects_.load(), published_.load(), received_.load(), dropped_.load()};
}

void RedisBus::deliver(BusInput input) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = incoming_.empty();
    incoming_.push_back(std::move(input));
  }
  if (was_empty) wake_();
}

bool RedisBus::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, delay, [&] { return stopping_.load(); });
  return !stopping_.load();
}

redisContext* RedisBus::connect(std::string& error) const {
  redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, to_timeval(kConnectTimeout));
  if (!c || c->err) {
    error = context_error(c);
    if (c) redisFree(c);
    return nullptr;
  }
  redisEnableKeepAlive(c);
  auto fail = [&](std::string why) {
    error = std::move(why);
    redisFree(c);
    return nullptr;
  };
  if (!endpoint_.password.empty()) {
    std::vector<std::string> args{"AUTH"};
    if (!endpoint_.username.empty()) args.push_back(endpoint_.username);
    args.push_back(endpoint_.password);
    Reply reply = command(c, args);
    if (!reply) return fail(context_error(c));
    if (reply->type == REDIS_REPLY_ERROR) return fail("AUTH refused: " + std::string(reply->str, reply->len));
  }
  if (endpoint_.database != 0) {
    Reply reply = command(c, {"SELECT", std::to_string(endpoint_.database)});
    if (!reply) return fail(context_error(c));
    if (reply->type == REDIS_REPLY_ERROR) return fail("SELECT refused: " + std::string(reply->str, reply->len));
  }
  return c;
}

// ---- Subscriber ----

void RedisBus::subscriber_main() {
  auto retry = kFirstRetry;
  bool ever_connected = false;
  bool outage_reported = false;
  while (!stopping_.load()) {
    std::string error;
    redisContext* c = connect(error);
    if (c) {
      Reply reply = command(c, {"SUBSCRIBE", channel_});
      if (!reply || reply->type == REDIS_REPLY_ERROR) {
        error = reply ? "SUBSCRIBE refused: " + std::string(reply->str, reply->len) : context_error(c);
        redisFree(c);
        c = nullptr;
      }
    }
    if (!c) {
      if (!outage_reported) {
        std::fprintf(stderr, "pws: warning: redis: cannot reach %s: %s; retrying every %llds at most\n",
                     address().c_str(), error.c_str(), static_cast<long long>(kLastRetry.count() / 1000));
        outage_reported = true;
      }
      if (!pause(retry)) break;
      retry = std::min(retry * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kLastRetry));
      continue;
    }
    // Reads block until a message arrives: no timeout, stop() shuts the socket.
    redisSetTimeout(c, timeval{0, 0});
    {
      std::lock_guard lock(mutex_);
      if (stopping_.load()) {
        redisFree(c);
        break;
      }
      subscriber_context_ = c;
    }
    if (ever_connected) reconnects_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "pws: redis: %s %s, channel %s\n", ever_connected ? "reconnected to" : "connected to",
                 address().c_str(), channel_.c_str());
    ever_connected = true;
    outage_reported = false;
    retry = kFirstRetry;
    subscribed_.store(true);
    deliver({BusInput::Kind::Subscribed, {}});

    for (;;) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) break;
      Reply reply(static_cast<redisReply*>(raw));
      // ["message", channel, payload]
      if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
          reply->element[0]->type == REDIS_REPLY_STRING &&
          std::string_view(reply->element[0]->str, reply->element[0]->len) == "message" &&
          reply->element[2]->type == REDIS_REPLY_STRING) {
        received_.fetch_add(1, std::memory_order_relaxed);
        deliver({BusInput::Kind::Message, std::string(reply->element[2]->str, reply->element[2]->len)});
      }
    }
    const std::string why = context_error(c);
    {
      std::lock_guard lock(mutex_);
      subscriber_context_ = nullptr;
    }
    redisFree(c);
    subscribed_.store(false);
    if (stopping_.load()) break;
    publisher_reset_.store(true);
    changed_.notify_all();
    std::fprintf(stderr, "pws: warning: redis: connection to %s lost (%s); reconnecting\n", address().c_str(),
                 why.c_str());
    outage_reported = true;  // the line above said it
    deliver({BusInput::Kind::Lost, why});
  }
  subscribed_.store(false);
}

// ---- Publisher ----

void RedisBus::publisher_main() {
  redisContext* c = nullptr;
  auto retry = kFirstRetry;
  std::vector<std::string> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_.load() || !outgoing_.empty(); });
      if (stopping_.load() && (outgoing_.empty() || std::chrono::steady_clock::now() >= flush_deadline_)) {
        dropped_.fetch_add(outgoing_.size(), std::memory_order_relaxed);
        outgoing_.clear();
        break;
      }
    }
    if (publisher_reset_.exchange(false) && c) {
      redisFree(c);
      c = nullptr;
    }
    if (!c) {
      std::string error;
      c = connect(error);
      if (!c) {
        // The subscriber thread reports outages; this one just retries.
        if (stopping_.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // until the flush deadline
          continue;
        }
        pause(std::min(retry, std::chrono::duration_cast<std::chrono::milliseconds>(kLastRetry)));
        retry = std::min(retry * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kLastRetry));
        continue;
      }
      redisSetTimeout(c, to_timeval(kCommandTimeout));
      retry = kFirstRetry;
    }
    {
      std::lock_guard lock(mutex_);
      const std::size_t n = std::min(kPipelineBatch, outgoing_.size());
      batch.assign(std::make_move_iterator(outgoing_.begin()), std::make_move_iterator(outgoing_.begin() + n));
      outgoing_.erase(outgoing_.begin(), outgoing_.begin() + n);
    }
    for (const std::string& message : batch) {
      const char* argv[] = {"PUBLISH", channel_.c_str(), message.data()};
      const std::size_t lengths[] = {7, channel_.size(), message.size()};
      redisAppendCommandArgv(c, 3, argv, lengths);
    }
    std::size_t done = 0;
    for (; done < batch.size(); ++done) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) break;
      freeReplyObject(raw);
    }
    published_.fetch_add(done, std::memory_order_relaxed);
    if (done < batch.size()) {
      // Whether Redis got them is unknown: counted as dropped, never sent twice.
      dropped_.fetch_add(batch.size() - done, std::memory_order_relaxed);
      redisFree(c);
      c = nullptr;
    }
  }
  if (c) redisFree(c);
}

}  // namespace pws::cluster
