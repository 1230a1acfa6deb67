#!/usr/bin/env python3
"""A scripted Google Cloud Storage server for Walnut's tests (no GCS emulator is packaged here).

It implements exactly the JSON API calls Walnut makes, with objects kept in memory, and rejects
malformed requests with 400 (each rejection is recorded: GET /_control/stats lists them, and the
tests require none). The request shapes follow Google's published documentation:
  objects.get       https://cloud.google.com/storage/docs/json_api/v1/objects/get
  objects.list      https://cloud.google.com/storage/docs/json_api/v1/objects/list
  objects.delete    https://cloud.google.com/storage/docs/json_api/v1/objects/delete
  objects.patch     https://cloud.google.com/storage/docs/json_api/v1/objects/patch (sent as POST
                    with X-HTTP-Method-Override: PATCH, which Google's APIs accept)
  objects.insert    https://cloud.google.com/storage/docs/json_api/v1/objects/insert
  multipart upload  https://cloud.google.com/storage/docs/uploading-objects (JSON API, multipart)
  resumable upload  https://cloud.google.com/storage/docs/performing-resumable-uploads
                    (chunks are multiples of 256 KiB; 308 "Resume Incomplete" with Range; status
                    check with "Content-Range: bytes */<size or *>"; cancel with DELETE -> 499)
  ranged download   https://cloud.google.com/storage/docs/json_api/v1/objects/get (alt=media,
                    Range header)
  CSEK              https://cloud.google.com/storage/docs/encryption/using-customer-supplied-keys
                    (x-goog-encryption-algorithm AES256, -key base64, -key-sha256 base64)
  OAuth JWT grant   https://developers.google.com/identity/protocols/oauth2/service-account
                    (RS256 JWT with iss, scope, aud, iat, exp <= iat + 3600)
  metadata token    https://cloud.google.com/compute/docs/access/authenticate-workloads
                    (GET .../service-accounts/default/token, Metadata-Flavor: Google)

Usage: gcs-server.py --bucket NAME [--bucket ...] --jwt-key N_HEX:E:CLIENT_EMAIL
       [--refresh-token CLIENT_ID:SECRET:TOKEN] [--metadata] [--page-size N] [--token-lifetime S]
Prints "PORT <n>" on stdout once listening on 127.0.0.1. Control endpoints (no auth):
  POST /_control/fault  {"match": "chunk|media|list|insert|delete|get|patch|cancel|token|status|any",
                         "status": 503, "count": 1, "keep_bytes": N, "hang": seconds}
  POST /_control/clear-faults;  POST /_control/expire-tokens;  GET /_control/stats;  GET /_control/object?bucket=&name=
"""
import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK_ALIGN = 256 * 1024
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.buckets = {b: {} for b in args.bucket}
        self.sessions = {}
        self.tokens = {}  # token -> expiry (epoch seconds)
        self.faults = []
        self.rejections = []
        self.counts = {}
        self.generation = 1000
        self.args = args
        n_hex, e, self.client_email = args.jwt_key.split(":", 2)
        self.rsa_n, self.rsa_e = int(n_hex, 16), int(e)
        self.refresh = args.refresh_token.split(":", 2) if args.refresh_token else None

    def count(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    def take_fault(self, kind):
        with self.lock:
            for fault in self.faults:
                if fault["match"] in (kind, "any") and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None


class Reject(Exception):
    def __init__(self, status, message, reason="invalid"):
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rsa_verify(state, signing_input, signature):
    k = (state.rsa_n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), state.rsa_e, state.rsa_n).to_bytes(k, "big")
    digest = hashlib.sha256(signing_input).digest()
    t = SHA256_DIGEST_INFO + digest
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return secrets.compare_digest(em, expected)


def object_resource(bucket, name, obj):
    resource = {"kind": "storage#object", "bucket": bucket, "name": name,
                "size": str(len(obj["data"])), "generation": str(obj["generation"]),
                "updated": obj["updated"], "contentType": "application/octet-stream"}
    if obj["metadata"]:
        resource["metadata"] = obj["metadata"]
    if obj["csek"]:
        resource["customerEncryption"] = {"encryptionAlgorithm": "AES256", "keySha256": obj["csek"]}
    return resource


def rfc3339_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t % 1 * 1000)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "walnut-gcs-scripted"

    def log_message(self, fmt, *args):  # quiet; the tests read /_control/stats
        pass

    # ---- plumbing ----
    def send(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body or status not in (204, 308):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, message, reason):
        self.send(status, {"error": {"code": status, "message": message,
                                     "errors": [{"reason": reason, "message": message}]}})

    def body(self):
        if self.headers.get("Transfer-Encoding"):
            raise Reject(400, "chunked transfer encoding is not expected")
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        self.query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        for values in self.query.values():
            if len(values) != 1:
                self.data = self.body()
                return self.reject(Reject(400, "a query parameter is repeated"))
        self.q = {k: v[0] for k, v in self.query.items()}
        path = url.path
        try:
            self.data = self.body()
            if path.startswith("/_control/"):
                return self.control(path)
            if path == "/token":
                return self.token()
            if path == "/computeMetadata/v1/instance/service-accounts/default/token":
                return self.metadata_token()
            kind = self.kind_of(path)
            fault = state.take_fault(kind)
            if fault and fault.get("hang"):
                time.sleep(fault["hang"])
            if fault and "keep_bytes" not in fault and fault.get("status"):
                with state.lock:
                    state.count("fault_" + kind)
                return self.error(fault["status"], "injected fault", "backendError")
            self.authorize()
            with state.lock:
                state.count(kind)
            return self.route(path, kind, fault)
        except Reject as r:
            return self.reject(r)

    def reject(self, r):
        state = self.server.state
        if r.status == 400:
            with state.lock:
                state.rejections.append(f"{self.command} {self.path}: {r.message}")
        self.error(r.status, r.message, r.reason)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def kind_of(self, path):
        if "upload_id" in self.q:
            if self.command == "DELETE":
                return "cancel"
            if not self.data:
                return "status"
            return "chunk"
        if path.startswith("/upload/"):
            return "insert"
        if re.fullmatch(r"/storage/v1/b/[^/]+/o", path):
            return "list"
        if self.command == "POST" and self.headers.get("X-HTTP-Method-Override") == "PATCH":
            return "patch"
        if self.command == "DELETE":
            return "delete"
        return "media" if self.q.get("alt") == "media" else "get"

    def authorize(self):
        state = self.server.state
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Reject(401, "Anonymous caller does not have storage.objects access", "required")
        with state.lock:
            expiry = state.tokens.get(auth[7:])
        if expiry is None or expiry < time.time():
            raise Reject(401, "Invalid Credentials", "authError")

    def allow_params(self, *names):
        for name in self.q:
            if name not in names:
                raise Reject(400, f"unexpected query parameter {name}")

    def bucket(self, name):
        objects = self.server.state.buckets.get(name)
        if objects is None:
            raise Reject(404, "The specified bucket does not exist.", "notFound")
        return objects

    def check_csek(self, required):
        """The CSEK headers, validated: their key's SHA-256 (base64), or None when absent."""
        algorithm = self.headers.get("x-goog-encryption-algorithm")
        key = self.headers.get("x-goog-encryption-key")
        sha = self.headers.get("x-goog-encryption-key-sha256")
        if algorithm is None and key is None and sha is None:
            if required:
                raise Reject(400, "The target object is encrypted by a customer-supplied "
                                  "encryption key.", "resourceIsEncryptedWithCustomerEncryptionKey")
            return None
        if algorithm != "AES256" or key is None or sha is None:
            raise Reject(400, "incomplete customer-supplied encryption key headers")
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError:
            raise Reject(400, "the encryption key is not base64")
        if len(raw) != 32:
            raise Reject(400, "the encryption key is not 256 bits")
        if base64.b64encode(hashlib.sha256(raw).digest()).decode() != sha:
            raise Reject(400, "x-goog-encryption-key-sha256 does not match the key",
                         "customerEncryptionKeySha256IsInvalid")
        return sha

    # ---- OAuth ----
    def issue_token(self):
        state = self.server.state
        token = "ya29.test-" + secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[token] = time.time() + state.args.token_lifetime
            state.count("tokens_issued")
        return {"access_token": token, "expires_in": state.args.token_lifetime,
                "token_type": "Bearer"}

    def token(self):
        state = self.server.state
        if self.command != "POST":
            raise Reject(400, "the token endpoint takes POST")
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            raise Reject(400, "the token request is not form-encoded")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.data.decode()).items()}
        fault = state.take_fault("token")
        if fault and fault.get("status"):
            return self.send(fault["status"], {"error": "internal_failure"})
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            parts = form.get("assertion", "").split(".")
            if len(parts) != 3:
                raise Reject(400, "the assertion is not a JWT")
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            if header.get("alg") != "RS256" or header.get("typ") != "JWT":
                raise Reject(400, "the JWT header is not RS256")
            now = time.time()
            aud = f"http://127.0.0.1:{self.server.server_port}/token"
            if (claims.get("iss") != state.client_email or claims.get("aud") != aud
                    or "devstorage" not in claims.get("scope", "")
                    or not isinstance(claims.get("iat"), int) or not isinstance(claims.get("exp"), int)
                    or claims["iat"] > now + 60 or claims["exp"] < now
                    or claims["exp"] - claims["iat"] > 3600):
                raise Reject(400, "the JWT claims are wrong")
            if not rsa_verify(state, (parts[0] + "." + parts[1]).encode(), b64url_decode(parts[2])):
                with state.lock:
                    state.count("bad_signatures")
                return self.send(400, {"error": "invalid_grant",
                                       "error_description": "Invalid JWT Signature."})
            return self.send(200, self.issue_token())
        if grant == "refresh_token" and state.refresh:
            if [form.get("client_id"), form.get("client_secret"), form.get("refresh_token")] != state.refresh:
                return self.send(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            return self.send(200, self.issue_token())
        raise Reject(400, f"unsupported grant_type {grant}")

    def metadata_token(self):
        if not self.server.state.args.metadata:
            return self.send(404, b"not found", content_type="text/plain")
        if self.headers.get("Metadata-Flavor") != "Google":
            raise Reject(403, "Missing Metadata-Flavor:Google header")
        body = json.dumps(self.issue_token()).encode()
        self.send(200, body, {"Metadata-Flavor": "Google"})

    # ---- control ----
    def control(self, path):
        state = self.server.state
        with state.lock:
            if path == "/_control/fault":
                fault = json.loads(self.data)
                fault.setdefault("count", 1)
                state.faults.append(fault)
                return self.send(200, {})
            if path == "/_control/clear-faults":
                state.faults.clear()
                return self.send(200, {})
            if path == "/_control/expire-tokens":
                state.tokens.clear()
                return self.send(200, {})
            if path == "/_control/stats":
                return self.send(200, {"counts": state.counts, "rejections": state.rejections,
                                       "sessions": len(state.sessions)})
            if path == "/_control/object":
                obj = state.buckets.get(self.q.get("bucket"), {}).get(self.q.get("name"))
                if obj is None:
                    return self.send(404, {})
                return self.send(200, {"csek": obj["csek"], "size": len(obj["data"]),
                                       "metadata": obj["metadata"]})
        raise Reject(404, "unknown control path", "notFound")

    # ---- the JSON API ----
    def route(self, path, kind, fault):
        m = re.fullmatch(r"/storage/v1/b/([^/]+)/o(?:/(.+))?", path)
        u = re.fullmatch(r"/upload/storage/v1/b/([^/]+)/o", path)
        if kind in ("chunk", "status", "cancel"):
            if not u or self.command not in ("PUT", "DELETE"):
                raise Reject(400, "a resumable session URI takes PUT or DELETE")
            return self.session_request(kind, fault)
        if u and self.command == "POST":
            return self.insert(urllib.parse.unquote(u.group(1)))
        if not m:
            raise Reject(400, f"no such API path {path}")
        bucket = urllib.parse.unquote(m.group(1))
        name = urllib.parse.unquote(m.group(2)) if m.group(2) else None
        if name is None:
            if self.command != "GET":
                raise Reject(400, "objects.list takes GET")
            return self.list(bucket)
        if self.command == "GET":
            return self.get(bucket, name)
        if kind == "patch":
            return self.patch(bucket, name)
        if self.command == "DELETE":
            self.allow_params()
            with self.server.state.lock:
                objects = self.bucket(bucket)
                if name not in objects:
                    raise Reject(404, "No such object: " + bucket + "/" + name, "notFound")
                del objects[name]
            return self.send(204)
        raise Reject(400, f"{self.command} on an object")

    def get(self, bucket, name):
        self.allow_params("alt", "generation")
        alt = self.q.get("alt", "json")
        if alt not in ("json", "media"):
            raise Reject(400, "alt must be json or media")
        with self.server.state.lock:
            obj = self.bucket(bucket).get(name)
        if obj is None or ("generation" in self.q and self.q["generation"] != str(obj["generation"])):
            raise Reject(404, "No such object: " + bucket + "/" + name, "notFound")
        sha = self.check_csek(required=alt == "media" and obj["csek"] is not None)
        if sha is not None and sha != obj["csek"]:
            raise Reject(400, "The provided encryption key is not the one the object was "
                              "encrypted with.", "customerEncryptionKeySha256IsInvalid")
        if alt == "json":
            return self.send(200, object_resource(bucket, name, obj))
        data = obj["data"]
        headers = {"x-goog-generation": str(obj["generation"])}
        rng = self.headers.get("Range")
        if rng is None:
            return self.send(200, data, headers, "application/octet-stream")
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
        if not m:
            raise Reject(400, "malformed Range header")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else len(data) - 1
        if first >= len(data) or last < first:
            headers["Content-Range"] = f"bytes */{len(data)}"
            return self.send(416, b"", headers, "text/plain")
        last = min(last, len(data) - 1)
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        return self.send(206, data[first:last + 1], headers, "application/octet-stream")

    def patch(self, bucket, name):
        self.allow_params("ifGenerationMatch")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise Reject(400, "objects.patch takes a JSON body")
        try:
            body = json.loads(self.data)
        except ValueError:
            raise Reject(400, "the patch is not JSON")
        if not isinstance(body, dict) or set(body) != {"metadata"} or not isinstance(body["metadata"], dict):
            raise Reject(400, "only metadata is expected in a patch")
        with self.server.state.lock:
            obj = self.bucket(bucket).get(name)
            if obj is None:
                raise Reject(404, "No such object: " + bucket + "/" + name, "notFound")
            if "ifGenerationMatch" in self.q and self.q["ifGenerationMatch"] != str(obj["generation"]):
                raise Reject(412, "Precondition Failed", "conditionNotMet")
            for k, v in body["metadata"].items():
                if v is None:
                    obj["metadata"].pop(k, None)
                elif isinstance(v, str):
                    obj["metadata"][k] = v
                else:
                    raise Reject(400, "metadata values must be strings")
            resource = object_resource(bucket, name, obj)
        return self.send(200, resource)

    def list(self, bucket):
        self.allow_params("prefix", "delimiter", "pageToken", "maxResults", "fields")
        state = self.server.state
        prefix = self.q.get("prefix", "")
        delimiter = self.q.get("delimiter")
        if delimiter not in (None, "/"):
            raise Reject(400, "only '/' is expected as a delimiter")
        page_size = min(int(self.q.get("maxResults", 1000)), state.args.page_size)
        start_after = ""
        if "pageToken" in self.q:
            try:
                start_after = base64.urlsafe_b64decode(self.q["pageToken"]).decode()
            except ValueError:
                raise Reject(400, "Invalid pageToken")
            if not start_after.startswith(prefix):
                raise Reject(400, "the pageToken belongs to another listing")
        with state.lock:
            names = sorted(n for n in self.bucket(bucket) if n.startswith(prefix))
            objects = dict(self.bucket(bucket))
        entries = []  # (sort key, item or prefix)
        seen = set()
        for n in names:
            if delimiter and delimiter in n[len(prefix):]:
                p = n[:len(prefix) + n[len(prefix):].index(delimiter) + 1]
                if p not in seen:
                    seen.add(p)
                    entries.append((p, None))
            else:
                entries.append((n, n))
        entries = [e for e in entries if e[0] > start_after]
        page, rest = entries[:page_size], entries[page_size:]
        result = {"kind": "storage#objects"}
        items = [object_resource(bucket, n, objects[n]) for k, n in page if n is not None]
        prefixes = [k for k, n in page if n is None]
        if items:
            result["items"] = items
        if prefixes:
            result["prefixes"] = prefixes
        if rest:
            result["nextPageToken"] = base64.urlsafe_b64encode(page[-1][0].encode()).decode()
        with state.lock:
            state.count("list_pages")
        return self.send(200, result)

    def store(self, bucket, name, data, metadata, csek):
        state = self.server.state
        with state.lock:
            objects = self.bucket(bucket)
            state.generation += 1
            obj = {"data": bytes(data), "metadata": metadata or {}, "csek": csek,
                   "generation": state.generation, "updated": rfc3339_now()}
            objects[name] = obj
        return object_resource(bucket, name, obj)

    def resource_json(self, text):
        try:
            resource = json.loads(text)
        except ValueError:
            raise Reject(400, "the object resource is not JSON")
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str) or not resource["name"]:
            raise Reject(400, "the object resource has no name")
        metadata = resource.get("metadata", {})
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise Reject(400, "metadata values must be strings")
        return resource["name"], metadata

    def insert(self, bucket):
        self.allow_params("uploadType", "name")
        upload_type = self.q.get("uploadType")
        with self.server.state.lock:
            self.bucket(bucket)
        csek = self.check_csek(required=False)
        if upload_type == "multipart":
            m = re.fullmatch(r"multipart/related; boundary=([^;]+)", self.headers.get("Content-Type", ""))
            if not m:
                raise Reject(400, "a multipart upload needs Content-Type multipart/related; boundary=")
            boundary = m.group(1).encode()
            parts = self.data.split(b"--" + boundary)
            if len(parts) != 4 or parts[0] != b"" or parts[3] != b"--\r\n":
                raise Reject(400, "the multipart body does not have exactly two parts")
            meta_head, _, meta_body = parts[1].partition(b"\r\n\r\n")
            media_head, _, media = parts[2].partition(b"\r\n\r\n")
            if b"application/json" not in meta_head or not media.endswith(b"\r\n"):
                raise Reject(400, "the first part must be the JSON resource")
            name, metadata = self.resource_json(meta_body.rstrip(b"\r\n"))
            resource = self.store(bucket, name, media[:-2], metadata, csek)
            return self.send(200, resource)
        if upload_type == "resumable":
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                raise Reject(400, "a resumable upload starts with its JSON resource")
            name, metadata = self.resource_json(self.data)
            upload_id = secrets.token_urlsafe(16)
            with self.server.state.lock:
                self.server.state.sessions[upload_id] = {
                    "bucket": bucket, "name": name, "metadata": metadata, "csek": csek,
                    "data": bytearray()}
            location = (f"http://127.0.0.1:{self.server.server_port}/upload/storage/v1/b/"
                        f"{urllib.parse.quote(bucket, safe='')}/o?uploadType=resumable&upload_id={upload_id}")
            return self.send(200, b"", {"Location": location})
        raise Reject(400, f"uploadType {upload_type} is not expected")

    def session_request(self, kind, fault):
        state = self.server.state
        self.allow_params("uploadType", "upload_id")
        with state.lock:
            session = state.sessions.get(self.q["upload_id"])
        if session is None:
            raise Reject(404, "No such upload session", "notFound")
        if kind == "cancel":
            with state.lock:
                state.sessions.pop(self.q["upload_id"], None)
            return self.send(499, b"", content_type="text/plain")
        if session["csek"] is not None and self.check_csek(required=True) != session["csek"]:
            raise Reject(400, "the chunk's encryption key is not the session's")
        content_range = self.headers.get("Content-Range", "")
        have = len(session["data"])
        m = re.fullmatch(r"bytes \*/(\d+|\*)", content_range)
        if m:  # a status check, or the end of an upload whose bytes are all there
            if self.data:
                raise Reject(400, "a status check has no body")
            if m.group(1) != "*" and int(m.group(1)) == have:
                return self.finish_upload(session)
            if m.group(1) != "*" and int(m.group(1)) < have:
                raise Reject(400, "the total is smaller than what was sent")
            return self.resume_incomplete(have)
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
        if not m:
            raise Reject(400, f"malformed Content-Range '{content_range}'")
        first, last = int(m.group(1)), int(m.group(2))
        total = None if m.group(3) == "*" else int(m.group(3))
        if first != have:
            raise Reject(400, f"the chunk starts at {first}, but the server has {have} bytes")
        if last < first or len(self.data) != last - first + 1:
            raise Reject(400, "the body length does not match the Content-Range")
        final = total is not None and last + 1 == total
        if total is not None and last + 1 > total:
            raise Reject(400, "the chunk runs past the total")
        if not final and len(self.data) % CHUNK_ALIGN != 0:
            raise Reject(400, "a chunk that is not the last must be a multiple of 256 KiB")
        if fault and "keep_bytes" in fault:
            # The connection broke after part of the chunk: keep a 256 KiB multiple of it.
            keep = min(len(self.data), fault["keep_bytes"]) // CHUNK_ALIGN * CHUNK_ALIGN
            with state.lock:
                session["data"] += self.data[:keep]
                state.count("fault_chunk")
            return self.error(fault.get("status", 503), "injected fault after part of a chunk",
                              "backendError")
        with state.lock:
            session["data"] += self.data
        if final:
            return self.finish_upload(session)
        return self.resume_incomplete(len(session["data"]))

    def resume_incomplete(self, have):
        headers = {"Range": f"bytes=0-{have - 1}"} if have else {}
        self.send(308, b"", headers, "text/plain")

    def finish_upload(self, session):
        state = self.server.state
        with state.lock:
            state.sessions.pop(self.q["upload_id"], None)
        resource = self.store(session["bucket"], session["name"], session["data"],
                              session["metadata"], session["csek"])
        return self.send(200, resource)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", action="append", required=True)
    parser.add_argument("--jwt-key", required=True, help="N_HEX:E:CLIENT_EMAIL of the service account")
    parser.add_argument("--refresh-token", help="CLIENT_ID:SECRET:REFRESH_TOKEN of an authorized user")
    parser.add_argument("--metadata", action="store_true", help="serve the metadata server's token")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
