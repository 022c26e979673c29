"""A TCP forwarder that adds a fixed delay to every request (issue 18): what a client writes
reaches the target `delay` seconds later, in order, as if the target were that much further
away; answers come back at once. In front of radosgw it makes a bucket tens of ms away, and
SigV4 still holds (the signed Host is the forwarder's, and radosgw checks the Host it gets).
With no delay, a plain forwarder that counts the connections it is given."""

import queue
import socket
import threading
import time


class DelayProxy:
    def __init__(self, target_port, delay):
        self.target_port = target_port
        self.delay = delay
        self.lock = threading.Lock()
        self.connections = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(256)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def count(self):
        """Connections accepted so far."""
        with self.lock:
            return self.connections

    def stop(self):
        self.server.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        line = queue.Queue()  # (due, bytes); b"" ends the direction

        def read_client():
            try:
                while data := client.recv(65536):
                    line.put((time.monotonic() + self.delay, data))
            except OSError:
                pass
            line.put((time.monotonic() + self.delay, b""))

        def write_upstream():
            while True:
                due, data = line.get()
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    if not data:
                        upstream.shutdown(socket.SHUT_WR)
                        return
                    upstream.sendall(data)
                except OSError:
                    return

        def answers():
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass
            for end in (client, upstream):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threads = [threading.Thread(target=f, daemon=True) for f in (read_client, write_upstream)]
        for t in threads:
            t.start()
        answers()
        for t in threads:
            t.join(timeout=30)
        client.close()
        upstream.close()
