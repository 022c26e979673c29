/* headload: a closed-loop HTTP/1.1 load generator that can send HEAD, for bench/serve_bench.py.
 *
 * wrk 4.1.0 cannot measure HEAD: its response parser is not told that a HEAD answer has no body,
 * so it waits for the Content-Length bytes that never come (wg/wrk#198, open) and reports 0
 * requests. This does what wrk does for one fixed request, and knows HEAD:
 *   - THREADS threads, CONNECTIONS keep-alive connections spread over them, each with one
 *     request in flight at a time (no pipelining); a request's latency runs from its write to
 *     the end of its answer, as wrk's does;
 *   - answers framed by Content-Length only (none, after HEAD, 204 or 304: no body); a chunked
 *     answer is an error (the paths measured never answer one);
 *   - it prints the lines of wrk's report that serve_bench.py reads (Requests/sec, the 99%
 *     latency, Non-2xx or 3xx responses, Socket errors), so both are read alike.
 *
 *   headload -t THREADS -c CONNECTIONS -d SECONDS -m METHOD http://HOST:PORT/PATH
 *
 * Loopback benchmarks only: no TLS, no DNS (HOST is an IPv4 address). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { k_buffer = 64 * 1024, k_latency_slots = 1000000 /* 1 µs each, up to 1 s */ };

struct connection {
  int fd;
  uint64_t sent_at_ns;
  size_t have;             /* bytes of the current answer's head in `buffer` */
  long long body_left;     /* -1 while the head is not complete */
  int status;              /* the current answer's, once its head is complete */
  char buffer[k_buffer];
};

struct worker {
  pthread_t thread;
  int connections;
  uint64_t requests, bytes, non_2xx_3xx, connect_errors, read_errors, write_errors;
  uint32_t* latency_us;    /* k_latency_slots counts; slower answers land in the last */
};

static struct sockaddr_in g_address;
static char g_request[4096];
static size_t g_request_length;
static int g_head;
static uint64_t g_deadline_ns;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_connection(struct worker* w, int epoll, struct connection* c) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr*)&g_address, sizeof g_address) != 0) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    w->connect_errors++;
    return -1;
  }
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
  return 0;
}

/* Writes the request (a few hundred bytes: one write on a connection with nothing in flight);
 * a connection that takes it not whole is opened anew and asked once more. */
static void send_request(struct worker* w, int epoll, struct connection* c) {
  for (int attempt = 0; attempt < 2; attempt++) {
    c->have = 0;
    c->body_left = -1;
    c->sent_at_ns = now_ns();
    if (write(c->fd, g_request, g_request_length) == (ssize_t)g_request_length) return;
    w->write_errors++;
    close(c->fd);
    if (open_connection(w, epoll, c) != 0) return;
  }
}

/* Sets c->status and c->body_left from a complete head in c->buffer[0, end); -1 if unreadable. */
static int parse_head(struct connection* c, size_t end) {
  if (end < 12 || strncmp(c->buffer, "HTTP/1.", 7) != 0) return -1;
  c->status = atoi(c->buffer + 9);
  long long length = 0;
  for (char* line = strstr(c->buffer, "\r\n"); line && line < c->buffer + end;
       line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "Content-Length:", 15) == 0) length = atoll(line + 17);
    if (strncasecmp(line + 2, "Transfer-Encoding:", 18) == 0) return -1;
  }
  if (g_head || c->status == 204 || c->status == 304 || c->status < 200) length = 0;
  c->body_left = length;
  return 0;
}

static void finish(struct worker* w, const struct connection* c) {
  uint64_t micros = (now_ns() - c->sent_at_ns) / 1000;
  w->latency_us[micros < k_latency_slots ? micros : k_latency_slots - 1]++;
  w->requests++;
  if (c->status < 200 || c->status > 399) w->non_2xx_3xx++;
}

/* Reads what is there; 1 when the answer completed, 0 to wait, -1 on an error. */
static int on_readable(struct worker* w, struct connection* c) {
  char scratch[k_buffer];
  for (;;) {
    char* into = c->body_left < 0 ? c->buffer + c->have : scratch;
    size_t room = c->body_left < 0 ? k_buffer - 1 - c->have : k_buffer;
    ssize_t n = read(c->fd, into, room);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n <= 0) return -1;
    w->bytes += (uint64_t)n;
    size_t body_bytes = (size_t)n;
    if (c->body_left < 0) {
      c->have += (size_t)n;
      c->buffer[c->have] = 0;
      char* end = strstr(c->buffer, "\r\n\r\n");
      if (!end) {
        if (c->have >= k_buffer - 1) return -1;
        continue;
      }
      size_t head = (size_t)(end + 4 - c->buffer);
      if (parse_head(c, head) != 0) return -1;
      body_bytes = c->have - head;
    }
    if ((long long)body_bytes > c->body_left) return -1; /* more than was asked for */
    c->body_left -= (long long)body_bytes;
    if (c->body_left == 0) {
      finish(w, c);
      return 1;
    }
  }
}

static void* run(void* argument) {
  struct worker* w = argument;
  int epoll = epoll_create1(0);
  struct connection* connections = calloc((size_t)w->connections, sizeof *connections);
  for (int i = 0; i < w->connections; i++)
    if (open_connection(w, epoll, &connections[i]) == 0) send_request(w, epoll, &connections[i]);
  struct epoll_event events[256];
  while (now_ns() < g_deadline_ns) {
    int ready = epoll_wait(epoll, events, 256, 10);
    for (int i = 0; i < ready; i++) {
      struct connection* c = events[i].data.ptr;
      int done = on_readable(w, c);
      if (done == 0) continue;
      if (done < 0) {
        w->read_errors++;
        close(c->fd);  /* closing removes it from the epoll set */
        if (open_connection(w, epoll, c) != 0) continue;
      }
      if (now_ns() < g_deadline_ns) send_request(w, epoll, c);
    }
  }
  for (int i = 0; i < w->connections; i++)
    if (connections[i].fd >= 0) close(connections[i].fd);
  free(connections);
  close(epoll);
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: headload -t THREADS -c CONNECTIONS -d SECONDS -m METHOD "
                  "http://IPV4:PORT/PATH\n");
  exit(2);
}

int main(int argc, char** argv) {
  int threads = 2, connections = 32;
  double seconds = 10;
  const char* method = "HEAD";
  int option;
  while ((option = getopt(argc, argv, "t:c:d:m:")) != -1) {
    switch (option) {
      case 't': threads = atoi(optarg); break;
      case 'c': connections = atoi(optarg); break;
      case 'd': seconds = atof(optarg); break;
      case 'm': method = optarg; break;
      default: usage();
    }
  }
  if (optind != argc - 1 || threads < 1 || connections < threads || seconds <= 0) usage();
  const char* url = argv[optind];
  char host[64];
  int port = 0, consumed = 0;
  if (sscanf(url, "http://%63[0-9.]:%d%n", host, &port, &consumed) != 2) usage();
  const char* path = url[consumed] == '/' ? url + consumed : "/";
  g_address.sin_family = AF_INET;
  g_address.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &g_address.sin_addr) != 1) usage();
  g_head = strcmp(method, "HEAD") == 0;
  g_request_length = (size_t)snprintf(g_request, sizeof g_request,
                                      "%s %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", method, path,
                                      host, port);
  uint64_t started = now_ns();
  g_deadline_ns = started + (uint64_t)(seconds * 1e9);
  struct worker* workers = calloc((size_t)threads, sizeof *workers);
  for (int i = 0; i < threads; i++) {
    workers[i].connections = connections / threads + (i < connections % threads);
    workers[i].latency_us = calloc(k_latency_slots, sizeof(uint32_t));
    pthread_create(&workers[i].thread, NULL, run, &workers[i]);
  }
  uint64_t requests = 0, bytes = 0, bad = 0, errors[3] = {0, 0, 0};
  static uint64_t latency[k_latency_slots];
  for (int i = 0; i < threads; i++) {
    pthread_join(workers[i].thread, NULL);
    requests += workers[i].requests;
    bytes += workers[i].bytes;
    bad += workers[i].non_2xx_3xx;
    errors[0] += workers[i].connect_errors;
    errors[1] += workers[i].read_errors;
    errors[2] += workers[i].write_errors;
    for (int s = 0; s < k_latency_slots; s++) latency[s] += workers[i].latency_us[s];
  }
  double elapsed = (double)(now_ns() - started) / 1e9;
  printf("%s %s, %d threads and %d connections\n", method, url, threads, connections);
  printf("  Latency Distribution\n");
  const double marks[] = {50, 75, 90, 99};
  for (int m = 0; m < 4; m++) {
    uint64_t want = (uint64_t)((double)requests * marks[m] / 100.0 + 0.5), seen = 0;
    int slot = 0;
    for (; slot < k_latency_slots - 1; slot++) {
      seen += latency[slot];
      if (seen >= want && want > 0) break;
    }
    printf("     %.0f%%   %.2fms\n", marks[m], (slot + 1) / 1000.0);
  }
  printf("  %llu requests in %.2fs, %.2fMB read\n", (unsigned long long)requests, elapsed,
         (double)bytes / 1048576.0);
  if (errors[0] || errors[1] || errors[2])
    printf("  Socket errors: connect %llu, read %llu, write %llu, timeout 0\n",
           (unsigned long long)errors[0], (unsigned long long)errors[1],
           (unsigned long long)errors[2]);
  if (bad) printf("  Non-2xx or 3xx responses: %llu\n", (unsigned long long)bad);
  printf("Requests/sec: %.2f\n", (double)requests / elapsed);
  return 0;
}
