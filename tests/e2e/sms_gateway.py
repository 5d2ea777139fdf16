"""sms_gateway.py DIR: a stand-in for an SMS provider's HTTP API on
127.0.0.1, on a free port it writes to DIR/port. Each POST is saved as
DIR/sms.N (the Authorization header, a blank line, the body). DIR/mode,
read at each request: "error" answers 500, "timeout" waits 5 s first."""
import http.server
import os
import sys
import time

d = sys.argv[1]
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            with open(os.path.join(d, "mode")) as f:
                mode = f.read().split()
        except FileNotFoundError:
            mode = []
        if "timeout" in mode:
            time.sleep(5)
        if "error" in mode or "timeout" in mode:
            self.send_response(500)
            self.end_headers()
            return
        count += 1
        path = os.path.join(d, "sms.%d" % count)
        with open(path + ".tmp", "wb") as f:
            f.write((self.headers.get("Authorization", "") + "\n" + self.headers.get("Content-Type", "")
                     + "\n\n").encode() + body)
        os.rename(path + ".tmp", path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
server.serve_forever()
