"""Fake AWS credential services owned by the test suite, on 127.0.0.1 (issue 18): STS
(AssumeRoleWithWebIdentity, a form POST), the container credentials endpoint (ECS, EKS Pod
Identity) and the EC2 instance metadata service (IMDSv2). Each hands out short-lived keys made by
`issue()` (radosgw keys of a real user, so radosgw's strict SigV4 check proves they signed) and
checks what a real service checks: the web identity token and the container authorization token
against the current content of their files (so a rotated file must be re-read), the IMDSv2
session token. It records every request (path, no secret) and every key it handed out."""

import http.server
import json
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CredentialServices:
    ROLE_ARN = "arn:aws:iam::123456789012:role/fleet-reader"
    INSTANCE_ROLE = "fleet-node-role"

    def __init__(self, issue, lifetime=10.0, web_identity_file=None, container_token_file=None):
        self.issue = issue            # () -> (access_key, secret_key)
        self.lifetime = lifetime      # seconds each key pair lives
        self.web_identity_file = Path(web_identity_file) if web_identity_file else None
        self.container_token_file = Path(container_token_file) if container_token_file else None
        self.issued = []              # (kind, access_key, secret_key, session_token, expires_at)
        self.requests = []            # (method, path, outcome)
        self.tokens_seen = []         # web identity / container tokens presented, in order
        self.imds_tokens = set()
        self.refuse_sts = False
        self.lock = threading.Lock()
        services = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body, content_type="text/plain", outcome=""):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with services.lock:
                    services.requests.append((self.command, self.path, outcome or str(status)))

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                field = lambda name: form.get(name, [""])[0]  # noqa: E731
                if self.path != "/sts/" or field("Action") != "AssumeRoleWithWebIdentity":
                    return self.answer(404, "no such action")
                token = field("WebIdentityToken")
                with services.lock:
                    services.tokens_seen.append(token)
                signed = "Authorization" in self.headers or "X-Amz-Date" in self.headers
                wanted = services.web_identity_file.read_text().strip()
                if services.refuse_sts or signed or token != wanted or field("RoleArn") != services.ROLE_ARN \
                        or not field("RoleSessionName"):
                    return self.answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken"
                                            "</Code><Message>Token is not valid</Message></Error></ErrorResponse>",
                                       "text/xml", "refused")
                key, secret, session, expires = services.new_keys("sts")
                self.answer(200, f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ci:reader</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>{session}</SessionToken>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <Expiration>{iso(expires)}</Expiration>
      <AccessKeyId>{key}</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>""", "text/xml")

            def do_PUT(self):
                if self.path != "/latest/api/token" or \
                        not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.answer(400, "")
                token = uuid.uuid4().hex
                with services.lock:
                    services.imds_tokens.add(token)
                self.answer(200, token)

            def do_GET(self):
                if self.path == "/creds":
                    wanted = services.container_token_file.read_text().strip()
                    presented = self.headers.get("Authorization", "")
                    with services.lock:
                        services.tokens_seen.append(presented)
                    if presented != wanted:
                        return self.answer(401, "", outcome="refused")
                    return self.json_keys("container")
                if self.path.startswith("/latest/meta-data/iam/security-credentials/"):
                    with services.lock:
                        good = self.headers.get("X-aws-ec2-metadata-token") in services.imds_tokens
                    if not good:
                        return self.answer(401, "", outcome="refused")
                    role = self.path.rsplit("/", 1)[1]
                    if role == "":
                        return self.answer(200, services.INSTANCE_ROLE)
                    if role != services.INSTANCE_ROLE:
                        return self.answer(404, "")
                    return self.json_keys("imds")
                self.answer(404, "")

            def json_keys(self, kind):
                key, secret, session, expires = services.new_keys(kind)
                body = {"AccessKeyId": key, "SecretAccessKey": secret, "Token": session,
                        "Expiration": iso(expires)}
                if kind == "imds":
                    body.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": iso(time.time())})
                self.answer(200, json.dumps(body), "application/json")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_keys(self, kind):
        key, secret = self.issue()
        session = "FQoGZXIvYXdzE" + uuid.uuid4().hex + uuid.uuid4().hex
        expires = time.time() + self.lifetime
        with self.lock:
            self.issued.append((kind, key, secret, session, expires))
        return key, secret, session, expires

    def served_all(self):
        with self.lock:
            return list(self.issued)

    def served(self, kind):
        with self.lock:
            return [i for i in self.issued if i[0] == kind]

    def secrets(self):
        """Every secret string the services handed out or checked: none may appear anywhere."""
        with self.lock:
            out = [s for i in self.issued for s in (i[2], i[3])]
            out += [t for t in self.tokens_seen if t]
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
