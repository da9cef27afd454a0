#!/usr/bin/env bash
# Record the MLLP capture fixtures of the batch CLI test (tests/js/cli-batch.test.mjs) on loopback:
#   tests/fixtures/capture/mllp-lo.pcap      tcpdump -i lo   (pcap, Ethernet link layer)
#   tests/fixtures/capture/mllp-any.pcapng   tshark -i any   (pcapng, Linux cooked capture)
#   tests/fixtures/capture/mllp-sent.txt     the complete messages sent, in order
# Needs root (or CAP_NET_RAW), tcpdump and tshark (apt-get install tcpdump tshark). Run from the
# repository root; the captures are committed, so the tests need neither tool.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DIR=tests/fixtures/capture
PORT=${PORT:-25750}
mkdir -p "$DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tcpdump -i lo -U -s 0 -w "$tmp/lo.pcap" "tcp port $PORT" 2>"$tmp/tcpdump.log" &
td=$!
tshark -i any -f "tcp port $PORT" -w "$tmp/any.pcapng" -q 2>"$tmp/tshark.log" &
ts=$!
sleep 3
node tests/tools/mllp-traffic.mjs "$PORT" "$DIR/mllp-sent.txt"
sleep 2
kill -INT "$td" "$ts"
wait "$td" "$ts" || true
cp "$tmp/lo.pcap" "$DIR/mllp-lo.pcap"
cp "$tmp/any.pcapng" "$DIR/mllp-any.pcapng"
chmod 644 "$DIR"/mllp-*
ls -l "$DIR"
