#!/usr/bin/env node
// A second, independent implementation of WAL-G's libsodium framing (libsodium-wrappers, the
// WebAssembly build of libsodium), used by the crypto unit tests to check Walnut byte for byte.
//
//   WALNUT_ORACLE_KEY_HEX=<64 hex digits> node sodium_oracle.js encrypt|decrypt <in >out
//
// encrypt: 24-byte header, 8192-byte plaintext chunks pushed with tag MESSAGE as soon as they are
//          full, then the rest (possibly empty) with TAG_FINAL, no additional data.
// decrypt: the reverse; exits 1 on an unauthentic chunk, a missing final chunk or trailing bytes.
'use strict';

const fs = require('fs');
const path = require('path');

function loadSodium() {
  // NODE_PATH or the repository's node_modules (this file lives in <repo>/tests/tools).
  try {
    return require('libsodium-wrappers');
  } catch (e) {
    return require(path.join(__dirname, '..', '..', 'node_modules', 'libsodium-wrappers'));
  }
}

const CHUNK = 8192;

function fail(message) {
  process.stderr.write(`sodium_oracle: ${message}\n`);
  process.exit(1);
}

async function main() {
  const sodium = loadSodium();
  await sodium.ready;
  const mode = process.argv[2];
  const keyHex = process.env.WALNUT_ORACLE_KEY_HEX || '';
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) fail('WALNUT_ORACLE_KEY_HEX must be 64 hex digits');
  const key = sodium.from_hex(keyHex);
  const input = fs.readFileSync(0);
  const ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES;
  const HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  const out = [];

  if (mode === 'encrypt') {
    const {state, header} = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    out.push(Buffer.from(header));
    let pos = 0;
    while (input.length - pos >= CHUNK) {
      const chunk = input.subarray(pos, pos + CHUNK);
      out.push(Buffer.from(
          sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, null, TAG_MESSAGE)));
      pos += CHUNK;
    }
    out.push(Buffer.from(sodium.crypto_secretstream_xchacha20poly1305_push(
        state, input.subarray(pos), null, TAG_FINAL)));
  } else if (mode === 'decrypt') {
    if (input.length < HEADERBYTES) fail('truncated header');
    const state =
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(input.subarray(0, HEADERBYTES), key);
    let pos = HEADERBYTES;
    let final = false;
    while (!final) {
      if (pos >= input.length) fail('truncated: no final chunk');
      const piece = input.subarray(pos, Math.min(pos + CHUNK + ABYTES, input.length));
      pos += piece.length;
      let result;
      try {
        result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, piece, null);
      } catch (e) {
        result = false;
      }
      if (!result) fail('decryption failed');
      out.push(Buffer.from(result.message));
      final = result.tag === TAG_FINAL;
    }
    if (pos !== input.length) fail('trailing bytes after the final chunk');
  } else {
    fail('usage: sodium_oracle.js encrypt|decrypt');
  }
  process.stdout.write(Buffer.concat(out));
}

main().catch((e) => fail(String(e && e.message || e)));
