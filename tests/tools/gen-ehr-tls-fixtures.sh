#!/usr/bin/env bash
# Issue the certificates of the engine's outbound MLLP-over-TLS tests (tests/js/engine-reply.test.mjs):
#   tests/fixtures/tls/ehr-test-ca.crt                     a test CA (its key is thrown away)
#   tests/fixtures/tls/ehr-test-server.crt, .key           the fake EHR (SAN localhost, 127.0.0.1; serverAuth)
#   tests/fixtures/tls/ehr-test-client.crt, .key           the engine's client certificate (clientAuth)
# EC P-256 keys, unencrypted; valid 2000-01-01 to 2100-01-01 (`openssl ca -startdate/-enddate`).
# Test data only, never secrets. Run from anywhere with OpenSSL 3; the outputs are committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DIR=tests/fixtures/tls
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/db"
: >"$tmp/db/index.txt"
echo 01 >"$tmp/db/serial"
cat >"$tmp/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $tmp/db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
DATES=(-startdate 20000101000000Z -enddate 21000101000000Z)

# The CA: self-signed by `openssl ca -selfsign` (so it gets the same fixed dates).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key"
openssl req -new -config "$tmp/ca.cnf" -key "$tmp/ca.key" -subj "/CN=ehr-studio-bridge test CA" -out "$tmp/ca.csr"
openssl ca -batch -notext -config "$tmp/ca.cnf" -selfsign -keyfile "$tmp/ca.key" -extensions v3_ca "${DATES[@]}" -in "$tmp/ca.csr" -out "$DIR/ehr-test-ca.crt"

# name CN extensions: a key and a certificate issued by the CA.
issue() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/ehr-test-$1.key"
  openssl req -new -config "$tmp/ca.cnf" -key "$DIR/ehr-test-$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
  openssl ca -batch -notext -config "$tmp/ca.cnf" -cert "$DIR/ehr-test-ca.crt" -keyfile "$tmp/ca.key" -extensions "$3" "${DATES[@]}" -in "$tmp/$1.csr" -out "$DIR/ehr-test-$1.crt"
}
issue server localhost v3_server
issue client ehr-bridge-test-client v3_client

chmod 644 "$DIR"/ehr-test-*
openssl verify -CAfile "$DIR/ehr-test-ca.crt" "$DIR/ehr-test-server.crt" "$DIR/ehr-test-client.crt"
ls -l "$DIR"
