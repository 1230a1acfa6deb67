#!/usr/bin/env bash
# Installs everything Walnut's build, tests and benchmarks need on a fresh Debian 12, as root
# (with the Ceph RGW test server: about 270 MB more, measured in docs/testing.md).
# Idempotent: packages already present are left alone, npm packages come from package-lock.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libcurl4-openssl-dev libssl-dev zlib1g-dev liblz4-dev libzstd-dev libbrotli-dev liblzma-dev libsodium-dev
  librnp-dev
  libpq-dev nlohmann-json3-dev libyaml-cpp-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev libpugixml-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # SFTP storage: headers only, the library is loaded with dlopen (src/storage/sftp/ssh_api.h)
  libssh-dev
  # run time: loaded with dlopen when S3, a server connection, an OpenPGP key or SFTP is first
  # used, not linked (see src/net/curl_api.h, src/postgres/libpq_api.h,
  # src/pipeline/crypto/pgp_rnp.cc, src/storage/sftp/ssh_api.h), so a package of Walnut must
  # depend on them
  libcurl4 libpq5 librnp0 libssh-4
  # command-line codecs the interoperability tests and benchmarks compare against
  lz4 zstd brotli xz-utils
  # GnuPG: the OpenPGP tests make their keys with it and check both ways that it reads Walnut's
  # objects and Walnut reads its own; WALG_GPG_KEY_ID runs it at run time
  gpg
  # a real PostgreSQL for the integration tests and benchmarks
  postgresql-15 postgresql-client-15
  # a real S3 for the integration tests and the S3 benchmarks: a throwaway Ceph RADOS Gateway
  # (tests/tools/ceph-rgw.sh); the benchmarks' HTTPS certificate (openssl) and listings (jq)
  ceph-mon ceph-osd radosgw uuid-runtime curl openssl jq
  # a real SFTP server for the integration tests (tests/tools/sshd-server.sh), run unprivileged
  openssh-server openssh-client
  # the scripted Google Cloud Storage server of the GCS tests (tests/tools/gcs-server.py)
  python3
  # walnut metrics' tests: promtool checks the exposition, node_exporter serves the textfile
  prometheus prometheus-node-exporter
  # the peers the benchmarks run side by side with Walnut
  pgbackrest
  # fuzzing (clang's libFuzzer), the thread-safety analysis (tools/check-thread-safety.py), measuring
  clang-14 libclang-rt-14-dev time procps
  # line coverage (tools/coverage.sh)
  gcovr
  # deploy/ (Prometheus and node_exporter above run its live alert test): the systemd units
  # (systemd-analyze); the package: man pages (help2man), lintian, zsh completion
  systemd help2man lintian file zsh
)
# The S3 test server runs on Node.js; an existing node with its own npm (not Debian's) is kept.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The test servers from npm (s3rver for S3, azurite for Azure), pinned by package-lock.json.
if [ ! -x "$here/node_modules/.bin/s3rver" ] || [ ! -x "$here/node_modules/.bin/azurite-blob" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
